package bac_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/egate/egate/sensors/chip"
	"github.com/egate/egate/sensors/chip/bac"
	"github.com/egate/egate/sensors/chip/chiptest"
	"github.com/egate/egate/sensors/chip/internal/icaovec"
)

// icaoKey is the Appendix D specimen: L898902C<, born 690806, expires 940623.
var icaoKey = chip.MRZKey{DocumentNumber: "L898902C", DateOfBirth: "690806", DateOfExpiry: "940623"}

func TestKeySeedAppendixD(t *testing.T) {
	v := icaovec.Load(t)
	info, err := icaoKey.Info()
	if err != nil {
		t.Fatal(err)
	}
	if info != v.Str(t, "bac_icao_p11_D.mrz_information") {
		t.Fatalf("MRZ information mismatch")
	}
	seed, _ := bac.KeySeed(icaoKey)
	if !bytes.Equal(seed, v.Hex(t, "bac_icao_p11_D.k_seed")) {
		t.Fatalf("K_seed = %X", seed)
	}
	// 12-character document number (TD1 extended form).
	long := chip.MRZKey{DocumentNumber: "D23145890734", DateOfBirth: "340712", DateOfExpiry: "950712"}
	seed, _ = bac.KeySeed(long)
	if !bytes.Equal(seed, v.Hex(t, "bac_icao_p11_D.k_seed_stevenson_td1_td2_extended_docnum")) {
		t.Fatalf("extended K_seed = %X", seed)
	}
}

func TestKeyRedacted(t *testing.T) {
	for _, s := range []string{icaoKey.String(), icaoKey.GoString()} {
		if bytes.Contains([]byte(s), []byte("L898902C")) {
			t.Fatal("MRZKey prints the document number")
		}
	}
}

func TestBadKeys(t *testing.T) {
	for _, k := range []chip.MRZKey{
		{DocumentNumber: "", DateOfBirth: "690806", DateOfExpiry: "940623"},
		{DocumentNumber: "L89-8902C", DateOfBirth: "690806", DateOfExpiry: "940623"},
		{DocumentNumber: "L898902C", DateOfBirth: "69086", DateOfExpiry: "940623"},
		{DocumentNumber: "L898902C", DateOfBirth: "690806", DateOfExpiry: "94O623"},
	} {
		if _, err := bac.DeriveKeys(k); !errors.Is(err, chip.ErrBadKey) {
			t.Errorf("DeriveKeys accepted a bad key: %v", err)
		}
	}
}

// TestAuthenticateAppendixD replays the Appendix D.3 exchange and checks the
// session keys and SSC that follow.
func TestAuthenticateAppendixD(t *testing.T) {
	v := icaovec.Load(t)
	const p = "bac_icao_p11_D."
	pb := &chiptest.Playback{Ops: []chiptest.IO{
		{W: v.Hex(t, p+"get_challenge_capdu"), R: append(v.Hex(t, p+"rnd_ic"), 0x90, 0x00)},
		{W: v.Hex(t, p+"external_authenticate_capdu"), R: v.Hex(t, p+"external_authenticate_rapdu")},
	}}
	rnd := bytes.NewReader(append(v.Hex(t, p+"rnd_ifd"), v.Hex(t, p+"k_ifd")...))
	s, err := bac.Authenticate(context.Background(), pb, icaoKey, rnd)
	if err != nil {
		t.Fatal(err)
	}
	if err := pb.Close(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(s.SSC(), v.Hex(t, p+"ssc")) {
		t.Fatalf("SSC = %X", s.SSC())
	}
	// The session's keys are checked by protecting the D.4 SELECT.
	cmd, _ := chip.ParseCommand(v.Hex(t, "secure_messaging_3des_icao_p11_D4.0.unprotected_capdu"))
	pc, err := s.ProtectCommand(cmd)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := pc.Bytes()
	if !bytes.Equal(raw, v.Hex(t, "secure_messaging_3des_icao_p11_D4.0.protected_capdu")) {
		t.Fatalf("protected SELECT = %X", raw)
	}
}

func TestRespondAppendixD(t *testing.T) {
	v := icaovec.Load(t)
	const p = "bac_icao_p11_D."
	keys, _ := bac.DeriveKeys(icaoKey)
	cmd, _ := chip.ParseCommand(v.Hex(t, p+"external_authenticate_capdu"))
	resp, s, err := bac.Respond(keys, v.Hex(t, p+"rnd_ic"), cmd.Data, v.Hex(t, p+"k_icc"))
	if err != nil {
		t.Fatal(err)
	}
	want := v.Hex(t, p+"external_authenticate_rapdu")
	if !bytes.Equal(resp, want[:len(want)-2]) {
		t.Fatalf("chip answer = %X", resp)
	}
	if !bytes.Equal(s.SSC(), v.Hex(t, p+"ssc")) {
		t.Fatalf("chip SSC = %X", s.SSC())
	}
}

func TestWrongKeyAndBadAnswers(t *testing.T) {
	v := icaovec.Load(t)
	const p = "bac_icao_p11_D."
	rndBytes := append(v.Hex(t, p+"rnd_ifd"), v.Hex(t, p+"k_ifd")...)
	good := v.Hex(t, p+"external_authenticate_rapdu")
	flipped := append([]byte{}, good...)
	flipped[5] ^= 0x01
	cases := []struct {
		name string
		r    []byte
		want error
	}{
		{"chip refuses (wrong MRZ)", []byte{0x69, 0x82}, bac.ErrAuth},
		{"chip refuses with 6300", []byte{0x63, 0x00}, bac.ErrAuth},
		{"chip refuses with 6988 (vsmartcard-vpicc)", []byte{0x69, 0x88}, bac.ErrAuth},
		{"bad M_IC", flipped, bac.ErrAuth},
		{"short answer", append(good[:20:20], 0x90, 0x00), bac.ErrAuth},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pb := &chiptest.Playback{Ops: []chiptest.IO{
				{W: v.Hex(t, p+"get_challenge_capdu"), R: append(v.Hex(t, p+"rnd_ic"), 0x90, 0x00)},
				{W: v.Hex(t, p+"external_authenticate_capdu"), R: tc.r},
			}}
			_, err := bac.Authenticate(context.Background(), pb, icaoKey, bytes.NewReader(rndBytes))
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
	// A different MRZ key on the chip side is refused by Respond.
	other, _ := bac.DeriveKeys(chip.MRZKey{DocumentNumber: "X1234567", DateOfBirth: "690806", DateOfExpiry: "940623"})
	cmd, _ := chip.ParseCommand(v.Hex(t, p+"external_authenticate_capdu"))
	if _, _, err := bac.Respond(other, v.Hex(t, p+"rnd_ic"), cmd.Data, v.Hex(t, p+"k_icc")); !errors.Is(err, bac.ErrAuth) {
		t.Fatalf("Respond with wrong key: %v", err)
	}
}
