package pace_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/egate/egate/sensors/chip"
	"github.com/egate/egate/sensors/chip/chiptest"
	"github.com/egate/egate/sensors/chip/internal/icaovec"
	"github.com/egate/egate/sensors/chip/lds"
	"github.com/egate/egate/sensors/chip/pace"
	"github.com/egate/egate/sensors/chip/sm"
	"github.com/egate/egate/sensors/chip/tlv"
)

// Appendix G specimen: T22000129, born 640812, expires 101031.
var gKey = chip.MRZKey{DocumentNumber: "T22000129", DateOfBirth: "640812", DateOfExpiry: "101031"}

func cat(bs ...[]byte) []byte {
	var out []byte
	for _, b := range bs {
		out = append(out, b...)
	}
	return out
}

func TestPasswords(t *testing.T) {
	v := icaovec.Load(t)
	pw, err := pace.MRZPassword(gKey)
	if err != nil {
		t.Fatal(err)
	}
	k, _ := pw.Key(sm.AlgAES128)
	if !bytes.Equal(k, v.Hex(t, "pace_passwords.k_pi_mrz_aes128")) {
		t.Fatalf("K_pi(MRZ) = %X", k)
	}
	can, err := pace.CANPassword("123456")
	if err != nil {
		t.Fatal(err)
	}
	k, _ = can.Key(sm.AlgAES128)
	if !bytes.Equal(k, v.Hex(t, "pace_passwords.k_pi_can_123456_aes128")) {
		t.Fatalf("K_pi(CAN) = %X", k)
	}
	for _, bad := range []chip.CAN{"", "12a456", "12345678901234567"} {
		if _, err := pace.CANPassword(bad); !errors.Is(err, chip.ErrBadKey) {
			t.Errorf("CAN %q accepted", string(bad))
		}
	}
	if s := pw.String() + can.String(); bytes.Contains([]byte(s), []byte("123456")) {
		t.Fatal("password printed")
	}
}

// TestAppendixG1 replays the ICAO 9303 Part 11 Appendix G.1 exchange
// (ECDH generic mapping on brainpoolP256r1, AES-128) from the terminal side.
func TestAppendixG1(t *testing.T) {
	v := icaovec.Load(t)
	const p = "pace_gm_ecdh_brainpoolp256r1_icao_p11_G1."
	infos, err := lds.ParseSecurityInfos(v.Hex(t, p+"ef_cardaccess"))
	if err != nil {
		t.Fatal(err)
	}
	if len(infos.PACE) != 1 || infos.PACE[0].ParameterID != 13 || infos.PACE[0].Version != 2 {
		t.Fatalf("PACEInfos = %+v", infos.PACE)
	}
	pb := &chiptest.Playback{Ops: []chiptest.IO{
		{W: v.Hex(t, p+"mse_set_at_capdu_dmrtd"), R: []byte{0x90, 0}},
		{W: v.Hex(t, p+"apdus.ga1_capdu"), R: v.Hex(t, p+"apdus.ga1_rapdu")},
		{W: v.Hex(t, p+"apdus.ga2_capdu"), R: v.Hex(t, p+"apdus.ga2_rapdu")},
		{W: v.Hex(t, p+"apdus.ga3_capdu"), R: v.Hex(t, p+"apdus.ga3_rapdu")},
		{W: v.Hex(t, p+"apdus.ga4_capdu"), R: v.Hex(t, p+"apdus.ga4_rapdu")},
	}}
	pw, _ := pace.MRZPassword(gKey)
	rnd := bytes.NewReader(cat(v.Hex(t, p+"terminal_map_private"), v.Hex(t, p+"terminal_eph_private")))
	sess, res, err := pace.Establish(context.Background(), pb, infos.PACE, pw, &pace.Opts{Rand: rnd})
	if err != nil {
		t.Fatal(err)
	}
	if err := pb.Close(); err != nil {
		t.Fatal(err)
	}
	if res.Protocol.String() != "PACE-ECDH-GM-AES-128" {
		t.Fatalf("protocol %v", res.Protocol)
	}
	if !bytes.Equal(sess.SSC(), make([]byte, 16)) {
		t.Fatalf("SSC %X", sess.SSC())
	}
	// The session keys are the published ones: a chip session built from
	// them must understand the terminal's protected command.
	chipSide, _ := sm.NewSession(sm.AlgAES128, v.Hex(t, p+"ks_enc"), v.Hex(t, p+"ks_mac"), make([]byte, 16))
	pc, err := sess.ProtectCommand(chip.Command{INS: chip.InsSelect, P1: 4, P2: 0x0C, Data: chip.AIDeMRTD})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chipSide.UnprotectCommand(pc); err != nil {
		t.Fatalf("session keys differ from Appendix G: %v", err)
	}
}

// TestAppendixG1ChipSide feeds the terminal's Appendix G.1 commands to the
// chip side and expects the chip's published answers.
func TestAppendixG1ChipSide(t *testing.T) {
	v := icaovec.Load(t)
	const p = "pace_gm_ecdh_brainpoolp256r1_icao_p11_G1."
	infos, _ := lds.ParseSecurityInfos(v.Hex(t, p+"ef_cardaccess"))
	pw, _ := pace.MRZPassword(gKey)
	rnd := bytes.NewReader(cat(v.Hex(t, p+"nonce_s"), v.Hex(t, p+"chip_map_private"), v.Hex(t, p+"chip_eph_private")))
	c := pace.NewChip(infos.PACE, pw, pace.Password{}, rnd)
	mse, _ := chip.ParseCommand(v.Hex(t, p+"mse_set_at_capdu_dmrtd"))
	if err := c.SetAT(mse.Data); err != nil {
		t.Fatal(err)
	}
	var sess *sm.Session
	for i, step := range []string{"ga1", "ga2", "ga3", "ga4"} {
		cmd, _ := chip.ParseCommand(v.Hex(t, p+"apdus."+step+"_capdu"))
		resp, s, err := c.GeneralAuthenticate(cmd.Data)
		if err != nil {
			t.Fatalf("step %d: %v", i+1, err)
		}
		want := v.Hex(t, p+"apdus."+step+"_rapdu")
		if !bytes.Equal(resp, want[:len(want)-2]) {
			t.Fatalf("step %d answer %X, want %X", i+1, resp, want)
		}
		sess = s
	}
	if sess == nil {
		t.Fatal("no session after step 4")
	}
}

// dhRig runs terminal against chip with the Appendix G.2 randomness and
// records the exchange.
func TestAppendixG2DH(t *testing.T) {
	v := icaovec.Load(t)
	const p = "pace_gm_dh_modp1024_icao_p11_G2."
	infos, err := lds.ParseSecurityInfos(v.Hex(t, p+"ef_cardaccess"))
	if err != nil {
		t.Fatal(err)
	}
	pw, _ := pace.MRZPassword(gKey)
	chipRnd := bytes.NewReader(cat(v.Hex(t, p+"nonce_s"), v.Hex(t, p+"chip_map_private"), v.Hex(t, p+"chip_eph_private")))
	c := pace.NewChip(infos.PACE, pw, pace.Password{}, chipRnd)
	rec := &chiptest.Record{Inner: chipTransceiver{c}}
	termRnd := bytes.NewReader(cat(v.Hex(t, p+"terminal_map_private"), v.Hex(t, p+"terminal_eph_private")))
	if _, _, err := pace.Establish(context.Background(), rec, infos.PACE, pw, &pace.Opts{Rand: termRnd}); err != nil {
		t.Fatal(err)
	}
	ops := rec.Playback().Ops
	if len(ops) != 5 {
		t.Fatalf("%d exchanges", len(ops))
	}
	if !bytes.Equal(ops[0].W, v.Hex(t, p+"mse_set_at_capdu")) {
		t.Errorf("MSE:Set AT %X", ops[0].W)
	}
	field := func(b []byte, outer bool, tag uint32) []byte {
		if outer {
			cmd, _ := chip.ParseCommand(b)
			b = cmd.Data
		} else {
			b = b[:len(b)-2]
		}
		in, err := tlv.Single(b, 0x7C)
		if err != nil {
			t.Fatal(err)
		}
		val, err := tlv.Find(in, tag)
		if err != nil {
			t.Fatal(err)
		}
		return val
	}
	for _, tc := range []struct {
		name string
		got  []byte
		want string
	}{
		{"z", field(ops[1].R, false, 0x80), "encrypted_nonce_z"},
		{"terminal map public", field(ops[2].W, true, 0x81), "terminal_map_public"},
		{"chip map public", field(ops[2].R, false, 0x82), "chip_map_public"},
		{"terminal ephemeral public", field(ops[3].W, true, 0x83), "terminal_eph_public"},
		{"chip ephemeral public", field(ops[3].R, false, 0x84), "chip_eph_public"},
		{"T_IFD", field(ops[4].W, true, 0x85), "t_ifd"},
		{"T_IC", field(ops[4].R, false, 0x86), "t_ic"},
	} {
		if !bytes.Equal(tc.got, v.Hex(t, p+tc.want)) {
			t.Errorf("%s = %X, want %X", tc.name, tc.got, v.Hex(t, p+tc.want))
		}
	}
}

// chipTransceiver adapts pace.Chip to APDUs for tests that do not need a
// whole passport.
type chipTransceiver struct{ c *pace.Chip }

func (ct chipTransceiver) Transmit(_ context.Context, apdu []byte) ([]byte, error) {
	cmd, err := chip.ParseCommand(apdu)
	if err != nil {
		return []byte{0x67, 0}, nil
	}
	switch cmd.INS {
	case chip.InsManageSecurityEnv:
		if err := ct.c.SetAT(cmd.Data); err != nil {
			return []byte{0x6A, 0x80}, nil
		}
		return []byte{0x90, 0}, nil
	case chip.InsGeneralAuthenticate:
		resp, _, err := ct.c.GeneralAuthenticate(cmd.Data)
		if errors.Is(err, pace.ErrAuth) {
			return []byte{0x63, 0}, nil
		}
		if err != nil {
			return []byte{0x6A, 0x80}, nil
		}
		return append(resp, 0x90, 0), nil
	}
	return []byte{0x6D, 0}, nil
}

func TestRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name  string
		ecdh  bool
		alg   sm.Alg
		param int
	}{
		{"ECDH P-256 AES-128", true, sm.AlgAES128, 12},
		{"ECDH P-384 AES-256", true, sm.AlgAES256, 15},
		{"ECDH P-521 AES-192", true, sm.AlgAES192, 18},
		{"ECDH P-224 3DES", true, sm.Alg3DES, 10},
		{"ECDH brainpoolP384r1 AES-256", true, sm.AlgAES256, 16},
		{"ECDH brainpoolP512r1 AES-256", true, sm.AlgAES256, 17},
		{"ECDH brainpoolP320r1 AES-128", true, sm.AlgAES128, 14},
		{"ECDH brainpoolP224r1 AES-128", true, sm.AlgAES128, 11},
		{"DH 1024 3DES", false, sm.Alg3DES, 0},
		{"DH 2048/224 AES-128", false, sm.AlgAES128, 1},
		{"DH 2048/256 AES-256", false, sm.AlgAES256, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			info := lds.PACEInfo{Protocol: pace.OID(tc.ecdh, pace.GenericMapping, tc.alg), Version: 2, ParameterID: tc.param}
			can, _ := pace.CANPassword("123456")
			c := pace.NewChip([]lds.PACEInfo{info}, pace.Password{}, can, nil)
			sess, res, err := pace.Establish(context.Background(), chipTransceiver{c}, []lds.PACEInfo{info}, can, nil)
			if err != nil {
				t.Fatal(err)
			}
			if sess.Alg() != tc.alg || res.ParameterID != tc.param {
				t.Fatalf("alg %v param %d", sess.Alg(), res.ParameterID)
			}
		})
	}
}

func TestWrongPassword(t *testing.T) {
	info := lds.PACEInfo{Protocol: pace.OID(true, pace.GenericMapping, sm.AlgAES128), Version: 2, ParameterID: 12}
	right, _ := pace.CANPassword("123456")
	wrong, _ := pace.CANPassword("654321")
	c := pace.NewChip([]lds.PACEInfo{info}, pace.Password{}, right, nil)
	_, _, err := pace.Establish(context.Background(), chipTransceiver{c}, []lds.PACEInfo{info}, wrong, nil)
	if !errors.Is(err, pace.ErrAuth) {
		t.Fatalf("err = %v, want ErrAuth", err)
	}
}

func TestChooseAndUnsupported(t *testing.T) {
	// Integrated mapping needs p ≡ 3 mod 4: not NIST P-224 (parameter 10).
	im := lds.PACEInfo{Protocol: pace.OID(true, pace.IntegratedMapping, sm.AlgAES128), Version: 2, ParameterID: 10}
	p192 := lds.PACEInfo{Protocol: pace.OID(true, pace.GenericMapping, sm.AlgAES128), Version: 2, ParameterID: 8}
	dh := lds.PACEInfo{Protocol: pace.OID(false, pace.GenericMapping, sm.AlgAES128), Version: 2, ParameterID: 0}
	ec := lds.PACEInfo{Protocol: pace.OID(true, pace.GenericMapping, sm.AlgAES256), Version: 2, ParameterID: 13}
	if _, ok := pace.Choose([]lds.PACEInfo{im, p192}); ok {
		t.Fatal("chose an unsupported protocol")
	}
	got, ok := pace.Choose([]lds.PACEInfo{dh, im, ec})
	if !ok || !got.Protocol.Equal(ec.Protocol) {
		t.Fatalf("Choose = %v", got)
	}
	_, _, err := pace.Establish(context.Background(), &chiptest.Playback{}, []lds.PACEInfo{im}, pace.Password{}, nil)
	if !errors.Is(err, pace.ErrUnsupported) {
		t.Fatalf("err = %v", err)
	}
}

// TestHostileChip answers the mapping step with points that are not on the
// curve, the identity, or garbage; each must be an error, never a panic.
func TestHostileChip(t *testing.T) {
	v := icaovec.Load(t)
	const p = "pace_gm_ecdh_brainpoolp256r1_icao_p11_G1."
	infos, _ := lds.ParseSecurityInfos(v.Hex(t, p+"ef_cardaccess"))
	good := v.Hex(t, p+"apdus.ga2_rapdu")
	offCurve := append([]byte{}, good...)
	offCurve[10] ^= 1
	for name, ga2 := range map[string][]byte{
		"off curve":       offCurve,
		"identity":        cat([]byte{0x7C, 0x43, 0x82, 0x41, 0x04}, make([]byte, 64), []byte{0x90, 0}),
		"short point":     []byte{0x7C, 0x04, 0x82, 0x02, 0x04, 0x01, 0x90, 0},
		"wrong tag":       cat([]byte{0x7C, 0x43, 0x83}, good[3:]),
		"not 7C":          cat([]byte{0x7D}, good[1:]),
		"status only":     []byte{0x6A, 0x80},
		"truncated outer": []byte{0x7C, 0x50, 0x82, 0x90, 0},
	} {
		t.Run(name, func(t *testing.T) {
			pb := &chiptest.Playback{Ops: []chiptest.IO{
				{W: v.Hex(t, p+"mse_set_at_capdu_dmrtd"), R: []byte{0x90, 0}},
				{W: v.Hex(t, p+"apdus.ga1_capdu"), R: v.Hex(t, p+"apdus.ga1_rapdu")},
				{W: v.Hex(t, p+"apdus.ga2_capdu"), R: ga2},
			}}
			pw, _ := pace.MRZPassword(gKey)
			rnd := bytes.NewReader(cat(v.Hex(t, p+"terminal_map_private"), v.Hex(t, p+"terminal_eph_private")))
			if _, _, err := pace.Establish(context.Background(), pb, infos.PACE, pw, &pace.Opts{Rand: rnd}); err == nil {
				t.Fatal("hostile answer accepted")
			}
		})
	}
}

func FuzzEstablish(f *testing.F) {
	f.Add([]byte{0x7C, 0x12, 0x80, 0x10, 0x95, 0xA3, 0xA0, 0x16, 0x52, 0x2E, 0xE9, 0x8D, 0x01, 0xE7, 0x6C, 0xB6, 0xB9, 0x8B, 0x42, 0xC3}, []byte{0x7C, 0x03, 0x82, 0x01, 0x04})
	f.Fuzz(func(t *testing.T, ga1, ga2 []byte) {
		info := lds.PACEInfo{Protocol: pace.OID(true, pace.GenericMapping, sm.AlgAES128), Version: 2, ParameterID: 12}
		n := 0
		tr := fnTransceiver(func(apdu []byte) []byte {
			n++
			switch n {
			case 1:
				return []byte{0x90, 0}
			case 2:
				return append(append([]byte{}, ga1...), 0x90, 0)
			default:
				return append(append([]byte{}, ga2...), 0x90, 0)
			}
		})
		pw, _ := pace.CANPassword("123456")
		_, _, _ = pace.Establish(context.Background(), tr, []lds.PACEInfo{info}, pw, nil)
	})
}

type fnTransceiver func([]byte) []byte

func (f fnTransceiver) Transmit(_ context.Context, apdu []byte) ([]byte, error) { return f(apdu), nil }
