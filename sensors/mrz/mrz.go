package mrz

import (
	"fmt"
	"time"
)

// Format is the layout of a machine readable zone.
type Format uint8

// The five ICAO 9303 zone layouts.
const (
	FormatUnknown Format = iota
	TD1                  // 3 lines of 30: identity cards (ICAO 9303 Part 5)
	TD2                  // 2 lines of 36: official travel documents (Part 6)
	TD3                  // 2 lines of 44: passports (Part 4)
	MRVA                 // 2 lines of 44, document code V: full-size visa (Part 7, format A)
	MRVB                 // 2 lines of 36, document code V: small visa (Part 7, format B)
)

// String returns "TD1", "TD2", "TD3", "MRVA", "MRVB" or "unknown"; these
// are the values of the "format" key of `egatectl mrz --json`.
func (f Format) String() string {
	switch f {
	case TD1:
		return "TD1"
	case TD2:
		return "TD2"
	case TD3:
		return "TD3"
	case MRVA:
		return "MRVA"
	case MRVB:
		return "MRVB"
	}
	return "unknown"
}

// Lines and LineLength give the geometry of the format (0 for unknown).
func (f Format) Lines() int {
	switch f {
	case TD1:
		return 3
	case TD2, TD3, MRVA, MRVB:
		return 2
	}
	return 0
}

// LineLength is the number of characters in each line of the format.
func (f Format) LineLength() int {
	switch f {
	case TD1:
		return 30
	case TD2, MRVB:
		return 36
	case TD3, MRVA:
		return 44
	}
	return 0
}

// Check is the outcome of one check digit.
type Check uint8

const (
	// CheckNone: the format has no such check digit (MRVs have no
	// composite, only TD3 protects its optional data).
	CheckNone Check = iota
	// CheckPass: the printed digit matches the data.
	CheckPass
	// CheckFail: the digit does not match, is not a digit, or the data
	// holds characters outside the character set.
	CheckFail
)

func (c Check) String() string {
	switch c {
	case CheckPass:
		return "pass"
	case CheckFail:
		return "fail"
	}
	return "none"
}

// Checks holds every check digit of a zone (ICAO 9303 Part 3 §4.9).
type Checks struct {
	DocumentNumber Check
	BirthDate      Check
	ExpiryDate     Check
	OptionalData   Check // TD3 personal number only
	Composite      Check // TD1, TD2, TD3 only
}

// Each calls fn for every check in zone order, with the Field it protects
// (FieldComposite for the composite).
func (c Checks) Each(fn func(Field, Check)) {
	fn(FieldDocumentNumber, c.DocumentNumber)
	fn(FieldBirthDate, c.BirthDate)
	fn(FieldExpiryDate, c.ExpiryDate)
	fn(FieldOptionalData, c.OptionalData)
	fn(FieldComposite, c.Composite)
}

// LongNumber says how a TD1 or TD2 document number longer than nine
// characters was verified. Such a number fills positions 6-14 (TD1) or
// 1-9 (TD2), puts < where its check digit would be, and continues at the
// start of the optional data, followed by its check digit and a filler
// (ICAO 9303 Part 5 and Part 6, the notes on the
// document number field). Issuers disagree
// on whether that < takes part in the check digit, so both are tried.
type LongNumber uint8

const (
	// NotLong: the number fits the nine-character field.
	NotLong LongNumber = iota
	// LongWithFiller: the digit holds only with the < included.
	LongWithFiller
	// LongWithoutFiller: the digit holds only with the < left out.
	LongWithoutFiller
	// LongBoth: both computations give the printed digit.
	LongBoth
	// LongNeither: the number is long and neither computation holds.
	LongNeither
)

// String returns "", "with_filler", "without_filler", "both" or "neither".
func (l LongNumber) String() string {
	switch l {
	case LongWithFiller:
		return "with_filler"
	case LongWithoutFiller:
		return "without_filler"
	case LongBoth:
		return "both"
	case LongNeither:
		return "neither"
	}
	return ""
}

// Sex is the holder's sex as printed: 'M', 'F' or 'X'. The MRZ writes
// "unspecified" as the filler '<' (ICAO 9303 Part 4, line 2 position 21); some
// issuers print 'X' as in the visual zone. Both are reported as SexX. The
// zero value means the field was invalid.
type Sex byte

// Sexes.
const (
	SexMale        Sex = 'M'
	SexFemale      Sex = 'F'
	SexUnspecified Sex = 'X'
)

func (s Sex) String() string {
	if s == 0 {
		return ""
	}
	return string(rune(s))
}

// Date is a date printed as YYMMDD with its century resolved. Month and
// Day are 0 where a birth date prints them as fillers (ICAO 9303 Part 3:
// unknown parts of a date of birth are written as fillers); Year is 0 when
// the date is invalid or wholly unknown.
type Date struct {
	Raw   string // as printed, YYMMDD
	Year  int
	Month int
	Day   int
}

// Known reports whether the date was parsed and at least its year is known.
func (d Date) Known() bool { return d.Year != 0 }

// Complete reports whether year, month and day are all known.
func (d Date) Complete() bool { return d.Year != 0 && d.Month != 0 && d.Day != 0 }

// ISO returns the date as ISO 8601: "1974-08-12", or the reduced
// precision forms "1956-01" or "1956" when the day or month is unknown, or
// "" when the date is invalid or wholly unknown.
func (d Date) ISO() string {
	switch {
	case d.Year == 0:
		return ""
	case d.Month == 0:
		return fmt.Sprintf("%04d", d.Year)
	case d.Day == 0:
		return fmt.Sprintf("%04d-%02d", d.Year, d.Month)
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day)
}

// Time returns the date at midnight in loc; ok is false unless Complete.
func (d Date) Time(loc *time.Location) (t time.Time, ok bool) {
	if !d.Complete() {
		return time.Time{}, false
	}
	return time.Date(d.Year, time.Month(d.Month), d.Day, 0, 0, 0, 0, loc), true
}

// Repair is one character the OCR repair changed (Options.RepairOCR).
// Line and Column are 1-based.
type Repair struct {
	Field  Field
	Line   int
	Column int
	From   byte
	To     byte
}

func (r Repair) String() string {
	return fmt.Sprintf("%s: line %d column %d: %q -> %q", r.Field, r.Line, r.Column, r.From, r.To)
}

// Note records one thing Normalize or Parse did to the input before
// parsing it (trimming, splitting, case folding). Nothing is changed
// without a Note.
type Note struct {
	Code    string // "trimmed", "blank_lines", "split", "folded_case", "non_ascii"
	Message string
}

// MRZ is a parsed zone. Every field is filled as far as the zone allows,
// also when it is invalid; Errors says what is wrong. It holds personal
// data: never log it, log only a keyed pseudonym of DocumentNumber.
type MRZ struct {
	Format Format
	// Lines is the zone as parsed, after normalisation and repairs.
	Lines []string

	DocumentCode string // fillers stripped: "P", "ID", "V"
	IssuingState string // fillers stripped: "UTO", "D"
	// PrimaryIdentifier and SecondaryIdentifier are the name components
	// (surname and given names), words separated by single spaces.
	PrimaryIdentifier   string
	SecondaryIdentifier string
	// NameTruncated is true when the name field is full up to its last
	// position, which is how ICAO 9303 Part 3 marks a name that was (or may
	// have been) truncated to fit; see doc.go "# Names".
	NameTruncated bool

	// DocumentNumber is the full number with trailing fillers stripped and
	// a TD1/TD2 overflow joined on (without the < that marks it).
	DocumentNumber string
	LongNumber     LongNumber
	Nationality    string // fillers stripped
	BirthDate      Date
	Sex            Sex
	ExpiryDate     Date

	// OptionalData is the optional data of TD2, TD3 (the personal number),
	// MRV-A and MRV-B, trailing fillers stripped.
	OptionalData string
	// OptionalData1 (line 1, after any document number overflow) and
	// OptionalData2 (line 2) are the TD1 optional data, fillers stripped.
	OptionalData1 string
	OptionalData2 string

	Checks   Checks
	Repairs  []Repair
	Notes    []Note
	Errors   Errors // rules broken; empty means valid
	Warnings Errors // noteworthy but not invalid (unknown state code...)

	keyNumber string // document number as it enters MRZ_information
	keyDigit  byte   // and its check digit
}

// Valid reports whether the zone is well formed and every check digit
// holds. Expiry is a policy matter and does not affect validity.
func (m *MRZ) Valid() bool { return m != nil && m.Format != FormatUnknown && len(m.Errors) == 0 }

// Expired reports whether the expiry date is before today (a document is
// valid through its expiry day). ok is false when the expiry date is not
// a valid date.
func (m *MRZ) Expired(today time.Time) (expired, ok bool) {
	if !m.ExpiryDate.Complete() {
		return false, false
	}
	return dateBefore(m.ExpiryDate.Year, m.ExpiryDate.Month, m.ExpiryDate.Day,
		today.Year(), int(today.Month()), today.Day()), true
}
