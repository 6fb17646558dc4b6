// Package clock gives the daemon and the simulated lane one notion of time.
//
// The gate state machine never reads a clock; its caller passes the time in.
// Everything around it (debouncing, polling, the simulated lane's door
// motors and travellers) takes a Clock, so that make run can play a
// scenario faster than real time and tests can be deterministic.
package clock

import (
	"sync"
	"time"
)

// Clock is the time source.
type Clock interface {
	Now() time.Time
	// Sleep pauses for d of this clock's time.
	Sleep(d time.Duration)
	// NewTicker ticks every d of this clock's time.
	NewTicker(d time.Duration) *time.Ticker
	// After fires after d of this clock's time.
	After(d time.Duration) <-chan time.Time
}

// Real is the wall clock.
type Real struct{}

func (Real) Now() time.Time                         { return time.Now() }
func (Real) Sleep(d time.Duration)                  { time.Sleep(d) }
func (Real) NewTicker(d time.Duration) *time.Ticker { return time.NewTicker(d) }
func (Real) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Scaled runs factor times faster than the wall clock, from the moment it
// is made, for the simulated lane.
//
// A simulation shares its time between goroutines (door motors, input
// polling, the state machine, scripted travellers). When the whole process
// is descheduled for a while on a busy machine, plain scaled time would jump
// ahead for everyone at once and whoever looked first would see the others
// as late: a door would "time out" although its motor and switch simply had
// no chance to run. Scaled therefore compresses stalls: between two readings
// at most MaxStep of real time counts. Readings happen every few
// milliseconds in a running simulation, so only stalls are affected.
type Scaled struct {
	factor float64
	mu     sync.Mutex
	real   time.Time // wall time at the last reading
	now    time.Time // scaled time at the last reading
}

// MaxStep is the most real time that counts between two readings of a
// Scaled clock.
const MaxStep = 25 * time.Millisecond

// NewScaled returns a clock running factor times faster than real time.
func NewScaled(factor float64) *Scaled {
	if factor <= 0 {
		factor = 1
	}
	now := time.Now()
	return &Scaled{factor: factor, real: now, now: now}
}

func (s *Scaled) toReal(d time.Duration) time.Duration {
	r := time.Duration(float64(d) / s.factor)
	if r <= 0 {
		r = time.Microsecond
	}
	return r
}

// Now returns the scaled time; it never goes backwards.
func (s *Scaled) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := time.Now()
	d := r.Sub(s.real)
	if d > MaxStep {
		d = MaxStep
	}
	if d > 0 {
		s.now = s.now.Add(time.Duration(float64(d) * s.factor))
		s.real = r
	}
	return s.now
}

func (s *Scaled) Sleep(d time.Duration)                  { time.Sleep(s.toReal(d)) }
func (s *Scaled) NewTicker(d time.Duration) *time.Ticker { return time.NewTicker(s.toReal(d)) }
func (s *Scaled) After(d time.Duration) <-chan time.Time { return time.After(s.toReal(d)) }
