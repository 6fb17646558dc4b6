package mrz

import (
	"errors"
	"strings"
)

// Rules a zone can break. Every FieldError wraps exactly one of them, so
// callers can decide with errors.Is without parsing messages.
var (
	// ErrGeometry: the input is not 3x30, 2x36 or 2x44 characters, so no
	// format can be recognised (ICAO 9303 Parts 4-7, "MRZ structure").
	ErrGeometry = errors.New("mrz: unrecognised zone geometry")
	// ErrCharset: a character outside A-Z 0-9 < (ICAO 9303 Part 3, MRZ character set).
	ErrCharset = errors.New("mrz: character outside the MRZ character set")
	// ErrCheckDigit: a check digit does not match its data (Part 3 §4.9).
	ErrCheckDigit = errors.New("mrz: check digit mismatch")
	// ErrDate: a date that is malformed or does not exist (ICAO 9303 Part 3, dates).
	ErrDate = errors.New("mrz: invalid date")
	// ErrField: a field whose content breaks its rule (document code,
	// state code, name, sex, document number layout).
	ErrField = errors.New("mrz: invalid field")
	// ErrOptions: the Options passed to the parser are unusable.
	ErrOptions = errors.New("mrz: invalid options")
)

// Field names a data element of the zone. The values are the keys used by
// `egatectl mrz --json`, so an error can be matched to the field it is about.
type Field string

// Fields of a machine readable zone.
const (
	FieldInput          Field = "input" // the zone as a whole (geometry)
	FieldOptions        Field = "options"
	FieldDocumentCode   Field = "document_code"
	FieldIssuingState   Field = "issuing_state"
	FieldName           Field = "name"
	FieldDocumentNumber Field = "document_number"
	FieldNationality    Field = "nationality"
	FieldBirthDate      Field = "birth_date"
	FieldSex            Field = "sex"
	FieldExpiryDate     Field = "expiry_date"
	FieldOptionalData   Field = "optional_data"   // TD2, TD3 (personal number), MRV-A, MRV-B
	FieldOptionalData1  Field = "optional_data_1" // TD1 line 1
	FieldOptionalData2  Field = "optional_data_2" // TD1 line 2
	FieldComposite      Field = "composite"
)

// FieldError is one broken rule: which field, and what is wrong with it.
// Messages never quote the content of a field (the zone is personal data);
// they give positions, offending characters and rule references instead.
type FieldError struct {
	Field   Field
	Message string
	Rule    error // one of the Err* sentinels
}

func (e FieldError) Error() string { return "mrz: " + string(e.Field) + ": " + e.Message }

// Unwrap returns the rule, so errors.Is(err, ErrCheckDigit) works.
func (e FieldError) Unwrap() error { return e.Rule }

// Errors is every rule a zone breaks, in zone order. Parse returns it as
// its error value when the zone is not valid.
type Errors []FieldError

func (e Errors) Error() string {
	switch len(e) {
	case 0:
		return "mrz: no errors"
	case 1:
		return e[0].Error()
	}
	var b strings.Builder
	b.WriteString("mrz: ")
	for i, fe := range e {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(string(fe.Field))
		b.WriteString(": ")
		b.WriteString(fe.Message)
	}
	return b.String()
}

// Unwrap exposes each FieldError to errors.Is and errors.As.
func (e Errors) Unwrap() []error {
	out := make([]error, len(e))
	for i, fe := range e {
		out[i] = fe
	}
	return out
}

// Has reports whether any error is about field f.
func (e Errors) Has(f Field) bool {
	for _, fe := range e {
		if fe.Field == f {
			return true
		}
	}
	return false
}
