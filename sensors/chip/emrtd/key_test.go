package emrtd_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/egate/egate/sensors/chip"
	"github.com/egate/egate/sensors/chip/chiptest"
	"github.com/egate/egate/sensors/chip/emrtd"
	"github.com/egate/egate/sensors/chip/pa"
	"github.com/egate/egate/sensors/mrz"
)

// noSecrets fails if err's text carries the document number, the dates or
// the zone of doc.
func noSecrets(t *testing.T, err error, doc *chiptest.Document) {
	t.Helper()
	msg := err.Error()
	for _, s := range []string{doc.Key.DocumentNumber, doc.Key.DateOfBirth, doc.Key.DateOfExpiry, doc.MRZ[:20], doc.MRZ[44:60]} {
		if s != "" && strings.Contains(msg, s) {
			t.Fatalf("error %q carries personal data", msg)
		}
	}
}

func TestKeyFromMRZ(t *testing.T) {
	for _, tc := range []struct {
		name  string
		zone  string
		info  string
		wantE error
	}{
		// ICAO 9303 Part 4 specimen (number L898902C3, check digit 6).
		{"TD3 specimen", "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10", "L898902C3674081221204159", nil},
		// ICAO 9303 Part 5 long document number: the check digit follows
		// the overflow in the optional data.
		{"TD1 long number", "I<UTOD23145890<7349<<<<<<<<<<<\n3407127M9507122UTO<<<<<<<<<<<2\nSTEVENSON<<PETER<JOHN<<<<<<<<<", "D23145890734934071279507122", nil},
		{"bad birth check digit", "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408121F1204159ZE184226B<<<<<10", "", mrz.ErrCheckDigit},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, _ := mrz.ParseText(tc.zone, nil)
			k, err := emrtd.KeyFromMRZ(m)
			if tc.wantE != nil {
				if !errors.Is(err, tc.wantE) || !errors.Is(err, chip.ErrBadKey) {
					t.Fatalf("err = %v, want %v and chip.ErrBadKey", err, tc.wantE)
				}
				if strings.Contains(err.Error(), "L898902C") {
					t.Fatalf("error quotes the zone: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			info, err := k.Info()
			if err != nil || info != tc.info {
				t.Fatalf("Info = %q, %v; want %q", info, err, tc.info)
			}
			if strings.Contains(k.String(), "L898") || strings.Contains(emrtd.PrintedMRZ(m), "\n") {
				t.Fatal("key printed or zone not joined")
			}
		})
	}
}

// TestChipResultNames pins the check names gate/policy and the lane
// configuration rely on.
func TestChipResultNames(t *testing.T) {
	r := &emrtd.Result{Access: "PACE-ECDH-GM-AES-128",
		PA: &pa.Report{Checks: []pa.Check{
			{Name: pa.CheckSODSignature, Status: pa.Pass}, {Name: pa.CheckDSSignature, Status: pa.Fail, Reason: "x"},
			{Name: pa.CheckDSValidity, Status: pa.Pass}, {Name: pa.CheckDSRevocation, Status: pa.NotChecked},
			{Name: pa.CheckDGHashes, Status: pa.Pass},
		}},
		CA: emrtd.Outcome{Status: pa.NotChecked},
		AA: emrtd.Outcome{Status: pa.Fail},
	}
	cr := r.ChipResult()
	want := map[string]bool{"passive_auth": false, "sod_signature": true, "ds_signature": false, "ds_validity": true, "dg_hashes": true, "active_auth": false}
	if cr.Access != "PACE" || len(cr.Checks) != len(want) {
		t.Fatalf("got %s %v, want PACE %v", cr.Access, cr.Checks, want)
	}
	for k, v := range want {
		if got, ok := cr.Checks[k]; !ok || got != v {
			t.Fatalf("Checks[%q] = %v, %v; want %v (all: %v)", k, got, ok, v, cr.Checks)
		}
	}
	if emrtd.CheckPassiveAuth != "passive_auth" || emrtd.CheckChipAuth != "chip_auth" || emrtd.CheckActiveAuth != "active_auth" {
		t.Fatal("check names changed: they are a contract with gate/policy")
	}
}
