package mrz

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary text to ParseText under every option mix and
// checks the invariants: no panic; a nil result only for a geometry
// error; a valid zone has every applicable check passing, a working Key
// and parses again to the same result; lines keep the format's geometry.
func FuzzParse(f *testing.F) {
	for _, tc := range parseCases {
		f.Add(tc.in, uint8(0))
		f.Add(tc.in, uint8(3))
	}
	f.Add("", uint8(1))
	f.Add(strings.Repeat("<", 88), uint8(2))
	f.Add(strings.Repeat("0", 90), uint8(2))
	f.Fuzz(func(t *testing.T, text string, flags uint8) {
		o := &Options{Today: today, FoldCase: flags&1 != 0, RepairOCR: flags&2 != 0}
		m, err := ParseText(text, o)
		if m == nil {
			if !errors.Is(err, ErrGeometry) {
				t.Fatalf("nil MRZ with error %v, want ErrGeometry", err)
			}
			return
		}
		if len(m.Lines) != m.Format.Lines() {
			t.Fatalf("%v with %d lines", m.Format, len(m.Lines))
		}
		for _, l := range m.Lines {
			if len(l) != m.Format.LineLength() {
				t.Fatalf("%v line of %d characters", m.Format, len(l))
			}
		}
		if (err == nil) != m.Valid() || (err == nil) != (len(m.Errors) == 0) {
			t.Fatalf("err %v disagrees with Valid %v / Errors %v", err, m.Valid(), m.Errors)
		}
		for _, fe := range m.Errors {
			if fe.Message == "" || fe.Rule == nil || fe.Field == "" {
				t.Fatalf("incomplete error %+v", fe)
			}
		}
		if !o.RepairOCR && len(m.Repairs) > 0 {
			t.Fatalf("repairs %v without RepairOCR", m.Repairs)
		}
		failed := false
		m.Checks.Each(func(_ Field, c Check) { failed = failed || c == CheckFail })
		if failed && m.Valid() {
			t.Fatalf("valid zone with a failed check: %+v", m.Checks)
		}
		if (m.Checks.Composite == CheckNone) != (m.Format == MRVA || m.Format == MRVB) {
			t.Fatalf("%v: composite check %v", m.Format, m.Checks.Composite)
		}
		if !m.Valid() {
			return
		}
		for _, c := range []Check{m.Checks.DocumentNumber, m.Checks.BirthDate, m.Checks.ExpiryDate} {
			if c != CheckPass {
				t.Fatalf("valid zone with checks %+v", m.Checks)
			}
		}
		if _, err := m.Key(); err != nil {
			t.Fatalf("valid zone, Key: %v", err)
		}
		if m.ExpiryDate.ISO() == "" || m.Sex == 0 || m.DocumentNumber == "" || m.PrimaryIdentifier == "" {
			t.Fatalf("valid zone with empty fields: %+v", m)
		}
		// Round trip: the parsed lines are a clean zone that parses the same
		// without folding or repair.
		again, err := Parse(m.Lines, &Options{Today: today})
		if err != nil {
			t.Fatalf("reparse of a valid zone: %v", err)
		}
		again.Notes, again.Repairs = m.Notes, m.Repairs
		if !reflect.DeepEqual(again, m) {
			t.Fatalf("reparse differs:\n%+v\n%+v", again, m)
		}
	})
}
