package sm

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/egate/egate/sensors/chip"
	"github.com/egate/egate/sensors/chip/internal/icaovec"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func eq(t *testing.T, what string, got, want []byte) {
	t.Helper()
	if !bytes.Equal(got, want) {
		t.Errorf("%s = %X, want %X", what, got, want)
	}
}

// TestKDFAppendixD reproduces ICAO 9303 Part 11 Appendix D.2 (BAC keys from
// the key seed) and D.3 (session keys).
func TestKDFAppendixD(t *testing.T) {
	v := icaovec.Load(t)
	seed := v.Hex(t, "bac_icao_p11_D.k_seed")
	kenc, _ := KDF(seed, CounterEnc, Alg3DES)
	kmac, _ := KDF(seed, CounterMAC, Alg3DES)
	eq(t, "K_enc", kenc, v.Hex(t, "bac_icao_p11_D.k_enc"))
	eq(t, "K_mac", kmac, v.Hex(t, "bac_icao_p11_D.k_mac"))
	ks := v.Hex(t, "bac_icao_p11_D.ks_seed_k_ifd_xor_k_icc")
	ksenc, _ := KDF(ks, CounterEnc, Alg3DES)
	ksmac, _ := KDF(ks, CounterMAC, Alg3DES)
	eq(t, "KS_enc", ksenc, v.Hex(t, "bac_icao_p11_D.ks_enc"))
	eq(t, "KS_mac", ksmac, v.Hex(t, "bac_icao_p11_D.ks_mac"))
}

func TestKDFAES(t *testing.T) {
	v := icaovec.Load(t)
	for _, tc := range []struct {
		name string
		path string
		alg  Alg
	}{
		{"AES-192 uses SHA-256", "non_icao_peer_vectors.kdf_aes192_gmrtd", AlgAES192},
		{"AES-256 uses SHA-256", "non_icao_peer_vectors.kdf_aes256_gmrtd", AlgAES256},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := KDF(v.Hex(t, tc.path+".k"), 3, tc.alg)
			if err != nil {
				t.Fatal(err)
			}
			eq(t, "key", got, v.Hex(t, tc.path+".expected"))
		})
	}
	// PACE password key from the MRZ (Appendix G, K_pi).
	got, _ := KDF(v.Hex(t, "pace_passwords.mrz_key_seed_sha1"), CounterPI, AlgAES128)
	eq(t, "K_pi", got, v.Hex(t, "pace_passwords.k_pi_mrz_aes128"))
}

func TestRetailMAC(t *testing.T) {
	v := icaovec.Load(t)
	n := v.Len(t, "non_icao_peer_vectors.retail_mac_gmrtd")
	for i := 0; i < n; i++ {
		p := "non_icao_peer_vectors.retail_mac_gmrtd." + string(rune('0'+i))
		got, err := RetailMAC(v.Hex(t, p+".key"), v.Hex(t, p+".padded_data"))
		if err != nil {
			t.Fatal(err)
		}
		eq(t, p, got, v.Hex(t, p+".mac"))
	}
	if _, err := RetailMAC(make([]byte, 16), make([]byte, 7)); err == nil {
		t.Error("unpadded input accepted")
	}
}

func TestPadUnpad(t *testing.T) {
	for _, tc := range []struct {
		in, out string
		bs      int
	}{
		{"", "8000000000000000", 8},
		{"01", "0180000000000000", 8},
		{"01020304050607", "0102030405060780", 8},
		{"0102030405060708", "01020304050607088000000000000000", 8},
		{"00", "00800000000000000000000000000000", 16},
	} {
		got := Pad(unhex(t, tc.in), tc.bs)
		eq(t, "Pad("+tc.in+")", got, unhex(t, tc.out))
		back, err := Unpad(got)
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "Unpad", back, unhex(t, tc.in))
	}
	for _, bad := range []string{"", "00000000", "0102030405060708", "8001"} {
		if _, err := Unpad(unhex(t, bad)); !errors.Is(err, ErrPadding) {
			t.Errorf("Unpad(%s) err = %v", bad, err)
		}
	}
}

func d4Session(t *testing.T, v *icaovec.Vectors) (terminal, card *Session) {
	t.Helper()
	kenc, kmac, ssc := v.Hex(t, "bac_icao_p11_D.ks_enc"), v.Hex(t, "bac_icao_p11_D.ks_mac"), v.Hex(t, "bac_icao_p11_D.ssc")
	a, err := NewSession(Alg3DES, kenc, kmac, ssc)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewSession(Alg3DES, kenc, kmac, ssc)
	return a, b
}

// TestAppendixD4 reproduces the secure messaging worked example of ICAO
// 9303 Part 11 Appendix D.4 on both the terminal and the chip side.
func TestAppendixD4(t *testing.T) {
	v := icaovec.Load(t)
	term, card := d4Session(t, v)
	const base = "secure_messaging_3des_icao_p11_D4."
	n := v.Len(t, "secure_messaging_3des_icao_p11_D4")
	var lastINS byte
	for i := 0; i < n; i += 2 {
		cp := base + string(rune('0'+i)) + "."
		rp := base + string(rune('0'+i+1)) + "."
		t.Run(v.Str(t, cp+"step"), func(t *testing.T) {
			plain, err := chip.ParseCommand(v.Hex(t, cp+"unprotected_capdu"))
			if err != nil {
				t.Fatal(err)
			}
			lastINS = plain.INS
			pc, err := term.ProtectCommand(plain)
			if err != nil {
				t.Fatal(err)
			}
			eq(t, "SSC after command", term.SSC(), v.Hex(t, cp+"ssc_used"))
			raw, _ := pc.Bytes()
			eq(t, "protected command", raw, v.Hex(t, cp+"protected_capdu"))

			// Chip side reverses it.
			pcParsed, err := chip.ParseCommand(raw)
			if err != nil {
				t.Fatal(err)
			}
			back, err := card.UnprotectCommand(pcParsed)
			if err != nil {
				t.Fatal(err)
			}
			rb, _ := back.Bytes()
			eq(t, "chip sees", rb, v.Hex(t, cp+"unprotected_capdu"))

			// Response.
			protR := v.Hex(t, rp+"protected_rapdu")
			plainR := v.Hex(t, rp+"unprotected_rapdu")
			pr, _ := chip.ParseResponse(protR)
			got, err := term.UnprotectResponse(pr)
			if err != nil {
				t.Fatal(err)
			}
			eq(t, "unprotected response", got.Bytes(), plainR)
			eq(t, "SSC after response", term.SSC(), v.Hex(t, rp+"ssc_used"))

			ur, _ := chip.ParseResponse(plainR)
			cr, err := card.ProtectResponse(lastINS, ur)
			if err != nil {
				t.Fatal(err)
			}
			eq(t, "chip protects", cr.Bytes(), protR)
		})
	}
}

func TestAESCommandVector(t *testing.T) {
	v := icaovec.Load(t)
	const p = "non_icao_peer_vectors.aes_sm_encode_gmrtd."
	s, err := NewSession(AlgAES128, v.Hex(t, p+"ks_enc"), v.Hex(t, p+"ks_mac"), v.Hex(t, p+"ssc_before"))
	if err != nil {
		t.Fatal(err)
	}
	cmd, _ := chip.ParseCommand(v.Hex(t, p+"capdu"))
	pc, err := s.ProtectCommand(cmd)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := pc.Bytes()
	eq(t, "protected", raw, v.Hex(t, p+"expected_protected_capdu"))
	eq(t, "SSC", s.SSC(), v.Hex(t, p+"ssc_after"))
}

// TestRoundTripAllSuites runs commands and answers through a terminal and a
// chip session for each suite, short and extended.
func TestRoundTripAllSuites(t *testing.T) {
	for _, alg := range []Alg{Alg3DES, AlgAES128, AlgAES192, AlgAES256} {
		t.Run(alg.String(), func(t *testing.T) {
			k := bytes.Repeat([]byte{0x42}, alg.KeyLen())
			ssc := make([]byte, alg.BlockSize())
			term, _ := NewSession(alg, k, k, ssc)
			card, _ := NewSession(alg, k, k, ssc)
			for _, cmd := range []chip.Command{
				{INS: 0xA4, P1: 2, P2: 0x0C, Data: []byte{1, 0x1E}},
				{INS: 0xB0, Ne: 0xDF},
				{INS: 0xB0, Ne: 4000},
				{INS: 0xB1, Data: []byte{0x54, 0x02, 0x80, 0x00}, Ne: 256},
				{INS: 0x82, Data: bytes.Repeat([]byte{7}, 300), Ne: 40},
			} {
				pc, err := term.ProtectCommand(cmd)
				if err != nil {
					t.Fatal(err)
				}
				raw, err := pc.Bytes()
				if err != nil {
					t.Fatal(err)
				}
				parsed, err := chip.ParseCommand(raw)
				if err != nil {
					t.Fatal(err)
				}
				got, err := card.UnprotectCommand(parsed)
				if err != nil {
					t.Fatal(err)
				}
				if got.INS != cmd.INS || !bytes.Equal(got.Data, cmd.Data) || got.Ne != cmd.Ne {
					t.Fatalf("chip got %+v, want %+v", got, cmd)
				}
				resp := chip.Response{Data: bytes.Repeat([]byte{9}, min(cmd.Ne, 1000)), SW: 0x9000}
				pr, err := card.ProtectResponse(cmd.INS, resp)
				if err != nil {
					t.Fatal(err)
				}
				back, err := term.UnprotectResponse(pr)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(back.Data, resp.Data) || back.SW != resp.SW {
					t.Fatalf("terminal got %X %04X", back.Data, back.SW)
				}
			}
		})
	}
}

func TestTamperedResponseBreaksSession(t *testing.T) {
	v := icaovec.Load(t)
	term, _ := d4Session(t, v)
	cmd, _ := chip.ParseCommand(v.Hex(t, "secure_messaging_3des_icao_p11_D4.0.unprotected_capdu"))
	if _, err := term.ProtectCommand(cmd); err != nil {
		t.Fatal(err)
	}
	bad := v.Hex(t, "secure_messaging_3des_icao_p11_D4.1.protected_rapdu")
	bad[3] ^= 1 // SW inside DO'99'
	r, _ := chip.ParseResponse(bad)
	if _, err := term.UnprotectResponse(r); !errors.Is(err, ErrMAC) {
		t.Fatalf("err = %v, want ErrMAC", err)
	}
	if _, err := term.ProtectCommand(cmd); !errors.Is(err, ErrSessionBroken) {
		t.Fatalf("after MAC failure: %v", err)
	}
}

var unwrapSeeds = []struct {
	name string
	in   string
	err  error
}{
	{"D.4 select response", "990290008E08FA855A5D4C50A8ED9000", nil},
	{"no MAC", "99029000" + "9000", ErrMalformed},
	{"no DO99", "8E08FA855A5D4C50A8ED9000", ErrMalformed},
	{"MAC not last", "8E08FA855A5D4C50A8ED990290009000", ErrMalformed},
	{"unknown DO", "0101009000", ErrMalformed},
	{"truncated DO", "87FF9000", ErrMalformed},
	{"bad indicator, MAC checked first", "8709029FF0EC34F9922651990290008E08AD55CC17140B2DED9000", ErrMAC},
	{"plain error", "6A82", nil},
	{"plain 9000", "9000", ErrMalformed},
}

func TestUnprotectHostile(t *testing.T) {
	v := icaovec.Load(t)
	for _, tc := range unwrapSeeds {
		t.Run(tc.name, func(t *testing.T) {
			term, _ := d4Session(t, v)
			term.incSSC() // the SELECT command's increment
			r, err := chip.ParseResponse(unhex(t, tc.in))
			if err != nil {
				t.Fatal(err)
			}
			_, err = term.UnprotectResponse(r)
			if tc.err == nil && err != nil {
				t.Fatalf("err = %v", err)
			}
			if tc.err != nil && !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
		})
	}
}

func FuzzUnprotectResponse(f *testing.F) {
	for _, tc := range unwrapSeeds {
		b, _ := hex.DecodeString(tc.in)
		f.Add(b)
	}
	k := bytes.Repeat([]byte{0x42}, 16)
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, alg := range []Alg{Alg3DES, AlgAES128} {
			s, _ := NewSession(alg, k, k, make([]byte, alg.BlockSize()))
			r, err := chip.ParseResponse(b)
			if err != nil {
				return
			}
			_, _ = s.UnprotectResponse(r)
			c, err := chip.ParseCommand(b)
			if err != nil {
				continue
			}
			s2, _ := NewSession(alg, k, k, make([]byte, alg.BlockSize()))
			_, _ = s2.UnprotectCommand(c)
		}
	})
}
