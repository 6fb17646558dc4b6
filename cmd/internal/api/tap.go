package api

import (
	"context"
	"sync"
	"time"

	"github.com/egate/egate/gate"
	"github.com/egate/egate/sensors"
)

// Tap is the lane mechanism seen through the hub (see Hub.Tap).
//
// The daemon stays the owner of the outputs: a pictogram or buzzer test
// shows its steps only while the daemon asks for nothing new, and puts back
// what the daemon last asked for when it ends. Should the daemon indicate
// during a test (an emergency, a fault), its indication wins and the test
// stops.
type Tap struct {
	sensors.Lane
	hub *Hub

	mu      sync.Mutex // serialises Indicate calls on the lane
	cmdOpen [2]bool
	known   [2]bool
	last    gate.Indicate
	gen     uint64 // bumped on every daemon indication
}

// SetDoor drives a door and counts an opening as a door cycle.
func (t *Tap) SetDoor(d gate.DoorID, open bool) error {
	err := t.Lane.SetDoor(d, open)
	if err != nil || d < 0 || int(d) >= len(t.cmdOpen) {
		return err
	}
	t.mu.Lock()
	count := open && (!t.known[d] || !t.cmdOpen[d])
	t.cmdOpen[d], t.known[d] = open, true
	t.mu.Unlock()
	if count {
		t.hub.doorCycle(d)
	}
	return nil
}

// Indicate passes the daemon's indication to the lane.
func (t *Tap) Indicate(in gate.Indicate) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.last = in
	t.gen++
	return t.Lane.Indicate(in)
}

// errInterrupted reports a signal test cut short by the daemon.
type errInterrupted struct{}

func (errInterrupted) Error() string { return "the lane changed what it shows; test stopped" }

// TestSignals shows each step for each, then puts back the daemon's last
// indication. It stops early, without putting anything back, when the
// daemon indicates meanwhile.
func (t *Tap) TestSignals(ctx context.Context, steps []gate.Indicate, each time.Duration) error {
	t.mu.Lock()
	gen := t.gen
	t.mu.Unlock()
	restore := func() error {
		t.mu.Lock()
		defer t.mu.Unlock()
		if t.gen != gen {
			return nil
		}
		return t.Lane.Indicate(t.last)
	}
	for _, s := range steps {
		t.mu.Lock()
		if t.gen != gen {
			t.mu.Unlock()
			return errInterrupted{}
		}
		err := t.Lane.Indicate(s)
		t.mu.Unlock()
		if err != nil {
			_ = restore()
			return err
		}
		select {
		case <-time.After(each):
		case <-ctx.Done():
			_ = restore()
			return ctx.Err()
		}
	}
	return restore()
}
