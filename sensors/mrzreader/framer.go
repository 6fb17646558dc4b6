package mrzreader

import (
	"fmt"
	"strings"

	"github.com/egate/egate/sensors/mrz"
)

// Kind is what an Event reports.
type Kind uint8

const (
	// KindZone: a complete frame was read and parsed. Zone is nil when the
	// frame forms no zone (Err wraps mrz.ErrGeometry); otherwise Err is
	// nil for a valid zone or the mrz.Errors.
	KindZone Kind = iota + 1
	// KindPresent: the reader signalled a document on the window.
	KindPresent
	// KindRemoved: the reader signalled the document was taken away.
	KindRemoved
	// KindFrameError: bytes were discarded (line too long, too many lines,
	// or an incomplete frame timed out). Err says why.
	KindFrameError
)

func (k Kind) String() string {
	switch k {
	case KindZone:
		return "zone"
	case KindPresent:
		return "present"
	case KindRemoved:
		return "removed"
	case KindFrameError:
		return "frame-error"
	}
	return "unknown"
}

// Event is one thing the reader saw. It holds personal data (Zone): do
// not log it; log Kind and, at most, whether the zone was valid.
type Event struct {
	Kind Kind
	Zone *mrz.MRZ
	Err  error
}

// FrameEnd selects how the end of a zone is recognised.
type FrameEnd uint8

const (
	// EndBlankLine: the zone ends with an empty line (two line ends in a
	// row), the common "lines terminated by CR, then a blank line" mode.
	EndBlankLine FrameEnd = iota
	// EndGeometry: the zone ends as soon as its lines form a zone: two
	// lines of 36 or 44, or three lines. For readers that send no blank line.
	EndGeometry
)

const (
	stx = 0x02 // start of text: some readers open a frame with it
	etx = 0x03 // end of text: and close it with this
)

// maxLines bounds a frame; a zone has at most 3 lines.
const maxLines = 6

// Framer turns the byte stream of a line-protocol MRZ reader into events.
// It is the pure, clock-free part of Reader, usable on any byte source
// (serial port, keyboard wedge, replayed capture). Line ends are CR, LF
// or CRLF; an STX discards a partial frame and starts a new one, an ETX
// ends the frame like a blank line. Not safe for concurrent use.
type Framer struct {
	o       Opts
	line    []byte
	lines   []string
	lastCR  bool
	discard bool // skipping to the end of an oversized frame
	dropped int  // bytes skipped on the current line while discarding
}

// NewFramer returns a Framer; o is validated as by Open.
func NewFramer(o *Opts) (*Framer, error) {
	r, err := o.resolve()
	if err != nil {
		return nil, err
	}
	return &Framer{o: r}, nil
}

// Write feeds bytes and returns the events they complete.
func (f *Framer) Write(p []byte) []Event {
	var evs []Event
	for _, c := range p {
		switch {
		case c == '\n' && f.lastCR:
			f.lastCR = false // the LF of a CRLF
			continue
		case c == '\r' || c == '\n':
			f.lastCR = c == '\r'
			evs = f.endLine(evs)
			continue
		case c == stx:
			if len(f.lines) > 0 || len(f.line) > 0 {
				evs = append(evs, Event{Kind: KindFrameError, Err: fmt.Errorf("mrzreader: STX inside a frame: %d partial line(s) discarded", len(f.lines))})
			}
			f.reset()
		case c == etx:
			evs = f.endLine(evs)
			evs = f.endFrame(evs)
		default:
			if f.discard {
				f.dropped++
				break
			}
			if len(f.line) >= f.o.MaxLine {
				evs = append(evs, Event{Kind: KindFrameError, Err: fmt.Errorf("mrzreader: line longer than %d bytes: frame discarded", f.o.MaxLine)})
				f.reset()
				f.discard = true
				break
			}
			f.line = append(f.line, c)
		}
		f.lastCR = false
	}
	return evs
}

// Expire discards a partial frame (the reader calls it when the line has
// been quiet for Opts.FrameTimeout) and reports whether there was one.
func (f *Framer) Expire() []Event {
	if len(f.lines) == 0 && len(f.line) == 0 {
		f.discard = false
		return nil
	}
	n := len(f.lines)
	f.reset()
	return []Event{{Kind: KindFrameError, Err: fmt.Errorf("mrzreader: incomplete frame (%d line(s)) timed out and was discarded", n)}}
}

func (f *Framer) reset() {
	f.line, f.lines, f.discard, f.dropped = f.line[:0], nil, false, 0
}

func (f *Framer) endLine(evs []Event) []Event {
	l := strings.TrimSpace(string(f.line))
	f.line = f.line[:0]
	switch {
	case f.discard:
		// Skip to the blank line that closes the frame (or, without blank
		// lines, to the end of the offending line).
		if f.dropped == 0 || f.o.FrameEnd == EndGeometry {
			f.discard = false
		}
		f.dropped = 0
		return evs
	case l == "":
		if f.o.FrameEnd == EndBlankLine {
			return f.endFrame(evs)
		}
		return evs
	case f.o.PresentMarker != "" && l == f.o.PresentMarker:
		return append(evs, Event{Kind: KindPresent})
	case f.o.RemovedMarker != "" && l == f.o.RemovedMarker:
		return append(evs, Event{Kind: KindRemoved})
	}
	f.lines = append(f.lines, l)
	if len(f.lines) > maxLines {
		f.reset()
		f.discard = f.o.FrameEnd == EndBlankLine
		return append(evs, Event{Kind: KindFrameError, Err: fmt.Errorf("mrzreader: more than %d lines without a frame end: discarded", maxLines)})
	}
	if f.o.FrameEnd == EndGeometry && complete(f.lines) {
		return f.endFrame(evs)
	}
	return evs
}

// complete reports whether lines form a whole zone by geometry.
func complete(lines []string) bool {
	switch len(lines) {
	case 2:
		n := len(lines[0])
		return len(lines[1]) == n && (n == 36 || n == 44)
	case 3:
		return true
	}
	return false
}

func (f *Framer) endFrame(evs []Event) []Event {
	if len(f.lines) == 0 {
		f.discard = false
		return evs
	}
	text := strings.Join(f.lines, "\n")
	f.reset()
	po := f.o.Parse
	if f.o.Today != nil {
		po.Today = f.o.Today()
	}
	m, err := mrz.ParseText(text, &po)
	return append(evs, Event{Kind: KindZone, Zone: m, Err: err})
}
