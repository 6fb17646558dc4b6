// Package clock gives the daemon and the simulated lane one notion of time.
//
// The gate state machine never reads a clock; its caller passes the time in.
// Everything around it (debouncing, polling, the simulated lane's door
// motors and travellers) takes a Clock, so that make run can play a
// scenario faster than real time and tests can be deterministic.
package clock

import "time"

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

// Scaled runs Factor times faster than the wall clock, from the moment it
// is made. Timestamps it returns advance Factor seconds per real second.
type Scaled struct {
	factor float64
	start  time.Time // wall time at creation
	base   time.Time // scaled time at creation
}

// NewScaled returns a clock running factor times faster than real time.
func NewScaled(factor float64) *Scaled {
	if factor <= 0 {
		factor = 1
	}
	now := time.Now()
	return &Scaled{factor: factor, start: now, base: now}
}

func (s *Scaled) real(d time.Duration) time.Duration {
	r := time.Duration(float64(d) / s.factor)
	if r <= 0 {
		r = time.Microsecond
	}
	return r
}

func (s *Scaled) Now() time.Time {
	return s.base.Add(time.Duration(float64(time.Since(s.start)) * s.factor))
}
func (s *Scaled) Sleep(d time.Duration)                  { time.Sleep(s.real(d)) }
func (s *Scaled) NewTicker(d time.Duration) *time.Ticker { return time.NewTicker(s.real(d)) }
func (s *Scaled) After(d time.Duration) <-chan time.Time { return time.After(s.real(d)) }
