package simlane

import (
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"

	"github.com/egate/egate/gate"
)

// fakeClock is moved by hand: the mechanics are stepped directly.
type fakeClock struct{ now time.Time }

func (c *fakeClock) Now() time.Time                         { return c.now }
func (c *fakeClock) Sleep(d time.Duration)                  { c.now = c.now.Add(d) }
func (c *fakeClock) NewTicker(d time.Duration) *time.Ticker { return time.NewTicker(d) }
func (c *fakeClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

func TestDoorTravelAndBeams(t *testing.T) {
	clk := &fakeClock{now: time.Unix(0, 0)}
	m := New(gate.TwoStep, time.Second, clk)
	p := m.Pins()
	b := m.AddBody(Outside, false)
	if err := m.Move(b, EntryDoorway); err == nil {
		t.Fatal("walked through a closed door")
	}
	p.Entry.Drive.Pin.Out(gpio.High)
	m.step(500 * time.Millisecond)
	if m.DoorOpen(gate.EntryDoor) || p.Entry.ClosedSw.Pin.Read() == gpio.High || p.Entry.OpenSw.Pin.Read() == gpio.High {
		t.Fatal("door half way should have neither switch")
	}
	m.step(500 * time.Millisecond)
	if !m.DoorOpen(gate.EntryDoor) || !p.Entry.OpenSw.Pin.Read() == gpio.High {
		t.Fatal("door not open after its travel time")
	}
	if err := m.Move(b, EntryDoorway); err != nil {
		t.Fatal(err)
	}
	if !p.Beams[gate.BeamEntry].Pin.Read() == gpio.High {
		t.Fatal("entry beam not broken by a body in the doorway")
	}
	tail := m.AddBody(Outside, false)
	m.Move(b, Inside)
	m.Move(tail, EntryDoorway)
	if !p.Beams[gate.BeamMulti].Pin.Read() == gpio.High || !p.Beams[gate.BeamPresence].Pin.Read() == gpio.High {
		t.Fatal("two people in the lane not seen as multi")
	}
	m.Remove(tail)
	clk.Sleep(Crossing)
	m.step(0)
	if p.Beams[gate.BeamMulti].Pin.Read() == gpio.High || p.Beams[gate.BeamEntry].Pin.Read() == gpio.High {
		t.Fatal("multi or entry beam still broken after the tailgater left")
	}
	bag := m.AddBody(Inside, true)
	if p.Beams[gate.BeamMulti].Pin.Read() == gpio.High {
		t.Fatal("a bag counted as a person")
	}
	m.Remove(bag)
	m.CutEmergencyWire(true)
	m.step(0)
	if !p.Emergency.Pin.Read() == gpio.High {
		t.Fatal("cut emergency loop does not read active")
	}
}
