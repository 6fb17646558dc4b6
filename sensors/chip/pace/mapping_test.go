package pace_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/egate/egate/sensors/chip"
	"github.com/egate/egate/sensors/chip/lds"
	"github.com/egate/egate/sensors/chip/pace"
	"github.com/egate/egate/sensors/chip/sm"
	"github.com/egate/egate/sensors/chip/tlv"
)

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestIMWorkedExampleTerminal runs the terminal through the ICAO worked
// example of ECDH integrated mapping (brainpoolP256r1, AES-128, CAN 123456)
// against the chip's published answers, and checks what it sends: the nonce
// t, its ephemeral key and T_IFD.
func TestIMWorkedExampleTerminal(t *testing.T) {
	info := lds.PACEInfo{Protocol: pace.OID(true, pace.IntegratedMapping, sm.AlgAES128), Version: 2, ParameterID: 13}
	tn := unhex(t, "5DD4CBFC 96F5453B 130D890A 1CDBAE32")
	tPriv := unhex(t, "A73FB703 AC1436A1 8E0CFA5A BB3F7BEC 7A070E7A 6788486B EE230C4A 22762595")
	cPub := unhex(t, "04 67F78E5F 7F768608 2B293E8D 087E0569 16D0F74B C01A5F89 57D0DE45 691E51E8 932B69A9 62B52A09 85AD2C0A 271EE6A1 3A8ADDDC D1A3A994 B9DED257 F4D22753")
	answers := [][]byte{
		{0x90, 0},
		cat(tlv.Encode(0x7C, tlv.Encode(0x80, unhex(t, "143DC40C 08C8E891 FBED7DED B92B64AD"))), []byte{0x90, 0}),
		{0x7C, 0x00, 0x90, 0},
		cat(tlv.Encode(0x7C, tlv.Encode(0x84, cPub)), []byte{0x90, 0}),
		cat(tlv.Encode(0x7C, tlv.Encode(0x86, unhex(t, "75D4D96E 8D5B0308"))), []byte{0x90, 0}),
	}
	var sent [][]byte
	tr := fnTransceiver(func(apdu []byte) []byte {
		cmd, _ := chip.ParseCommand(apdu)
		sent = append(sent, cmd.Data)
		return answers[len(sent)-1]
	})
	pw, _ := pace.CANPassword("123456")
	sess, res, err := pace.Establish(context.Background(), tr, []lds.PACEInfo{info}, pw, &pace.Opts{Rand: bytes.NewReader(cat(tn, tPriv))})
	if err != nil {
		t.Fatal(err)
	}
	if sess == nil || res.Protocol.Mapping != pace.IntegratedMapping || res.Protocol.String() != "PACE-ECDH-IM-AES-128" {
		t.Fatalf("result %+v", res)
	}
	get := func(i int, tag uint32) []byte {
		in, err := tlv.Single(sent[i], 0x7C)
		if err != nil {
			t.Fatal(err)
		}
		v, err := tlv.Find(in, tag)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if got := get(2, 0x81); !bytes.Equal(got, tn) {
		t.Errorf("t = %X", got)
	}
	if got := get(3, 0x83); !bytes.Equal(got, unhex(t, "04 89CBA23F FE96AA18 D824627C 3E934E54 A9FD0B87 A95D1471 DC1C0ABF DCD640D4 6755DE9B 7B778280 B6BEBD57 439ADFEB 0E21FD4E D6DF4257 8C13418A 59B34C37")) {
		t.Errorf("terminal public key %X", got)
	}
	if got := get(4, 0x85); !bytes.Equal(got, unhex(t, "450F02B8 6F6A0909")) {
		t.Errorf("T_IFD = %X", got)
	}
}

func TestIMRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name  string
		ecdh  bool
		alg   sm.Alg
		param int
	}{
		{"ECDH brainpoolP256r1 AES-128", true, sm.AlgAES128, 13},
		{"ECDH P-256 3DES", true, sm.Alg3DES, 12},
		{"ECDH P-384 AES-192", true, sm.AlgAES192, 15},
		{"ECDH P-521 AES-256", true, sm.AlgAES256, 18},
		{"ECDH brainpoolP192r1 AES-128", true, sm.AlgAES128, 9},
		{"ECDH brainpoolP224r1 AES-128", true, sm.AlgAES128, 11},
		{"ECDH brainpoolP320r1 AES-256", true, sm.AlgAES256, 14},
		{"ECDH brainpoolP384r1 AES-192", true, sm.AlgAES192, 16},
		{"ECDH brainpoolP512r1 AES-256", true, sm.AlgAES256, 17},
		{"DH 1024/160 AES-128", false, sm.AlgAES128, 0},
		{"DH 2048/224 3DES", false, sm.Alg3DES, 1},
		{"DH 2048/256 AES-256", false, sm.AlgAES256, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			info := lds.PACEInfo{Protocol: pace.OID(tc.ecdh, pace.IntegratedMapping, tc.alg), Version: 2, ParameterID: tc.param}
			mrz, _ := pace.MRZPassword(chip.MRZKey{DocumentNumber: "L898902C", DateOfBirth: "690806", DateOfExpiry: "940623"})
			c := pace.NewChip([]lds.PACEInfo{info}, mrz, pace.Password{}, nil)
			for range 3 { // fresh nonces each time: the mapping must agree every run
				sess, res, err := pace.Establish(context.Background(), chipTransceiver{c}, []lds.PACEInfo{info}, mrz, nil)
				if err != nil {
					t.Fatal(err)
				}
				if sess.Alg() != tc.alg || res.Protocol.Mapping != pace.IntegratedMapping || res.CAM != nil {
					t.Fatalf("alg %v result %+v", sess.Alg(), res)
				}
			}
		})
	}
}

func TestIMWrongPassword(t *testing.T) {
	info := lds.PACEInfo{Protocol: pace.OID(true, pace.IntegratedMapping, sm.AlgAES128), Version: 2, ParameterID: 13}
	right, _ := pace.CANPassword("123456")
	wrong, _ := pace.CANPassword("123457")
	c := pace.NewChip([]lds.PACEInfo{info}, pace.Password{}, right, nil)
	if _, _, err := pace.Establish(context.Background(), chipTransceiver{c}, []lds.PACEInfo{info}, wrong, nil); !errors.Is(err, pace.ErrAuth) {
		t.Fatalf("err = %v, want ErrAuth", err)
	}
}

func camKeyInfo(t *testing.T, k *ecdsa.PrivateKey) lds.ChipAuthenticationPublicKeyInfo {
	t.Helper()
	spki, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return lds.ChipAuthenticationPublicKeyInfo{Raw: spki, PublicKey: &k.PublicKey}
}

func TestCAMRoundTripAndClone(t *testing.T) {
	for _, tc := range []struct {
		curve elliptic.Curve
		param int
		alg   sm.Alg
	}{
		{elliptic.P256(), 12, sm.AlgAES128},
		{elliptic.P384(), 15, sm.AlgAES256},
		{elliptic.P521(), 18, sm.AlgAES192},
	} {
		t.Run(tc.curve.Params().Name, func(t *testing.T) {
			info := lds.PACEInfo{Protocol: pace.OID(true, pace.ChipAuthenticationMapping, tc.alg), Version: 2, ParameterID: tc.param}
			genuine, _ := ecdsa.GenerateKey(tc.curve, rand.Reader)
			other, _ := ecdsa.GenerateKey(tc.curve, rand.Reader)
			otherCurve, _ := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
			pw, _ := pace.CANPassword("123456")

			c := pace.NewChip([]lds.PACEInfo{info}, pace.Password{}, pw, nil)
			c.SetCAMKey(genuine.D)
			_, res, err := pace.Establish(context.Background(), chipTransceiver{c}, []lds.PACEInfo{info}, pw, nil)
			if err != nil {
				t.Fatal(err)
			}
			if res.CAM == nil || res.Protocol.Mapping != pace.ChipAuthenticationMapping {
				t.Fatalf("no CAM proof: %+v", res)
			}
			if err := res.CAM.VerifyCAM([]lds.ChipAuthenticationPublicKeyInfo{camKeyInfo(t, otherCurve), camKeyInfo(t, genuine)}); err != nil {
				t.Fatalf("genuine chip: %v", err)
			}
			if err := res.CAM.VerifyCAM([]lds.ChipAuthenticationPublicKeyInfo{camKeyInfo(t, other)}); !errors.Is(err, pace.ErrCAM) {
				t.Fatalf("wrong static key accepted: %v", err)
			}
			if err := res.CAM.VerifyCAM([]lds.ChipAuthenticationPublicKeyInfo{camKeyInfo(t, otherCurve), {Raw: []byte{0x30, 0}}}); !errors.Is(err, pace.ErrCAM) {
				t.Fatalf("no usable key accepted: %v", err)
			}

			// A clone: it knows the password (the MRZ is printed) and the
			// data groups, but not SK_IC.
			clone := pace.NewChip([]lds.PACEInfo{info}, pace.Password{}, pw, nil)
			clone.SetCAMKey(other.D)
			_, res, err = pace.Establish(context.Background(), chipTransceiver{clone}, []lds.PACEInfo{info}, pw, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := res.CAM.VerifyCAM([]lds.ChipAuthenticationPublicKeyInfo{camKeyInfo(t, genuine)}); !errors.Is(err, pace.ErrCAM) {
				t.Fatalf("clone accepted: %v", err)
			}
		})
	}
}

// TestCAMHostile: the chip leaves out DO'8A', or sends garbage in it.
func TestCAMHostile(t *testing.T) {
	info := lds.PACEInfo{Protocol: pace.OID(true, pace.ChipAuthenticationMapping, sm.AlgAES128), Version: 2, ParameterID: 12}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	pw, _ := pace.CANPassword("123456")
	for name, mangle := range map[string]func([]byte) []byte{
		"no 8A": func(b []byte) []byte {
			in, _ := tlv.Single(b, 0x7C)
			v, _ := tlv.Find(in, 0x86)
			return tlv.Encode(0x7C, tlv.Encode(0x86, v))
		},
		"8A not a block multiple": func(b []byte) []byte {
			in, _ := tlv.Single(b, 0x7C)
			v, _ := tlv.Find(in, 0x86)
			return tlv.Encode(0x7C, append(tlv.Encode(0x86, v), tlv.Encode(0x8A, []byte{1, 2, 3})...))
		},
		"8A empty": func(b []byte) []byte {
			in, _ := tlv.Single(b, 0x7C)
			v, _ := tlv.Find(in, 0x86)
			return tlv.Encode(0x7C, append(tlv.Encode(0x86, v), tlv.Encode(0x8A, nil)...))
		},
		"8A bad padding": func(b []byte) []byte {
			in, _ := tlv.Single(b, 0x7C)
			v, _ := tlv.Find(in, 0x86)
			return tlv.Encode(0x7C, append(tlv.Encode(0x86, v), tlv.Encode(0x8A, make([]byte, 32))...))
		},
	} {
		t.Run(name, func(t *testing.T) {
			c := pace.NewChip([]lds.PACEInfo{info}, pace.Password{}, pw, nil)
			c.SetCAMKey(key.D)
			tr := mangleLast{chipTransceiver{c}, mangle}
			if _, _, err := pace.Establish(context.Background(), tr, []lds.PACEInfo{info}, pw, nil); !errors.Is(err, pace.ErrProtocol) {
				t.Fatalf("err = %v, want ErrProtocol", err)
			}
		})
	}
}

// mangleLast rewrites the answer data of the last GENERAL AUTHENTICATE.
type mangleLast struct {
	inner  chipTransceiver
	mangle func([]byte) []byte
}

func (m mangleLast) Transmit(ctx context.Context, apdu []byte) ([]byte, error) {
	resp, err := m.inner.Transmit(ctx, apdu)
	if err != nil || len(apdu) == 0 || apdu[0] != 0 || apdu[1] != chip.InsGeneralAuthenticate || len(resp) < 2 {
		return resp, err
	}
	return append(m.mangle(resp[:len(resp)-2]), 0x90, 0), nil
}

// TestChooseCAM: CAM is preferred when offered; a chip that lists CAM but
// has no key to answer it refuses it at MSE:Set AT.
func TestChooseCAM(t *testing.T) {
	gm := lds.PACEInfo{Protocol: pace.OID(true, pace.GenericMapping, sm.AlgAES128), Version: 2, ParameterID: 12}
	cam := lds.PACEInfo{Protocol: pace.OID(true, pace.ChipAuthenticationMapping, sm.AlgAES128), Version: 2, ParameterID: 12}
	im := lds.PACEInfo{Protocol: pace.OID(true, pace.IntegratedMapping, sm.AlgAES128), Version: 2, ParameterID: 13}
	got, ok := pace.Choose([]lds.PACEInfo{gm, im, cam})
	if !ok || !got.Protocol.Equal(cam.Protocol) {
		t.Fatalf("Choose = %v", got.Protocol)
	}
	dhCAM := lds.PACEInfo{Protocol: pace.OID(false, pace.ChipAuthenticationMapping, sm.AlgAES128), Version: 2, ParameterID: 0}
	if pace.Supported(dhCAM) {
		t.Fatal("CAM on a DH group reported supported")
	}
	pw, _ := pace.CANPassword("123456")
	c := pace.NewChip([]lds.PACEInfo{cam}, pace.Password{}, pw, nil)
	if _, _, err := pace.Establish(context.Background(), chipTransceiver{c}, []lds.PACEInfo{cam}, pw, nil); err == nil {
		t.Fatal("chip without a CAM key ran CAM")
	}
}

// FuzzEstablishMappings feeds arbitrary chip answers to integrated and
// chip authentication mapping runs: errors only, never a panic.
func FuzzEstablishMappings(f *testing.F) {
	f.Add(byte(0), []byte{0x7C, 0x12, 0x80, 0x10, 0x14, 0x3D, 0xC4, 0x0C, 0x08, 0xC8, 0xE8, 0x91, 0xFB, 0xED, 0x7D, 0xED, 0xB9, 0x2B, 0x64, 0xAD}, []byte{0x7C, 0x00}, []byte{0x7C, 0x03, 0x84, 0x01, 0x04}, []byte{0x7C, 0x0A, 0x86, 0x08, 1, 2, 3, 4, 5, 6, 7, 8})
	f.Add(byte(1), []byte{0x7C, 0x12, 0x80, 0x10, 0x14, 0x3D, 0xC4, 0x0C, 0x08, 0xC8, 0xE8, 0x91, 0xFB, 0xED, 0x7D, 0xED, 0xB9, 0x2B, 0x64, 0xAD}, []byte{0x7C, 0x03, 0x82, 0x01, 0x04}, []byte{0x7C, 0x00}, []byte{0x7C, 0x0C, 0x86, 0x08, 1, 2, 3, 4, 5, 6, 7, 8, 0x8A, 0x00})
	f.Add(byte(2), []byte{0x7C, 0x12, 0x80, 0x10, 0x9A, 0xBB, 0x88, 0x64, 0xCA, 0x0F, 0xF1, 0x55, 0x1E, 0x62, 0x0D, 0x1E, 0xF4, 0xE1, 0x35, 0x10}, []byte{0x7C, 0x00}, []byte{0x7C, 0x03, 0x84, 0x01, 0x02}, []byte{0x7C, 0x00})
	infos := []lds.PACEInfo{
		{Protocol: pace.OID(true, pace.IntegratedMapping, sm.AlgAES128), Version: 2, ParameterID: 13},
		{Protocol: pace.OID(true, pace.ChipAuthenticationMapping, sm.AlgAES128), Version: 2, ParameterID: 12},
		{Protocol: pace.OID(false, pace.IntegratedMapping, sm.AlgAES128), Version: 2, ParameterID: 0},
	}
	f.Fuzz(func(t *testing.T, which byte, ga1, ga2, ga3, ga4 []byte) {
		info := infos[int(which)%len(infos)]
		answers := [][]byte{nil, ga1, ga2, ga3, ga4}
		n := 0
		tr := fnTransceiver(func(apdu []byte) []byte {
			n++
			if n == 1 || n > len(answers) {
				return []byte{0x90, 0}
			}
			return append(append([]byte{}, answers[n-1]...), 0x90, 0)
		})
		pw, _ := pace.CANPassword("123456")
		_, res, err := pace.Establish(context.Background(), tr, []lds.PACEInfo{info}, pw, nil)
		if err == nil && res.CAM != nil {
			_ = res.CAM.VerifyCAM(nil)
		}
	})
}
