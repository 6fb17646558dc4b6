package gate

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// world is the randomised test's view of the lane: what the devices really
// report, independent of what the Machine believes.
type world struct {
	lane      LaneType
	beams     [numBeams]bool
	pos       [numDoors]DoorPos
	cmdOpen   [numDoors]bool
	cmdAt     [numDoors]time.Time
	reached   [numDoors]bool // reported at the commanded position since the command
	lateSeen  [numDoors]bool // door timeout alarm seen for the current command
	emergency bool
	faults    []string
	doneIDs   map[uint64]bool
	started   map[uint64]bool
}

func target2(open bool) DoorPos { return target(open) }

// randomEvent picks the next event. Doors mostly follow their commands.
func (w *world) randomEvent(r *rand.Rand, m *Machine) (Event, time.Duration) {
	doors := []DoorID{ExitDoor}
	if w.lane == TwoStep {
		doors = append(doors, EntryDoor)
	}
	d := doors[r.IntN(len(doors))]
	pass := m.Status().Passage
	if r.IntN(4) == 0 {
		pass = uint64(r.IntN(5))
	}
	// Operators clear their modes now and then, so that the walk spends
	// its time in passages rather than in the modes.
	if m.State().operatorMode() && r.IntN(6) == 0 {
		switch m.State() {
		case Emergency:
			if w.emergency {
				return EmergencyInput{Active: false}, 0
			}
			return Command{Kind: CmdEmergencyClear, Origin: "fuzz"}, 0
		case OutOfService:
			return Command{Kind: CmdInService, Origin: "fuzz"}, 0
		case Maintenance:
			return Command{Kind: CmdMaintenanceOff, Origin: "fuzz"}, 0
		case Locked:
			return Command{Kind: CmdUnlock, Origin: "fuzz"}, 0
		}
	}
	switch n := r.IntN(100); {
	case n < 20:
		adv := time.Duration(r.IntN(3000)) * time.Millisecond
		if r.IntN(10) == 0 {
			adv = time.Duration(r.IntN(60)) * time.Second
		}
		return Tick{}, adv
	case n < 40:
		return DoorChanged{d, target2(w.cmdOpen[d])}, time.Duration(r.IntN(1500)) * time.Millisecond
	case n < 42:
		return DoorChanged{d, DoorPos(1 + r.IntN(3))}, 0
	case n < 44:
		return DocumentPresented{}, 0
	case n < 70:
		b := Beam(r.IntN(int(numBeams)))
		if w.lane == OneStep && b == BeamEntry {
			b = BeamPresence
		}
		return BeamChanged{b, !w.beams[b]}, time.Duration(r.IntN(800)) * time.Millisecond
	case n < 73:
		return EmergencyInput{Active: r.IntN(6) == 0}, 0
	case n < 75:
		return DeviceFault{Device: "camera", Detail: "test"}, 0
	case n < 77:
		return DeviceRecovered{Device: "camera"}, 0
	case n < 82:
		return DocumentPresented{}, 0
	case n < 88:
		doc := DocResult{OK: r.IntN(3) > 0, Refer: r.IntN(4) == 0}
		if doc.Refer && r.IntN(2) == 0 {
			doc.Alarm = AlarmWatchlistHit
		}
		return DocumentChecked{Passage: pass, Result: doc}, time.Duration(r.IntN(2000)) * time.Millisecond
	case n < 94:
		return FaceVerified{Passage: pass, Result: FaceResult{Match: r.IntN(3) > 0}}, time.Duration(r.IntN(3000)) * time.Millisecond
	default:
		c := Command{Kind: CommandKind(r.IntN(len(commandNames))), Door: d, Open: r.IntN(2) == 0, Origin: "fuzz"}
		if c.Kind == CmdEmergencyOpen && r.IntN(3) > 0 {
			c.Kind = CmdEmergencyClear
		}
		return c, 0
	}
}

// step applies ev to the world model (what the devices report).
func (w *world) apply(now time.Time, ev Event) {
	switch e := ev.(type) {
	case DoorChanged:
		w.pos[e.Door] = e.Pos
		if e.Pos == target2(w.cmdOpen[e.Door]) {
			w.reached[e.Door] = true
		}
	case BeamChanged:
		w.beams[e.Beam] = e.Broken
	case EmergencyInput:
		w.emergency = e.Active
	}
}

func (w *world) noteActions(now time.Time, acts []Action) {
	for _, a := range acts {
		switch a := a.(type) {
		case DoorCommand:
			w.cmdOpen[a.Door], w.cmdAt[a.Door] = a.Open, now
			w.reached[a.Door] = w.pos[a.Door] == target2(a.Open)
			w.lateSeen[a.Door] = false
		case PassageDone:
			if w.doneIDs[a.Passage.ID] {
				panic(fmt.Sprintf("passage %d done twice", a.Passage.ID))
			}
			w.doneIDs[a.Passage.ID] = true
		case CheckDocument:
			w.started[a.Passage] = true
		}
	}
}

func hasAlarm(acts []Action, k AlarmKind) bool {
	for _, a := range acts {
		if al, ok := a.(Alarm); ok && al.Kind == k {
			return true
		}
	}
	return false
}

func doorCmds(acts []Action, d DoorID) []bool {
	var out []bool
	for _, a := range acts {
		if c, ok := a.(DoorCommand); ok && c.Door == d {
			out = append(out, c.Open)
		}
	}
	return out
}

// check verifies the safety rules for one step. pre is the Machine's status
// before the event, w the world before the event.
func check(cfg Config, pre Status, preW world, ev Event, now time.Time, m *Machine, acts []Action) error {
	post := m.Status()
	exitCmds := doorCmds(acts, ExitDoor)

	// R1: the exit door opens only after an accept with exactly one person
	// inside and the entry door shut (or in emergency / maintenance / the
	// configured safe state).
	if slices.Contains(exitCmds, true) {
		switch {
		case post.State == Emergency:
		case post.State == OutOfService && cfg.SafeState.ExitOpen:
		case post.State == Maintenance:
			if c, ok := ev.(Command); !ok || c.Kind != CmdMaintenanceDoor {
				return fmt.Errorf("R1: exit opened in maintenance without a door command")
			}
		case post.State == Exiting:
			fv, ok := ev.(FaceVerified)
			if !ok || !fv.Result.Match || pre.State != Verifying {
				return fmt.Errorf("R1: exit opened on %T from %s", ev, pre.State)
			}
			entryShut := cfg.Lane == OneStep || (!preW.cmdOpen[EntryDoor] && preW.pos[EntryDoor] == PosClosed)
			if !preW.beams[BeamPresence] || preW.beams[BeamMulti] || preW.beams[BeamEntry] || !entryShut {
				return fmt.Errorf("R1: exit opened without exactly one person inside (beams %v, entry shut %v)", preW.beams, entryShut)
			}
		default:
			return fmt.Errorf("R1: exit opened in state %s", post.State)
		}
	}
	if post.State == Exiting && pre.State != Exiting && pre.State != Verifying {
		return fmt.Errorf("R1: entered exiting from %s", pre.State)
	}

	// R2: emergency opens every door at once and holds them open.
	_, isInput := ev.(EmergencyInput)
	c, isCmd := ev.(Command)
	if (isInput && ev.(EmergencyInput).Active) || (isCmd && c.Kind == CmdEmergencyOpen) {
		if post.State != Emergency {
			return fmt.Errorf("R2: emergency did not enter emergency state (%s)", post.State)
		}
		for _, d := range post.Doors {
			if !d.CommandedOpen {
				return fmt.Errorf("R2: a door is not commanded open in emergency")
			}
		}
	}
	if pre.State == Emergency {
		if post.State == Emergency {
			for _, d := range post.Doors {
				if !d.CommandedOpen {
					return fmt.Errorf("R2: a door closed during emergency")
				}
			}
		} else if !isCmd || c.Kind != CmdEmergencyClear || preW.emergency {
			return fmt.Errorf("R2: left emergency on %#v with input active=%v", ev, preW.emergency)
		}
	}

	// R3: door timeouts and forced doors raise alarms; faults go out of service.
	for d := EntryDoor; d < numDoors; d++ {
		if cfg.Lane == OneStep && d == EntryDoor {
			continue
		}
		if !preW.reached[d] && !preW.lateSeen[d] && !now.Before(preW.cmdAt[d].Add(cfg.Timeouts.DoorMove)) {
			if dc, ok := ev.(DoorChanged); !(ok && dc.Door == d && dc.Pos == target2(preW.cmdOpen[d])) {
				if !hasAlarm(acts, AlarmDoorTimeout) {
					return fmt.Errorf("R3: %s door late without an alarm", d)
				}
			}
		}
		if dc, ok := ev.(DoorChanged); ok && dc.Door == d && preW.reached[d] &&
			preW.pos[d] == target2(preW.cmdOpen[d]) && dc.Pos != preW.pos[d] && !hasAlarm(acts, AlarmDoorForced) {
			return fmt.Errorf("R3: forced %s door without an alarm", d)
		}
	}
	if _, ok := ev.(DeviceFault); ok && post.State != OutOfService && post.State != Emergency {
		return fmt.Errorf("R3: device fault left the lane in %s", post.State)
	}

	// R4: tailgating and wrong way raise alarms and never let anyone through.
	if b, ok := ev.(BeamChanged); ok && b.Broken && !preW.beams[b.Beam] {
		switch {
		case b.Beam == BeamMulti && (pre.State == DocCheck || pre.State == Entering || pre.State == Verifying || pre.State == Exiting):
			if !hasAlarm(acts, AlarmTailgating) {
				return fmt.Errorf("R4: tailgating without an alarm in %s", pre.State)
			}
			if post.Doors["exit"].CommandedOpen {
				return fmt.Errorf("R4: exit door left open after tailgating")
			}
		case b.Beam == BeamExitOuter && !preW.beams[BeamExit] && pre.State != Emergency && pre.State != Maintenance &&
			!(!preW.cmdOpen[ExitDoor] && preW.reached[ExitDoor]):
			if !hasAlarm(acts, AlarmWrongWay) {
				return fmt.Errorf("R4: wrong way without an alarm in %s", pre.State)
			}
			if d, ok := post.Doors["entry"]; ok && d.CommandedOpen && post.State != OutOfService {
				return fmt.Errorf("R4: entry door open after a wrong-way entry")
			}
		}
	}

	// R5: every waiting state has a deadline.
	if post.State != Ready && !post.State.operatorMode() && post.Deadline.IsZero() {
		return fmt.Errorf("R5: state %s has no deadline", post.State)
	}
	return nil
}

// calm makes the world cooperative and clears every operator mode; the lane
// must then come back to Ready on its own.
func calm(t *testing.T, m *Machine, w *world, now time.Time, seq *[]string) error {
	send := func(ev Event) {
		acts := m.Handle(now, ev)
		w.apply(now, ev)
		w.noteActions(now, acts)
		*seq = append(*seq, fmt.Sprintf("calm %T%+v -> %s", ev, ev, m.State()))
	}
	send(EmergencyInput{Active: false})
	for b := Beam(0); b < numBeams; b++ {
		send(BeamChanged{b, false})
	}
	send(DeviceRecovered{Device: "camera"})
	for i := 0; i < 40 && m.State() != Ready; i++ {
		for d := EntryDoor; d < numDoors; d++ {
			if w.lane == TwoStep || d == ExitDoor {
				send(DoorChanged{d, target2(w.cmdOpen[d])})
			}
		}
		switch m.State() {
		case Emergency:
			send(Command{Kind: CmdEmergencyClear})
		case OutOfService:
			send(Command{Kind: CmdInService})
		case Maintenance:
			send(Command{Kind: CmdMaintenanceOff})
		case Locked:
			send(Command{Kind: CmdUnlock})
		}
		now = now.Add(2 * time.Second)
		send(Tick{})
	}
	if m.State() != Ready {
		return fmt.Errorf("R5: lane did not come back to ready (stuck in %s)", m.State())
	}
	if m.pass != nil {
		return fmt.Errorf("passage %d still open in ready", m.pass.ID)
	}
	for id := range w.started {
		if !w.doneIDs[id] {
			return fmt.Errorf("passage %d never closed", id)
		}
	}
	return nil
}

// TestRandomInvariants drives thousands of random event sequences through
// both lane types and checks the safety rules after every step.
func TestRandomInvariants(t *testing.T) {
	runs := 3000
	if testing.Short() {
		runs = 300
	}
	states := map[State]int{}
	for run := 0; run < runs; run++ {
		lane := TwoStep
		if run%3 == 2 {
			lane = OneStep
		}
		cfg := testConfig(lane)
		cfg.SafeState = SafeState{EntryOpen: run%2 == 0}
		r := rand.New(rand.NewPCG(uint64(run), 0x5eed))
		m, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		w := &world{lane: lane, doneIDs: map[uint64]bool{}, started: map[uint64]bool{}}
		w.pos[EntryDoor], w.pos[ExitDoor] = PosClosed, PosClosed
		if lane == OneStep {
			w.reached[EntryDoor] = true
		}
		w.noteActions(now, m.Start(now))
		// Devices report their initial positions.
		w.noteActions(now, m.Handle(now, DoorChanged{ExitDoor, PosClosed}))
		if lane == TwoStep {
			w.noteActions(now, m.Handle(now, DoorChanged{EntryDoor, PosClosed}))
		}
		var seq []string
		for i := 0; i < 300; i++ {
			ev, adv := w.randomEvent(r, m)
			now = now.Add(adv)
			pre, preW := m.Status(), *w
			w.apply(now, ev)
			acts := m.Handle(now, ev)
			w.noteActions(now, acts)
			for _, a := range acts {
				if a, ok := a.(DoorCommand); ok && a.Door == EntryDoor && lane == OneStep {
					t.Fatalf("run %d: one-step lane commanded an entry door", run)
				}
			}
			// The lateness alarm is raised once per command.
			for d := EntryDoor; d < numDoors; d++ {
				if hasAlarm(acts, AlarmDoorTimeout) && !w.reached[d] && !now.Before(w.cmdAt[d].Add(cfg.Timeouts.DoorMove)) {
					w.lateSeen[d] = true
				}
			}
			states[m.State()]++
			seq = append(seq, fmt.Sprintf("%v %T%+v: %s -> %s", now.Sub(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)), ev, ev, pre.State, m.State()))
			if err := check(cfg, pre, preW, ev, now, m, acts); err != nil {
				t.Fatalf("run %d (%s) step %d: %v\nlast steps:\n%s", run, lane, i, err, tail(seq, 15))
			}
		}
		if err := calm(t, m, w, now.Add(time.Second), &seq); err != nil {
			t.Fatalf("run %d (%s): %v\nlast steps:\n%s", run, lane, err, tail(seq, 25))
		}
	}
	// The random walk must have visited every state, or it proves little.
	for s := State(0); s < numStates; s++ {
		if states[s] == 0 {
			t.Errorf("state %s never visited", s)
		}
	}
	t.Logf("states visited: %v", states)
}

func tail(s []string, n int) string {
	if len(s) > n {
		s = s[len(s)-n:]
	}
	return strings.Join(s, "\n")
}
