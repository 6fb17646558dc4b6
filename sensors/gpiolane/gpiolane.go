// Package gpiolane drives a lane mechanism through periph.io GPIO pins:
// door actuators with open/closed position switches, light barriers and
// presence inputs, the emergency (fire alarm) input, pictogram lights and a
// buzzer.
//
// # Pins
//
// The driver takes pins, not names: cmd/ resolves names from the
// configuration through periph's registry (host.Init, which registers the
// gpioioctl character-device driver and falls back to sysfs) or, for the
// simulated lane, through sensors/simlane's gpiotest pins. Every pin has a
// polarity (ActiveLow) so that wiring choices stay in the configuration.
//
// # Inputs
//
// Inputs are polled (Opts.Poll) and debounced: a new level must hold for
// Opts.Debounce before it is reported. Polling a dozen pins every 5 ms is
// negligible on a Raspberry Pi and behaves the same on every GPIO backend.
//
// The emergency input must be wired fail-safe: a normally-closed loop that
// holds the input inactive. An open contact or a broken wire reads active,
// and the gate treats that as an emergency (R2).
package gpiolane

import (
	"context"
	"errors"
	"fmt"
	"time"

	"periph.io/x/conn/v3/gpio"

	"github.com/egate/egate/gate"
	"github.com/egate/egate/gate/clock"
)

// In is an input pin with its polarity.
type In struct {
	Pin       gpio.PinIn
	ActiveLow bool
	Pull      gpio.Pull
}

// Out is an output pin with its polarity.
type Out struct {
	Pin       gpio.PinOut
	ActiveLow bool
}

// Door is one door: an actuator output (active = open) and two position switches.
type Door struct {
	Drive    Out
	OpenSw   In
	ClosedSw In
}

// Pins are the lane's pins. Lights and buzzer are optional.
type Pins struct {
	Entry     *Door // nil on a one-step lane
	Exit      Door
	Beams     map[gate.Beam]In
	Emergency In
	// Pictograms: each light is optional.
	EntryGreen, EntryRed, ExitGreen, ExitRed, Buzzer *Out
}

// Opts configures the driver.
type Opts struct {
	Poll     time.Duration
	Debounce time.Duration
	// SafeState is applied by Halt.
	SafeState gate.SafeState
	Clock     clock.Clock
}

// DefaultOpts are suitable for a real lane.
var DefaultOpts = Opts{Poll: 5 * time.Millisecond, Debounce: 20 * time.Millisecond, Clock: clock.Real{}}

// Lane is the GPIO lane mechanism. It implements sensors.Lane.
type Lane struct {
	pins Pins
	opts Opts
	name string
}

// New validates the pins and configures the inputs.
func New(name string, p Pins, opts *Opts) (*Lane, error) {
	o := DefaultOpts
	if opts != nil {
		o = *opts
	}
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Poll <= 0 || o.Debounce < 0 {
		return nil, fmt.Errorf("gpiolane: poll must be positive and debounce not negative")
	}
	var missing []string
	if p.Exit.Drive.Pin == nil || p.Exit.OpenSw.Pin == nil || p.Exit.ClosedSw.Pin == nil {
		missing = append(missing, "exit door")
	}
	if p.Entry != nil && (p.Entry.Drive.Pin == nil || p.Entry.OpenSw.Pin == nil || p.Entry.ClosedSw.Pin == nil) {
		missing = append(missing, "entry door")
	}
	if p.Emergency.Pin == nil {
		missing = append(missing, "emergency input")
	}
	for _, b := range []gate.Beam{gate.BeamPresence, gate.BeamMulti, gate.BeamExit, gate.BeamExitOuter} {
		if in, ok := p.Beams[b]; !ok || in.Pin == nil {
			missing = append(missing, b.String()+" beam")
		}
	}
	if p.Entry != nil {
		if in, ok := p.Beams[gate.BeamEntry]; !ok || in.Pin == nil {
			missing = append(missing, "entry beam")
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("gpiolane: missing pins: %v", missing)
	}
	l := &Lane{pins: p, opts: o, name: name}
	for _, in := range l.inputs() {
		if err := in.Pin.In(in.Pull, gpio.NoEdge); err != nil {
			return nil, fmt.Errorf("gpiolane: configuring %s as input: %w", in.Pin, err)
		}
	}
	return l, nil
}

func (l *Lane) inputs() []In {
	ins := []In{l.pins.Exit.OpenSw, l.pins.Exit.ClosedSw, l.pins.Emergency}
	if l.pins.Entry != nil {
		ins = append(ins, l.pins.Entry.OpenSw, l.pins.Entry.ClosedSw)
	}
	for _, in := range l.pins.Beams {
		ins = append(ins, in)
	}
	return ins
}

func (l *Lane) String() string { return "gpiolane(" + l.name + ")" }

func (in In) active() bool { return (in.Pin.Read() == gpio.High) != in.ActiveLow }

func (o Out) set(active bool) error {
	if o.Pin == nil {
		return nil
	}
	return o.Pin.Out(gpio.Level(active != o.ActiveLow))
}

// debounced holds one input's reported level.
type debounced struct {
	reported bool
	pending  bool
	since    time.Time
	known    bool
}

// update returns true when the level changed and has been stable for d.
func (b *debounced) update(now time.Time, level bool, d time.Duration) bool {
	if !b.known {
		b.known, b.reported, b.pending, b.since = true, level, level, now
		return true
	}
	if level != b.pending {
		b.pending, b.since = level, now
	}
	if b.pending != b.reported && now.Sub(b.since) >= d {
		b.reported = b.pending
		return true
	}
	return false
}

// Run polls until ctx ends.
func (l *Lane) Run(ctx context.Context, events chan<- gate.Event) error {
	beams := map[gate.Beam]*debounced{}
	for b := range l.pins.Beams {
		beams[b] = &debounced{}
	}
	type doorIn struct {
		id         gate.DoorID
		d          *Door
		open, shut debounced
		last       gate.DoorPos
		faulted    bool
	}
	doors := []*doorIn{{id: gate.ExitDoor, d: &l.pins.Exit}}
	if l.pins.Entry != nil {
		doors = append(doors, &doorIn{id: gate.EntryDoor, d: l.pins.Entry})
	}
	var emerg debounced
	tick := l.opts.Clock.NewTicker(l.opts.Poll)
	defer tick.Stop()
	send := func(ev gate.Event) bool {
		select {
		case events <- ev:
			return true
		case <-ctx.Done():
			return false
		}
	}
	for {
		now := l.opts.Clock.Now()
		// The emergency input has no debounce towards "active": fail safe.
		lv, deb := l.pins.Emergency.active(), l.opts.Debounce
		if lv {
			deb = 0
		}
		if emerg.update(now, lv, deb) {
			if !send(gate.EmergencyInput{Active: emerg.reported}) {
				return ctx.Err()
			}
		}
		for b, st := range beams {
			if st.update(now, l.pins.Beams[b].active(), l.opts.Debounce) {
				if !send(gate.BeamChanged{Beam: b, Broken: st.reported}) {
					return ctx.Err()
				}
			}
		}
		for _, d := range doors {
			o := d.open.update(now, d.d.OpenSw.active(), l.opts.Debounce)
			c := d.shut.update(now, d.d.ClosedSw.active(), l.opts.Debounce)
			if !o && !c {
				continue
			}
			if d.open.reported && d.shut.reported {
				// Both switches at once: wiring or switch fault.
				if !d.faulted {
					d.faulted = true
					if !send(gate.DeviceFault{Device: "door." + d.id.String(), Detail: "open and closed switches both active"}) {
						return ctx.Err()
					}
				}
				continue
			}
			if d.faulted {
				d.faulted = false
				if !send(gate.DeviceRecovered{Device: "door." + d.id.String()}) {
					return ctx.Err()
				}
			}
			pos := gate.PosMoving
			if d.open.reported {
				pos = gate.PosOpen
			} else if d.shut.reported {
				pos = gate.PosClosed
			}
			if pos != d.last {
				d.last = pos
				if !send(gate.DoorChanged{Door: d.id, Pos: pos}) {
					return ctx.Err()
				}
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// SetDoor drives a door actuator (active = open).
func (l *Lane) SetDoor(d gate.DoorID, open bool) error {
	switch {
	case d == gate.ExitDoor:
		return l.pins.Exit.Drive.set(open)
	case d == gate.EntryDoor && l.pins.Entry != nil:
		return l.pins.Entry.Drive.set(open)
	}
	return fmt.Errorf("gpiolane: no %s door on this lane", d)
}

// Indicate sets pictograms and buzzer.
func (l *Lane) Indicate(in gate.Indicate) error {
	p := l.pins
	return errors.Join(
		out(p.EntryGreen).set(in.Entry == gate.LightGreen),
		out(p.EntryRed).set(in.Entry == gate.LightRed),
		out(p.ExitGreen).set(in.Exit == gate.LightGreen),
		out(p.ExitRed).set(in.Exit == gate.LightRed),
		out(p.Buzzer).set(in.Buzzer),
	)
}

func out(o *Out) Out {
	if o == nil {
		return Out{}
	}
	return *o
}

// Halt puts the doors in the safe state, shows red and silences the buzzer.
func (l *Lane) Halt() error {
	var errs []error
	if l.pins.Entry != nil {
		errs = append(errs, l.SetDoor(gate.EntryDoor, l.opts.SafeState.EntryOpen))
	}
	errs = append(errs, l.SetDoor(gate.ExitDoor, l.opts.SafeState.ExitOpen))
	errs = append(errs, l.Indicate(gate.Indicate{Entry: gate.LightRed, Exit: gate.LightRed}))
	return errors.Join(errs...)
}
