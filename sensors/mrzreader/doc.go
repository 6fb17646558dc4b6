// Package mrzreader reads machine readable zones from line-protocol MRZ
// readers: OCR swipe and full-page readers that, in serial (USB CDC or
// RS-232) emulation, send each MRZ line followed by a line end and close
// the zone with a blank line.
//
// Any part of the firmware that needs documents may import it; it imports
// sensors/mrz, the parent sensors package (sensors.DocumentRead), the
// gate's event types and clock, and the standard library (no cgo). The
// gate itself depends on sensors.DocumentReader, not on this package; cmd/
// wires a Device in.
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
// # Readers and devices
//
// Reader runs the framer over one open port until it fails: Open opens a
// tty (e.g. /dev/ttyACM0), sets raw 8N1 at Opts.Baud with termios through
// the standard library (Linux; other platforms get ErrUnsupported so the
// package still builds on laptops), and reads until the ctx ends, Halt is
// called, or the device fails; New runs the same loop over any
// io.ReadCloser. Halt relies on Close interrupting a blocked Read, which
// holds for ttys, pipes and event devices opened through os.
//
// Device is what the lane uses: a sensors.DocumentReader that survives
// unplugging. It opens its port with an Opener (Serial, Evdev, Stdin),
// runs a Reader on it and delivers each zone as a sensors.DocumentRead:
// the document (mrz.MRZ.Document) and, for an invalid or unreadable zone,
// an error wrapping the mrz.Errors (field and rule), mrz.ErrGeometry or
// ErrFrame, never zone text. When the port fails (unplugged: EIO or end
// of input) or cannot be opened, the Device reports a fault and reopens
// it with exponential backoff (Opts.RetryMin up to Opts.RetryMax, on an
// injectable clock) until it works again, then reports the recovery.
// Health gives the current state; Opts.OnHealth is called on each change
// and HealthEvent turns that into gate.DeviceFault or gate.DeviceRecovered
// for DeviceName ("document_reader"). A device missing at start is a
// fault, not an error: NewDevice fails only on bad options. Use stable
// paths (/dev/serial/by-id/..., /dev/input/by-id/...): after a replug the
// kernel may number the device differently.
//
// # Keyboard wedges
//
// A reader that types the zone as a keyboard is read either from its
// evdev node (Evdev, Linux, standard library only: the node is grabbed
// with EVIOCGRAB so the keystrokes reach nothing else, and key events are
// translated with a US layout, < from Shift+comma or the ISO key) or from
// stdin (Stdin, a console; one shot, end of input stops the Device).
// Wedges type no blank line: use FrameEnd EndGeometry. Keyboard layouts
// other than US, and Caps Lock already on when the node is opened, are
// not handled; Opts.Parse.FoldCase accepts lower case where that matters.
//
// # Not yet
//
// Present and removed markers are reported by Reader but not passed on
// by Device (sensors.DocumentReader has no place for them). The simulated
// reader for make run still hands sensors.Document values over directly
// (cmd/internal/sim); mrz.Build and mrz.FieldsOf can route it through
// real zones.
//
// # Personal data
//
// Events carry parsed zones: never log them. Nothing here logs.
package mrzreader
