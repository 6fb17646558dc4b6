package mrz

import (
	"reflect"
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	l1, l2 := "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10"
	for _, tc := range []struct {
		name      string
		in        string
		fold      bool
		want      []string
		wantNotes []string
	}{
		{"clean", l1 + "\n" + l2, false, []string{l1, l2}, nil},
		{"trailing newline is no change", l1 + "\n" + l2 + "\n", false, []string{l1, l2}, nil},
		{"CRLF", l1 + "\r\n" + l2 + "\r\n", false, []string{l1, l2}, nil},
		{"tabs and spaces", "\t" + l1 + "  \n " + l2, false, []string{l1, l2}, []string{"trimmed"}},
		{"blank line inside", l1 + "\n\n" + l2, false, []string{l1, l2}, []string{"blank_lines"}},
		{"no separator", l1 + l2, false, []string{l1, l2}, []string{"split"}},
		{"lower case kept", strings.ToLower(l1) + "\n" + l2, false, []string{strings.ToLower(l1), l2}, nil},
		{"lower case folded", strings.ToLower(l1) + "\n" + l2, true, []string{l1, l2}, []string{"folded_case"}},
		{"non-ASCII", "ü" + l1[1:] + "\n" + l2, false, []string{"?" + l1[1:], l2}, []string{"non_ascii"}},
		{"odd length is left alone", l1 + l2[:43], false, []string{l1 + l2[:43]}, nil},
		{"nothing", " \r\n\t", false, nil, []string{"trimmed"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, notes := Normalize(tc.in, &Options{FoldCase: tc.fold})
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("lines = %q, want %q", got, tc.want)
			}
			var codes []string
			for _, n := range notes {
				codes = append(codes, n.Code)
				if n.Message == "" {
					t.Errorf("note %q without message", n.Code)
				}
			}
			if !reflect.DeepEqual(codes, tc.wantNotes) {
				t.Errorf("notes = %v, want %v", codes, tc.wantNotes)
			}
		})
	}
}

func TestFormatAndNames(t *testing.T) {
	for f, want := range map[Format][3]any{
		TD1: {"TD1", 3, 30}, TD2: {"TD2", 2, 36}, TD3: {"TD3", 2, 44},
		MRVA: {"MRVA", 2, 44}, MRVB: {"MRVB", 2, 36}, FormatUnknown: {"unknown", 0, 0},
	} {
		if got := [3]any{f.String(), f.Lines(), f.LineLength()}; got != want {
			t.Errorf("%d: %v, want %v", f, got, want)
		}
	}
	for code, want := range map[string]bool{"D": true, "D<<": true, "UTO": true, "XXA": true, "XXB": true,
		"XXC": true, "XXX": true, "EUE": true, "GBR": true, "DEU": true, "ZZZ": false, "": false} {
		if KnownState(code) != want {
			t.Errorf("KnownState(%q) = %v", code, !want)
		}
	}
	eq(t, "LongBoth", LongBoth.String(), "both")
	eq(t, "CheckPass", CheckPass.String(), "pass")
	eq(t, "Sex", SexUnspecified.String(), "X")
	eq(t, "Sex(0)", Sex(0).String(), "")
}

func TestErrorsFormatting(t *testing.T) {
	_, err := ParseText(replace(replace(specimenTD3, 2, 10, '5'), 2, 21, 'Q'), &Options{Today: today})
	s := err.Error()
	for _, want := range []string{"mrz: ", "document_number: check digit is 5", "sex: ", "composite: "} {
		if !strings.Contains(s, want) {
			t.Errorf("%q lacks %q", s, want)
		}
	}
	// Messages never quote the zone: neither the name nor the number.
	for _, secret := range []string{"ERIKSSON", "L898902C", "740812"} {
		if strings.Contains(s, secret) {
			t.Errorf("error message leaks %q: %s", secret, s)
		}
	}
	errs := err.(Errors)
	if !errs.Has(FieldSex) || errs.Has(FieldName) {
		t.Error("Has is wrong")
	}
	eq(t, "empty", Errors(nil).Error(), "mrz: no errors")
}
