// Package sensors holds the small interfaces and plain types of the lane's
// devices: the lane mechanism (doors, beams, emergency input, pictograms,
// buzzer) and the travel document readers.
//
// # Who may import it
//
// Everyone. Drivers live in subpackages:
//
//   - sensors/gpiolane: the lane mechanism over periph.io GPIO pins, real
//     (gpioioctl character device, sysfs fallback) or simulated.
//   - sensors/simlane: the simulated lane's mechanics (doors that take time
//     to move, bodies that break beams) over periph's gpiotest pins, used by
//     make run and the tests.
//   - sensors/mrz: the ICAO 9303 machine readable zone parser.
//
// Devices report gate events (gate.BeamChanged, gate.DoorChanged,
// gate.EmergencyInput, gate.DeviceFault) on a channel; data flows one way,
// from devices to the gate.
package sensors

import (
	"context"
	"time"

	"github.com/egate/egate/gate"
)

// Lane is the lane mechanism: doors, beams, the emergency input and what the
// traveller sees.
type Lane interface {
	// Run polls the inputs and sends debounced changes on events until ctx
	// ends. It first reports the current state of every input.
	Run(ctx context.Context, events chan<- gate.Event) error
	// SetDoor drives a door actuator.
	SetDoor(d gate.DoorID, open bool) error
	// Indicate sets pictograms and buzzer. The screen message is shown by
	// the display, not by the lane's pins.
	Indicate(in gate.Indicate) error
	// Halt puts the doors in their safe state and the lights to closed.
	Halt() error
	String() string
}

// Document is what a reader got from a travel document: the printed MRZ
// fields and, when the chip was read, its results. It is personal data: it
// never leaves the decision step, and is never logged or stored.
type Document struct {
	Type         string // document code, fillers stripped: P, ID, V...
	IssuingState string
	Number       string
	Nationality  string
	Surname      string
	GivenNames   string
	Sex          string
	BirthDate    time.Time
	ExpiryDate   time.Time
	// MRZValid: every check digit of the printed zone holds.
	MRZValid bool
	// Chip is nil when no chip was read.
	Chip *ChipResult
}

// ChipResult is the outcome of reading the document's chip.
type ChipResult struct {
	Access   string          // "PACE", "BAC"
	Checks   map[string]bool // passive/chip/active authentication results by name
	Portrait []byte          // DG2 face image (JPEG or JPEG 2000); never stored
}

// DocumentReader reports documents placed on the reader.
type DocumentReader interface {
	// Documents delivers each document read, or an error for an unreadable one.
	Documents() <-chan DocumentRead
	String() string
}

// DocumentRead is one read attempt.
type DocumentRead struct {
	Doc Document
	Err error
}
