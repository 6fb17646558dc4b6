package gate

import "time"

// Event is an input to the Machine. The concrete types below are the only
// implementations.
type Event interface{ isEvent() }

// Tick lets time pass; deadlines are checked on every event, Tick carries none.
type Tick struct{}

// BeamChanged reports a debounced beam or presence input.
type BeamChanged struct {
	Beam   Beam
	Broken bool
}

// DoorChanged reports a door position from its position switches.
type DoorChanged struct {
	Door DoorID
	Pos  DoorPos
}

// EmergencyInput reports the fire alarm input. Active is true when the alarm
// is raised or the wire is broken (R2).
type EmergencyInput struct{ Active bool }

// DeviceFault reports a device that stopped working (door drive, reader, camera...).
type DeviceFault struct {
	Device string
	Detail string
}

// DeviceRecovered reports that a device works again.
type DeviceRecovered struct{ Device string }

// DocumentPresented reports that a travel document was placed on the reader.
type DocumentPresented struct{}

// DocumentChecked carries the result of reading and checking the document for
// the passage that asked for it.
type DocumentChecked struct {
	Passage uint64
	Result  DocResult
}

// FaceVerified carries the result of the face step for a passage.
type FaceVerified struct {
	Passage uint64
	Result  FaceResult
}

// Command is an operator command. Authorisation (signatures, local access)
// is checked before it reaches the Machine; the Machine checks only whether
// the lane may obey now.
type Command struct {
	Kind CommandKind
	// Door and Open are used by MaintenanceDoor.
	Door DoorID
	Open bool
	// Origin names who sent it, for the record.
	Origin string
}

// CommandKind lists the commands the lane obeys.
type CommandKind int

const (
	CmdLock CommandKind = iota
	CmdUnlock
	CmdMaintenanceOn
	CmdMaintenanceOff
	CmdOutOfService
	CmdInService
	CmdEmergencyOpen
	CmdEmergencyClear
	CmdMaintenanceDoor
	CmdOfficerClear // an officer has dealt with a referral
)

var commandNames = [...]string{"lock", "unlock", "maintenance_on", "maintenance_off",
	"out_of_service", "in_service", "emergency_open", "emergency_clear", "maintenance_door", "officer_clear"}

func (k CommandKind) String() string {
	if k < 0 || int(k) >= len(commandNames) {
		return "unknown"
	}
	return commandNames[k]
}

// ParseCommandKind is the inverse of CommandKind.String.
func ParseCommandKind(s string) (CommandKind, bool) {
	for i, n := range commandNames {
		if n == s {
			return CommandKind(i), true
		}
	}
	return 0, false
}

func (Tick) isEvent()              {}
func (BeamChanged) isEvent()       {}
func (DoorChanged) isEvent()       {}
func (EmergencyInput) isEvent()    {}
func (DeviceFault) isEvent()       {}
func (DeviceRecovered) isEvent()   {}
func (DocumentPresented) isEvent() {}
func (DocumentChecked) isEvent()   {}
func (FaceVerified) isEvent()      {}
func (Command) isEvent()           {}

// Action is an output of the Machine.
type Action interface{ isAction() }

// DoorCommand drives a door actuator.
type DoorCommand struct {
	Door DoorID
	Open bool
}

// Indicate sets what the traveller sees: pictograms and the screen message.
type Indicate struct {
	Entry  Light
	Exit   Light
	Msg    Message
	Buzzer bool
}

// Alarm is raised to the control room and recorded.
type Alarm struct {
	Kind    AlarmKind
	Detail  string
	Passage uint64 // 0 when no passage was under way
}

// CheckDocument asks the document step to read and check the presented document.
type CheckDocument struct{ Passage uint64 }

// VerifyFace asks the face step to compare the live face with the document portrait.
type VerifyFace struct{ Passage uint64 }

// StateChanged reports a transition.
type StateChanged struct {
	From, To State
	Cause    string
}

// CommandResult answers a Command.
type CommandResult struct {
	Command Command
	OK      bool
	Reason  string
}

// PassageDone closes a passage with its final record.
type PassageDone struct{ Passage Passage }

func (DoorCommand) isAction()   {}
func (Indicate) isAction()      {}
func (Alarm) isAction()         {}
func (CheckDocument) isAction() {}
func (VerifyFace) isAction()    {}
func (StateChanged) isAction()  {}
func (CommandResult) isAction() {}
func (PassageDone) isAction()   {}

// Light is a pictogram state.
type Light int

const (
	LightOff Light = iota
	LightGreen
	LightRed
)

func (l Light) String() string { return [...]string{"off", "green", "red"}[l] }

// Message is the instruction shown to the traveller; the display translates it.
type Message string

const (
	MsgPlaceDocument Message = "place_document"
	MsgReading       Message = "reading_document"
	MsgStepIn        Message = "step_in"
	MsgLookAtCamera  Message = "look_at_camera"
	MsgPleaseExit    Message = "please_exit"
	MsgGoBack        Message = "go_back_see_officer"
	MsgOnePerson     Message = "one_person_only"
	MsgSeeOfficer    Message = "see_officer"
	MsgWait          Message = "please_wait"
	MsgLaneClosed    Message = "lane_closed"
	MsgEmergency     Message = "emergency_exit"
	MsgMaintenance   Message = "maintenance"
)

// AlarmKind classifies alarms.
type AlarmKind string

const (
	AlarmTailgating   AlarmKind = "tailgating"
	AlarmWrongWay     AlarmKind = "wrong_way"
	AlarmObjectLeft   AlarmKind = "object_left"
	AlarmDoorTimeout  AlarmKind = "door_timeout"
	AlarmDoorForced   AlarmKind = "door_forced"
	AlarmEmergency    AlarmKind = "emergency"
	AlarmDeviceFault  AlarmKind = "device_fault"
	AlarmIntrusion    AlarmKind = "intrusion" // presence in an idle lane
	AlarmReferral     AlarmKind = "referral_timeout"
	AlarmWatchlistHit AlarmKind = "watchlist_hit"
	AlarmDuplicateUse AlarmKind = "duplicate_use" // the same document again too soon
)

// Passage is the record of one traveller's attempt, from document to exit.
type Passage struct {
	ID        uint64
	Start     time.Time
	End       time.Time
	Doc       *DocResult
	Face      *FaceResult
	Decision  Outcome
	Reasons   []string
	Alarms    []AlarmKind
	Exited    bool // crossed the exit door after an accept
	DecidedAt time.Time
}
