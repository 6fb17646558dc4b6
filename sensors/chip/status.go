package chip

import "fmt"

// Status words the stack acts on (ISO/IEC 7816-4 §5.6 and ICAO 9303 Part 11
// §9.8.6.2 for the secure messaging ones).
const (
	SWOK                   uint16 = 0x9000
	SWEndOfFile            uint16 = 0x6282 // end of file reached before Ne bytes
	SWWrongLength          uint16 = 0x6700
	SWSecurityNotSatisfied uint16 = 0x6982
	SWAuthMethodBlocked    uint16 = 0x6983
	SWConditionsNotMet     uint16 = 0x6985
	SWSMObjectsMissing     uint16 = 0x6987
	SWSMObjectsIncorrect   uint16 = 0x6988
	SWWrongData            uint16 = 0x6A80
	SWFuncNotSupported     uint16 = 0x6A81
	SWFileNotFound         uint16 = 0x6A82
	SWIncorrectP1P2        uint16 = 0x6A86
	SWWrongP1P2            uint16 = 0x6B00
	SWInsNotSupported      uint16 = 0x6D00
	SWClaNotSupported      uint16 = 0x6E00
	SWUnknown              uint16 = 0x6F00
)

// Sentinel status errors; errors.Is(err, ErrFileNotFound) matches any
// *StatusError with that status word.
var (
	ErrFileNotFound           = &StatusError{SW: SWFileNotFound}
	ErrSecurityNotSatisfied   = &StatusError{SW: SWSecurityNotSatisfied}
	ErrSMObjectsIncorrect     = &StatusError{SW: SWSMObjectsIncorrect}
	ErrInsNotSupported        = &StatusError{SW: SWInsNotSupported}
	ErrFuncNotSupported       = &StatusError{SW: SWFuncNotSupported}
	ErrConditionsNotSatisfied = &StatusError{SW: SWConditionsNotMet}
)

// StatusError is a status word other than 90 00.
type StatusError struct {
	SW uint16
}

func (e *StatusError) Error() string {
	if s, ok := swText[e.SW]; ok {
		return fmt.Sprintf("chip: status %04X (%s)", e.SW, s)
	}
	switch e.SW >> 8 {
	case 0x63:
		return fmt.Sprintf("chip: status %04X (warning, counter %d)", e.SW, e.SW&0x0F)
	case 0x6C:
		return fmt.Sprintf("chip: status %04X (wrong Le, %d available)", e.SW, e.SW&0xFF)
	}
	return fmt.Sprintf("chip: status %04X", e.SW)
}

// Is matches another *StatusError with the same status word.
func (e *StatusError) Is(target error) bool {
	t, ok := target.(*StatusError)
	return ok && t.SW == e.SW
}

var swText = map[uint16]string{
	SWEndOfFile:            "end of file",
	SWWrongLength:          "wrong length",
	SWSecurityNotSatisfied: "security status not satisfied",
	SWAuthMethodBlocked:    "authentication method blocked",
	SWConditionsNotMet:     "conditions of use not satisfied",
	SWSMObjectsMissing:     "expected secure messaging objects missing",
	SWSMObjectsIncorrect:   "secure messaging objects incorrect",
	SWWrongData:            "incorrect data",
	SWFuncNotSupported:     "function not supported",
	SWFileNotFound:         "file not found",
	SWIncorrectP1P2:        "incorrect P1 P2",
	SWWrongP1P2:            "wrong P1 P2",
	SWInsNotSupported:      "instruction not supported",
	SWClaNotSupported:      "class not supported",
	SWUnknown:              "no precise diagnosis",
}
