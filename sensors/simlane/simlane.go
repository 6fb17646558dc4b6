// Package simlane is the simulated lane mechanism: door motors that take
// time to move, position switches, light barriers broken by simulated bodies
// and the emergency loop, all on periph's gpiotest pins. The real driver
// (sensors/gpiolane) runs on top of these pins unchanged, so make run and
// the tests exercise the same code as a lane in the field.
//
// # Geometry
//
// A body is in one zone at a time. Zones, from landside to airside:
//
//	Outside | EntryDoorway | Inside (mantrap or one-step zone) | ExitDoorway | ExitOuter | Beyond
//
// Crossing a door (Outside<->EntryDoorway on a two-step lane,
// Inside<->ExitDoorway) needs that door fully open. Beams: BeamEntry sees the
// entry doorway, BeamPresence sees Inside, BeamMulti sees two or more people
// (not bags) in the doorways and Inside, BeamExit sees the exit doorway and
// BeamExitOuter the zone beyond the exit door.
package simlane

import (
	"context"
	"fmt"
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"

	"github.com/egate/egate/gate"
	"github.com/egate/egate/gate/clock"
	"github.com/egate/egate/sensors/gpiolane"
)

// Zone is where a body stands.
type Zone int

const (
	Outside Zone = iota
	EntryDoorway
	Inside
	ExitDoorway
	ExitOuter
	Beyond
	Away // left the lane on the landside
)

func (z Zone) String() string {
	return [...]string{"outside", "entry_doorway", "inside", "exit_doorway", "exit_outer", "beyond", "away"}[z]
}

// Body is a person or a bag in the simulated lane.
type Body struct {
	ID   int
	Bag  bool
	zone Zone
	// A body crossing from one zone to the next occupies both for a
	// moment (Crossing), as a person's body breaks two beams in turn.
	trail      Zone
	trailUntil time.Time
}

// Crossing is how long a body moving between zones still occupies the zone
// it left.
const Crossing = 300 * time.Millisecond

type door struct {
	drive, openSw, closedSw *gpiotest.Pin
	frac                    float64 // 0 closed .. 1 open
	jammed                  bool
}

// Mechanics is the simulated lane.
type Mechanics struct {
	lane   gate.LaneType
	travel time.Duration
	clk    clock.Clock

	mu        sync.Mutex
	doors     [2]*door
	beams     map[gate.Beam]*gpiotest.Pin
	emergency *gpiotest.Pin
	lights    map[string]*gpiotest.Pin
	bodies    []*Body
	nextID    int
	fire      bool
	cut       bool
}

func pin(name string, n int) *gpiotest.Pin {
	return &gpiotest.Pin{N: name, Num: n, EdgesChan: make(chan gpio.Level, 1)}
}

// New returns a simulated lane whose doors take travel to open or close.
func New(lane gate.LaneType, travel time.Duration, clk clock.Clock) *Mechanics {
	m := &Mechanics{lane: lane, travel: travel, clk: clk, beams: map[gate.Beam]*gpiotest.Pin{}, lights: map[string]*gpiotest.Pin{}}
	n := 0
	next := func(name string) *gpiotest.Pin { n++; return pin("SIM_"+name, n) }
	for _, d := range []gate.DoorID{gate.EntryDoor, gate.ExitDoor} {
		if d == gate.EntryDoor && lane == gate.OneStep {
			continue
		}
		m.doors[d] = &door{drive: next(d.String() + "_DRIVE"), openSw: next(d.String() + "_OPEN"), closedSw: next(d.String() + "_CLOSED")}
		m.doors[d].closedSw.L = gpio.High
	}
	for _, b := range []gate.Beam{gate.BeamEntry, gate.BeamPresence, gate.BeamMulti, gate.BeamExit, gate.BeamExitOuter} {
		if b == gate.BeamEntry && lane == gate.OneStep {
			continue
		}
		m.beams[b] = next("BEAM_" + b.String())
	}
	m.emergency = next("EMERGENCY") // low: loop closed, healthy
	for _, l := range []string{"entry_green", "entry_red", "exit_green", "exit_red", "buzzer"} {
		m.lights[l] = next(l)
	}
	return m
}

// Pins returns the lane's pins for gpiolane. All are active-high; the
// emergency loop reads high when open or cut.
func (m *Mechanics) Pins() gpiolane.Pins {
	p := gpiolane.Pins{Beams: map[gate.Beam]gpiolane.In{}, Emergency: gpiolane.In{Pin: m.emergency}}
	mk := func(d *door) gpiolane.Door {
		return gpiolane.Door{Drive: gpiolane.Out{Pin: d.drive}, OpenSw: gpiolane.In{Pin: d.openSw}, ClosedSw: gpiolane.In{Pin: d.closedSw}}
	}
	p.Exit = mk(m.doors[gate.ExitDoor])
	if d := m.doors[gate.EntryDoor]; d != nil {
		e := mk(d)
		p.Entry = &e
	}
	for b, pn := range m.beams {
		p.Beams[b] = gpiolane.In{Pin: pn}
	}
	o := func(name string) *gpiolane.Out { return &gpiolane.Out{Pin: m.lights[name]} }
	p.EntryGreen, p.EntryRed, p.ExitGreen, p.ExitRed, p.Buzzer = o("entry_green"), o("entry_red"), o("exit_green"), o("exit_red"), o("buzzer")
	return p
}

// Run moves the doors and updates the sensor pins until ctx ends.
func (m *Mechanics) Run(ctx context.Context) {
	const step = 10 * time.Millisecond
	t := m.clk.NewTicker(step)
	defer t.Stop()
	last := m.clk.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := m.clk.Now()
		m.step(now.Sub(last))
		last = now
	}
}

func (m *Mechanics) step(dt time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, d := range m.doors {
		if d == nil || d.jammed {
			continue
		}
		delta := float64(dt) / float64(m.travel)
		if d.drive.Read() == gpio.High {
			d.frac = min(1, d.frac+delta)
		} else {
			d.frac = max(0, d.frac-delta)
		}
		d.openSw.Out(gpio.Level(d.frac >= 1))
		d.closedSw.Out(gpio.Level(d.frac <= 0))
	}
	m.updateBeams()
	m.emergency.Out(gpio.Level(m.fire || m.cut))
}

func (m *Mechanics) updateBeams() {
	now := m.clk.Now()
	count := map[Zone]int{}
	people := 0
	inLane := func(z Zone) bool { return z == EntryDoorway || z == Inside || z == ExitDoorway }
	for _, b := range m.bodies {
		count[b.zone]++
		trailing := now.Before(b.trailUntil)
		if trailing {
			count[b.trail]++
		}
		if !b.Bag && (inLane(b.zone) || trailing && inLane(b.trail)) {
			people++
		}
	}
	set := func(b gate.Beam, v bool) {
		if p := m.beams[b]; p != nil {
			p.Out(gpio.Level(v))
		}
	}
	set(gate.BeamEntry, count[EntryDoorway] > 0)
	set(gate.BeamPresence, count[Inside] > 0)
	set(gate.BeamMulti, people > 1)
	set(gate.BeamExit, count[ExitDoorway] > 0)
	set(gate.BeamExitOuter, count[ExitOuter] > 0)
}

// AddBody puts a new person or bag in zone.
func (m *Mechanics) AddBody(zone Zone, bag bool) *Body {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.nextID++
	b := &Body{ID: m.nextID, Bag: bag, zone: zone}
	m.bodies = append(m.bodies, b)
	m.updateBeams()
	return b
}

// Zone returns where b is.
func (m *Mechanics) Zone(b *Body) Zone {
	m.mu.Lock()
	defer m.mu.Unlock()
	return b.zone
}

// Move moves b to an adjacent zone. It fails when a closed door is in the way.
func (m *Mechanics) Move(b *Body, to Zone) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	from := b.zone
	ok := false
	open := func(d gate.DoorID) bool { return m.doors[d] != nil && m.doors[d].frac >= 1 }
	switch {
	case from == Outside && to == Away, from == Away && to == Outside:
		ok = true
	case m.lane == gate.OneStep && (from == Outside && to == Inside || from == Inside && to == Outside):
		ok = true
	case from == Outside && to == EntryDoorway, from == EntryDoorway && to == Outside:
		ok = open(gate.EntryDoor)
	case from == EntryDoorway && to == Inside, from == Inside && to == EntryDoorway:
		ok = m.lane == gate.TwoStep
	case from == Inside && to == ExitDoorway, from == ExitDoorway && to == Inside:
		ok = open(gate.ExitDoor)
	case from == ExitDoorway && to == ExitOuter, from == ExitOuter && to == ExitDoorway,
		from == ExitOuter && to == Beyond, from == Beyond && to == ExitOuter:
		ok = true
	}
	if !ok {
		return fmt.Errorf("simlane: body %d cannot move from %s to %s", b.ID, from, to)
	}
	b.trail, b.trailUntil = from, m.clk.Now().Add(Crossing)
	b.zone = to
	m.updateBeams()
	return nil
}

// Remove takes a body (a bag picked up by an officer) out of the lane.
func (m *Mechanics) Remove(b *Body) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, x := range m.bodies {
		if x == b {
			m.bodies = append(m.bodies[:i], m.bodies[i+1:]...)
			break
		}
	}
	m.updateBeams()
}

// DoorOpen reports whether a door is fully open.
func (m *Mechanics) DoorOpen(d gate.DoorID) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.doors[d] != nil && m.doors[d].frac >= 1
}

// SetFire raises or clears the fire alarm.
func (m *Mechanics) SetFire(on bool) { m.mu.Lock(); m.fire = on; m.mu.Unlock() }

// CutEmergencyWire breaks (or repairs) the emergency loop.
func (m *Mechanics) CutEmergencyWire(cut bool) { m.mu.Lock(); m.cut = cut; m.mu.Unlock() }

// Jam stops a door where it is (a motor fault).
func (m *Mechanics) Jam(d gate.DoorID, jammed bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.doors[d] != nil {
		m.doors[d].jammed = jammed
	}
}

// Light reports a pictogram output ("entry_green", "exit_red", "buzzer"...).
func (m *Mechanics) Light(name string) bool {
	p := m.lights[name]
	return p != nil && p.Read() == gpio.High
}

// Driven reports whether a door's actuator is commanded open.
func (m *Mechanics) Driven(d gate.DoorID) bool {
	return m.doors[d] != nil && m.doors[d].drive.Read() == gpio.High
}
