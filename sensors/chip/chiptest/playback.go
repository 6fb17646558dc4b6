package chiptest

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/egate/egate/sensors/chip"
)

// IO is one recorded exchange: the command written and the answer read (or
// the error the transport returned).
type IO struct {
	W   []byte
	R   []byte
	Err error
}

// Playback replays recorded exchanges in order. A command that differs from
// the recording fails the exchange; Close fails if recorded exchanges were
// left unconsumed (periph's i2ctest.Playback is the model).
type Playback struct {
	mu    sync.Mutex
	Ops   []IO
	Count int
}

// ErrMismatch is returned when the command sent is not the one recorded.
var ErrMismatch = errors.New("chiptest: command does not match recording")

// Transmit implements chip.Transceiver.
func (p *Playback) Transmit(ctx context.Context, apdu []byte) ([]byte, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if p.Count >= len(p.Ops) {
		return nil, fmt.Errorf("%w: unexpected command %X after %d exchanges", ErrMismatch, apdu, p.Count)
	}
	op := p.Ops[p.Count]
	if hex.EncodeToString(op.W) != hex.EncodeToString(apdu) {
		return nil, fmt.Errorf("%w: exchange %d: got %X, want %X", ErrMismatch, p.Count, apdu, op.W)
	}
	p.Count++
	if op.Err != nil {
		return nil, op.Err
	}
	return append([]byte{}, op.R...), nil
}

// Close returns an error if any recorded exchange was not consumed.
func (p *Playback) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.Count != len(p.Ops) {
		return fmt.Errorf("chiptest: %d of %d recorded exchanges not consumed", len(p.Ops)-p.Count, len(p.Ops))
	}
	return nil
}

// Record forwards to Inner (a real reader, or a simulated chip) and keeps
// every exchange in Ops, ready to be replayed by a Playback.
type Record struct {
	Inner chip.Transceiver
	mu    sync.Mutex
	Ops   []IO
}

// Transmit implements chip.Transceiver.
func (r *Record) Transmit(ctx context.Context, apdu []byte) ([]byte, error) {
	out, err := r.Inner.Transmit(ctx, apdu)
	r.mu.Lock()
	r.Ops = append(r.Ops, IO{W: append([]byte{}, apdu...), R: append([]byte{}, out...), Err: err})
	r.mu.Unlock()
	return out, err
}

// Playback returns a Playback of what was recorded so far.
func (r *Record) Playback() *Playback {
	r.mu.Lock()
	defer r.mu.Unlock()
	return &Playback{Ops: append([]IO{}, r.Ops...)}
}

// Timed forwards to Inner and adds up the time spent there (the transport
// and the card), so a benchmark can split a read into transport time and
// the terminal's own protocol and crypto time.
type Timed struct {
	Inner chip.Transceiver
	mu    sync.Mutex
	total time.Duration
	n     int
}

// Transmit implements chip.Transceiver.
func (t *Timed) Transmit(ctx context.Context, apdu []byte) ([]byte, error) {
	start := time.Now()
	out, err := t.Inner.Transmit(ctx, apdu)
	d := time.Since(start)
	t.mu.Lock()
	t.total += d
	t.n++
	t.mu.Unlock()
	return out, err
}

// Stats returns the time spent in Inner and the number of exchanges, and
// resets both.
func (t *Timed) Stats() (time.Duration, int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	d, n := t.total, t.n
	t.total, t.n = 0, 0
	return d, n
}
