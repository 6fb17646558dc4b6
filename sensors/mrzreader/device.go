package mrzreader

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/egate/egate/gate"
	"github.com/egate/egate/sensors"
)

// DeviceName is the device name the gate knows the document reader by, in
// gate.DeviceFault and gate.DeviceRecovered.
const DeviceName = "document_reader"

// ErrGone is what an Opener returns (wrapped) when its port cannot be
// opened again, as for stdin after end of input: the Device then stops
// instead of retrying.
var ErrGone = errors.New("mrzreader: port cannot be reopened")

// ErrFrame wraps the error of a read attempt that gave no zone: bytes
// were discarded as an overlong line, too many lines, or an incomplete
// frame that timed out.
var ErrFrame = errors.New("mrzreader: incomplete or garbled frame")

// Opener opens a reader's port: a serial device (Serial), a keyboard
// wedge's evdev node (Evdev) or stdin (Stdin). A Device calls it again
// each time the port fails.
type Opener func() (io.ReadCloser, error)

// Serial opens a tty in raw 8N1 mode at baud (Linux; ErrUnsupported
// elsewhere). Prefer a stable path such as /dev/serial/by-id/...: after a
// replug the kernel may give the device another ttyACM number.
func Serial(path string, baud int) Opener {
	return func() (io.ReadCloser, error) {
		f, err := openSerial(path, baud)
		if err != nil {
			return nil, err
		}
		return f, nil
	}
}

// Device is a document reader that survives unplugging: it reads zones
// from its port like Reader and, when the port fails (unplugged, EIO) or
// cannot be opened, reports the fault, reopens it with backoff, and
// reports the recovery. It implements sensors.DocumentReader. Its health
// is read with Health and followed with Opts.OnHealth.
type Device struct {
	name   string
	open   Opener
	o      Opts
	docs   chan sensors.DocumentRead
	done   chan struct{}
	cancel context.CancelFunc

	mu     sync.Mutex
	ok     bool
	detail string
	err    error
}

var _ sensors.DocumentReader = (*Device)(nil)

// OpenSerial starts a Device on a serial reader at path (see Serial).
// Only unusable options are an error: a device that is missing or fails
// to open is reported unhealthy and retried.
func OpenSerial(ctx context.Context, path string, o *Opts) (*Device, error) {
	r, err := o.resolve()
	if err != nil {
		return nil, err
	}
	return NewDevice(ctx, path, Serial(path, r.Baud), &r)
}

// NewDevice starts a Device named name (for String and health details) on
// the ports open returns. The first open is tried before NewDevice
// returns, so Health is meaningful at once: a failure there makes the
// device start unhealthy (and OnHealth is called), not an error. The
// Device runs until ctx ends, Halt is called, or open reports ErrGone.
func NewDevice(ctx context.Context, name string, open Opener, o *Opts) (*Device, error) {
	r, err := o.resolve()
	if err != nil {
		return nil, err
	}
	if open == nil {
		return nil, fmt.Errorf("%w: nil Opener", ErrOpts)
	}
	ctx, cancel := context.WithCancel(ctx)
	d := &Device{name: name, open: open, o: r, docs: make(chan sensors.DocumentRead, 4),
		done: make(chan struct{}), cancel: cancel, ok: true}
	port, err := open()
	if err != nil {
		port = nil // an Opener may return a typed nil
		d.ok, d.detail = false, d.faultDetail("open", err)
	}
	go d.run(ctx, port, err)
	return d, nil
}

func (d *Device) String() string { return "mrzreader(" + d.name + ")" }

// Documents delivers each zone read as a sensors.DocumentRead: Doc holds
// the printed fields (mrz.MRZ.Document) and Err is nil for a valid zone.
// For an invalid zone Doc is filled as far as the zone allows and Err
// wraps the mrz.Errors (field and rule, errors.Is(err, mrz.ErrCheckDigit)
// and the like); for input that forms no zone Err wraps mrz.ErrGeometry,
// and for a discarded frame ErrFrame. Errors never hold zone text. The
// channel is closed only when the Device stops for good (Halt, ctx, or a
// port that is gone), never on an unplug: a consumer's select must then
// stop reading it.
func (d *Device) Documents() <-chan sensors.DocumentRead { return d.docs }

// Health reports whether the device works, and if not, what went wrong
// last (naming the device and the error).
func (d *Device) Health() (ok bool, detail string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.ok, d.detail
}

// Done is closed when the Device has stopped.
func (d *Device) Done() <-chan struct{} { return d.done }

// Err is why the Device stopped (ErrClosed after Halt or ctx, an error
// wrapping ErrGone for a one-shot port), or nil while it runs.
func (d *Device) Err() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.err
}

// Halt stops the Device, closes its port and returns once its goroutines
// have ended. It is safe to call more than once.
func (d *Device) Halt() error {
	d.cancel()
	<-d.done
	return nil
}

// HealthEvent turns a health change into the event the gate takes:
// gate.DeviceRecovered or gate.DeviceFault for DeviceName.
func HealthEvent(ok bool, detail string) gate.Event {
	if ok {
		return gate.DeviceRecovered{Device: DeviceName}
	}
	return gate.DeviceFault{Device: DeviceName, Detail: detail}
}

// faultDetail names the device in the detail unless the error does.
func (d *Device) faultDetail(what string, err error) string {
	if s := err.Error(); strings.Contains(s, d.name) {
		return s
	}
	return fmt.Sprintf("%s: %s: %v", d.name, what, err)
}

// setHealth records the health and calls OnHealth on a change.
func (d *Device) setHealth(ok bool, detail string) {
	d.mu.Lock()
	changed := d.ok != ok
	d.ok, d.detail = ok, detail
	d.mu.Unlock()
	if changed && d.o.OnHealth != nil {
		d.o.OnHealth(ok, detail)
	}
}

func (d *Device) stop(err error) {
	d.mu.Lock()
	d.err = err
	d.mu.Unlock()
}

// sleep waits for dt on the Device's clock; false when ctx ended first.
func (d *Device) sleep(ctx context.Context, dt time.Duration) bool {
	select {
	case <-d.o.Clock.After(dt):
		return true
	case <-ctx.Done():
		return false
	}
}

func (d *Device) run(ctx context.Context, port io.ReadCloser, openErr error) {
	defer close(d.done)
	defer close(d.docs)
	defer d.cancel()
	if openErr != nil && d.o.OnHealth != nil {
		_, detail := d.Health()
		d.o.OnHealth(false, detail)
	}
	if errors.Is(openErr, ErrGone) {
		d.stop(openErr)
		return
	}
	delay := d.o.RetryMin
	for {
		if port == nil {
			if !d.sleep(ctx, delay) {
				d.stop(ErrClosed)
				return
			}
			delay = min(2*delay, d.o.RetryMax)
			p, err := d.open()
			if err != nil || p == nil {
				if err == nil {
					err = errors.New("opener returned no port")
				}
				d.setHealth(false, d.faultDetail("open", err))
				if errors.Is(err, ErrGone) {
					d.stop(err)
					return
				}
				continue
			}
			port = p
			d.setHealth(true, "")
		}
		start := d.o.Clock.Now()
		err := d.session(ctx, port)
		port = nil
		if errors.Is(err, ErrClosed) || ctx.Err() != nil {
			d.stop(ErrClosed)
			return
		}
		d.setHealth(false, d.faultDetail("read", err))
		if d.o.Clock.Now().Sub(start) >= d.o.RetryMax {
			delay = d.o.RetryMin
		}
	}
}

// session reads one opened port until it fails or the Device stops, and
// returns why it ended.
func (d *Device) session(ctx context.Context, port io.ReadCloser) error {
	r, err := New(ctx, d.name, port, &d.o)
	if err != nil {
		return err
	}
	for ev := range r.Events() {
		read, ok := d.documentRead(ev)
		if !ok {
			continue
		}
		select {
		case d.docs <- read:
		case <-ctx.Done():
		}
	}
	return r.Err()
}

// documentRead turns a reader event into what the gate gets; present and
// removed markers give nothing.
func (d *Device) documentRead(ev Event) (sensors.DocumentRead, bool) {
	switch ev.Kind {
	case KindZone:
		var read sensors.DocumentRead
		if ev.Zone != nil {
			read.Doc = ev.Zone.Document()
		}
		if ev.Err != nil {
			read.Err = fmt.Errorf("mrzreader: %s: %w", d.name, ev.Err)
		}
		return read, true
	case KindFrameError:
		return sensors.DocumentRead{Err: fmt.Errorf("mrzreader: %s: %w: %w", d.name, ErrFrame, ev.Err)}, true
	}
	return sensors.DocumentRead{}, false
}
