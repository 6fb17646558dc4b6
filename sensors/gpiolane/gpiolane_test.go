package gpiolane

import (
	"context"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"

	"github.com/egate/egate/gate"
)

type rig struct {
	pins                                   Pins
	entryDrive, exitDrive                  *gpiotest.Pin
	entryOpen, entryShut, exitOpen, exitSh *gpiotest.Pin
	beams                                  map[gate.Beam]*gpiotest.Pin
	emergency, entryGreen, buzzer          *gpiotest.Pin
}

func newRig() *rig {
	p := func(n string) *gpiotest.Pin { return &gpiotest.Pin{N: n, EdgesChan: make(chan gpio.Level, 1)} }
	r := &rig{entryDrive: p("ed"), exitDrive: p("xd"), entryOpen: p("eo"), entryShut: p("ec"), exitOpen: p("xo"), exitSh: p("xc"),
		beams: map[gate.Beam]*gpiotest.Pin{}, emergency: p("em"), entryGreen: p("eg"), buzzer: p("bz")}
	r.entryShut.L, r.exitSh.L = gpio.High, gpio.High
	// Beams are active low (a broken beam pulls the line down).
	r.pins = Pins{
		Entry:      &Door{Drive: Out{Pin: r.entryDrive}, OpenSw: In{Pin: r.entryOpen}, ClosedSw: In{Pin: r.entryShut}},
		Exit:       Door{Drive: Out{Pin: r.exitDrive, ActiveLow: true}, OpenSw: In{Pin: r.exitOpen}, ClosedSw: In{Pin: r.exitSh}},
		Beams:      map[gate.Beam]In{},
		Emergency:  In{Pin: r.emergency},
		EntryGreen: &Out{Pin: r.entryGreen}, Buzzer: &Out{Pin: r.buzzer},
	}
	for b := gate.Beam(0); b <= gate.BeamExitOuter; b++ {
		r.beams[b] = p(b.String())
		r.beams[b].L = gpio.High // intact beam
		r.pins.Beams[b] = In{Pin: r.beams[b], ActiveLow: true}
	}
	return r
}

func next(t *testing.T, ch <-chan gate.Event) gate.Event {
	t.Helper()
	select {
	case ev := <-ch:
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("no event")
		return nil
	}
}

// waitFor reads events until want arrives.
func waitFor(t *testing.T, ch <-chan gate.Event, want gate.Event) {
	t.Helper()
	for {
		if ev := next(t, ch); ev == want {
			return
		}
	}
}

func TestInputsToEvents(t *testing.T) {
	r := newRig()
	l, err := New("test", r.pins, &Opts{Poll: time.Millisecond, Debounce: 5 * time.Millisecond, SafeState: gate.SafeState{EntryOpen: true}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := make(chan gate.Event, 64)
	go l.Run(ctx, ch)

	// Initial state of every input is reported.
	seen := map[gate.Event]bool{}
	for len(seen) < 8 {
		seen[next(t, ch)] = true
	}
	for _, want := range []gate.Event{gate.EmergencyInput{Active: false}, gate.BeamChanged{Beam: gate.BeamPresence, Broken: false},
		gate.DoorChanged{Door: gate.EntryDoor, Pos: gate.PosClosed}, gate.DoorChanged{Door: gate.ExitDoor, Pos: gate.PosClosed}} {
		if !seen[want] {
			t.Errorf("initial %#v not reported; got %v", want, seen)
		}
	}

	r.beams[gate.BeamPresence].Out(gpio.Low) // broken (active low)
	waitFor(t, ch, gate.BeamChanged{Beam: gate.BeamPresence, Broken: true})

	r.entryShut.Out(gpio.Low)
	waitFor(t, ch, gate.DoorChanged{Door: gate.EntryDoor, Pos: gate.PosMoving})
	r.entryOpen.Out(gpio.High)
	waitFor(t, ch, gate.DoorChanged{Door: gate.EntryDoor, Pos: gate.PosOpen})
	r.entryShut.Out(gpio.High) // both switches: a fault
	waitFor(t, ch, gate.DeviceFault{Device: "door.entry", Detail: "open and closed switches both active"})
	r.entryOpen.Out(gpio.Low)
	waitFor(t, ch, gate.DeviceRecovered{Device: "door.entry"})

	// A cut emergency loop reads high: emergency (fail-safe wiring).
	r.emergency.Out(gpio.High)
	waitFor(t, ch, gate.EmergencyInput{Active: true})
}

func TestOutputsAndHalt(t *testing.T) {
	r := newRig()
	l, err := New("test", r.pins, &Opts{Poll: time.Millisecond, SafeState: gate.SafeState{EntryOpen: true}})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.SetDoor(gate.ExitDoor, true); err != nil || r.exitDrive.Read() != gpio.Low {
		t.Fatalf("active-low exit drive not low when open: %v", err)
	}
	if err := l.Indicate(gate.Indicate{Entry: gate.LightGreen, Buzzer: true}); err != nil || r.entryGreen.Read() != gpio.High || r.buzzer.Read() != gpio.High {
		t.Fatalf("indicate: %v", err)
	}
	if err := l.Halt(); err != nil {
		t.Fatal(err)
	}
	if r.entryDrive.Read() != gpio.High || r.exitDrive.Read() != gpio.High || r.buzzer.Read() != gpio.Low {
		t.Fatal("halt did not apply the safe state (entry open, exit closed, buzzer off)")
	}
}

func TestMissingPins(t *testing.T) {
	r := newRig()
	r.pins.Emergency = In{}
	delete(r.pins.Beams, gate.BeamMulti)
	if _, err := New("test", r.pins, nil); err == nil {
		t.Fatal("missing pins accepted")
	}
}

func TestDebounce(t *testing.T) {
	var b debounced
	t0 := time.Unix(0, 0)
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	d := 20 * time.Millisecond
	if !b.update(ms(0), false, d) {
		t.Fatal("first reading not reported")
	}
	steps := []struct {
		at    int
		level bool
		want  bool
	}{
		{1, true, false}, {10, false, false}, // a 9 ms glitch is ignored
		{30, false, false},
		{40, true, false}, {59, true, false}, {60, true, true}, // held 20 ms: reported
		{61, true, false},
	}
	for _, s := range steps {
		if got := b.update(ms(s.at), s.level, d); got != s.want {
			t.Fatalf("at %dms level %v: changed=%v, want %v", s.at, s.level, got, s.want)
		}
	}
	if !b.reported {
		t.Fatal("final level not reported")
	}
}
