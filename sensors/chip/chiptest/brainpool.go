package chiptest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	mrand "math/rand/v2"
	"time"

	"github.com/osanderson/brainpool"
)

// Brainpool test PKI. crypto/x509 can neither create nor parse certificates
// whose key is on a brainpool curve, so they are DER-encoded here with
// encoding/asn1 (RFC 5280 certificates and CRLs) and signed through
// crypto.Signer (crypto/ecdsa on the brainpool curves, crypto/rsa). This is
// written independently of the parser in sensors/chip/pa so that the two
// check each other; the brainpool coefficients a and b are RFC 5639's.

var (
	oidBPECPublicKey = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidBPPrimeField  = asn1.ObjectIdentifier{1, 2, 840, 10045, 1, 1}
)

type bpCurve struct {
	oid   asn1.ObjectIdentifier
	curve func() elliptic.Curve
	a, b  string // RFC 5639 §3, hex
}

var bpCurves = []bpCurve{
	{asn1.ObjectIdentifier{1, 3, 36, 3, 3, 2, 8, 1, 1, 3}, brainpool.P192r1,
		"6A91174076B1E0E19C39C031FE8685C1CAE040E5C69A28EF", "469A28EF7C28CCA3DC721D044F4496BCCA7EF4146FBF25C9"},
	{asn1.ObjectIdentifier{1, 3, 36, 3, 3, 2, 8, 1, 1, 5}, brainpool.P224r1,
		"68A5E62CA9CE6C1C299803A6C1530B514E182AD8B0042A59CAD29F43", "2580F63CCFE44138870713B1A92369E33E2135D266DBB372386C400B"},
	{asn1.ObjectIdentifier{1, 3, 36, 3, 3, 2, 8, 1, 1, 7}, brainpool.P256r1,
		"7D5A0975FC2C3057EEF67530417AFFE7FB8055C126DC5C6CE94A4B44F330B5D9", "26DC5C6CE94A4B44F330B5D9BBD77CBF958416295CF7E1CE6BCCDC18FF8C07B6"},
	{asn1.ObjectIdentifier{1, 3, 36, 3, 3, 2, 8, 1, 1, 9}, brainpool.P320r1,
		"3EE30B568FBAB0F883CCEBD46D3F3BB8A2A73513F5EB79DA66190EB085FFA9F492F375A97D860EB4", "520883949DFDBC42D3AD198640688A6FE13F41349554B49ACC31DCCD884539816F5EB4AC8FB1F1A6"},
	{asn1.ObjectIdentifier{1, 3, 36, 3, 3, 2, 8, 1, 1, 11}, brainpool.P384r1,
		"7BC382C63D8C150C3C72080ACE05AFA0C2BEA28E4FB22787139165EFBA91F90F8AA5814A503AD4EB04A8C7DD22CE2826",
		"04A8C7DD22CE28268B39B55416F0447C2FB77DE107DCD2A62E880EA53EEB62D57CB4390295DBC9943AB78696FA504C11"},
	{asn1.ObjectIdentifier{1, 3, 36, 3, 3, 2, 8, 1, 1, 13}, brainpool.P512r1,
		"7830A3318B603B89E2327145AC234CC594CBDD8D3DF91610A83441CAEA9863BC2DED5D5AA8253AA10A2EF1C98B9AC8B57F1117A72BF2C7B9E7C1AC4D77FC94CA",
		"3DF91610A83441CAEA9863BC2DED5D5AA8253AA10A2EF1C98B9AC8B57F1117A72BF2C7B9E7C1AC4D77FC94CADC083E67984050B75EBAE5DD2809BD638016F723"},
}

// BrainpoolOID returns the named-curve object identifier of a brainpool
// r1 curve.
func BrainpoolOID(c elliptic.Curve) (asn1.ObjectIdentifier, bool) {
	for _, k := range bpCurves {
		if k.curve() == c {
			return k.oid, true
		}
	}
	return nil, false
}

// curveAB returns a and b of y² = x³ + ax + b for brainpool r1 and NIST
// curves.
func curveAB(c elliptic.Curve) (a, b *big.Int, err error) {
	for _, k := range bpCurves {
		if k.curve() == c {
			a, _ = new(big.Int).SetString(k.a, 16)
			b, _ = new(big.Int).SetString(k.b, 16)
			return a, b, nil
		}
	}
	switch c {
	case elliptic.P224(), elliptic.P256(), elliptic.P384(), elliptic.P521():
		p := c.Params()
		return new(big.Int).Sub(p.P, big.NewInt(3)), p.B, nil
	}
	return nil, nil, errors.New("chiptest: curve without known coefficients")
}

// MarshalECPublicKey returns the DER SubjectPublicKeyInfo of an EC key:
// id-ecPublicKey with the named curve, or with explicit domain parameters
// (SEC 1 §C.2 SpecifiedECDomain, as BSI TR-03111 certificates carry them:
// version 1, prime field, a, b, uncompressed base point, order, cofactor
// 1). NIST curves by name are left to crypto/x509.
func MarshalECPublicKey(pub *ecdsa.PublicKey, explicit bool) ([]byte, error) {
	prm := pub.Curve.Params()
	n := (prm.P.BitLen() + 7) / 8
	point := func(x, y *big.Int) []byte {
		out := make([]byte, 1+2*n)
		out[0] = 4
		x.FillBytes(out[1 : 1+n])
		y.FillBytes(out[1+n:])
		return out
	}
	var params []byte
	var err error
	switch oid, named := BrainpoolOID(pub.Curve); {
	case explicit:
		a, b, err := curveAB(pub.Curve)
		if err != nil {
			return nil, err
		}
		fe := func(v *big.Int) []byte { return v.FillBytes(make([]byte, n)) }
		type fieldID struct {
			Type  asn1.ObjectIdentifier
			Prime *big.Int
		}
		type curve struct{ A, B []byte }
		params, err = asn1.Marshal(struct {
			Version  int
			Field    fieldID
			Curve    curve
			Base     []byte
			Order    *big.Int
			Cofactor int
		}{1, fieldID{oidBPPrimeField, prm.P}, curve{fe(a), fe(b)}, point(prm.Gx, prm.Gy), prm.N, 1})
		if err != nil {
			return nil, err
		}
	case named:
		if params, err = asn1.Marshal(oid); err != nil {
			return nil, err
		}
	default:
		return x509.MarshalPKIXPublicKey(pub)
	}
	return asn1.Marshal(struct {
		Algorithm pkix.AlgorithmIdentifier
		Key       asn1.BitString
	}{
		pkix.AlgorithmIdentifier{Algorithm: oidBPECPublicKey, Parameters: asn1.RawValue{FullBytes: params}},
		asn1.BitString{Bytes: point(pub.X, pub.Y), BitLength: 8 * (1 + 2*n)},
	})
}

// CertTemplate describes a certificate for CreateRawCertificate.
type CertTemplate struct {
	SerialNumber        *big.Int
	Subject             pkix.Name
	NotBefore, NotAfter time.Time
	IsCA                bool
	KeyUsage            x509.KeyUsage
	// PublicKey is the subject's key (ECDSA on any curve, RSA); Explicit
	// encodes an EC key with explicit domain parameters. SPKI, when set,
	// is used as the DER SubjectPublicKeyInfo instead (hostile keys).
	PublicKey crypto.PublicKey
	Explicit  bool
	SPKI      []byte
	// SubjectKeyId defaults to the SHA-1 of the public key bits (RFC 5280
	// §4.2.1.2 method 1); the authority key identifier is the issuer's
	// subject key identifier. NoKeyIDs leaves both out.
	SubjectKeyId []byte
	NoKeyIDs     bool
}

// rawTBS is the part of a TBSCertificate CertificateView needs.
type rawTBS struct {
	Raw        asn1.RawContent
	Version    int `asn1:"optional,explicit,default:0,tag:0"`
	Serial     *big.Int
	SigAlg     pkix.AlgorithmIdentifier
	Issuer     asn1.RawValue
	Validity   asn1.RawValue
	Subject    asn1.RawValue
	SPKI       asn1.RawValue
	Extensions []pkix.Extension `asn1:"optional,explicit,tag:3"`
}

type rawSigned struct {
	TBS       asn1.RawValue
	Algorithm pkix.AlgorithmIdentifier
	Signature asn1.BitString
}

func parseRawCert(der []byte) (*rawTBS, error) {
	var c rawSigned
	if rest, err := asn1.Unmarshal(der, &c); err != nil || len(rest) != 0 {
		return nil, fmt.Errorf("chiptest: certificate: %v", err)
	}
	var tbs rawTBS
	if _, err := asn1.Unmarshal(c.TBS.FullBytes, &tbs); err != nil {
		return nil, fmt.Errorf("chiptest: TBSCertificate: %w", err)
	}
	return &tbs, nil
}

var oidBPSubjectKeyID = asn1.ObjectIdentifier{2, 5, 29, 14}

func (t *rawTBS) subjectKeyID() []byte {
	for _, e := range t.Extensions {
		if e.Id.Equal(oidBPSubjectKeyID) {
			var id []byte
			if _, err := asn1.Unmarshal(e.Value, &id); err == nil {
				return id
			}
		}
	}
	return nil
}

// CertificateView returns crypto/x509's parse of a certificate, or, for
// one crypto/x509 cannot parse (a brainpool key), an *x509.Certificate
// carrying only Raw, RawTBSCertificate, RawIssuer, RawSubject,
// SerialNumber, SubjectKeyId, NotBefore and NotAfter: enough for SignCMS,
// Document.Sign and PKI.WriteTrustStore, nothing that needs the key.
func CertificateView(der []byte) (*x509.Certificate, error) {
	if c, err := x509.ParseCertificate(der); err == nil {
		return c, nil
	}
	tbs, err := parseRawCert(der)
	if err != nil {
		return nil, err
	}
	var v struct{ NotBefore, NotAfter time.Time }
	if _, err := asn1.Unmarshal(tbs.Validity.FullBytes, &v); err != nil {
		return nil, fmt.Errorf("chiptest: validity: %w", err)
	}
	return &x509.Certificate{
		Raw:               der,
		RawTBSCertificate: tbs.Raw,
		RawIssuer:         tbs.Issuer.FullBytes,
		RawSubject:        tbs.Subject.FullBytes,
		SerialNumber:      tbs.Serial,
		SubjectKeyId:      tbs.subjectKeyID(),
		NotBefore:         v.NotBefore,
		NotAfter:          v.NotAfter,
		Version:           tbs.Version + 1,
	}, nil
}

// hashFor picks the hash for a signer: SHA-256 for RSA and curves up to 256
// bits, SHA-384 up to 384, SHA-512 above (BSI TR-03116-2).
func hashFor(key crypto.Signer) crypto.Hash {
	if k, ok := key.Public().(*ecdsa.PublicKey); ok {
		switch bits := k.Curve.Params().N.BitLen(); {
		case bits > 384:
			return crypto.SHA512
		case bits > 256:
			return crypto.SHA384
		}
	}
	return crypto.SHA256
}

func sigAlgFor(key crypto.Signer, h crypto.Hash) (pkix.AlgorithmIdentifier, error) {
	var oid asn1.ObjectIdentifier
	switch key.Public().(type) {
	case *ecdsa.PublicKey:
		oid = map[crypto.Hash]asn1.ObjectIdentifier{
			crypto.SHA1: {1, 2, 840, 10045, 4, 1}, crypto.SHA224: {1, 2, 840, 10045, 4, 3, 1},
			crypto.SHA256: {1, 2, 840, 10045, 4, 3, 2}, crypto.SHA384: {1, 2, 840, 10045, 4, 3, 3}, crypto.SHA512: {1, 2, 840, 10045, 4, 3, 4},
		}[h]
		if oid != nil {
			return pkix.AlgorithmIdentifier{Algorithm: oid}, nil
		}
	case *rsa.PublicKey:
		oid = map[crypto.Hash]asn1.ObjectIdentifier{
			crypto.SHA1: {1, 2, 840, 113549, 1, 1, 5}, crypto.SHA224: {1, 2, 840, 113549, 1, 1, 14},
			crypto.SHA256: {1, 2, 840, 113549, 1, 1, 11}, crypto.SHA384: {1, 2, 840, 113549, 1, 1, 12}, crypto.SHA512: {1, 2, 840, 113549, 1, 1, 13},
		}[h]
		if oid != nil {
			return pkix.AlgorithmIdentifier{Algorithm: oid, Parameters: asn1.NullRawValue}, nil
		}
	}
	return pkix.AlgorithmIdentifier{}, fmt.Errorf("chiptest: no signature algorithm for %T with %v", key.Public(), h)
}

// signEnvelope signs tbs and wraps it as Certificate / CertificateList.
func signEnvelope(tbs []byte, alg pkix.AlgorithmIdentifier, key crypto.Signer, h crypto.Hash) ([]byte, error) {
	hh := h.New()
	hh.Write(tbs)
	sig, err := key.Sign(rand.Reader, hh.Sum(nil), h)
	if err != nil {
		return nil, err
	}
	return asn1.Marshal(rawSigned{
		TBS:       asn1.RawValue{FullBytes: tbs},
		Algorithm: alg,
		Signature: asn1.BitString{Bytes: sig, BitLength: 8 * len(sig)},
	})
}

func keyUsageBits(ku x509.KeyUsage) asn1.BitString {
	var b [2]byte
	n := 0
	for i := 0; i < 9; i++ {
		if ku&(1<<i) != 0 {
			b[i/8] |= 0x80 >> (i % 8)
			n = i + 1
		}
	}
	return asn1.BitString{Bytes: b[:(n+7)/8], BitLength: n}
}

// CreateRawCertificate returns a DER X.509 v3 certificate for t issued by
// parent (DER; nil makes it self-signed) and signed by key with h (zero
// picks by the key): ecdsa-with-SHA* for ECDSA keys on any curve
// crypto/ecdsa signs on, brainpool included, sha*WithRSAEncryption for RSA.
func CreateRawCertificate(t *CertTemplate, parent []byte, key crypto.Signer, h crypto.Hash) ([]byte, error) {
	if h == 0 {
		h = hashFor(key)
	}
	alg, err := sigAlgFor(key, h)
	if err != nil {
		return nil, err
	}
	spki := t.SPKI
	if spki == nil {
		switch k := t.PublicKey.(type) {
		case *ecdsa.PublicKey:
			spki, err = MarshalECPublicKey(k, t.Explicit)
		default:
			spki, err = x509.MarshalPKIXPublicKey(k)
		}
		if err != nil {
			return nil, err
		}
	}
	subject, err := asn1.Marshal(t.Subject.ToRDNSequence())
	if err != nil {
		return nil, err
	}
	issuer, authKeyID := subject, []byte(nil)
	if parent != nil {
		ptbs, err := parseRawCert(parent)
		if err != nil {
			return nil, err
		}
		issuer, authKeyID = ptbs.Subject.FullBytes, ptbs.subjectKeyID()
	}
	var exts []pkix.Extension
	add := func(id asn1.ObjectIdentifier, critical bool, v any) error {
		b, err := asn1.Marshal(v)
		if err == nil {
			exts = append(exts, pkix.Extension{Id: id, Critical: critical, Value: b})
		}
		return err
	}
	if !t.NoKeyIDs {
		ski := t.SubjectKeyId
		if ski == nil {
			var info struct {
				Algorithm pkix.AlgorithmIdentifier
				Key       asn1.BitString
			}
			if _, err := asn1.Unmarshal(spki, &info); err == nil {
				sum := sha1.Sum(info.Key.Bytes)
				ski = sum[:]
			}
		}
		if ski != nil {
			if err := add(asn1.ObjectIdentifier{2, 5, 29, 14}, false, ski); err != nil {
				return nil, err
			}
		}
		if parent == nil {
			authKeyID = ski
		}
		if authKeyID != nil {
			if err := add(asn1.ObjectIdentifier{2, 5, 29, 35}, false, struct {
				ID []byte `asn1:"optional,tag:0"`
			}{authKeyID}); err != nil {
				return nil, err
			}
		}
	}
	if t.KeyUsage != 0 {
		if err := add(asn1.ObjectIdentifier{2, 5, 29, 15}, true, keyUsageBits(t.KeyUsage)); err != nil {
			return nil, err
		}
	}
	if t.IsCA {
		if err := add(asn1.ObjectIdentifier{2, 5, 29, 19}, true, struct{ IsCA bool }{true}); err != nil {
			return nil, err
		}
	}
	serial := t.SerialNumber
	if serial == nil {
		serial = big.NewInt(1 + int64(mrand.IntN(1<<30)))
	}
	tbs, err := asn1.Marshal(struct {
		Version    int `asn1:"explicit,tag:0"`
		Serial     *big.Int
		SigAlg     pkix.AlgorithmIdentifier
		Issuer     asn1.RawValue
		Validity   struct{ NotBefore, NotAfter time.Time }
		Subject    asn1.RawValue
		SPKI       asn1.RawValue
		Extensions []pkix.Extension `asn1:"optional,omitempty,explicit,tag:3"`
	}{
		Version:    2,
		Serial:     serial,
		SigAlg:     alg,
		Issuer:     asn1.RawValue{FullBytes: issuer},
		Validity:   struct{ NotBefore, NotAfter time.Time }{t.NotBefore.UTC().Truncate(time.Second), t.NotAfter.UTC().Truncate(time.Second)},
		Subject:    asn1.RawValue{FullBytes: subject},
		SPKI:       asn1.RawValue{FullBytes: spki},
		Extensions: exts,
	})
	if err != nil {
		return nil, err
	}
	return signEnvelope(tbs, alg, key, h)
}

// CreateRawCRL returns a DER v2 CRL (RFC 5280 §5) issued by issuer (DER)
// and signed by key with h (zero picks by the key), revoking serials an
// hour ago.
func CreateRawCRL(issuer []byte, key crypto.Signer, h crypto.Hash, thisUpdate, nextUpdate time.Time, serials ...*big.Int) ([]byte, error) {
	if h == 0 {
		h = hashFor(key)
	}
	alg, err := sigAlgFor(key, h)
	if err != nil {
		return nil, err
	}
	itbs, err := parseRawCert(issuer)
	if err != nil {
		return nil, err
	}
	type entry struct {
		Serial *big.Int
		Time   time.Time
	}
	var revoked []entry
	for _, s := range serials {
		revoked = append(revoked, entry{s, time.Now().Add(-time.Hour).UTC().Truncate(time.Second)})
	}
	number, _ := asn1.Marshal(big.NewInt(1))
	exts := []pkix.Extension{{Id: asn1.ObjectIdentifier{2, 5, 29, 20}, Value: number}}
	if id := itbs.subjectKeyID(); id != nil {
		aki, err := asn1.Marshal(struct {
			ID []byte `asn1:"optional,tag:0"`
		}{id})
		if err != nil {
			return nil, err
		}
		exts = append(exts, pkix.Extension{Id: asn1.ObjectIdentifier{2, 5, 29, 35}, Value: aki})
	}
	tbs, err := asn1.Marshal(struct {
		Version    int
		SigAlg     pkix.AlgorithmIdentifier
		Issuer     asn1.RawValue
		ThisUpdate time.Time
		NextUpdate time.Time
		Revoked    []entry          `asn1:"optional,omitempty"`
		Extensions []pkix.Extension `asn1:"optional,omitempty,explicit,tag:0"`
	}{1, alg, asn1.RawValue{FullBytes: itbs.Subject.FullBytes}, thisUpdate.UTC().Truncate(time.Second), nextUpdate.UTC().Truncate(time.Second), revoked, exts})
	if err != nil {
		return nil, err
	}
	return signEnvelope(tbs, alg, key, h)
}

// SignCMSRaw is SignCMS for a signer certificate given as DER, which may
// be one crypto/x509 cannot parse (see CertificateView).
func SignCMSRaw(contentType asn1.ObjectIdentifier, content, cert []byte, key crypto.Signer, h crypto.Hash) ([]byte, error) {
	c, err := CertificateView(cert)
	if err != nil {
		return nil, err
	}
	return SignCMS(contentType, content, c, key, h)
}

// BrainpoolPKIOpts shapes a brainpool test PKI.
type BrainpoolPKIOpts struct {
	// Country is the ISO 3166-1 alpha-2 code of both certificates; default
	// "DE".
	Country string
	// CSCACurve and DSCurve are the key curves; nil means brainpoolP256r1.
	// NIST curves work too.
	CSCACurve, DSCurve elliptic.Curve
	// CSCARSA makes an RSA-2048 CSCA (sha256WithRSAEncryption) signing the
	// brainpool DS.
	CSCARSA bool
	// Explicit encodes both EC keys with explicit domain parameters.
	Explicit bool
	// CSCAKeyID replaces the CSCA's subject key identifier (and so the
	// DS's authority key identifier).
	CSCAKeyID []byte
	// DSNotBefore and DSNotAfter bound the DS certificate; zero means one
	// year back and ten years ahead. CSCANotAfter defaults to 15 years
	// ahead (a date from 2050 on is encoded as GeneralizedTime).
	DSNotBefore, DSNotAfter, CSCANotAfter time.Time
}

// BrainpoolPKI is a CSCA and a document signer with keys crypto/x509
// cannot handle, as DER.
type BrainpoolPKI struct {
	Country string
	CSCA    []byte
	CSCAKey crypto.Signer
	DS      []byte
	DSKey   crypto.Signer
}

// NewBrainpoolPKI makes a self-signed CSCA and a DS certificate it signs.
func NewBrainpoolPKI(o BrainpoolPKIOpts) (*BrainpoolPKI, error) {
	if o.Country == "" {
		o.Country = "DE"
	}
	if o.CSCACurve == nil {
		o.CSCACurve = brainpool.P256r1()
	}
	if o.DSCurve == nil {
		o.DSCurve = brainpool.P256r1()
	}
	now := time.Now()
	if o.DSNotBefore.IsZero() {
		o.DSNotBefore = now.AddDate(-1, 0, 0)
	}
	if o.DSNotAfter.IsZero() {
		o.DSNotAfter = now.AddDate(10, 0, 0)
	}
	if o.CSCANotAfter.IsZero() {
		o.CSCANotAfter = now.AddDate(15, 0, 0)
	}
	var cscaKey crypto.Signer
	var err error
	if o.CSCARSA {
		cscaKey, err = rsa.GenerateKey(rand.Reader, 2048)
	} else {
		cscaKey, err = ecdsa.GenerateKey(o.CSCACurve, rand.Reader)
	}
	if err != nil {
		return nil, err
	}
	csca, err := CreateRawCertificate(&CertTemplate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{Country: []string{o.Country}, Organization: []string{"egate test"}, CommonName: "Test CSCA " + o.Country},
		NotBefore:    now.AddDate(-2, 0, 0),
		NotAfter:     o.CSCANotAfter,
		IsCA:         true,
		KeyUsage:     x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		PublicKey:    cscaKey.Public(),
		Explicit:     o.Explicit,
		SubjectKeyId: o.CSCAKeyID,
	}, nil, cscaKey, 0)
	if err != nil {
		return nil, err
	}
	dsKey, err := ecdsa.GenerateKey(o.DSCurve, rand.Reader)
	if err != nil {
		return nil, err
	}
	ds, err := CreateRawCertificate(&CertTemplate{
		SerialNumber: big.NewInt(1000 + int64(mrand.IntN(1<<20))),
		Subject:      pkix.Name{Country: []string{o.Country}, Organization: []string{"egate test"}, CommonName: "Test DS " + o.Country},
		NotBefore:    o.DSNotBefore,
		NotAfter:     o.DSNotAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		PublicKey:    &dsKey.PublicKey,
		Explicit:     o.Explicit,
	}, csca, cscaKey, 0)
	if err != nil {
		return nil, err
	}
	return &BrainpoolPKI{Country: o.Country, CSCA: csca, CSCAKey: cscaKey, DS: ds, DSKey: dsKey}, nil
}

// PKI returns the PKI for NewDocument, Document.Sign and WriteTrustStore;
// its certificates are CertificateView's (PKI.CRL does not work on it: use
// BrainpoolPKI.CRL).
func (p *BrainpoolPKI) PKI() (*PKI, error) {
	csca, err := CertificateView(p.CSCA)
	if err != nil {
		return nil, err
	}
	ds, err := CertificateView(p.DS)
	if err != nil {
		return nil, err
	}
	return &PKI{Country: p.Country, CSCA: csca, CSCAKey: p.CSCAKey, DS: ds, DSKey: p.DSKey}, nil
}

// DSSerial returns the DS certificate's serial number.
func (p *BrainpoolPKI) DSSerial() (*big.Int, error) {
	tbs, err := parseRawCert(p.DS)
	if err != nil {
		return nil, err
	}
	return tbs.Serial, nil
}

// CRL returns a DER CRL signed by the CSCA revoking the given serials,
// valid from an hour ago for a month.
func (p *BrainpoolPKI) CRL(revoked ...*big.Int) ([]byte, error) {
	now := time.Now()
	return CreateRawCRL(p.CSCA, p.CSCAKey, 0, now.Add(-time.Hour), now.AddDate(0, 1, 0), revoked...)
}

// NewBrainpoolDocument builds a test document (see NewDocument) signed by
// the brainpool DS.
func NewBrainpoolDocument(p *BrainpoolPKI, o DocumentOpts) (*Document, error) {
	pki, err := p.PKI()
	if err != nil {
		return nil, err
	}
	o.PKI = pki
	return NewDocument(o)
}
