package eckey_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"strings"
	"testing"

	"github.com/egate/egate/sensors/chip/chiptest"
	"github.com/egate/egate/sensors/chip/eckey"
	"github.com/osanderson/brainpool"
)

func TestParseSPKI(t *testing.T) {
	for _, k := range eckey.Curves {
		t.Run(k.Name, func(t *testing.T) {
			key, err := ecdsa.GenerateKey(k.Curve(), rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			var encodings [][]byte
			if k.X509 {
				der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
				if err != nil {
					t.Fatal(err)
				}
				encodings = append(encodings, der)
			} else {
				named, err := chiptest.MarshalECPublicKey(&key.PublicKey, false)
				if err != nil {
					t.Fatal(err)
				}
				encodings = append(encodings, named)
			}
			explicit, err := chiptest.MarshalECPublicKey(&key.PublicKey, true)
			if err != nil {
				t.Fatal(err)
			}
			encodings = append(encodings, explicit, byID(t, k.ID, &key.PublicKey))
			for i, der := range encodings {
				pub, name, err := eckey.ParseSPKI(der)
				if err != nil {
					t.Fatalf("encoding %d: %v", i, err)
				}
				if name != k.Name || pub.Curve != k.Curve() || pub.X.Cmp(key.X) != 0 || pub.Y.Cmp(key.Y) != 0 {
					t.Fatalf("encoding %d: %s %v", i, name, pub)
				}
			}
		})
	}
}

// byID encodes the key as BSI ecKeyType with a standardized domain
// parameter id (ICAO 9303 Part 11 §9.5.1).
func byID(t *testing.T, id int, pub *ecdsa.PublicKey) []byte {
	t.Helper()
	n := (pub.Curve.Params().BitSize + 7) / 8
	pt := make([]byte, 1+2*n)
	pt[0] = 4
	pub.X.FillBytes(pt[1 : 1+n])
	pub.Y.FillBytes(pt[1+n:])
	idDER, _ := asn1.Marshal(id)
	der, err := asn1.Marshal(struct {
		Alg struct {
			OID    asn1.ObjectIdentifier
			Params asn1.RawValue
		}
		Key asn1.BitString
	}{struct {
		OID    asn1.ObjectIdentifier
		Params asn1.RawValue
	}{eckey.OIDBSIECKeyType, asn1.RawValue{FullBytes: idDER}}, asn1.BitString{Bytes: pt, BitLength: 8 * len(pt)}})
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestRefusals(t *testing.T) {
	key, _ := ecdsa.GenerateKey(brainpool.P256r1(), rand.Reader)
	named, _ := chiptest.MarshalECPublicKey(&key.PublicKey, false)
	explicit, _ := chiptest.MarshalECPublicKey(&key.PublicKey, true)
	rsaLike, _ := asn1.Marshal(struct {
		Alg struct{ OID asn1.ObjectIdentifier }
		Key asn1.BitString
	}{struct{ OID asn1.ObjectIdentifier }{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}}, asn1.BitString{Bytes: []byte{1}, BitLength: 8}})
	replace := func(b []byte, old, new []byte) []byte {
		i := strings.Index(string(b), string(old))
		if i < 0 {
			t.Fatalf("%X not found", old)
		}
		out := append([]byte{}, b...)
		copy(out[i:], new)
		return out
	}
	secp256k1, _ := asn1.Marshal(asn1.ObjectIdentifier{1, 3, 132, 0, 10})
	n := len(named)
	for name, tc := range map[string]struct {
		der  []byte
		want string
	}{
		"empty":                                 {nil, "not a SubjectPublicKeyInfo"},
		"trailing bytes":                        {append(append([]byte{}, named...), 0), "not a SubjectPublicKeyInfo"},
		"RSA key":                               {rsaLike, "not an EC public key"},
		"unknown curve":                         {withParams(t, eckey.OIDECPublicKey, secp256k1, named), "unknown curve 1.3.132.0.10"},
		"implicitlyCA":                          {withParams(t, eckey.OIDECPublicKey, []byte{5, 0}, named), "implicitlyCA"},
		"off the curve":                         {append(append([]byte{}, named[:n-1]...), named[n-1]^1), "not on the curve"},
		"explicit, b altered":                   {replace(explicit, []byte{0x26, 0xDC, 0x5C, 0x6C, 0xE9, 0x4A, 0x4B, 0x44}, []byte{1, 2, 3, 4, 5, 6, 7, 8}), "match no known curve"},
		"domain parameter 8":                    {byID(t, 8, &key.PublicKey), "not an elliptic curve this lane knows"},
		"domain parameter 13, wrong point size": {byID(t, 13, &ecdsa.PublicKey{Curve: elliptic.P384(), X: key.X, Y: key.Y}), "malformed point"},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := eckey.ParseSPKI(tc.der)
			if !errors.Is(err, eckey.ErrKey) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

// withParams re-encodes spki's key under another algorithm and parameters.
func withParams(t *testing.T, oid asn1.ObjectIdentifier, params, spki []byte) []byte {
	t.Helper()
	var v struct {
		Alg struct {
			OID    asn1.ObjectIdentifier
			Params asn1.RawValue
		}
		Key asn1.BitString
	}
	if _, err := asn1.Unmarshal(spki, &v); err != nil {
		t.Fatal(err)
	}
	v.Alg.OID, v.Alg.Params = oid, asn1.RawValue{FullBytes: params}
	der, err := asn1.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func FuzzParseSPKI(f *testing.F) {
	key, _ := ecdsa.GenerateKey(brainpool.P256r1(), rand.Reader)
	named, _ := chiptest.MarshalECPublicKey(&key.PublicKey, false)
	explicit, _ := chiptest.MarshalECPublicKey(&key.PublicKey, true)
	f.Add(named)
	f.Add(explicit)
	f.Fuzz(func(t *testing.T, b []byte) {
		pub, name, err := eckey.ParseSPKI(b)
		if err != nil {
			return
		}
		if !pub.Curve.IsOnCurve(pub.X, pub.Y) || name == eckey.Unknown {
			t.Fatalf("accepted %s point off its curve", name)
		}
	})
}
