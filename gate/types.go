package gate

import (
	"fmt"
	"time"
)

// LaneType is the mechanical layout of a lane.
type LaneType int

const (
	// TwoStep has an entry door, a mantrap and an exit door.
	TwoStep LaneType = iota
	// OneStep has a single (exit) door in front of the verification zone.
	OneStep
)

func (t LaneType) String() string {
	if t == OneStep {
		return "one-step"
	}
	return "two-step"
}

// DoorID names a door of the lane.
type DoorID int

const (
	EntryDoor DoorID = iota
	ExitDoor
	numDoors
)

func (d DoorID) String() string {
	if d == EntryDoor {
		return "entry"
	}
	return "exit"
}

// DoorPos is a door position as reported by its position switches.
type DoorPos int

const (
	PosUnknown DoorPos = iota
	PosClosed
	PosOpen
	PosMoving // neither switch active
)

func (p DoorPos) String() string {
	return [...]string{"unknown", "closed", "open", "moving"}[p]
}

// Beam names a presence input of the lane.
type Beam int

const (
	// BeamEntry is the light barrier in the entry doorway (two-step only).
	BeamEntry Beam = iota
	// BeamPresence reports at least one body in the mantrap (two-step) or
	// verification zone (one-step).
	BeamPresence
	// BeamMulti reports more than one body in the mantrap or zone (the
	// separation output of an overhead people counter).
	BeamMulti
	// BeamExit is the light barrier in the exit doorway.
	BeamExit
	// BeamExitOuter is the light barrier just beyond the exit door; broken
	// before BeamExit it means someone is coming in the wrong way.
	BeamExitOuter
	numBeams
)

func (b Beam) String() string {
	return [...]string{"entry", "presence", "multi", "exit", "exit_outer"}[b]
}

// State is the lane's state.
type State int

const (
	Ready        State = iota // idle, waiting for a document
	DocCheck                  // document presented, reading and checking it
	Entering                  // entry door open, traveller stepping in
	Verifying                 // traveller in the mantrap, face step running
	Exiting                   // accepted: exit door open, traveller leaving
	Rejecting                 // traveller asked to back out the way they came
	Referral                  // officer needed; alarm raised
	Resetting                 // closing doors and checking the lane is empty
	Maintenance               // technician mode
	OutOfService              // fault or operator: doors in the safe state
	Locked                    // closed by the control room
	Emergency                 // fire alarm: every door open
	numStates
)

var stateNames = [...]string{"ready", "doc_check", "entering", "verifying", "exiting",
	"rejecting", "referral", "resetting", "maintenance", "out_of_service", "locked", "emergency"}

func (s State) String() string {
	if s < 0 || s >= numStates {
		return fmt.Sprintf("state(%d)", int(s))
	}
	return stateNames[s]
}

// operatorMode reports whether s is left only by a command (R5).
func (s State) operatorMode() bool {
	return s == Maintenance || s == OutOfService || s == Locked || s == Emergency
}

// inPassage reports whether a traveller's passage is under way.
func (s State) inPassage() bool {
	switch s {
	case DocCheck, Entering, Verifying, Exiting, Rejecting, Referral:
		return true
	}
	return false
}

// Timeouts bounds every waiting state (R5) and door movement (R3).
type Timeouts struct {
	DocCheck   time.Duration // document read and check
	Entering   time.Duration // entry door open, waiting for the traveller to step in
	Verifying  time.Duration // face step, including the traveller finding the camera
	Exiting    time.Duration // exit door open, waiting for the traveller to leave
	Rejecting  time.Duration // waiting for the traveller to back out
	Referral   time.Duration // waiting for the officer / lane to clear, then out of service
	Resetting  time.Duration // doors closing and lane empty check
	DoorMove   time.Duration // a door must reach its commanded position within this
	ObjectLeft time.Duration // presence remaining after the traveller crossed out
	Settle     time.Duration // lane must be seen clear this long before it closes a door
	Notice     time.Duration // a rejection or referral notice stays up at least this long
}

// DefaultTimeouts are the timeouts used when the configuration gives none.
func DefaultTimeouts() Timeouts {
	return Timeouts{
		DocCheck:   20 * time.Second,
		Entering:   15 * time.Second,
		Verifying:  20 * time.Second,
		Exiting:    15 * time.Second,
		Rejecting:  30 * time.Second,
		Referral:   5 * time.Minute,
		Resetting:  10 * time.Second,
		DoorMove:   4 * time.Second,
		ObjectLeft: 5 * time.Second,
		Settle:     500 * time.Millisecond,
		Notice:     3 * time.Second,
	}
}

// Validate reports a timeout that would make the lane misbehave.
func (t Timeouts) Validate() error {
	for _, f := range []struct {
		name string
		d    time.Duration
	}{
		{"doc_check", t.DocCheck}, {"entering", t.Entering}, {"verifying", t.Verifying},
		{"exiting", t.Exiting}, {"rejecting", t.Rejecting}, {"referral", t.Referral},
		{"resetting", t.Resetting}, {"door_move", t.DoorMove}, {"object_left", t.ObjectLeft},
		{"settle", t.Settle}, {"notice", t.Notice},
	} {
		if f.d <= 0 {
			return fmt.Errorf("gate: timeout %s must be positive, got %v", f.name, f.d)
		}
	}
	if t.Resetting <= t.DoorMove {
		return fmt.Errorf("gate: timeout resetting (%v) must exceed door_move (%v)", t.Resetting, t.DoorMove)
	}
	return nil
}

// SafeState is where the doors go when the lane is out of service.
type SafeState struct {
	EntryOpen bool // entry door open: a person inside can always leave landside
	ExitOpen  bool // exit door open: normally false, nobody may pass unchecked
}

// Config configures a Machine.
type Config struct {
	Lane      LaneType
	Timeouts  Timeouts
	SafeState SafeState
	Policy    Policy
}
