package emrtd

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"testing"

	"github.com/egate/egate/sensors/chip/chiptest"
	"github.com/egate/egate/sensors/chip/lds"
	"github.com/egate/egate/sensors/chip/pa"
	"github.com/egate/egate/sensors/chip/pace"
	"github.com/egate/egate/sensors/chip/sm"
)

// Test keys are made once per size (RSA key generation is slow).
var (
	rsaKeysMu sync.Mutex
	rsaKeys   = map[string]*rsa.PrivateKey{}
)

func rsaKey(t testing.TB, bits int, name string) *rsa.PrivateKey {
	t.Helper()
	rsaKeysMu.Lock()
	defer rsaKeysMu.Unlock()
	id := fmt.Sprintf("%d/%s", bits, name)
	if k, ok := rsaKeys[id]; ok {
		return k
	}
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	if k.N.BitLen() != bits {
		t.Fatalf("key of %d bits, want %d", k.N.BitLen(), bits)
	}
	rsaKeys[id] = k
	return k
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func digest(h crypto.Hash, parts ...[]byte) []byte {
	hh := h.New()
	for _, p := range parts {
		hh.Write(p)
	}
	return hh.Sum(nil)
}

// representative builds an ISO/IEC 9796-2 scheme 1 block of flen bytes by
// hand (independently of the code under test): header and padding, m1, d
// and the trailer. full selects header nibble 4 with B..BA padding.
func representative(t testing.TB, flen int, full bool, m1, d, trailer []byte) []byte {
	t.Helper()
	pad := flen - len(m1) - len(d) - len(trailer)
	if pad < 1 || (!full && pad != 1) {
		t.Fatalf("representative: %d padding bytes", pad)
	}
	var f []byte
	switch {
	case !full:
		f = []byte{0x6A}
	case pad == 1:
		f = []byte{0x4A}
	default:
		f = append([]byte{0x4B}, bytes.Repeat([]byte{0xBB}, pad-2)...)
		f = append(f, 0xBA)
	}
	f = append(f, m1...)
	f = append(f, d...)
	return append(f, trailer...)
}

func wantErr(t *testing.T, err, class error, substr string) {
	t.Helper()
	if err == nil {
		t.Fatalf("accepted, want %v (%s)", class, substr)
	}
	if class != nil && !errors.Is(err, class) {
		t.Fatalf("err = %v, want class %v", err, class)
	}
	if !strings.Contains(err.Error(), substr) {
		t.Fatalf("err = %v, want it to say %q", err, substr)
	}
}

// TestRSAAAICAOWorkedExample reproduces the worked example of active
// authentication in ICAO Doc 9303 Part 11 (8th edition, 2021, informative
// appendix): RSA with a 1024-bit modulus, SHA-1, implicit trailer. The
// values (RND.IFD, M1, H and F) were learned from that example as
// reproduced in zienit/icao-examples (AATest.java). The example publishes
// no key pair, so F is signed with a key made here.
func TestRSAAAICAOWorkedExample(t *testing.T) {
	rndIFD := unhex(t, "F173589974BF40C6")
	m1 := unhex(t, `9D2784A67F8E7C659973EA1AEA25D95B 6C8F91E5002F369F0FBDCE8A3CEC1991
		B543F1696546C5524CF23A5303CD6C98 599F40B79F377B5F3A1406B3B4D8F967
		84D23AA88DB7E1032A405E69325FA91A 6E86F5C71AEA978264C4A207446DAD4E
		7292E2DCDA3024B47DA8`)
	h := unhex(t, "C063AA1E6D22FBD976AB0FE73D94D2D9C6D88127")
	f := unhex(t, `6A9D2784A67F8E7C659973EA1AEA25D9 5B6C8F91E5002F369F0FBDCE8A3CEC19
		91B543F1696546C5524CF23A5303CD6C 98599F40B79F377B5F3A1406B3B4D8F9
		6784D23AA88DB7E1032A405E69325FA9 1A6E86F5C71AEA978264C4A207446DAD
		4E7292E2DCDA3024B47DA8C063AA1E6D 22FBD976AB0FE73D94D2D9C6D88127BC`)
	// The published values agree with each other: c = 1024-160-8-4 = 852,
	// |M1| = c-4 = 848 bits, H = SHA-1(M1 || RND.IFD).
	if len(m1)*8 != 848 || len(f) != 128 {
		t.Fatalf("|M1| = %d bits, |F| = %d bytes", len(m1)*8, len(f))
	}
	if !bytes.Equal(digest(crypto.SHA1, m1, rndIFD), h) {
		t.Fatal("published H is not SHA-1(M1 || RND.IFD)")
	}
	b, err := parseISO9796(f)
	if err != nil {
		t.Fatal(err)
	}
	if !b.partial || b.hash != crypto.SHA1 || !bytes.Equal(b.m1, m1) || !bytes.Equal(b.digest, h) {
		t.Fatalf("F opened to partial=%v %v M1 %X D %X", b.partial, b.hash, b.m1, b.digest)
	}

	key := rsaKey(t, 1024, "icao")
	sig := chiptest.RSARaw(key, f)
	if err := verifyRSAAA(&key.PublicKey, rndIFD, sig); err != nil {
		t.Fatalf("worked example refused: %v", err)
	}
	other := bytes.Clone(rndIFD)
	other[7] ^= 1
	wantErr(t, verifyRSAAA(&key.PublicKey, other, sig), errRSAAAMismatch, "digest mismatch")
}

// TestRSAAAKnownAnswer checks an INTERNAL AUTHENTICATE answer to an
// all-zero challenge: 1024-bit key, e = 65537, SHA-1, implicit trailer.
// Values learned from Bouncy Castle's ISO/IEC 9796-2 tests
// (bcgit/bc-java, core/src/test/java/org/bouncycastle/crypto/test/
// ISO9796Test.java, doTest13, "input from internal authenticate").
func TestRSAAAKnownAnswer(t *testing.T) {
	n := new(big.Int).SetBytes(unhex(t, `
		CDCBDABBF93BE8E8294E32B055256BBD0397735189BF75816341BB0D488D05D6
		27991221DF7D59835C76A4BB4808ADEEB779E7794504E956ADC2A661B46904CD
		C71337DD29DDDD454124EF79CFDD7BC2C21952573CEFBA485CC38C6BD2428809
		B5A31A898A6B5648CAA4ED678D9743B589134B7187478996300EDBA16271A861`))
	sig := unhex(t, `
		482E20D1EDDED34359C38F5E7C01203F9D6B2641CDCA5C404D49ADAEDE034C74
		81D781D043722587761C90468DE69C6585A1E8B9C322F90E1B580EEDAB3F6007
		D0C366CF92B4DB8B41C8314929DCE2BE889C0129123484D2FD3D12763D2EBFD1
		2AC8E51D7061AFCA1A53DEDEC7B9A617472A78C952CCC72467AE008E5F132994`)
	pub := &rsa.PublicKey{N: n, E: 65537}
	challenge := make([]byte, 8)
	if err := verifyRSAAA(pub, challenge, sig); err != nil {
		t.Fatalf("known answer refused: %v", err)
	}
	// Through DG15 as a chip would hold the key.
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	dg15, err := lds.ParseDG15(append([]byte{0x6F, 0x81, byte(len(der))}, der...))
	if err != nil {
		t.Fatal(err)
	}
	if err := verifyRSAAA(dg15.PublicKey.(*rsa.PublicKey), challenge, sig); err != nil {
		t.Fatalf("known answer refused with the DG15 key: %v", err)
	}
	wantErr(t, verifyRSAAA(pub, []byte{0, 0, 0, 0, 0, 0, 0, 1}, sig), errRSAAAMismatch, "digest mismatch")
	bad := bytes.Clone(sig)
	bad[64] ^= 0x10
	wantErr(t, verifyRSAAA(pub, challenge, bad), errRSAAAMismatch, "possible clone")
}

func TestRSAAARoundTrip(t *testing.T) {
	challenge := []byte{1, 2, 3, 4, 5, 6, 7, 8}
	for _, tc := range []struct {
		bits int
		h    crypto.Hash
	}{
		{1024, 0}, {1024, crypto.SHA256},
		{2048, 0}, {2048, crypto.SHA1}, {2048, crypto.SHA224}, {2048, crypto.SHA256}, {2048, crypto.SHA384}, {2048, crypto.SHA512},
		{3072, 0}, {3072, crypto.SHA256},
		// Moduli whose length is not a multiple of 8 bits.
		{2047, 0}, {2047, crypto.SHA256}, {1535, 0}, {1535, crypto.SHA512},
	} {
		name := "SHA-1 BC"
		if tc.h != 0 {
			name = tc.h.String() + " ..CC"
		}
		t.Run(fmt.Sprintf("%d %s", tc.bits, name), func(t *testing.T) {
			key := rsaKey(t, tc.bits, "a")
			sig, err := chiptest.SignRSAAA(rand.Reader, key, challenge, tc.h)
			if err != nil {
				t.Fatal(err)
			}
			if len(sig) != (tc.bits+7)/8 {
				t.Fatalf("signature of %d bytes", len(sig))
			}
			if err := verifyRSAAA(&key.PublicKey, challenge, sig); err != nil {
				t.Fatal(err)
			}
			// ISO/IEC 9796-2 lets the signer send N - F^d instead.
			neg := new(big.Int).Sub(key.N, new(big.Int).SetBytes(sig)).FillBytes(make([]byte, len(sig)))
			if err := verifyRSAAA(&key.PublicKey, challenge, neg); err != nil {
				t.Fatalf("N - signature: %v", err)
			}
			// The block really is what the standard lays out.
			f := new(big.Int).Exp(new(big.Int).SetBytes(sig), big.NewInt(int64(key.E)), key.N).FillBytes(make([]byte, tc.bits/8))
			wantT := []byte{0xBC}
			if tc.h != 0 {
				wantT = []byte{map[crypto.Hash]byte{crypto.SHA1: 0x33, crypto.SHA224: 0x38, crypto.SHA256: 0x34, crypto.SHA384: 0x36, crypto.SHA512: 0x35}[tc.h], 0xCC}
			}
			if f[0] != 0x6A || !bytes.HasSuffix(f, wantT) {
				t.Fatalf("F = %X..%X", f[:2], f[len(f)-3:])
			}
			// Another challenge, another key (a cloned chip), one bit off.
			wantErr(t, verifyRSAAA(&key.PublicKey, []byte{1, 2, 3, 4, 5, 6, 7, 9}, sig), errRSAAAMismatch, "digest mismatch")
			clone := rsaKey(t, tc.bits, "clone")
			cs, err := chiptest.SignRSAAA(rand.Reader, clone, challenge, tc.h)
			if err != nil {
				t.Fatal(err)
			}
			if err := verifyRSAAA(&key.PublicKey, challenge, cs); !errors.Is(err, errRSAAAMismatch) && !errors.Is(err, errRSAAAMalformed) {
				t.Fatalf("clone: err = %v", err)
			}
			for _, i := range []int{1, len(sig) / 2, len(sig) - 1} {
				bad := bytes.Clone(sig)
				bad[i] ^= 0x04
				if err := verifyRSAAA(&key.PublicKey, challenge, bad); !errors.Is(err, errRSAAAMismatch) && !errors.Is(err, errRSAAAMalformed) {
					t.Fatalf("bit flipped in byte %d: err = %v", i, err)
				}
			}
		})
	}
}

func TestRSAAAFullRecovery(t *testing.T) {
	challenge := []byte{0xA1, 0xB2, 0xC3, 0xD4, 0xE5, 0xF6, 0x07, 0x18}
	for _, bits := range []int{1024, 2047} {
		key := rsaKey(t, bits, "a")
		flen := bits / 8
		for _, tc := range []struct {
			name    string
			h       crypto.Hash
			trailer []byte
		}{{"BC", crypto.SHA1, []byte{0xBC}}, {"34CC", crypto.SHA256, []byte{0x34, 0xCC}}} {
			t.Run(fmt.Sprintf("%d %s", bits, tc.name), func(t *testing.T) {
				// M is the challenge alone: padded with B nibbles (4B BB .. BA).
				f := representative(t, flen, true, challenge, digest(tc.h, challenge), tc.trailer)
				if f[0] != 0x4B || f[1] != 0xBB {
					t.Fatalf("header %X", f[:2])
				}
				if err := verifyRSAAA(&key.PublicKey, challenge, chiptest.RSARaw(key, f)); err != nil {
					t.Fatalf("M = challenge: %v", err)
				}
				// M fills the block exactly (4A): nonce || challenge.
				nonce := bytes.Repeat([]byte{0x5C}, flen-1-len(tc.trailer)-tc.h.Size()-len(challenge))
				m := append(bytes.Clone(nonce), challenge...)
				f = representative(t, flen, true, m, digest(tc.h, m), tc.trailer)
				if f[0] != 0x4A {
					t.Fatalf("header %X", f[0])
				}
				if err := verifyRSAAA(&key.PublicKey, challenge, chiptest.RSARaw(key, f)); err != nil {
					t.Fatalf("M = nonce || challenge: %v", err)
				}
				// A recovered message that is not about this challenge.
				old := []byte{9, 9, 9, 9, 9, 9, 9, 9}
				f = representative(t, flen, true, old, digest(tc.h, old), tc.trailer)
				wantErr(t, verifyRSAAA(&key.PublicKey, challenge, chiptest.RSARaw(key, f)), errRSAAAMismatch, "does not end with the challenge")
				// Full-recovery header over a partial-recovery hash.
				f = representative(t, flen, true, challenge, digest(tc.h, challenge, challenge), tc.trailer)
				wantErr(t, verifyRSAAA(&key.PublicKey, challenge, chiptest.RSARaw(key, f)), errRSAAAMismatch, "digest mismatch")
			})
		}
	}
}

func TestRSAAANegative(t *testing.T) {
	key := rsaKey(t, 1024, "a")
	pub := &key.PublicKey
	challenge := []byte("8 bytes!")
	const flen = 128
	m1 := bytes.Repeat([]byte{0x3C}, flen-1-20-1)
	good := representative(t, flen, false, m1, digest(crypto.SHA1, m1, challenge), []byte{0xBC})
	if err := verifyRSAAA(pub, challenge, chiptest.RSARaw(key, good)); err != nil {
		t.Fatalf("baseline: %v", err)
	}
	edit := func(f func(b []byte)) []byte {
		b := bytes.Clone(good)
		f(b)
		return chiptest.RSARaw(key, b)
	}
	m1s := bytes.Repeat([]byte{0x3C}, flen-1-32-2) // for SHA-256, two-byte trailer
	m1r := bytes.Repeat([]byte{0x3C}, flen-1-20-2) // for a 20-byte digest, two-byte trailer
	sigLen := len(chiptest.RSARaw(key, good))
	for _, tc := range []struct {
		name   string
		sig    []byte
		class  error
		substr string
	}{
		{"empty signature", nil, errRSAAAMalformed, "signature of 0 bytes"},
		{"one byte", []byte{1}, errRSAAAMalformed, "signature of 1 bytes"},
		{"one byte short", make([]byte, sigLen-1), errRSAAAMalformed, "gives 128"},
		{"one byte long", append([]byte{0}, chiptest.RSARaw(key, good)...), errRSAAAMalformed, "signature of 129 bytes"},
		{"signature = N", key.N.FillBytes(make([]byte, sigLen)), errRSAAAMismatch, "not below the modulus"},
		{"signature = N+1", new(big.Int).Add(key.N, big.NewInt(1)).FillBytes(make([]byte, sigLen)), errRSAAAMismatch, "not below the modulus"},
		{"signature all FF", bytes.Repeat([]byte{0xFF}, sigLen), errRSAAAMismatch, "not below the modulus"},
		{"signature 0", make([]byte, sigLen), errRSAAAMismatch, "nibble C"},
		{"signature 1", append(make([]byte, sigLen-1), 1), errRSAAAMismatch, "possible clone"},
		{"header 5A", edit(func(b []byte) { b[0] = 0x5A }), errRSAAAMismatch, "bad header 5A"},
		{"header 2A", edit(func(b []byte) { b[0] = 0x2A }), errRSAAAMismatch, "bad header 2A"},
		{"header 7A", edit(func(b []byte) { b[0] = 0x7A }), errRSAAAMismatch, "bad header 7A"},
		{"leading zero byte", edit(func(b []byte) { copy(b, append([]byte{0}, b[:len(b)-1]...)); b[len(b)-1] = 0xBC }), errRSAAAMismatch, "bad header 00"},
		{"partial recovery padded with B", edit(func(b []byte) { b[0], b[1] = 0x6B, 0xBA }), errRSAAAMismatch, "padding in a partial-recovery"},
		{"no A after B padding", edit(func(b []byte) { b[0], b[1] = 0x4B, 0xB3 }), errRSAAAMismatch, "no A nibble"},
		{"A nibble mid-byte", edit(func(b []byte) { b[0], b[1] = 0x4B, 0xA3 }), errRSAAAMismatch, "does not end a byte"},
		{"trailer AC", edit(func(b []byte) { b[len(b)-1] = 0xAC }), errRSAAAMismatch, "bad trailer AC"},
		// Not ending in C, the block is opened as N - J (ISO/IEC 9796-2),
		// which fails one way or another.
		{"trailer BD", edit(func(b []byte) { b[len(b)-1] = 0xBD }), errRSAAAMismatch, "possible clone"},
		{"trailer 31CC (RIPEMD-160)", chiptest.RSARaw(key, representative(t, flen, false, m1r, digest(crypto.SHA1, m1r, challenge), []byte{0x31, 0xCC})), errRSAAAMismatch, "unknown hash identifier 31"},
		{"trailer 37CC", chiptest.RSARaw(key, representative(t, flen, false, m1s, digest(crypto.SHA256, m1s, challenge), []byte{0x37, 0xCC})), errRSAAAMismatch, "unknown hash identifier 37"},
		{"SHA-256 digest under trailer 33CC", chiptest.RSARaw(key, representative(t, flen, false, m1s, digest(crypto.SHA256, m1s, challenge), []byte{0x33, 0xCC})), errRSAAAMismatch, "digest mismatch"},
		{"digest flipped", edit(func(b []byte) { b[len(b)-2] ^= 1 }), errRSAAAMismatch, "digest mismatch"},
		{"M1 flipped", edit(func(b []byte) { b[5] ^= 1 }), errRSAAAMismatch, "digest mismatch"},
		{"digest over the challenge only", chiptest.RSARaw(key, representative(t, flen, false, m1, digest(crypto.SHA1, challenge), []byte{0xBC})), errRSAAAMismatch, "digest mismatch"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, verifyRSAAA(pub, challenge, tc.sig), tc.class, tc.substr)
		})
	}

	t.Run("challenge length", func(t *testing.T) {
		sig := chiptest.RSARaw(key, good)
		for _, c := range [][]byte{nil, {}, challenge[:7], append(bytes.Clone(challenge), 0)} {
			wantErr(t, verifyRSAAA(pub, c, sig), nil, "challenge of")
		}
	})

	t.Run("keys", func(t *testing.T) {
		sig := chiptest.RSARaw(key, good)
		small, _ := new(big.Int).SetString("d94d889e88853dd89769a18015a0a2e6bf82bf356fe14f251fb4f5e2df0d9f9a94a68a30c428b39e3362fb3779a497", 16)
		huge := new(big.Int).Lsh(big.NewInt(1), 8200)
		huge.Add(huge, big.NewInt(1))
		for _, tc := range []struct {
			name   string
			pub    *rsa.PublicKey
			substr string
		}{
			{"nil key", nil, "no modulus"},
			{"nil modulus", &rsa.PublicKey{E: 65537}, "no modulus"},
			{"zero modulus", &rsa.PublicKey{N: new(big.Int), E: 65537}, "no modulus"},
			{"negative modulus", &rsa.PublicKey{N: new(big.Int).Neg(key.N), E: 65537}, "no modulus"},
			{"short modulus", &rsa.PublicKey{N: small, E: 65537}, fmt.Sprintf("%d-bit modulus (at least 1024", small.BitLen())},
			{"8201-bit modulus", &rsa.PublicKey{N: huge, E: 65537}, "8201-bit modulus"},
			{"even modulus", &rsa.PublicKey{N: new(big.Int).Add(key.N, big.NewInt(1)), E: 65537}, "even modulus"},
			{"e = 1", &rsa.PublicKey{N: key.N, E: 1}, "public exponent 1"},
			{"e = 2", &rsa.PublicKey{N: key.N, E: 2}, "public exponent 2"},
			{"e = 0", &rsa.PublicKey{N: key.N, E: 0}, "public exponent 0"},
			{"e < 0", &rsa.PublicKey{N: key.N, E: -3}, "public exponent -3"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				wantErr(t, verifyRSAAA(tc.pub, challenge, sig), errRSAAAKey, tc.substr)
			})
		}
	})
}

// FuzzVerifyRSAAA feeds arbitrary challenges, signatures and (with
// keySel > 2) moduli and exponents: verifyRSAAA must never panic, and
// what it accepts must at least have the shape of an answer.
func FuzzVerifyRSAAA(f *testing.F) {
	k1024 := rsaKey(f, 1024, "a")
	k1535 := rsaKey(f, 1535, "a")
	kat, _ := new(big.Int).SetString("CDCBDABBF93BE8E8294E32B055256BBD0397735189BF75816341BB0D488D05D627991221DF7D59835C76A4BB4808ADEEB779E7794504E956ADC2A661B46904CDC71337DD29DDDD454124EF79CFDD7BC2C21952573CEFBA485CC38C6BD2428809B5A31A898A6B5648CAA4ED678D9743B589134B7187478996300EDBA16271A861", 16)
	katSig, _ := hex.DecodeString("482E20D1EDDED34359C38F5E7C01203F9D6B2641CDCA5C404D49ADAEDE034C7481D781D043722587761C90468DE69C6585A1E8B9C322F90E1B580EEDAB3F6007D0C366CF92B4DB8B41C8314929DCE2BE889C0129123484D2FD3D12763D2EBFD12AC8E51D7061AFCA1A53DEDEC7B9A617472A78C952CCC72467AE008E5F132994")
	keys := []*rsa.PublicKey{{N: kat, E: 65537}, &k1024.PublicKey, &k1535.PublicKey}

	zero := make([]byte, 8)
	ch := []byte{1, 2, 3, 4, 5, 6, 7, 8}
	f.Add(byte(0), zero, katSig, []byte(nil), uint32(0))
	for sel, k := range []*rsa.PrivateKey{k1024, k1535} {
		for _, h := range []crypto.Hash{0, crypto.SHA256, crypto.SHA512} {
			sig, err := chiptest.SignRSAAA(rand.Reader, k, ch, h)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(byte(sel+1), ch, sig, []byte(nil), uint32(0))
			bad := bytes.Clone(sig)
			bad[len(bad)/3] ^= 0x80
			f.Add(byte(sel+1), ch, bad, []byte(nil), uint32(0))
		}
		flen := k.N.BitLen() / 8
		full := representative(f, flen, true, ch, digest(crypto.SHA1, ch), []byte{0xBC})
		f.Add(byte(sel+1), ch, chiptest.RSARaw(k, full), []byte(nil), uint32(0))
		f.Add(byte(sel+1), ch, k.N.Bytes(), []byte(nil), uint32(0))
	}
	f.Add(byte(0), zero, katSig[:100], []byte(nil), uint32(0))
	f.Add(byte(0), zero[:3], katSig, []byte(nil), uint32(0))
	f.Add(byte(3), zero, katSig, kat.Bytes(), uint32(3))
	f.Add(byte(3), zero, []byte{0xBC}, []byte{0x01, 0x01}, uint32(1))
	f.Add(byte(3), zero, katSig, append([]byte{0x80}, make([]byte, 127)...), uint32(65537))

	f.Fuzz(func(t *testing.T, keySel byte, challenge, sig, modulus []byte, e uint32) {
		var pub *rsa.PublicKey
		if int(keySel) < len(keys) {
			pub = keys[keySel]
		} else {
			if len(modulus) > 1100 { // bound the work per input
				modulus = modulus[:1100]
			}
			pub = &rsa.PublicKey{N: new(big.Int).SetBytes(modulus), E: int(e)}
		}
		err := verifyRSAAA(pub, challenge, sig)
		if err == nil && (len(challenge) != 8 || len(sig) != (pub.N.BitLen()+7)/8) {
			t.Fatalf("accepted a %d-byte signature over a %d-byte challenge", len(sig), len(challenge))
		}
	})
}

// rsaDocument builds a document whose DG15 holds an RSA key.
func rsaDocument(t *testing.T, aa *rsa.PrivateKey, infos []lds.PACEInfo) (*chiptest.Document, *pa.TrustStore) {
	t.Helper()
	pki, err := chiptest.NewPKI(chiptest.PKIOpts{})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := chiptest.NewDocument(chiptest.DocumentOpts{PKI: pki, AAKey: aa, PACE: infos})
	if err != nil {
		t.Fatal(err)
	}
	// ICAO 9303 Part 11 §6.1: ActiveAuthenticationInfo is for ECDSA keys
	// only, so an RSA document needs no DG14.
	if _, ok := doc.DGs[14]; ok {
		t.Fatal("DG14 written for an RSA active authentication key")
	}
	return doc, &pa.TrustStore{CSCAs: []*x509.Certificate{pki.CSCA}}
}

// TestReadRSAActiveAuth reads whole documents with RSA active
// authentication from the simulated chip.
func TestReadRSAActiveAuth(t *testing.T) {
	ecdhAES := []lds.PACEInfo{{Protocol: pace.OID(true, pace.GenericMapping, sm.AlgAES128), Version: 2, ParameterID: 13}}
	for _, tc := range []struct {
		name  string
		bits  int
		h     crypto.Hash
		infos []lds.PACEInfo
	}{
		{"BAC 1024 SHA-1 BC", 1024, 0, nil},
		{"BAC 2048 SHA-1 BC", 2048, 0, nil},
		{"PACE 2048 SHA-256 34CC", 2048, crypto.SHA256, ecdhAES},
		{"BAC 3072 SHA-256 34CC (extended length)", 3072, crypto.SHA256, nil},
		{"BAC 2047-bit modulus", 2047, 0, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			aa := rsaKey(t, tc.bits, "a")
			doc, trust := rsaDocument(t, aa, tc.infos)
			p := chiptest.NewPassport(doc, chiptest.PassportOpts{AAKey: aa, AARSAHash: tc.h})
			res, err := Read(context.Background(), p, Opts{Key: doc.Key, Trust: trust, PrintedMRZ: doc.MRZ})
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := res.DG15.PublicKey.(*rsa.PublicKey); !ok {
				t.Fatalf("DG15 key %T", res.DG15.PublicKey)
			}
			if res.AA.Status != pa.Pass {
				t.Fatalf("AA = %+v", res.AA)
			}
			if !res.PA.Passed() {
				t.Fatalf("PA %+v", res.PA.Checks)
			}
			if pass, ok := res.ChipResult().Checks[CheckActiveAuth]; !ok || !pass {
				t.Fatalf("ChipResult %+v", res.ChipResult().Checks)
			}
		})
	}
}

func TestReadRSAActiveAuthFails(t *testing.T) {
	aa := rsaKey(t, 2048, "a")
	doc, trust := rsaDocument(t, aa, nil)
	read := func(t *testing.T, d *chiptest.Document, o chiptest.PassportOpts) *Result {
		t.Helper()
		res, err := Read(context.Background(), chiptest.NewPassport(d, o), Opts{Key: d.Key, Trust: trust})
		if err != nil {
			t.Fatal(err)
		}
		if !res.PA.Passed() {
			t.Fatalf("PA %+v", res.PA.Checks) // PA alone cannot see a clone
		}
		return res
	}
	failed := func(t *testing.T, res *Result, substr string) {
		t.Helper()
		if res.AA.Status != pa.Fail || !strings.Contains(res.AA.Reason, substr) {
			t.Fatalf("AA = %+v, want a failure saying %q", res.AA, substr)
		}
		if pass, ok := res.ChipResult().Checks[CheckActiveAuth]; !ok || pass {
			t.Fatalf("active_auth not reported failed: %+v", res.ChipResult().Checks)
		}
	}
	t.Run("cloned chip (AA key differs from DG15)", func(t *testing.T) {
		res := read(t, doc, chiptest.PassportOpts{AAKey: rsaKey(t, 2048, "clone")})
		failed(t, res, "chip signature does not verify with the DG15 key (possible clone)")
	})
	t.Run("chip answers with ECDSA", func(t *testing.T) {
		k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		res := read(t, doc, chiptest.PassportOpts{AAKey: k})
		failed(t, res, "malformed INTERNAL AUTHENTICATE answer: signature of 64 bytes")
	})
	t.Run("chip without active authentication", func(t *testing.T) {
		res := read(t, doc, chiptest.PassportOpts{})
		failed(t, res, "6D00")
	})
	t.Run("DG15 key too short", func(t *testing.T) {
		small, _ := new(big.Int).SetString("d94d889e88853dd89769a18015a0a2e6bf82bf356fe14f251fb4f5e2df0d9f9a94a68a30c428b39e3362fb3779a497", 16)
		der, err := x509.MarshalPKIXPublicKey(&rsa.PublicKey{N: small, E: 65537})
		if err != nil {
			t.Fatal(err)
		}
		weak := *doc
		weak.DGs = map[int][]byte{}
		for n, b := range doc.DGs {
			weak.DGs[n] = b
		}
		weak.DGs[15] = append([]byte{0x6F, byte(len(der))}, der...)
		if err := weak.Sign(crypto.SHA256); err != nil {
			t.Fatal(err)
		}
		res := read(t, &weak, chiptest.PassportOpts{AAKey: aa})
		if res.AA.Status != pa.NotChecked || !strings.Contains(res.AA.Reason, "-bit modulus (at least 1024 needed)") {
			t.Fatalf("AA = %+v", res.AA)
		}
		if _, ok := res.ChipResult().Checks[CheckActiveAuth]; ok {
			t.Fatal("active_auth reported for a key that was not used")
		}
	})
}
