package mrz

import (
	"errors"
	"fmt"
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

// FuzzBuildRoundTrip builds zones from arbitrary values, mapped onto each
// field's character set and size, and checks the round trip: Build gives a
// zone that parses valid to the same Fields, and Build of those gives the
// same lines; with check digits corrupted on purpose, exactly those checks
// fail.
func FuzzBuildRoundTrip(f *testing.F) {
	f.Add(uint8(2), "L898902C3", "ERIKSSON", "ANNA MARIA", "UTOUTO", uint32(740812), uint32(120415), "ZE184226B", "", uint16(0), uint8(0))
	f.Add(uint8(0), "D23145890734", "STEVENSON", "PETER JOHN", "UTOUTO", uint32(340712), uint32(950712), "", "", uint16(1), uint8(0))
	f.Add(uint8(0), "000590240601", "DUPONT", "MARIE", "BELBEL", uint32(800101), uint32(300101), "ABC12", "XYZ", uint16(0x40), uint8(0))
	f.Add(uint8(1), "D23145890734", "ERIKSSON", "ANNA", "UTOUTO", uint32(740812), uint32(120415), "", "", uint16(0x2f), uint8(0x1f))
	f.Add(uint8(3), "L8988901C", "ERIKSSON", "ANNA MARIA", "UTOXXX", uint32(400907), uint32(961210), "6ZE184226B", "", uint16(0x100), uint8(3))
	f.Add(uint8(4), "L8988901C", "SCHWARZENEGGER", "ARNOLD ALOIS MAXIMILIAN", "DXXA", uint32(5601), uint32(310805), "", "", uint16(0x380), uint8(0x10))
	f.Fuzz(func(t *testing.T, format uint8, number, surname, given, states string, birth, expiry uint32, opt1, opt2 string, flags uint16, corrupt uint8) {
		in, want := fuzzFields(format, number, surname, given, states, birth, expiry, opt1, opt2, flags)
		var wantErrs []Field
		for i, c := range []Field{FieldDocumentNumber, FieldBirthDate, FieldExpiryDate, FieldOptionalData, FieldComposite} {
			has := c != FieldOptionalData || in.Format == TD3
			if c == FieldComposite {
				has = in.Format != MRVA && in.Format != MRVB
			}
			if corrupt&(1<<i) != 0 && has {
				in.Corrupt = append(in.Corrupt, c)
				wantErrs = append(wantErrs, c)
			}
		}
		lines, err := Build(in)
		if err != nil {
			// Sizes are capped below; only a name may not fit.
			if in.TruncateName || !errors.Is(err, ErrField) || fieldsOf(err.(Errors)) != "name" {
				t.Fatalf("Build: %v", err)
			}
			return
		}
		if len(lines) != in.Format.Lines() {
			t.Fatalf("%d lines for %v", len(lines), in.Format)
		}
		m, err := Parse(lines, &Options{Today: today})
		if m == nil || m.Format != in.Format {
			t.Fatalf("parse: %v", err)
		}
		if len(wantErrs) > 0 {
			var got []Field
			for _, e := range m.Errors {
				got = append(got, e.Field)
				if !errors.Is(e, ErrCheckDigit) {
					t.Fatalf("corrupted %v: error %v is not a check digit error", wantErrs, e)
				}
			}
			if !reflect.DeepEqual(got, wantErrs) {
				t.Fatalf("corrupted %v, errors on %v", wantErrs, got)
			}
			return
		}
		if err != nil {
			t.Fatalf("built zone does not parse valid: %v", err)
		}
		long := len(in.DocumentNumber) > 9
		switch l := m.LongNumber; {
		case !long && l != NotLong,
			long && in.LongNumberWithFiller && l != LongWithFiller && l != LongBoth,
			long && !in.LongNumberWithFiller && l != LongWithoutFiller && l != LongBoth:
			t.Fatalf("long number %v built with filler %v", l, in.LongNumberWithFiller)
		}
		got := m.Fields()
		if !in.TruncateName {
			want.LongNumberWithFiller = got.LongNumberWithFiller
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("Fields() =\n%+v\nwant\n%+v", got, want)
			}
		}
		again, err := Build(got)
		if err != nil || !reflect.DeepEqual(again, lines) {
			t.Fatalf("Build(Fields()) = %q, %v; want %q", again, err, lines)
		}
	})
}

// fuzzFields maps arbitrary values onto Fields Build accepts (except for
// name length), and the Fields the parser should give back.
func fuzzFields(format uint8, number, surname, given, states string, birth, expiry uint32, opt1, opt2 string, flags uint16) (in, want Fields) {
	const alnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	mapTo := func(s, set string, n int) string {
		b := make([]byte, 0, min(len(s), n))
		for i := 0; i < len(s) && len(b) < n; i++ {
			b = append(b, set[int(s[i])%len(set)])
		}
		return string(b)
	}
	f := Format(format%5) + TD1
	in.Format = f
	visa := f == MRVA || f == MRVB
	second := "<ABP"[flags&3 : flags&3+1]
	switch {
	case visa:
		in.DocumentCode = "V" + second
	case f == TD3:
		in.DocumentCode = "P" + second
	default:
		in.DocumentCode = "ICA"[int(flags>>2)%3:int(flags>>2)%3+1] + second
	}
	st := mapTo(states, alnum[10:], 6)
	in.IssuingState, in.Nationality = "UTO", "D"
	if len(st) >= 1 {
		in.IssuingState = st[:min(3, len(st))]
	}
	if len(st) >= 4 {
		in.Nationality = st[3:]
	}
	in.Surname = strings.TrimSpace(mapTo(surname, alnum[10:]+" ", 40))
	if strings.TrimSpace(in.Surname) == "" {
		in.Surname = "X"
	}
	in.GivenNames = mapTo(given, alnum[10:]+" ", 40)
	in.TruncateName = flags&0x200 != 0

	maxNum := 9
	switch f {
	case TD1:
		maxNum = 9 + 15 - 1
	case TD2:
		maxNum = 9 + 7 - 1
	}
	in.DocumentNumber = mapTo(number, alnum, maxNum)
	if in.DocumentNumber == "" {
		in.DocumentNumber = "0"
	}
	long := len(in.DocumentNumber) > 9
	in.LongNumberWithFiller = long && flags&0x40 != 0

	date := func(n uint32) string {
		return fmt.Sprintf("%02d%02d%02d", n%100, (n/100)%12+1, (n/10000)%28+1)
	}
	in.BirthDate, in.ExpiryDate = date(birth), date(expiry)
	switch (flags >> 4) & 3 {
	case 1:
		in.BirthDate = in.BirthDate[:4] + "<<"
	case 2:
		in.BirthDate = in.BirthDate[:2] + "<<<<"
	case 3:
		if flags&0x400 != 0 {
			in.BirthDate = "<<<<<<"
		}
	}
	in.Sex = []string{"M", "F", "X", "<", ""}[int(flags>>7)%5]

	// Optional data: capped to what is left of its field; never leading <
	// after a long number (read as part of the separator).
	lay := layouts[f]
	room := lay.opt.len()
	if long {
		room -= len(in.DocumentNumber) - 9 + 2
	}
	o1 := mapTo(opt1, alnum+"<", max(room, 0))
	if long {
		o1 = strings.TrimLeft(o1, "<")
	}
	if f == TD1 {
		in.OptionalData1 = o1
		in.OptionalData2 = mapTo(opt2, alnum+"<", lay.opt2.len())
	} else {
		in.OptionalData = o1
	}
	in.FillerCheck = flags&0x800 != 0

	want = in
	want.TruncateName = false
	want.DocumentCode = strings.TrimRight(in.DocumentCode, "<")
	want.Surname = words(strings.ReplaceAll(in.Surname, " ", "<"))
	want.GivenNames = words(strings.ReplaceAll(in.GivenNames, " ", "<"))
	want.OptionalData = strings.TrimRight(in.OptionalData, "<")
	want.OptionalData1 = strings.TrimRight(in.OptionalData1, "<")
	want.OptionalData2 = strings.TrimRight(in.OptionalData2, "<")
	if want.Sex == "<" {
		want.Sex = ""
	}
	want.FillerCheck = in.FillerCheck && f == TD3 && want.OptionalData == ""
	return in, want
}
