package mrzreader

import (
	"errors"
	"fmt"
	"time"

	"github.com/egate/egate/gate/clock"
	"github.com/egate/egate/sensors/mrz"
)

// ErrOpts wraps every rejected option.
var ErrOpts = errors.New("mrzreader: invalid options")

// Opts configure a reader. Start from DefaultOpts.
type Opts struct {
	// Baud is the serial speed; USB CDC readers ignore it. One of the
	// standard rates 1200..230400.
	Baud int
	// FrameEnd says how a zone ends: a blank line, or its geometry.
	FrameEnd FrameEnd
	// MaxLine bounds a line in bytes; longer lines discard the frame.
	MaxLine int
	// FrameTimeout discards a partial frame after this much silence; 0
	// disables it.
	FrameTimeout time.Duration
	// PresentMarker and RemovedMarker are whole lines some readers send
	// when a document is laid on or taken off the window ("" = none).
	PresentMarker string
	RemovedMarker string
	// Parse are the parser options (case folding, OCR repair).
	Parse mrz.Options
	// Today supplies the parser's date for each zone; nil means the
	// parser's default (the current date). Tests inject a fixed clock.
	Today func() time.Time

	// The rest is for a Device, which reopens its port when it fails.

	// RetryMin and RetryMax bound the wait before reopening a failed or
	// missing device: it starts at RetryMin and doubles on each failure up
	// to RetryMax, and starts again at RetryMin once the device has
	// stayed up for RetryMax (a device that fails at once keeps backing
	// off instead of spinning).
	RetryMin time.Duration
	RetryMax time.Duration
	// OnHealth is called on every change of the Device's health: ok false
	// with what went wrong when the device fails or cannot be opened, ok
	// true when it works again. It is not called for the first successful
	// open (a device is presumed healthy). It runs on the Device's
	// goroutine and must not block; HealthEvent turns it into the gate's
	// event. Details name the device and the error, never document data.
	OnHealth func(ok bool, detail string)
	// Clock times the waits between reopening attempts; nil means the wall
	// clock.
	Clock clock.Clock
}

// DefaultOpts suits the common readers in serial emulation: 9600 baud,
// lines ended by CR, a blank line after the zone.
var DefaultOpts = Opts{
	Baud:         9600,
	FrameEnd:     EndBlankLine,
	MaxLine:      128,
	FrameTimeout: 2 * time.Second,
	RetryMin:     250 * time.Millisecond,
	RetryMax:     5 * time.Second,
}

var bauds = map[int]bool{1200: true, 2400: true, 4800: true, 9600: true, 19200: true, 38400: true, 57600: true, 115200: true, 230400: true}

// resolve applies DefaultOpts to a nil *Opts and rejects values that would
// misbehave silently.
func (o *Opts) resolve() (Opts, error) {
	r := DefaultOpts
	if o != nil {
		r = *o
	}
	switch {
	case !bauds[r.Baud]:
		return r, fmt.Errorf("%w: baud %d is not a standard rate", ErrOpts, r.Baud)
	case r.MaxLine < 44:
		return r, fmt.Errorf("%w: MaxLine %d cannot hold a 44-character MRZ line", ErrOpts, r.MaxLine)
	case r.FrameTimeout < 0:
		return r, fmt.Errorf("%w: negative FrameTimeout", ErrOpts)
	case r.FrameEnd != EndBlankLine && r.FrameEnd != EndGeometry:
		return r, fmt.Errorf("%w: unknown FrameEnd %d", ErrOpts, r.FrameEnd)
	case r.RetryMin < 0 || r.RetryMax < 0:
		return r, fmt.Errorf("%w: negative RetryMin or RetryMax", ErrOpts)
	}
	if r.RetryMin == 0 {
		r.RetryMin = DefaultOpts.RetryMin
	}
	if r.RetryMax == 0 {
		r.RetryMax = max(DefaultOpts.RetryMax, r.RetryMin)
	}
	if r.RetryMax < r.RetryMin {
		return r, fmt.Errorf("%w: RetryMax %v is below RetryMin %v", ErrOpts, r.RetryMax, r.RetryMin)
	}
	if r.Clock == nil {
		r.Clock = clock.Real{}
	}
	return r, nil
}
