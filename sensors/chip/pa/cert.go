package pa

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/egate/egate/sensors/chip/eckey"
)

// ErrCertificate wraps the errors of ParseCertificate's own parser.
var ErrCertificate = errors.New("pa: certificate")

// Certificate is an X.509 certificate (RFC 5280) as passive authentication
// uses it. crypto/x509 parses what it can (RSA keys, EC keys on the NIST
// curves given by name); the rest — EC keys on the brainpool r1 curves
// (RFC 5639), by name or by explicit domain parameters (BSI TR-03111), and
// NIST curves given by explicit parameters — is parsed by this package with
// encoding/asn1.
type Certificate struct {
	// X509 is the crypto/x509 form; nil when crypto/x509 cannot parse the
	// certificate.
	X509 *x509.Certificate

	Raw               []byte // the whole certificate (DER)
	RawTBSCertificate []byte // the bytes the issuer signed
	RawIssuer         []byte
	RawSubject        []byte

	Version             int // 1, 2 or 3
	SerialNumber        *big.Int
	Issuer, Subject     pkix.Name
	NotBefore, NotAfter time.Time

	// PublicKey is an *ecdsa.PublicKey (whose Curve may be a brainpool
	// curve), an *rsa.PublicKey or another key crypto/x509 gives.
	PublicKey crypto.PublicKey
	// Curve names an EC key's curve ("brainpoolP256r1", "P-256"), empty
	// for other keys.
	Curve string

	// SignatureAlgorithm and Signature are the issuer's signature over
	// RawTBSCertificate.
	SignatureAlgorithm pkix.AlgorithmIdentifier
	Signature          []byte

	SubjectKeyId          []byte
	AuthorityKeyId        []byte
	BasicConstraintsValid bool
	IsCA                  bool
	KeyUsage              x509.KeyUsage
}

// Object identifiers of certificates (RFC 5280 §4.2.1, RFC 5480, RFC 5639,
// ANSI X9.62).
var (
	oidExtSubjectKeyID   = asn1.ObjectIdentifier{2, 5, 29, 14}
	oidExtKeyUsage       = asn1.ObjectIdentifier{2, 5, 29, 15}
	oidExtBasicConstr    = asn1.ObjectIdentifier{2, 5, 29, 19}
	oidExtAuthorityKeyID = asn1.ObjectIdentifier{2, 5, 29, 35}
)

// ParseCertificate parses one DER certificate: with crypto/x509 when it
// can, otherwise with this package's parser, which takes EC keys on the
// brainpool r1 curves (named, or by explicit domain parameters) and NIST
// curves given by explicit parameters. Other certificates crypto/x509
// refuses are refused with crypto/x509's error.
func ParseCertificate(der []byte) (*Certificate, error) {
	xc, xerr := x509.ParseCertificate(der)
	if xerr == nil {
		return fromX509(xc)
	}
	return parseCertificate(der, xerr)
}

// FromX509 wraps a certificate crypto/x509 parsed.
func FromX509(xc *x509.Certificate) (*Certificate, error) {
	if xc == nil {
		return nil, fmt.Errorf("%w: nil", ErrCertificate)
	}
	return fromX509(xc)
}

func fromX509(xc *x509.Certificate) (*Certificate, error) {
	env, err := parseEnvelope(xc.Raw)
	if err != nil {
		return nil, err
	}
	c := &Certificate{
		X509:                  xc,
		Raw:                   xc.Raw,
		RawTBSCertificate:     xc.RawTBSCertificate,
		RawIssuer:             xc.RawIssuer,
		RawSubject:            xc.RawSubject,
		Version:               xc.Version,
		SerialNumber:          xc.SerialNumber,
		Issuer:                xc.Issuer,
		Subject:               xc.Subject,
		NotBefore:             xc.NotBefore,
		NotAfter:              xc.NotAfter,
		PublicKey:             xc.PublicKey,
		SignatureAlgorithm:    env.Algorithm,
		Signature:             xc.Signature,
		SubjectKeyId:          xc.SubjectKeyId,
		AuthorityKeyId:        xc.AuthorityKeyId,
		BasicConstraintsValid: xc.BasicConstraintsValid,
		IsCA:                  xc.IsCA,
		KeyUsage:              xc.KeyUsage,
	}
	if k, ok := xc.PublicKey.(*ecdsa.PublicKey); ok {
		c.Curve = eckey.Name(k.Curve)
	}
	return c, nil
}

// envelope is the outer SEQUENCE of a certificate or CRL: the signed part,
// the signature algorithm and the signature (RFC 5280 §4.1, §5.1).
type envelope struct {
	TBS       asn1.RawValue
	Algorithm pkix.AlgorithmIdentifier
	Signature asn1.BitString
}

func parseEnvelope(der []byte) (*envelope, error) {
	var env envelope
	rest, err := asn1.Unmarshal(der, &env)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCertificate, err)
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%w: trailing bytes", ErrCertificate)
	}
	if env.TBS.Class != asn1.ClassUniversal || env.TBS.Tag != asn1.TagSequence || !env.TBS.IsCompound {
		return nil, fmt.Errorf("%w: signed part is not a SEQUENCE", ErrCertificate)
	}
	if env.Signature.BitLength%8 != 0 {
		return nil, fmt.Errorf("%w: signature is not a whole number of bytes", ErrCertificate)
	}
	return &env, nil
}

type tbsCertificate struct {
	Version              int `asn1:"optional,explicit,default:0,tag:0"`
	SerialNumber         *big.Int
	SignatureAlgorithm   pkix.AlgorithmIdentifier
	Issuer               asn1.RawValue
	Validity             validity
	Subject              asn1.RawValue
	SubjectPublicKeyInfo subjectPublicKeyInfo
	IssuerUniqueID       asn1.BitString   `asn1:"optional,tag:1"`
	SubjectUniqueID      asn1.BitString   `asn1:"optional,tag:2"`
	Extensions           []pkix.Extension `asn1:"optional,explicit,tag:3"`
}

// validity takes UTCTime and GeneralizedTime alike.
type validity struct {
	NotBefore, NotAfter time.Time
}

type subjectPublicKeyInfo struct {
	Algorithm pkix.AlgorithmIdentifier
	PublicKey asn1.BitString
}

// parseCertificate is the parser for certificates crypto/x509 refused with
// xerr.
func parseCertificate(der []byte, xerr error) (*Certificate, error) {
	env, err := parseEnvelope(der)
	if err != nil {
		return nil, fmt.Errorf("%w; %w", xerr, err)
	}
	var tbs tbsCertificate
	if err := unmarshalAll(env.TBS.FullBytes, &tbs); err != nil {
		return nil, fmt.Errorf("%w; %w: TBSCertificate: %w", xerr, ErrCertificate, err)
	}
	// Keys crypto/x509 knows stay with it: its error stands.
	spki := tbs.SubjectPublicKeyInfo
	if !spki.Algorithm.Algorithm.Equal(oidECPublicKey) {
		return nil, xerr
	}
	if tbs.Version < 0 || tbs.Version > 2 {
		return nil, fmt.Errorf("%w: version %d", ErrCertificate, tbs.Version+1)
	}
	if tbs.SerialNumber == nil {
		return nil, fmt.Errorf("%w: no serial number", ErrCertificate)
	}
	if !sameAlgorithm(tbs.SignatureAlgorithm, env.Algorithm) {
		return nil, fmt.Errorf("%w: inner and outer signature algorithms differ", ErrCertificate)
	}
	c := &Certificate{
		Raw:                der,
		RawTBSCertificate:  env.TBS.FullBytes,
		RawIssuer:          tbs.Issuer.FullBytes,
		RawSubject:         tbs.Subject.FullBytes,
		Version:            tbs.Version + 1,
		SerialNumber:       tbs.SerialNumber,
		NotBefore:          tbs.Validity.NotBefore,
		NotAfter:           tbs.Validity.NotAfter,
		SignatureAlgorithm: env.Algorithm,
		Signature:          env.Signature.Bytes,
	}
	if err := parseName(tbs.Issuer, &c.Issuer); err != nil {
		return nil, fmt.Errorf("%w: issuer: %w", ErrCertificate, err)
	}
	if err := parseName(tbs.Subject, &c.Subject); err != nil {
		return nil, fmt.Errorf("%w: subject: %w", ErrCertificate, err)
	}
	curve, name, err := ecCurve(spki.Algorithm.Parameters, xerr)
	if err != nil {
		return nil, err
	}
	if spki.PublicKey.BitLength%8 != 0 {
		return nil, fmt.Errorf("%w: public key is not a whole number of bytes", ErrCertificate)
	}
	x, y, err := eckey.Point(curve, spki.PublicKey.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%w: %s public key: %w", ErrCertificate, name, err)
	}
	c.PublicKey = &ecdsa.PublicKey{Curve: curve, X: x, Y: y}
	c.Curve = name
	if len(tbs.Extensions) > 0 && c.Version != 3 {
		return nil, fmt.Errorf("%w: extensions in a version %d certificate", ErrCertificate, c.Version)
	}
	if err := parseExtensions(c, tbs.Extensions); err != nil {
		return nil, err
	}
	return c, nil
}

// sameAlgorithm compares algorithm identifiers, taking absent and NULL
// parameters as equal.
func sameAlgorithm(a, b pkix.AlgorithmIdentifier) bool {
	if !a.Algorithm.Equal(b.Algorithm) {
		return false
	}
	null := func(p asn1.RawValue) bool {
		return len(p.FullBytes) == 0 || bytes.Equal(p.FullBytes, asn1.NullBytes)
	}
	if null(a.Parameters) && null(b.Parameters) {
		return true
	}
	return bytes.Equal(a.Parameters.FullBytes, b.Parameters.FullBytes)
}

func parseName(raw asn1.RawValue, out *pkix.Name) error {
	if raw.Class != asn1.ClassUniversal || raw.Tag != asn1.TagSequence || !raw.IsCompound {
		return errors.New("not a SEQUENCE")
	}
	var rdn pkix.RDNSequence
	rest, err := asn1.Unmarshal(raw.FullBytes, &rdn)
	if err != nil {
		return err
	}
	if len(rest) != 0 {
		return errors.New("trailing bytes")
	}
	out.FillFromRDNSequence(&rdn)
	return nil
}

// ecCurve resolves the id-ecPublicKey parameters (sensors/chip/eckey): a
// named brainpool curve, explicit domain parameters equal to those of a
// known curve. A curve crypto/x509 knows by name leaves its error xerr
// standing.
func ecCurve(params asn1.RawValue, xerr error) (elliptic.Curve, string, error) {
	if params.Class == asn1.ClassUniversal && params.Tag == asn1.TagOID {
		var oid asn1.ObjectIdentifier
		if _, err := asn1.Unmarshal(params.FullBytes, &oid); err == nil {
			if k, ok := eckey.Named(oid); ok && k.X509 {
				return nil, "", xerr
			}
		}
	}
	c, name, err := eckey.Curve(params)
	if err != nil {
		return nil, "", fmt.Errorf("%w: %w", ErrCertificate, err)
	}
	return c, name, nil
}

func parseExtensions(c *Certificate, exts []pkix.Extension) error {
	seen := map[string]bool{}
	for _, e := range exts {
		id := e.Id.String()
		if seen[id] {
			return fmt.Errorf("%w: extension %s repeated", ErrCertificate, id)
		}
		seen[id] = true
		var err error
		switch {
		case e.Id.Equal(oidExtSubjectKeyID):
			err = unmarshalAll(e.Value, &c.SubjectKeyId)
		case e.Id.Equal(oidExtAuthorityKeyID):
			var aki struct {
				ID []byte `asn1:"optional,tag:0"`
			}
			err = unmarshalAll(e.Value, &aki)
			c.AuthorityKeyId = aki.ID
		case e.Id.Equal(oidExtBasicConstr):
			var bc struct {
				IsCA       bool `asn1:"optional"`
				MaxPathLen int  `asn1:"optional,default:-1"`
			}
			err = unmarshalAll(e.Value, &bc)
			c.BasicConstraintsValid, c.IsCA = err == nil, bc.IsCA
		case e.Id.Equal(oidExtKeyUsage):
			var bits asn1.BitString
			err = unmarshalAll(e.Value, &bits)
			for i := 0; i < 9; i++ {
				if bits.At(i) != 0 {
					c.KeyUsage |= 1 << uint(i)
				}
			}
		}
		if err != nil {
			return fmt.Errorf("%w: extension %s: %w", ErrCertificate, id, err)
		}
	}
	return nil
}

func unmarshalAll(b []byte, v any) error {
	rest, err := asn1.Unmarshal(b, v)
	if err != nil {
		return err
	}
	if len(rest) != 0 {
		return errors.New("trailing bytes")
	}
	return nil
}

// checkSignedBy checks that parent issued child: crypto/x509 when it holds
// both, otherwise parent's CA constraints as crypto/x509 checks them and
// the signature over child's TBSCertificate with crypto/rsa or
// crypto/ecdsa. SHA-1 signatures are refused, as crypto/x509 refuses them.
func checkSignedBy(child, parent *Certificate) error {
	if child.X509 != nil && parent.X509 != nil {
		return child.X509.CheckSignatureFrom(parent.X509)
	}
	if err := caConstraints(parent, x509.KeyUsageCertSign); err != nil {
		return err
	}
	_, h, err := sigScheme(child.SignatureAlgorithm, nil)
	if err != nil {
		return err
	}
	if h == crypto.SHA1 {
		return errors.New("insecure signature algorithm (SHA-1)")
	}
	return verifySignature(parent.PublicKey, child.SignatureAlgorithm, nil, child.RawTBSCertificate, child.Signature)
}

// checkCRLSignedBy checks a CRL's signature with its issuer's key.
func checkCRLSignedBy(crl *x509.RevocationList, parent *Certificate) error {
	if parent.X509 != nil {
		return crl.CheckSignatureFrom(parent.X509)
	}
	if err := caConstraints(parent, x509.KeyUsageCRLSign); err != nil {
		return err
	}
	env, err := parseEnvelope(crl.Raw)
	if err != nil {
		return err
	}
	return verifySignature(parent.PublicKey, env.Algorithm, nil, env.TBS.FullBytes, env.Signature.Bytes)
}

// caConstraints mirrors crypto/x509's checks on an issuing certificate.
func caConstraints(c *Certificate, usage x509.KeyUsage) error {
	if c.Version == 3 && !c.BasicConstraintsValid || c.BasicConstraintsValid && !c.IsCA {
		return errors.New("issuer is not a CA certificate")
	}
	if c.KeyUsage != 0 && c.KeyUsage&usage == 0 {
		return errors.New("issuer's key usage does not allow signing certificates or CRLs")
	}
	return nil
}

// validAt reports whether now is inside c's validity.
func (c *Certificate) validAt(now time.Time) bool {
	return !now.Before(c.NotBefore) && !now.After(c.NotAfter)
}
