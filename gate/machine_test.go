package gate

import (
	"slices"
	"testing"
	"time"
)

// harness drives a Machine with a manual clock and records every action.
type harness struct {
	t    *testing.T
	m    *Machine
	now  time.Time
	acts []Action // actions of the last step
	all  []Action
	done []Passage
}

func testConfig(lane LaneType) Config {
	return Config{Lane: lane, Timeouts: DefaultTimeouts(), SafeState: SafeState{EntryOpen: true}, Policy: Policy{Version: "test-1"}}
}

func newHarness(t *testing.T, lane LaneType) *harness {
	t.Helper()
	m, err := New(testConfig(lane))
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, m: m, now: time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)}
	h.record(m.Start(h.now))
	// Doors report closed: the lane becomes ready.
	h.ev(DoorChanged{ExitDoor, PosClosed})
	if lane == TwoStep {
		h.ev(DoorChanged{EntryDoor, PosClosed})
	}
	h.wantState(Ready)
	return h
}

func (h *harness) record(acts []Action) {
	h.acts = acts
	h.all = append(h.all, acts...)
	for _, a := range acts {
		if p, ok := a.(PassageDone); ok {
			h.done = append(h.done, p.Passage)
		}
	}
}

func (h *harness) ev(e Event) []Action {
	h.t.Helper()
	h.record(h.m.Handle(h.now, e))
	return h.acts
}

func (h *harness) advance(d time.Duration) {
	h.t.Helper()
	h.now = h.now.Add(d)
	h.ev(Tick{})
}

func (h *harness) beam(b Beam, broken bool) { h.t.Helper(); h.ev(BeamChanged{b, broken}) }
func (h *harness) door(d DoorID, p DoorPos) { h.t.Helper(); h.ev(DoorChanged{d, p}) }

func (h *harness) wantState(s State) {
	h.t.Helper()
	if got := h.m.State(); got != s {
		h.t.Fatalf("state = %s, want %s", got, s)
	}
}

// lastDoorCmd returns the last command given to d over the whole run.
func (h *harness) lastDoorCmd(d DoorID) (open, ok bool) {
	for i := len(h.all) - 1; i >= 0; i-- {
		if c, isCmd := h.all[i].(DoorCommand); isCmd && c.Door == d {
			return c.Open, true
		}
	}
	return false, false
}

func (h *harness) wantDoorCmd(d DoorID, open bool) {
	h.t.Helper()
	got, ok := h.lastDoorCmd(d)
	if !ok || got != open {
		h.t.Fatalf("%s door commanded open=%v (ok=%v), want open=%v", d, got, ok, open)
	}
}

func (h *harness) alarms() []AlarmKind {
	var ks []AlarmKind
	for _, a := range h.all {
		if al, ok := a.(Alarm); ok {
			ks = append(ks, al.Kind)
		}
	}
	return ks
}

func (h *harness) wantAlarm(k AlarmKind) {
	h.t.Helper()
	if !slices.Contains(h.alarms(), k) {
		h.t.Fatalf("no %s alarm; alarms: %v", k, h.alarms())
	}
}

func (h *harness) everOpened(d DoorID) bool {
	for _, a := range h.all {
		if c, ok := a.(DoorCommand); ok && c.Door == d && c.Open {
			return true
		}
	}
	return false
}

func (h *harness) passageID() uint64 { return h.m.Status().Passage }

func okDoc() DocResult { return DocResult{OK: true, DocType: "P", IssuingState: "UTO"} }

// present runs a traveller's document step.
func (h *harness) present(doc DocResult) {
	h.t.Helper()
	h.ev(DocumentPresented{})
	h.wantState(DocCheck)
	h.ev(DocumentChecked{Passage: h.passageID(), Result: doc})
}

// stepIn walks a traveller from outside the entry door into the mantrap.
func (h *harness) stepIn() {
	h.t.Helper()
	h.wantState(Entering)
	h.wantDoorCmd(EntryDoor, true)
	h.door(EntryDoor, PosMoving)
	h.door(EntryDoor, PosOpen)
	h.beam(BeamEntry, true)
	h.beam(BeamPresence, true)
	h.beam(BeamEntry, false)
	h.wantDoorCmd(EntryDoor, false)
	h.door(EntryDoor, PosMoving)
	h.door(EntryDoor, PosClosed)
	h.wantState(Verifying)
}

// walkOut walks an accepted traveller out through the exit door.
func (h *harness) walkOut() {
	h.t.Helper()
	h.wantState(Exiting)
	h.door(ExitDoor, PosMoving)
	h.door(ExitDoor, PosOpen)
	h.beam(BeamExit, true)
	h.beam(BeamPresence, false)
	h.beam(BeamExitOuter, true)
	h.beam(BeamExit, false)
	h.beam(BeamExitOuter, false)
	h.advance(time.Second)
	h.wantState(Resetting)
	h.door(ExitDoor, PosMoving)
	h.door(ExitDoor, PosClosed)
	h.wantState(Ready)
}

func (h *harness) lastPassage() Passage {
	h.t.Helper()
	if len(h.done) == 0 {
		h.t.Fatal("no passage done")
	}
	return h.done[len(h.done)-1]
}

func TestTwoStepAccept(t *testing.T) {
	h := newHarness(t, TwoStep)
	h.present(okDoc())
	h.stepIn()
	h.ev(FaceVerified{Passage: h.passageID(), Result: FaceResult{Match: true, Score: 0.3}})
	h.wantDoorCmd(ExitDoor, true)
	h.walkOut()
	p := h.lastPassage()
	if p.Decision != OutcomeAccept || !p.Exited {
		t.Fatalf("passage = %+v, want accepted and exited", p)
	}
}

func TestTable(t *testing.T) {
	tests := []struct {
		name    string
		lane    LaneType
		run     func(h *harness)
		outcome Outcome
		alarm   AlarmKind
		end     State
		noExit  bool // the exit door must never have been commanded open
	}{
		{
			name: "face mismatch backs out through the entry door",
			lane: TwoStep,
			run: func(h *harness) {
				h.present(okDoc())
				h.stepIn()
				h.ev(FaceVerified{Passage: h.passageID(), Result: FaceResult{Match: false, Score: 0.9}})
				h.wantState(Rejecting)
				h.wantDoorCmd(EntryDoor, true)
				h.door(EntryDoor, PosOpen)
				h.beam(BeamEntry, true)
				h.beam(BeamPresence, false)
				h.beam(BeamEntry, false)
				h.advance(4 * time.Second)
				h.wantState(Resetting)
				h.door(EntryDoor, PosClosed)
			},
			outcome: OutcomeReject, end: Ready, noExit: true,
		},
		{
			name: "refused document opens nothing",
			lane: TwoStep,
			run: func(h *harness) {
				h.present(DocResult{OK: false, Reasons: []string{"document.expired"}})
				h.wantState(Rejecting)
				h.advance(4 * time.Second)
			},
			outcome: OutcomeReject, end: Ready, noExit: true,
		},
		{
			name: "watchlist hit refers with an alarm",
			lane: TwoStep,
			run: func(h *harness) {
				h.present(DocResult{OK: false, Refer: true, Alarm: AlarmWatchlistHit, Reasons: []string{"watchlist.hit"}})
				h.advance(4 * time.Second)
			},
			outcome: OutcomeRefer, alarm: AlarmWatchlistHit, end: Ready, noExit: true,
		},
		{
			name: "tailgater while entering",
			lane: TwoStep,
			run: func(h *harness) {
				h.present(okDoc())
				h.door(EntryDoor, PosOpen)
				h.beam(BeamEntry, true)
				h.beam(BeamPresence, true)
				h.beam(BeamMulti, true)
				h.wantState(Rejecting)
				h.wantDoorCmd(EntryDoor, true)
				h.beam(BeamMulti, false)
				h.beam(BeamPresence, false)
				h.beam(BeamEntry, false)
				h.advance(4 * time.Second)
				h.door(EntryDoor, PosClosed)
			},
			outcome: OutcomeReject, alarm: AlarmTailgating, end: Ready, noExit: true,
		},
		{
			name: "face match with two bodies is refused",
			lane: OneStep,
			run: func(h *harness) {
				h.beam(BeamPresence, true)
				h.beam(BeamMulti, true) // already two before the document
				h.present(okDoc())
				h.ev(FaceVerified{Passage: h.passageID(), Result: FaceResult{Match: true}})
				h.wantState(Rejecting)
				h.beam(BeamMulti, false)
				h.beam(BeamPresence, false)
				h.advance(4 * time.Second)
			},
			outcome: OutcomeReject, end: Ready, noExit: true,
		},
		{
			name: "walks away after the entry door opened",
			lane: TwoStep,
			run: func(h *harness) {
				h.present(okDoc())
				h.door(EntryDoor, PosOpen)
				h.advance(16 * time.Second)
				h.wantState(Resetting)
				h.door(EntryDoor, PosClosed)
			},
			outcome: OutcomeAbandoned, end: Ready, noExit: true,
		},
		{
			name: "face step times out",
			lane: TwoStep,
			run: func(h *harness) {
				h.present(okDoc())
				h.stepIn()
				h.advance(21 * time.Second)
				h.wantState(Rejecting)
				h.ev(FaceVerified{Passage: h.passageID(), Result: FaceResult{Match: true}}) // too late
				h.wantState(Rejecting)
			},
			outcome: OutcomeReject, end: Rejecting, noExit: true,
		},
		{
			name: "emergency during verification opens every door",
			lane: TwoStep,
			run: func(h *harness) {
				h.present(okDoc())
				h.stepIn()
				h.ev(EmergencyInput{Active: true})
				h.wantState(Emergency)
				h.wantDoorCmd(EntryDoor, true)
				h.wantDoorCmd(ExitDoor, true)
				h.ev(Command{Kind: CmdEmergencyClear})
				h.wantState(Emergency) // input still active
				h.ev(EmergencyInput{Active: false})
				h.advance(time.Hour)
				h.wantState(Emergency) // needs an authorised clear
				h.door(EntryDoor, PosOpen)
				h.door(ExitDoor, PosOpen)
				h.beam(BeamPresence, false)
				h.ev(Command{Kind: CmdEmergencyClear, Origin: "control"})
				h.wantState(Resetting)
				h.door(EntryDoor, PosClosed)
				h.door(ExitDoor, PosClosed)
			},
			outcome: OutcomeAborted, alarm: AlarmEmergency, end: Ready,
		},
		{
			name: "door that never moves puts the lane out of service",
			lane: TwoStep,
			run: func(h *harness) {
				h.present(okDoc())
				h.advance(5 * time.Second) // entry door never reports open
				h.wantState(OutOfService)
				h.wantDoorCmd(EntryDoor, true) // safe state: entry open
				h.wantDoorCmd(ExitDoor, false)
				h.ev(Command{Kind: CmdInService})
				h.wantState(OutOfService) // fault still present
				h.door(EntryDoor, PosOpen)
				h.ev(Command{Kind: CmdInService})
				h.wantState(Resetting)
				h.door(EntryDoor, PosClosed)
			},
			outcome: OutcomeAborted, alarm: AlarmDoorTimeout, end: Ready, noExit: true,
		},
		{
			name: "forced exit door during verification",
			lane: TwoStep,
			run: func(h *harness) {
				h.present(okDoc())
				h.stepIn()
				h.door(ExitDoor, PosMoving)
				h.wantState(Referral)
				h.wantDoorCmd(ExitDoor, false)
			},
			outcome: OutcomeRefer, alarm: AlarmDoorForced, end: Referral, noExit: true,
		},
		{
			name: "wrong way through the open exit door",
			lane: TwoStep,
			run: func(h *harness) {
				h.present(okDoc())
				h.stepIn()
				h.ev(FaceVerified{Passage: h.passageID(), Result: FaceResult{Match: true}})
				h.door(ExitDoor, PosOpen)
				h.beam(BeamExit, true)
				h.beam(BeamPresence, false)
				h.beam(BeamExitOuter, true)
				h.beam(BeamExit, false)
				h.beam(BeamExitOuter, false)
				// Someone comes in from the exit side before the door closes.
				h.beam(BeamExitOuter, true)
				h.wantState(Referral)
				h.wantDoorCmd(EntryDoor, false)
				h.beam(BeamExitOuter, false)
				h.advance(4 * time.Second)
				h.wantState(Resetting)
				h.door(ExitDoor, PosClosed)
			},
			outcome: OutcomeAccept, alarm: AlarmWrongWay, end: Ready,
		},
		{
			name: "bag left in the mantrap",
			lane: TwoStep,
			run: func(h *harness) {
				h.present(okDoc())
				h.stepIn()
				h.ev(FaceVerified{Passage: h.passageID(), Result: FaceResult{Match: true}})
				h.door(ExitDoor, PosOpen)
				h.beam(BeamExit, true)
				h.beam(BeamExit, false) // the traveller is out, presence stays
				h.advance(6 * time.Second)
				h.wantState(Referral)
				h.wantDoorCmd(ExitDoor, false)
				h.wantDoorCmd(EntryDoor, false)
			},
			outcome: OutcomeAccept, alarm: AlarmObjectLeft, end: Referral,
		},
		{
			name: "one-step accept",
			lane: OneStep,
			run: func(h *harness) {
				h.beam(BeamPresence, true)
				h.present(okDoc())
				h.wantState(Verifying)
				h.ev(FaceVerified{Passage: h.passageID(), Result: FaceResult{Match: true}})
				h.walkOut()
			},
			outcome: OutcomeAccept, end: Ready,
		},
		{
			name: "one-step traveller walks away during the face step",
			lane: OneStep,
			run: func(h *harness) {
				h.beam(BeamPresence, true)
				h.present(okDoc())
				h.beam(BeamPresence, false)
				h.advance(time.Second)
				h.advance(time.Second)
			},
			outcome: OutcomeAbandoned, end: Ready, noExit: true,
		},
		{
			name: "late document result for an old passage is ignored",
			lane: TwoStep,
			run: func(h *harness) {
				h.ev(DocumentPresented{})
				h.ev(DocumentChecked{Passage: 999, Result: okDoc()})
				h.wantState(DocCheck)
				h.advance(21 * time.Second)
				h.advance(4 * time.Second)
			},
			outcome: OutcomeReject, end: Ready, noExit: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.lane)
			tc.run(h)
			h.wantState(tc.end)
			if tc.outcome != OutcomeNone {
				var p Passage
				if len(h.done) > 0 {
					p = h.lastPassage()
				} else if tc.end.inPassage() {
					p = *h.m.pass
				}
				if p.Decision != tc.outcome {
					t.Errorf("decision = %q (reasons %v), want %q", p.Decision, p.Reasons, tc.outcome)
				}
			}
			if tc.alarm != "" {
				h.wantAlarm(tc.alarm)
			}
			if tc.noExit && h.everOpened(ExitDoor) {
				t.Error("exit door was commanded open")
			}
		})
	}
}

func TestCommands(t *testing.T) {
	h := newHarness(t, TwoStep)
	res := func() CommandResult {
		for _, a := range h.acts {
			if r, ok := a.(CommandResult); ok {
				return r
			}
		}
		t.Fatal("no command result")
		return CommandResult{}
	}
	h.ev(Command{Kind: CmdMaintenanceDoor, Door: ExitDoor, Open: true})
	if res().OK {
		t.Fatal("door move outside maintenance accepted")
	}
	h.ev(Command{Kind: CmdMaintenanceOn})
	h.wantState(Maintenance)
	h.ev(Command{Kind: CmdMaintenanceDoor, Door: ExitDoor, Open: true})
	if !res().OK {
		t.Fatal("door move in maintenance refused")
	}
	h.wantDoorCmd(ExitDoor, true)
	h.door(ExitDoor, PosOpen)
	h.ev(Command{Kind: CmdMaintenanceOff})
	h.wantState(Resetting)
	h.wantDoorCmd(ExitDoor, false)
	h.door(ExitDoor, PosClosed)
	h.wantState(Ready)

	// A lock during a passage waits for the passage to end.
	h.present(okDoc())
	h.ev(Command{Kind: CmdLock})
	if r := res(); !r.OK || r.Reason == "" {
		t.Fatalf("lock during passage: %+v", r)
	}
	h.wantState(Entering)
	h.door(EntryDoor, PosOpen)
	h.advance(16 * time.Second)
	h.door(EntryDoor, PosClosed)
	h.wantState(Locked)
	h.ev(DocumentPresented{})
	h.wantState(Locked)
	h.ev(Command{Kind: CmdUnlock})
	h.wantState(Ready)

	h.ev(Command{Kind: CmdEmergencyOpen, Origin: "control"})
	h.wantState(Emergency)
	h.door(EntryDoor, PosOpen)
	h.door(ExitDoor, PosOpen)
	h.ev(Command{Kind: CmdLock})
	if res().OK {
		t.Fatal("lock accepted during emergency")
	}
	h.ev(Command{Kind: CmdEmergencyClear})
	h.wantState(Resetting)
}

func TestTimeoutsValidate(t *testing.T) {
	to := DefaultTimeouts()
	to.Verifying = 0
	if _, err := New(Config{Timeouts: to}); err == nil {
		t.Fatal("zero timeout accepted")
	}
	to = DefaultTimeouts()
	to.Resetting = to.DoorMove
	if _, err := New(Config{Timeouts: to}); err == nil {
		t.Fatal("resetting <= door_move accepted")
	}
}
