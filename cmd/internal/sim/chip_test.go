package sim

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/egate/egate/sensors"
	"github.com/egate/egate/sensors/chip/chiptest"
	"github.com/egate/egate/sensors/docreader"
	"github.com/egate/egate/sensors/mrz"
)

// TestSimulatedChips issues passports with each failure the scenarios may
// ask for and reads them through the real document reader on the antenna:
// the failure must show in exactly the checks it names, and the access
// protocols must rotate.
func TestSimulatedChips(t *testing.T) {
	chips, err := NewChips([]string{"UTO", "NLD"})
	if err != nil {
		t.Fatal(err)
	}
	antenna := NewAntenna()
	zones := make(chan docreader.Zone)
	o := docreader.DefaultOpts
	o.Chip = func() (docreader.ChipReader, error) { return antenna, nil }
	o.Trust, o.CountryAliases = chips.Trust(), chips.Aliases()
	o.CardWait = 300 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dr, err := docreader.New(ctx, zones, &o)
	if err != nil {
		t.Fatal(err)
	}
	defer dr.Halt()
	face, _ := chiptest.FaceJPEG(120, 160, 3)

	read := func(state string, fail []string, place bool) sensors.DocumentRead {
		t.Helper()
		lines, err := mrz.Build(mrz.Fields{Format: mrz.TD3, IssuingState: state, Surname: "ERIKSSON", GivenNames: "ANNA",
			DocumentNumber: "L898902C3", Nationality: state, BirthDate: "740812", Sex: "F", ExpiryDate: "310415"})
		if err != nil {
			t.Fatal(err)
		}
		if place {
			p, err := chips.Issue(state, strings.Join(lines, ""), face, fail)
			if err != nil {
				t.Fatal(err)
			}
			antenna.Place(p)
		}
		zones <- docreader.ZoneOf(mrz.Parse(lines, nil))
		select {
		case r := <-dr.Documents():
			return r
		case <-ctx.Done():
			t.Fatal("no document read")
		}
		return sensors.DocumentRead{}
	}

	access := map[string]bool{}
	for _, tc := range []struct {
		state  string
		fail   []string
		failed []string
	}{
		{"UTO", nil, nil},
		{"NLD", nil, nil},
		{"UTO", nil, nil},
		{"UTO", nil, nil},
		{"UTO", []string{"passive_auth"}, []string{"passive_auth", "ds_signature"}},
		{"UTO", []string{"dg_hashes"}, []string{"passive_auth", "dg_hashes"}},
		{"UTO", []string{"chip_auth"}, []string{"chip_auth"}},
		{"UTO", []string{"active_auth"}, []string{"active_auth"}},
	} {
		r := read(tc.state, tc.fail, true)
		if r.Err != nil || r.Doc.Chip == nil {
			t.Fatalf("%v: read %+v", tc.fail, r)
		}
		access[r.Doc.Chip.Access] = true
		if string(r.Doc.Chip.Portrait) != string(face) {
			t.Fatalf("%v: portrait not carried", tc.fail)
		}
		for k, ok := range r.Doc.Chip.Checks {
			want := true
			for _, f := range tc.failed {
				want = want && f != k
			}
			if k == "country_vs_ds" && len(tc.fail) > 0 && tc.fail[0] == "passive_auth" {
				want = false // the forger's signer is from another country
			}
			if ok != want {
				t.Errorf("%v: check %s = %v", tc.fail, k, ok)
			}
		}
		for _, k := range append([]string{"passive_auth", "chip_auth", "active_auth"}, tc.failed...) {
			if _, ran := r.Doc.Chip.Checks[k]; !ran {
				t.Errorf("%v: check %s did not run", tc.fail, k)
			}
		}
	}
	if !access["PACE"] || !access["BAC"] {
		t.Errorf("access protocols %v", access)
	}
	// No passport on the antenna: the document goes on without a chip read,
	// and a passport read before is not read again.
	if r := read("UTO", nil, false); r.Err != nil || r.Doc.Chip != nil {
		t.Fatalf("no passport: %+v", r)
	}
	if _, err := chips.Issue("UTO", "", face, []string{"fingerprints"}); !errors.Is(err, ErrScenario) {
		t.Fatalf("unknown failure: %v", err)
	}
}
