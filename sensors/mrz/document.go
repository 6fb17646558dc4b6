package mrz

import (
	"time"

	"github.com/egate/egate/sensors"
)

// Document returns the zone as the gate sees a travel document: the
// printed fields of sensors.Document, filled as far as the zone allows
// (also for an invalid zone), with MRZValid set only when the zone is
// well formed and every check digit holds (Valid). Dates are midnight UTC
// and zero when not wholly known (a birth date with unknown parts, an
// invalid date). Sex is "M", "F" or "X" (unspecified), "" when invalid.
// Chip is nil: the chip is read elsewhere. The result is personal data:
// never log it.
func (m *MRZ) Document() sensors.Document {
	if m == nil {
		return sensors.Document{}
	}
	d := sensors.Document{
		Type:         m.DocumentCode,
		IssuingState: m.IssuingState,
		Number:       m.DocumentNumber,
		Nationality:  m.Nationality,
		Surname:      m.PrimaryIdentifier,
		GivenNames:   m.SecondaryIdentifier,
		Sex:          m.Sex.String(),
		MRZValid:     m.Valid(),
	}
	d.BirthDate, _ = m.BirthDate.Time(time.UTC)
	d.ExpiryDate, _ = m.ExpiryDate.Time(time.UTC)
	return d
}

// YYMMDD formats t as an MRZ date (ICAO 9303 Part 3, dates): "740812".
// The zero time gives "<<<<<<", a wholly unknown date (valid only as a
// date of birth).
func YYMMDD(t time.Time) string {
	if t.IsZero() {
		return "<<<<<<"
	}
	return t.Format("060102")
}

// FieldsOf returns the Fields that Build turns into a zone of format f
// carrying the printed data of d: what the simulated lane needs to send a
// scenario's document through a reader and the parser. Names are given in
// MRZ form already (A-Z, words separated by spaces); nothing is
// transliterated.
func FieldsOf(d sensors.Document, f Format) Fields {
	return Fields{
		Format:         f,
		DocumentCode:   d.Type,
		IssuingState:   d.IssuingState,
		Surname:        d.Surname,
		GivenNames:     d.GivenNames,
		DocumentNumber: d.Number,
		Nationality:    d.Nationality,
		BirthDate:      YYMMDD(d.BirthDate),
		Sex:            d.Sex,
		ExpiryDate:     YYMMDD(d.ExpiryDate),
	}
}
