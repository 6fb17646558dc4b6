package mrz

import (
	"fmt"
	"strings"
)

// Key returns MRZ_information, the input of the BAC key seed and the PACE
// MRZ password (ICAO 9303 Part 11 §9.7, key derivation from the MRZ):
//
//	document number || check digit || date of birth || check digit || date of expiry || check digit
//
// The document number is the nine-character field with its fillers
// ("L898902C<"), or for a long TD1/TD2 number the whole number without
// the overflow filler followed by the check digit printed after it in the
// optional data ("D23145890734" + "9"). Key needs only those three check
// digits to hold: the chip was personalised from the same printed values,
// whatever else is wrong with the zone. The result is a secret: never log
// it.
func (m *MRZ) Key() (string, error) {
	if m == nil || m.Format == FormatUnknown {
		return "", fmt.Errorf("mrz: key: no zone: %w", ErrGeometry)
	}
	var failed []string
	m.Checks.Each(func(f Field, c Check) {
		if (f == FieldDocumentNumber || f == FieldBirthDate || f == FieldExpiryDate) && c != CheckPass {
			failed = append(failed, string(f))
		}
	})
	if len(failed) > 0 {
		return "", fmt.Errorf("mrz: key: check digit of %s does not hold: %w", strings.Join(failed, ", "), ErrCheckDigit)
	}
	l := layouts[m.Format]
	line := func(s span) string { return m.Lines[s.line][s.start:s.end] }
	return m.keyNumber + string(m.keyDigit) +
		line(l.birth) + line(l.birthCD) +
		line(l.expiry) + line(l.expiryCD), nil
}

// KeyFromFields builds MRZ_information from a document number and the
// two dates as YYMMDD, computing the check digits, for keys typed in by
// hand. A number shorter than nine characters is padded with fillers; a
// longer one is used whole, its check digit computed without a filler.
func KeyFromFields(documentNumber, birthYYMMDD, expiryYYMMDD string) (string, error) {
	if documentNumber == "" {
		return "", fmt.Errorf("mrz: key: empty document number: %w", ErrField)
	}
	if len(documentNumber) < 9 {
		documentNumber += strings.Repeat("<", 9-len(documentNumber))
	}
	var b strings.Builder
	for _, f := range []struct {
		name, v string
		n       int
	}{{"document number", documentNumber, 0}, {"date of birth", birthYYMMDD, 6}, {"date of expiry", expiryYYMMDD, 6}} {
		if f.n != 0 && len(f.v) != f.n {
			return "", fmt.Errorf("mrz: key: %s is not YYMMDD: %w", f.name, ErrDate)
		}
		d, err := CheckDigit(f.v)
		if err != nil {
			return "", fmt.Errorf("mrz: key: %s: %w", f.name, err)
		}
		b.WriteString(f.v)
		b.WriteByte(d)
	}
	return b.String(), nil
}
