// Package mrzreader reads machine readable zones from line-protocol MRZ
// readers: OCR swipe and full-page readers that, in serial (USB CDC or
// RS-232) emulation, send each MRZ line followed by a line end and close
// the zone with a blank line.
//
// Any part of the firmware that needs documents may import it; it imports
// only sensors/mrz and the standard library (no cgo). The gate itself
// should depend on a small interface in sensors/, not on this package.
//
// # Protocol
//
// Framer is the pure protocol state machine, fed with bytes:
//
//   - line ends are CR, LF or CRLF;
//   - a zone ends with a blank line (EndBlankLine, the default) or, for
//     readers that send none, as soon as its lines form a zone
//     (EndGeometry: 2x36, 2x44 or 3 lines);
//   - STX (0x02) starts a frame and discards any partial one, ETX (0x03)
//     ends it, for readers that wrap zones that way;
//   - whole lines equal to Opts.PresentMarker / Opts.RemovedMarker become
//     KindPresent / KindRemoved events (document laid on / taken off);
//   - lines over Opts.MaxLine or frames of more than six lines are
//     discarded with a KindFrameError, as is a partial frame after
//     Opts.FrameTimeout of silence.
//
// Each complete frame is parsed with sensors/mrz (Opts.Parse) and
// delivered as a KindZone Event.
//
// # Devices
//
// Open opens a tty (e.g. /dev/ttyACM0), sets raw 8N1 at Opts.Baud with
// termios through the standard library (Linux; other platforms get
// ErrUnsupported so the package still builds on laptops), and reads until
// the ctx ends, Halt is called, or the device fails. New runs the same
// loop over any io.ReadCloser: a keyboard wedge's stdin or a replayed
// capture. When the device is unplugged the read fails, Events is closed,
// and Err returns the read error (ErrClosed after Halt or ctx). Halt
// relies on Close interrupting a blocked Read, which holds for ttys and
// pipes opened through os.
//
// # Not yet
//
// Replug recovery (reopening the device and a health state for the gate),
// the evdev keyboard-wedge reader and the simulated reader for `make run`
// are not in this package yet.
//
// # Personal data
//
// Events carry parsed zones: never log them. Nothing here logs.
package mrzreader
