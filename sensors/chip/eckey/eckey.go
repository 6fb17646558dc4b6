// Package eckey decodes elliptic-curve public keys as eMRTDs carry them,
// including the ones crypto/x509 refuses: keys on the brainpool r1 curves
// (RFC 5639, github.com/osanderson/brainpool), curves given by explicit
// domain parameters (SEC 1 §C.2, BSI TR-03111), and the standardized domain
// parameter ids of ICAO 9303 Part 11 §9.5.1 (BSI ecKeyType with an
// INTEGER). Explicit parameters are matched against the known curves: no
// curve is ever built from parameters a document supplies.
//
// Who may import it: sensors/chip/pa (certificates), sensors/chip/lds (DG14
// and EF.CardSecurity keys) and sensors/chip/ca.
package eckey

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"

	"github.com/osanderson/brainpool"
)

// ErrKey wraps every refusal.
var ErrKey = errors.New("eckey")

// Algorithm identifiers of an EC SubjectPublicKeyInfo.
var (
	// OIDECPublicKey is id-ecPublicKey (RFC 5480).
	OIDECPublicKey = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	// OIDBSIECKeyType is BSI TR-03110's ecKeyType, whose parameters may
	// be a standardized domain parameter id.
	OIDBSIECKeyType = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 1, 2}
	// OIDPKECDH is id-PK-ECDH, which some chips put as the algorithm of
	// their chip authentication key.
	OIDPKECDH = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 2, 2, 1, 2}

	oidPrimeField = asn1.ObjectIdentifier{1, 2, 840, 10045, 1, 1}
)

// Known is a curve this package resolves.
type Known struct {
	Name string
	OID  asn1.ObjectIdentifier
	// ID is the ICAO standardized domain parameter id (§9.5.1).
	ID    int
	Curve func() elliptic.Curve
	// X509 reports that crypto/x509 parses keys named by OID on it.
	X509 bool
}

// Curves are the curves keys may use.
var Curves = []Known{
	{"brainpoolP192r1", asn1.ObjectIdentifier{1, 3, 36, 3, 3, 2, 8, 1, 1, 3}, 9, brainpool.P192r1, false},
	{"brainpoolP224r1", asn1.ObjectIdentifier{1, 3, 36, 3, 3, 2, 8, 1, 1, 5}, 11, brainpool.P224r1, false},
	{"brainpoolP256r1", asn1.ObjectIdentifier{1, 3, 36, 3, 3, 2, 8, 1, 1, 7}, 13, brainpool.P256r1, false},
	{"brainpoolP320r1", asn1.ObjectIdentifier{1, 3, 36, 3, 3, 2, 8, 1, 1, 9}, 14, brainpool.P320r1, false},
	{"brainpoolP384r1", asn1.ObjectIdentifier{1, 3, 36, 3, 3, 2, 8, 1, 1, 11}, 16, brainpool.P384r1, false},
	{"brainpoolP512r1", asn1.ObjectIdentifier{1, 3, 36, 3, 3, 2, 8, 1, 1, 13}, 17, brainpool.P512r1, false},
	{"P-224", asn1.ObjectIdentifier{1, 3, 132, 0, 33}, 10, elliptic.P224, true},
	{"P-256", asn1.ObjectIdentifier{1, 2, 840, 10045, 3, 1, 7}, 12, elliptic.P256, true},
	{"P-384", asn1.ObjectIdentifier{1, 3, 132, 0, 34}, 15, elliptic.P384, true},
	{"P-521", asn1.ObjectIdentifier{1, 3, 132, 0, 35}, 18, elliptic.P521, true},
}

// Unknown is what Name says of a curve that is not in Curves.
const Unknown = "an unknown curve"

// Name names c if it is a known curve, else returns Unknown.
func Name(c elliptic.Curve) string {
	for _, k := range Curves {
		if k.Curve() == c {
			return k.Name
		}
	}
	return Unknown
}

// Named returns the known curve with that OID.
func Named(oid asn1.ObjectIdentifier) (Known, bool) {
	for _, k := range Curves {
		if k.OID.Equal(oid) {
			return k, true
		}
	}
	return Known{}, false
}

// Curve resolves EC parameters: a named curve (OID), explicit domain
// parameters equal to a known curve's, or a standardized domain parameter
// id (INTEGER).
func Curve(params asn1.RawValue) (elliptic.Curve, string, error) {
	switch {
	case params.Class == asn1.ClassUniversal && params.Tag == asn1.TagOID:
		var oid asn1.ObjectIdentifier
		if rest, err := asn1.Unmarshal(params.FullBytes, &oid); err != nil || len(rest) != 0 {
			return nil, "", fmt.Errorf("%w: malformed named curve", ErrKey)
		}
		if k, ok := Named(oid); ok {
			return k.Curve(), k.Name, nil
		}
		return nil, "", fmt.Errorf("%w: public key on unknown curve %v", ErrKey, oid)
	case params.Class == asn1.ClassUniversal && params.Tag == asn1.TagSequence:
		return explicit(params.FullBytes)
	case params.Class == asn1.ClassUniversal && params.Tag == asn1.TagInteger:
		var id int
		if rest, err := asn1.Unmarshal(params.FullBytes, &id); err != nil || len(rest) != 0 {
			return nil, "", fmt.Errorf("%w: malformed domain parameter id", ErrKey)
		}
		for _, k := range Curves {
			if k.ID == id {
				return k.Curve(), k.Name, nil
			}
		}
		return nil, "", fmt.Errorf("%w: standardized domain parameter %d is not an elliptic curve this lane knows", ErrKey, id)
	case params.Class == asn1.ClassUniversal && params.Tag == asn1.TagNull:
		return nil, "", fmt.Errorf("%w: implicitlyCA EC parameters not supported", ErrKey)
	}
	return nil, "", fmt.Errorf("%w: EC public key without curve parameters", ErrKey)
}

// ecParameters is SpecifiedECDomain (SEC 1 §C.2, RFC 3279 §2.3.5, BSI
// TR-03111 §4.1.2).
type ecParameters struct {
	Version int
	FieldID struct {
		FieldType  asn1.ObjectIdentifier
		Parameters asn1.RawValue
	}
	Curve struct {
		A, B []byte
		Seed asn1.BitString `asn1:"optional"`
	}
	Base     []byte
	Order    *big.Int
	Cofactor *big.Int `asn1:"optional"`
}

// explicit matches explicit EC domain parameters against the known curves:
// p, n and G compared, a and b checked through the curve equation
// y² = x³ + ax + b at G and 2G (two points with different x fix a and b),
// the cofactor, when given, 1.
func explicit(der []byte) (elliptic.Curve, string, error) {
	var ep ecParameters
	rest, err := asn1.Unmarshal(der, &ep)
	if err != nil {
		return nil, "", fmt.Errorf("%w: EC domain parameters: %w", ErrKey, err)
	}
	if len(rest) != 0 {
		return nil, "", fmt.Errorf("%w: EC domain parameters: trailing bytes", ErrKey)
	}
	if ep.Version < 1 || ep.Version > 3 {
		return nil, "", fmt.Errorf("%w: EC domain parameters version %d", ErrKey, ep.Version)
	}
	if !ep.FieldID.FieldType.Equal(oidPrimeField) {
		return nil, "", fmt.Errorf("%w: EC field type %v not supported", ErrKey, ep.FieldID.FieldType)
	}
	var p *big.Int
	if rest, err := asn1.Unmarshal(ep.FieldID.Parameters.FullBytes, &p); err != nil || len(rest) != 0 {
		return nil, "", fmt.Errorf("%w: EC prime field: malformed prime", ErrKey)
	}
	if ep.Order == nil {
		return nil, "", fmt.Errorf("%w: EC domain parameters without order", ErrKey)
	}
	if ep.Cofactor != nil && ep.Cofactor.Cmp(big.NewInt(1)) != 0 {
		return nil, "", fmt.Errorf("%w: EC cofactor %v not supported", ErrKey, ep.Cofactor)
	}
	a := new(big.Int).SetBytes(ep.Curve.A)
	b := new(big.Int).SetBytes(ep.Curve.B)
	for _, k := range Curves {
		c := k.Curve()
		prm := c.Params()
		if prm.P.Cmp(p) != 0 || prm.N.Cmp(ep.Order) != 0 {
			continue
		}
		if a.Cmp(p) >= 0 || b.Cmp(p) >= 0 || !sameBase(prm, ep.Base) {
			break
		}
		x2, y2 := c.Double(prm.Gx, prm.Gy)
		if !onEquation(p, a, b, prm.Gx, prm.Gy) || !onEquation(p, a, b, x2, y2) {
			break
		}
		return c, k.Name, nil
	}
	return nil, "", fmt.Errorf("%w: explicit EC domain parameters match no known curve", ErrKey)
}

// sameBase compares an encoded base point with the curve's generator.
func sameBase(prm *elliptic.CurveParams, enc []byte) bool {
	n := (prm.P.BitLen() + 7) / 8
	switch {
	case len(enc) == 1+2*n && enc[0] == 4:
		return new(big.Int).SetBytes(enc[1:1+n]).Cmp(prm.Gx) == 0 && new(big.Int).SetBytes(enc[1+n:]).Cmp(prm.Gy) == 0
	case len(enc) == 1+n && (enc[0] == 2 || enc[0] == 3):
		return new(big.Int).SetBytes(enc[1:]).Cmp(prm.Gx) == 0 && prm.Gy.Bit(0) == uint(enc[0]&1)
	}
	return false
}

// onEquation reports whether y² = x³ + ax + b mod p.
func onEquation(p, a, b, x, y *big.Int) bool {
	l := new(big.Int).Mul(y, y)
	l.Mod(l, p)
	r := new(big.Int).Exp(x, big.NewInt(3), p)
	r.Add(r, new(big.Int).Mul(a, x))
	r.Add(r, b)
	r.Mod(r, p)
	return l.Cmp(r) == 0
}

// Point decodes an uncompressed point (SEC 1 §2.3.4) and checks it lies on
// the curve.
func Point(c elliptic.Curve, enc []byte) (x, y *big.Int, err error) {
	p := c.Params().P
	n := (p.BitLen() + 7) / 8
	switch {
	case len(enc) == 0:
		return nil, nil, fmt.Errorf("%w: empty point", ErrKey)
	case enc[0] == 2 || enc[0] == 3:
		return nil, nil, fmt.Errorf("%w: compressed point not supported", ErrKey)
	case enc[0] != 4 || len(enc) != 1+2*n:
		return nil, nil, fmt.Errorf("%w: malformed point", ErrKey)
	}
	x = new(big.Int).SetBytes(enc[1 : 1+n])
	y = new(big.Int).SetBytes(enc[1+n:])
	if x.Cmp(p) >= 0 || y.Cmp(p) >= 0 || !c.IsOnCurve(x, y) {
		return nil, nil, fmt.Errorf("%w: point not on the curve", ErrKey)
	}
	return x, y, nil
}

// ParseSPKI decodes a DER SubjectPublicKeyInfo holding an EC key (algorithm
// id-ecPublicKey, BSI ecKeyType or id-PK-ECDH) on a known curve.
func ParseSPKI(der []byte) (*ecdsa.PublicKey, string, error) {
	var spki struct {
		Algorithm pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}
	rest, err := asn1.Unmarshal(der, &spki)
	if err != nil || len(rest) != 0 {
		return nil, "", fmt.Errorf("%w: not a SubjectPublicKeyInfo", ErrKey)
	}
	alg := spki.Algorithm.Algorithm
	if !alg.Equal(OIDECPublicKey) && !alg.Equal(OIDBSIECKeyType) && !alg.Equal(OIDPKECDH) {
		return nil, "", fmt.Errorf("%w: algorithm %v is not an EC public key", ErrKey, alg)
	}
	c, name, err := Curve(spki.Algorithm.Parameters)
	if err != nil {
		return nil, "", err
	}
	if spki.PublicKey.BitLength%8 != 0 {
		return nil, "", fmt.Errorf("%w: public key is not a whole number of bytes", ErrKey)
	}
	x, y, err := Point(c, spki.PublicKey.Bytes)
	if err != nil {
		return nil, "", fmt.Errorf("%w (%s)", err, name)
	}
	return &ecdsa.PublicKey{Curve: c, X: x, Y: y}, name, nil
}
