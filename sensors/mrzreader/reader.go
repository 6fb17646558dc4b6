package mrzreader

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// ErrClosed is the terminal error of a Reader stopped by Halt or its ctx.
var ErrClosed = errors.New("mrzreader: closed")

// ErrUnsupported: serial ports are not supported on this platform.
var ErrUnsupported = errors.New("mrzreader: serial ports not supported on this platform")

// Reader reads zones from a line-protocol MRZ reader. It owns its port:
// Halt closes it. Events are delivered on Events until the reader stops
// (Halt, ctx cancelled, or the device failed or was unplugged); then
// Events is closed and Err says why.
type Reader struct {
	name   string
	port   io.ReadCloser
	o      Opts
	fr     *Framer
	events chan Event
	done   chan struct{}

	mu      sync.Mutex
	err     error
	halting bool
	closeMu sync.Once
}

// deadliner is a port whose reads can time out (os.File on a tty).
type deadliner interface {
	SetReadDeadline(time.Time) error
}

// Open opens a serial device (e.g. /dev/ttyACM0 or /dev/ttyUSB0), puts it
// in raw 8N1 mode at o.Baud, and starts reading it until ctx ends.
func Open(ctx context.Context, path string, o *Opts) (*Reader, error) {
	r, err := o.resolve()
	if err != nil {
		return nil, err
	}
	f, err := openSerial(path, r.Baud)
	if err != nil {
		return nil, err
	}
	return New(ctx, path, f, &r)
}

// New starts a Reader on any byte stream: a serial port opened elsewhere,
// a keyboard wedge's stdin, or a replayed capture. name is for String.
func New(ctx context.Context, name string, port io.ReadCloser, o *Opts) (*Reader, error) {
	fr, err := NewFramer(o)
	if err != nil {
		port.Close()
		return nil, err
	}
	r := &Reader{name: name, port: port, o: fr.o, fr: fr, events: make(chan Event, 16), done: make(chan struct{})}
	go r.loop(ctx)
	go func() {
		select {
		case <-ctx.Done():
			r.Halt()
		case <-r.done:
		}
	}()
	return r, nil
}

func (r *Reader) String() string { return "mrzreader(" + r.name + ")" }

// Events delivers what the reader sees; closed when the reader stops.
func (r *Reader) Events() <-chan Event { return r.events }

// Done is closed when the reader has stopped.
func (r *Reader) Done() <-chan struct{} { return r.done }

// Err is why the reader stopped (ErrClosed after Halt), or nil while it
// runs.
func (r *Reader) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// Halt stops the reader and closes the port; it is safe to call more
// than once and returns once the read loop has ended.
func (r *Reader) Halt() error {
	var err error
	r.closeMu.Do(func() {
		r.mu.Lock()
		r.halting = true
		r.mu.Unlock()
		err = r.port.Close()
	})
	<-r.done
	return err
}

func (r *Reader) loop(ctx context.Context) {
	defer close(r.done)
	defer close(r.events)
	dl, _ := r.port.(deadliner)
	useDeadline := dl != nil && r.o.FrameTimeout > 0 && dl.SetReadDeadline(time.Time{}) == nil
	buf := make([]byte, 256)
	for {
		if useDeadline {
			_ = dl.SetReadDeadline(time.Now().Add(r.o.FrameTimeout))
		}
		n, err := r.port.Read(buf)
		evs := r.fr.Write(buf[:n])
		if err != nil && useDeadline && errors.Is(err, os.ErrDeadlineExceeded) {
			evs = append(evs, r.fr.Expire()...)
			err = nil
		}
		for _, ev := range evs {
			select {
			case r.events <- ev:
			case <-ctx.Done():
			}
		}
		if err != nil {
			r.mu.Lock()
			if r.halting || ctx.Err() != nil {
				r.err = ErrClosed
			} else if errors.Is(err, io.EOF) {
				r.err = fmt.Errorf("mrzreader: %s: end of input: %w", r.name, err)
			} else {
				// EIO on a tty whose device went away, among others.
				r.err = fmt.Errorf("mrzreader: %s: read: %w", r.name, err)
			}
			r.mu.Unlock()
			return
		}
	}
}
