package gate

import (
	"fmt"
	"sort"
	"time"
)

// noDoor marks "no release door" for Rejecting and Referral.
const noDoor DoorID = -1

type doorTrack struct {
	present bool      // one-step lanes have no entry door
	cmdOpen bool      // commanded position
	cmdAt   time.Time // when the command was given
	pos     DoorPos   // last reported position
	reached bool      // pos == commanded position since the command
	late    bool      // door timeout already raised for this command
}

// Machine is the lane state machine. It is not safe for concurrent use: the
// daemon owns it from one goroutine.
type Machine struct {
	cfg Config

	state    State
	since    time.Time
	deadline time.Time // zero in operator modes

	beams [numBeams]bool
	doors [numDoors]doorTrack

	emergencyIn  bool // emergency input active (or wire broken)
	emergencyCmd bool // emergency opened by command
	faults       map[string]string
	operatorOOS  bool
	lockPending  bool

	pass   *Passage
	nextID uint64

	// Per-state bookkeeping, reset on every transition.
	release     DoorID    // Rejecting/Referral: door left open towards the side the person came from
	notice      Message   // Rejecting/Referral: message override
	entryShut   bool      // Entering: traveller inside, entry door commanded closed
	crossedExit bool      // Exiting: the traveller broke the exit beam
	clearSince  time.Time // zone seen clear since (zero: not clear)
	occupiedAt  time.Time // Resetting/Ready: presence seen since

	lastInd Indicate
	indSent bool
	out     []Action
}

// New returns a Machine for cfg. Call Start before anything else.
func New(cfg Config) (*Machine, error) {
	if err := cfg.Timeouts.Validate(); err != nil {
		return nil, err
	}
	if cfg.Lane != TwoStep && cfg.Lane != OneStep {
		return nil, fmt.Errorf("gate: unknown lane type %d", cfg.Lane)
	}
	m := &Machine{cfg: cfg, faults: map[string]string{}, release: noDoor}
	m.doors[ExitDoor].present = true
	m.doors[EntryDoor].present = cfg.Lane == TwoStep
	if !m.doors[EntryDoor].present {
		m.doors[EntryDoor].pos = PosClosed
		m.doors[EntryDoor].reached = true
	}
	return m, nil
}

// Start puts the lane into Resetting: doors closing, lane checked empty.
func (m *Machine) Start(now time.Time) []Action {
	m.out = nil
	m.state = numStates // so that the first transition is reported
	m.enter(now, Resetting, "start")
	return m.flush()
}

// State returns the current state.
func (m *Machine) State() State { return m.state }

// Handle applies one event at time now and returns the resulting actions.
func (m *Machine) Handle(now time.Time, ev Event) []Action {
	m.out = nil
	switch e := ev.(type) {
	case Tick:
	case BeamChanged:
		m.onBeam(now, e)
	case DoorChanged:
		m.onDoor(now, e)
	case EmergencyInput:
		m.emergencyIn = e.Active
		if e.Active && m.state != Emergency {
			m.alarm(AlarmEmergency, "emergency input active")
			m.abortPassage(now, "emergency")
			m.enter(now, Emergency, "emergency input")
		}
	case DeviceFault:
		m.onFault(now, e.Device, e.Detail)
	case DeviceRecovered:
		delete(m.faults, e.Device)
	case DocumentPresented:
		m.onDocPresented(now)
	case DocumentChecked:
		m.onDocChecked(now, e)
	case FaceVerified:
		m.onFace(now, e)
	case Command:
		m.onCommand(now, e)
	}
	// Settle: a transition may make the next state's rules apply at once.
	for i := 0; i < int(numStates); i++ {
		before, since := m.state, m.since
		m.checkDoors(now)
		m.evaluate(now)
		m.checkDeadline(now)
		if m.state == before && m.since.Equal(since) {
			break
		}
	}
	return m.flush()
}

func (m *Machine) flush() []Action {
	m.indicate()
	out := m.out
	m.out = nil
	return out
}

func (m *Machine) emit(a Action) { m.out = append(m.out, a) }

// enter makes a transition and applies the new state's door positions.
func (m *Machine) enter(now time.Time, s State, cause string) {
	from := m.state
	m.state = s
	m.since = now
	m.deadline = time.Time{}
	if d := m.timeout(s); d > 0 {
		m.deadline = now.Add(d)
	}
	m.entryShut, m.crossedExit = false, false
	m.clearSince, m.occupiedAt = time.Time{}, time.Time{}
	if s != Rejecting && s != Referral {
		m.release, m.notice = noDoor, ""
	}
	m.emit(StateChanged{From: from, To: s, Cause: cause})

	switch s {
	case Ready, DocCheck, Verifying, Resetting, Locked:
		m.setDoor(now, EntryDoor, false)
		m.setDoor(now, ExitDoor, false)
	case Entering:
		m.setDoor(now, EntryDoor, true)
		m.setDoor(now, ExitDoor, false)
	case Exiting:
		m.setDoor(now, EntryDoor, false)
		m.setDoor(now, ExitDoor, true)
	case Rejecting, Referral:
		// The release door stays (or becomes) open; the other one closes.
		// The exit door is never opened to release anyone (R1): it can only
		// stay open for someone who came in that way.
		if m.release == ExitDoor && !m.doors[ExitDoor].cmdOpen {
			m.release = noDoor
		}
		for d := EntryDoor; d < numDoors; d++ {
			m.setDoor(now, d, d == m.release)
		}
	case OutOfService:
		m.setDoor(now, EntryDoor, m.cfg.SafeState.EntryOpen)
		m.setDoor(now, ExitDoor, m.cfg.SafeState.ExitOpen)
	case Emergency:
		m.setDoor(now, EntryDoor, true)
		m.setDoor(now, ExitDoor, true)
	case Maintenance:
		// Doors stay where they are until the technician moves them.
	}

	switch s {
	case Verifying:
		m.emit(VerifyFace{Passage: m.pass.ID})
	case Resetting, Ready, Maintenance, OutOfService, Locked, Emergency:
		m.endPassage(now, OutcomeAborted, "")
	}
}

func (m *Machine) timeout(s State) time.Duration {
	t := m.cfg.Timeouts
	switch s {
	case DocCheck:
		return t.DocCheck
	case Entering:
		return t.Entering
	case Verifying:
		return t.Verifying
	case Exiting:
		return t.Exiting
	case Rejecting:
		return t.Rejecting
	case Referral:
		return t.Referral
	case Resetting:
		return t.Resetting
	}
	return 0 // Ready waits for a traveller; operator modes wait for a command.
}

func (m *Machine) setDoor(now time.Time, d DoorID, open bool) {
	t := &m.doors[d]
	if !t.present {
		return
	}
	if t.cmdOpen == open && !t.cmdAt.IsZero() {
		return
	}
	t.cmdOpen, t.cmdAt, t.late = open, now, false
	t.reached = t.pos == target(open)
	m.emit(DoorCommand{Door: d, Open: open})
}

func target(open bool) DoorPos {
	if open {
		return PosOpen
	}
	return PosClosed
}

// doorShut reports a door confirmed closed (absent doors count as closed).
func (m *Machine) doorShut(d DoorID) bool {
	t := m.doors[d]
	return !t.cmdOpen && t.reached
}

func (m *Machine) onDoor(now time.Time, e DoorChanged) {
	t := &m.doors[e.Door]
	if !t.present {
		return
	}
	prev := t.pos
	t.pos = e.Pos
	if e.Pos == target(t.cmdOpen) {
		t.reached = true
		delete(m.faults, "door."+e.Door.String())
		return
	}
	if t.reached && prev == target(t.cmdOpen) && e.Pos != PosUnknown {
		// R3: the door left its commanded position without a command.
		t.reached, t.cmdAt, t.late = false, now, false
		m.alarm(AlarmDoorForced, e.Door.String()+" door forced")
		switch {
		case m.state.inPassage():
			m.refer(now, m.backDoor(), MsgSeeOfficer, "alarm.door_forced")
		case m.state == Ready || m.state == Resetting:
			m.refer(now, noDoor, MsgSeeOfficer, "alarm.door_forced")
		}
	}
}

// checkDoors raises R3 door timeouts.
func (m *Machine) checkDoors(now time.Time) {
	for d := EntryDoor; d < numDoors; d++ {
		t := &m.doors[d]
		if !t.present || t.reached || t.late || now.Sub(t.cmdAt) < m.cfg.Timeouts.DoorMove {
			continue
		}
		t.late = true
		detail := fmt.Sprintf("%s door did not reach %s within %v", d, target(t.cmdOpen), m.cfg.Timeouts.DoorMove)
		m.alarm(AlarmDoorTimeout, detail)
		m.onFault(now, "door."+d.String(), detail)
	}
}

func (m *Machine) onFault(now time.Time, dev, detail string) {
	m.faults[dev] = detail
	m.alarm(AlarmDeviceFault, dev+": "+detail)
	if m.state == Emergency || m.state == OutOfService {
		return
	}
	m.abortPassage(now, "fault."+dev)
	m.enter(now, OutOfService, "device fault: "+dev)
}

func (m *Machine) alarm(k AlarmKind, detail string) {
	var id uint64
	if m.pass != nil {
		id = m.pass.ID
		m.pass.Alarms = append(m.pass.Alarms, k)
	}
	m.emit(Alarm{Kind: k, Detail: detail, Passage: id})
}

func (m *Machine) onDocPresented(now time.Time) {
	if m.state != Ready {
		return
	}
	m.nextID++
	m.pass = &Passage{ID: m.nextID, Start: now}
	m.enter(now, DocCheck, "document presented")
	m.emit(CheckDocument{Passage: m.pass.ID})
}

func (m *Machine) onDocChecked(now time.Time, e DocumentChecked) {
	if m.state != DocCheck || m.pass == nil || e.Passage != m.pass.ID {
		return
	}
	r := e.Result
	m.pass.Doc = &r
	if r.Alarm != "" {
		m.alarm(r.Alarm, "document check")
	}
	if !r.OK {
		out, reasons := m.cfg.Policy.decide(r, FaceResult{})
		m.decide(now, out, reasons)
		// The traveller is still outside the lane (two-step) or in front of
		// the door (one-step): show the notice, open nothing.
		m.reject(now, noDoor, MsgSeeOfficer)
		return
	}
	if m.cfg.Lane == OneStep {
		m.enter(now, Verifying, "document accepted")
		return
	}
	m.enter(now, Entering, "document accepted")
}

func (m *Machine) onFace(now time.Time, e FaceVerified) {
	if m.state != Verifying || m.pass == nil || e.Passage != m.pass.ID {
		return
	}
	r := e.Result
	m.pass.Face = &r
	out, reasons := m.cfg.Policy.decide(*m.pass.Doc, r)
	if !m.beams[BeamPresence] && !m.beams[BeamMulti] {
		// Nobody left to decide on.
		m.decide(now, OutcomeAbandoned, []string{"walked_away"})
		m.enter(now, Resetting, "walked away")
		return
	}
	if out == OutcomeAccept && !m.oneBodyInside() {
		out, reasons = OutcomeReject, append(reasons, "lane.not_one_person")
	}
	m.decide(now, out, reasons)
	if out == OutcomeAccept {
		m.enter(now, Exiting, "accepted")
		return
	}
	m.reject(now, m.backDoor(), MsgGoBack)
}

// oneBodyInside is the R1 precondition for opening the exit door.
func (m *Machine) oneBodyInside() bool {
	return m.beams[BeamPresence] && !m.beams[BeamMulti] && m.doorShut(EntryDoor) && !m.beams[BeamEntry]
}

// backDoor is the door a rejected traveller leaves by.
func (m *Machine) backDoor() DoorID {
	if m.cfg.Lane == TwoStep {
		return EntryDoor
	}
	return noDoor
}

func (m *Machine) decide(now time.Time, out Outcome, reasons []string) {
	if m.pass == nil || m.pass.Decision != OutcomeNone {
		return
	}
	m.pass.Decision, m.pass.DecidedAt = out, now
	m.pass.Reasons = append(m.pass.Reasons, reasons...)
}

func (m *Machine) addReason(r string) {
	if m.pass != nil {
		m.pass.Reasons = append(m.pass.Reasons, r)
	}
}

// reject asks the traveller to go back through release (noDoor: nothing opens).
func (m *Machine) reject(now time.Time, release DoorID, msg Message) {
	m.release, m.notice = release, msg
	m.enter(now, Rejecting, string(msg))
}

// refer raises the lane to an officer referral.
func (m *Machine) refer(now time.Time, release DoorID, msg Message, reason string) {
	if m.pass != nil {
		m.decide(now, OutcomeRefer, nil)
		m.addReason(reason)
	}
	m.release, m.notice = release, msg
	m.enter(now, Referral, reason)
}

func (m *Machine) abortPassage(now time.Time, reason string) {
	if m.pass == nil {
		return
	}
	m.addReason(reason)
	m.endPassage(now, OutcomeAborted, reason)
}

func (m *Machine) endPassage(now time.Time, ifNone Outcome, reason string) {
	if m.pass == nil {
		return
	}
	p := m.pass
	if p.Decision == OutcomeNone {
		p.Decision = ifNone
		if reason != "" && (len(p.Reasons) == 0 || p.Reasons[len(p.Reasons)-1] != reason) {
			p.Reasons = append(p.Reasons, reason)
		}
	}
	p.End = now
	m.pass = nil
	m.emit(PassageDone{Passage: *p})
}

func (m *Machine) onBeam(now time.Time, e BeamChanged) {
	was := m.beams[e.Beam]
	m.beams[e.Beam] = e.Broken
	if !e.Broken || was {
		return
	}
	switch e.Beam {
	case BeamMulti:
		// R4: a second body in the mantrap or zone during a passage.
		switch m.state {
		case DocCheck, Entering, Verifying, Exiting:
			m.alarm(AlarmTailgating, "second body in the lane")
			m.decide(now, OutcomeReject, []string{"alarm.tailgating"})
			if m.state == Exiting && m.crossedExit {
				// The accepted traveller is out; whoever is left goes back.
				m.pass.Exited = true
			}
			m.reject(now, m.backDoor(), MsgOnePerson)
		}
	case BeamExitOuter:
		// R4: someone coming in from the exit side.
		if !m.doorShut(ExitDoor) && !m.beams[BeamExit] && m.state != Emergency && m.state != Maintenance {
			m.alarm(AlarmWrongWay, "entry from the exit side")
			if m.state == Exiting && m.crossedExit && m.pass != nil {
				m.pass.Exited = true
			}
			if m.state != OutOfService {
				m.refer(now, ExitDoor, MsgSeeOfficer, "alarm.wrong_way")
			}
		}
	case BeamExit:
		if m.state == Exiting {
			m.crossedExit = true
		}
	}
}

// zoneClear reports that nobody is in the lane or its doorways.
func (m *Machine) zoneClear() bool {
	return !m.beams[BeamPresence] && !m.beams[BeamMulti] && !m.beams[BeamEntry] && !m.beams[BeamExit]
}

// clearFor tracks how long cond has held; it returns true once it has held
// for d.
func (m *Machine) clearFor(now time.Time, cond bool, d time.Duration) bool {
	if !cond {
		m.clearSince = time.Time{}
		return false
	}
	if m.clearSince.IsZero() {
		m.clearSince = now
	}
	return now.Sub(m.clearSince) >= d
}

// evaluate applies the level-triggered rules of the current state.
func (m *Machine) evaluate(now time.Time) {
	t := m.cfg.Timeouts
	switch m.state {
	case Ready:
		if m.lockPending {
			m.lockPending = false
			m.enter(now, Locked, "lock")
			return
		}
		// Two-step: nobody may be in the mantrap of an idle lane.
		if m.cfg.Lane == TwoStep && m.beams[BeamPresence] {
			if m.occupiedAt.IsZero() {
				m.occupiedAt = now
			}
			if now.Sub(m.occupiedAt) >= t.Settle {
				m.alarm(AlarmIntrusion, "presence in the mantrap of an idle lane")
				m.refer(now, EntryDoor, MsgSeeOfficer, "alarm.intrusion")
			}
		} else {
			m.occupiedAt = time.Time{}
		}
	case Entering:
		inside := m.beams[BeamPresence] && !m.beams[BeamEntry] && !m.beams[BeamMulti]
		switch {
		case !m.entryShut && inside:
			m.entryShut = true
			m.setDoor(now, EntryDoor, false)
		case m.entryShut && m.beams[BeamEntry]:
			// Someone in the doorway while it closes: open again.
			m.entryShut = false
			m.setDoor(now, EntryDoor, true)
		case m.entryShut && inside && m.doorShut(EntryDoor):
			m.enter(now, Verifying, "traveller in the mantrap")
		}
	case Verifying:
		if m.cfg.Lane == OneStep && m.clearFor(now, m.zoneClear(), t.Settle) {
			m.decide(now, OutcomeAbandoned, []string{"walked_away"})
			m.enter(now, Resetting, "walked away")
		}
	case Exiting:
		if !m.crossedExit {
			return
		}
		if m.beams[BeamPresence] && !m.beams[BeamExit] && !m.beams[BeamExitOuter] {
			// The traveller crossed out but something is still in the lane.
			if m.occupiedAt.IsZero() {
				m.occupiedAt = now
			}
			if now.Sub(m.occupiedAt) >= t.ObjectLeft {
				m.pass.Exited = true
				m.alarm(AlarmObjectLeft, "presence after the traveller left")
				m.addReason("alarm.object_left")
				m.release, m.notice = noDoor, MsgSeeOfficer
				m.enter(now, Referral, "object left")
			}
			return
		}
		m.occupiedAt = time.Time{}
		if m.clearFor(now, m.zoneClear() && !m.beams[BeamExitOuter], t.Settle) {
			m.pass.Exited = true
			m.enter(now, Resetting, "traveller left")
		}
	case Rejecting, Referral:
		clear := m.zoneClear() && !m.beams[BeamExitOuter]
		if m.clearFor(now, clear, t.Settle) && now.Sub(m.since) >= t.Notice {
			m.enter(now, Resetting, "lane clear")
		}
	case Resetting:
		if !m.doorShut(EntryDoor) || !m.doorShut(ExitDoor) {
			return
		}
		occupied := m.beams[BeamMulti] || m.beams[BeamEntry] || m.beams[BeamExit] ||
			(m.cfg.Lane == TwoStep && m.beams[BeamPresence])
		if !occupied {
			m.occupiedAt = time.Time{}
			if len(m.faults) > 0 {
				m.enter(now, OutOfService, "faults present")
				return
			}
			m.enter(now, Ready, "lane clear")
			return
		}
		if m.occupiedAt.IsZero() {
			m.occupiedAt = now
		}
		if now.Sub(m.occupiedAt) >= t.ObjectLeft {
			m.alarm(AlarmObjectLeft, "lane not empty after a passage")
			m.refer(now, m.backDoor(), MsgSeeOfficer, "alarm.object_left")
		}
	}
}

// checkDeadline applies R5: every waiting state times out towards safety.
func (m *Machine) checkDeadline(now time.Time) {
	if m.deadline.IsZero() || now.Before(m.deadline) {
		return
	}
	switch m.state {
	case DocCheck:
		m.decide(now, OutcomeReject, []string{"timeout.doc_check"})
		m.reject(now, noDoor, MsgSeeOfficer)
	case Entering:
		if m.beams[BeamPresence] || m.beams[BeamEntry] {
			m.decide(now, OutcomeReject, []string{"timeout.entering"})
			m.reject(now, EntryDoor, MsgGoBack)
			return
		}
		m.decide(now, OutcomeAbandoned, []string{"walked_away"})
		m.enter(now, Resetting, "timeout entering")
	case Verifying:
		m.decide(now, OutcomeReject, []string{"timeout.verifying"})
		m.reject(now, m.backDoor(), MsgGoBack)
	case Exiting:
		m.alarm(AlarmReferral, "traveller did not leave")
		m.refer(now, ExitDoor, MsgPleaseExit, "timeout.exiting")
	case Rejecting:
		m.alarm(AlarmReferral, "traveller did not back out")
		m.refer(now, m.release, MsgSeeOfficer, "timeout.rejecting")
	case Referral:
		m.alarm(AlarmReferral, "referral not cleared")
		m.enter(now, OutOfService, "timeout referral")
	case Resetting:
		m.enter(now, OutOfService, "timeout resetting")
	}
}

func (m *Machine) onCommand(now time.Time, c Command) {
	ok, reason := m.command(now, c)
	m.emit(CommandResult{Command: c, OK: ok, Reason: reason})
}

func (m *Machine) command(now time.Time, c Command) (bool, string) {
	busy := fmt.Sprintf("lane is %s", m.state)
	switch c.Kind {
	case CmdEmergencyOpen:
		m.emergencyCmd = true
		if m.state != Emergency {
			m.alarm(AlarmEmergency, "emergency open by "+c.Origin)
			m.abortPassage(now, "emergency")
			m.enter(now, Emergency, "emergency open command")
		}
		return true, ""
	case CmdEmergencyClear:
		if m.state != Emergency {
			return false, "no emergency"
		}
		if m.emergencyIn {
			return false, "emergency input still active"
		}
		m.emergencyCmd = false
		m.enter(now, Resetting, "emergency cleared by "+c.Origin)
		return true, ""
	}
	if m.state == Emergency {
		return false, busy
	}
	switch c.Kind {
	case CmdLock:
		switch {
		case m.state == Locked:
			return true, "already locked"
		case m.state == Ready:
			m.enter(now, Locked, "lock by "+c.Origin)
			return true, ""
		case m.state.inPassage() || m.state == Resetting:
			m.lockPending = true
			return true, "locks after the current passage"
		}
		return false, busy
	case CmdUnlock:
		m.lockPending = false
		if m.state != Locked {
			return true, "not locked"
		}
		m.enter(now, Resetting, "unlock by "+c.Origin)
		return true, ""
	case CmdMaintenanceOn:
		switch m.state {
		case Maintenance:
			return true, "already in maintenance"
		case Ready, Locked, OutOfService, Resetting:
			m.enter(now, Maintenance, "maintenance by "+c.Origin)
			return true, ""
		}
		return false, "passage in progress"
	case CmdMaintenanceOff:
		if m.state != Maintenance {
			return false, "not in maintenance"
		}
		m.enter(now, Resetting, "maintenance off by "+c.Origin)
		return true, ""
	case CmdOutOfService:
		m.operatorOOS = true
		if m.state != OutOfService {
			m.abortPassage(now, "out_of_service")
			m.enter(now, OutOfService, "out of service by "+c.Origin)
		}
		return true, ""
	case CmdInService:
		if m.state != OutOfService {
			return false, "not out of service"
		}
		if len(m.faults) > 0 {
			return false, "faults present: " + m.faultList()
		}
		m.operatorOOS = false
		m.enter(now, Resetting, "in service by "+c.Origin)
		return true, ""
	case CmdMaintenanceDoor:
		if m.state != Maintenance {
			return false, "door moves are allowed only in maintenance"
		}
		if !m.doors[c.Door].present {
			return false, "no such door on this lane"
		}
		m.setDoor(now, c.Door, c.Open)
		return true, ""
	case CmdOfficerClear:
		if m.state != Referral && m.state != Rejecting {
			return false, "no referral"
		}
		m.enter(now, Resetting, "cleared by "+c.Origin)
		return true, ""
	}
	return false, "unknown command"
}

func (m *Machine) faultList() string {
	names := make([]string, 0, len(m.faults))
	for n := range m.faults {
		names = append(names, n)
	}
	sort.Strings(names)
	s := ""
	for i, n := range names {
		if i > 0 {
			s += ", "
		}
		s += n
	}
	return s
}

// indicate emits an Indicate action when what the traveller sees changes.
func (m *Machine) indicate() {
	in := Indicate{Entry: LightRed, Exit: LightRed}
	if m.cfg.Lane == OneStep {
		in.Entry = LightOff
	}
	switch m.state {
	case Ready:
		in.Msg = MsgPlaceDocument
		if m.cfg.Lane == TwoStep {
			in.Entry = LightGreen
		}
	case DocCheck:
		in.Msg = MsgReading
	case Entering:
		in.Msg, in.Entry = MsgStepIn, LightGreen
	case Verifying:
		in.Msg = MsgLookAtCamera
	case Exiting:
		in.Msg, in.Exit = MsgPleaseExit, LightGreen
	case Rejecting, Referral:
		in.Msg = m.notice
		if m.release == EntryDoor {
			in.Entry = LightGreen
		}
		if m.release == ExitDoor {
			in.Exit = LightGreen
		}
		in.Buzzer = m.state == Referral
	case Resetting:
		in.Msg = MsgWait
	case Maintenance:
		in = Indicate{Msg: MsgMaintenance}
	case OutOfService, Locked:
		in.Msg = MsgLaneClosed
	case Emergency:
		in = Indicate{Entry: LightGreen, Exit: LightGreen, Msg: MsgEmergency, Buzzer: true}
	}
	if m.indSent && in == m.lastInd {
		return
	}
	m.lastInd, m.indSent = in, true
	m.emit(in)
}

// Status is a snapshot for the status page and telemetry. It holds no
// personal data.
type Status struct {
	Lane      string
	State     State
	Since     time.Time
	Deadline  time.Time
	Doors     map[string]DoorStatus
	Beams     map[string]bool
	Emergency bool
	Faults    map[string]string
	Passage   uint64
	Indicate  Indicate
}

// DoorStatus is one door in a Status.
type DoorStatus struct {
	CommandedOpen bool
	Pos           DoorPos
	Reached       bool
}

// Status returns a snapshot of the lane.
func (m *Machine) Status() Status {
	s := Status{
		Lane: m.cfg.Lane.String(), State: m.state, Since: m.since, Deadline: m.deadline,
		Doors: map[string]DoorStatus{}, Beams: map[string]bool{},
		Emergency: m.emergencyIn || m.emergencyCmd, Faults: map[string]string{}, Indicate: m.lastInd,
	}
	for d := EntryDoor; d < numDoors; d++ {
		if t := m.doors[d]; t.present {
			s.Doors[d.String()] = DoorStatus{CommandedOpen: t.cmdOpen, Pos: t.pos, Reached: t.reached}
		}
	}
	for b := Beam(0); b < numBeams; b++ {
		s.Beams[b.String()] = m.beams[b]
	}
	for k, v := range m.faults {
		s.Faults[k] = v
	}
	if m.pass != nil {
		s.Passage = m.pass.ID
	}
	return s
}

// NextDeadline returns when the Machine next needs a Tick, or zero if only
// events can move it. Door timeouts count.
func (m *Machine) NextDeadline() time.Time {
	next := m.deadline
	for d := EntryDoor; d < numDoors; d++ {
		t := m.doors[d]
		if t.present && !t.reached && !t.late {
			if dl := t.cmdAt.Add(m.cfg.Timeouts.DoorMove); next.IsZero() || dl.Before(next) {
				next = dl
			}
		}
	}
	return next
}
