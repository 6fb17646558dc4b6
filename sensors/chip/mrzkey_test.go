package chip_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/egate/egate/sensors/chip"
)

func TestMRZKey(t *testing.T) {
	for _, tc := range []struct {
		name string
		key  chip.MRZKey
		info string
		err  bool
	}{
		// ICAO 9303 Part 11 Appendix D.2.
		{"fields", chip.MRZKey{DocumentNumber: "L898902C", DateOfBirth: "690806", DateOfExpiry: "940623"}, "L898902C<369080619406236", false},
		{"information", chip.MRZKey{Information: "L898902C<369080619406236", DocumentNumber: "ignored"}, "L898902C<369080619406236", false},
		{"unknown birth date", chip.MRZKey{Information: "L898902C<3<<<<<<09406236"}, "L898902C<3<<<<<<09406236", false},
		{"information too short", chip.MRZKey{Information: "L898902C369080619406236"[:20]}, "", true},
		{"information bad date", chip.MRZKey{Information: "L898902C<36908A619406236"}, "", true},
		{"information lower case", chip.MRZKey{Information: "l898902c<369080619406236"}, "", true},
		{"empty", chip.MRZKey{}, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			info, err := tc.key.Info()
			if tc.err {
				if !errors.Is(err, chip.ErrBadKey) {
					t.Fatalf("err = %v, want ErrBadKey", err)
				}
				return
			}
			if err != nil || info != tc.info {
				t.Fatalf("Info = %q, %v; want %q", info, err, tc.info)
			}
			for _, s := range []string{fmt.Sprint(tc.key), fmt.Sprintf("%#v", tc.key), fmt.Sprintf("%+v", tc.key)} {
				if strings.Contains(s, "L898") {
					t.Fatalf("key printed: %s", s)
				}
			}
		})
	}
}

// FuzzMRZKeyInformation: Info never panics, and accepts only what it
// returns unchanged, in the MRZ character set.
func FuzzMRZKeyInformation(f *testing.F) {
	for _, s := range []string{"L898902C<369080619406236", "L898902C<3<<<<<<09406236", "D23145890734934071279507122", "", "<<<<<<<<<<<<<<<<<<<<<<<<", "L898902C<36908061940623A"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		info, err := chip.MRZKey{Information: s}.Info()
		if err != nil {
			if !errors.Is(err, chip.ErrBadKey) {
				t.Fatalf("error %v does not wrap ErrBadKey", err)
			}
			return
		}
		if info != s || len(info) < 24 {
			t.Fatalf("accepted %q as %q", s, info)
		}
		for i := 0; i < len(info); i++ {
			if c := info[i]; !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c == '<') {
				t.Fatalf("accepted %q with %q", s, c)
			}
		}
	})
}
