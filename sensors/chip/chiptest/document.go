package chiptest

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math/big"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/egate/egate/sensors/chip"
	"github.com/egate/egate/sensors/chip/ca"
	"github.com/egate/egate/sensors/chip/lds"
	"github.com/egate/egate/sensors/chip/sm"
)

// PKIOpts shapes a test PKI.
type PKIOpts struct {
	// Country is the ISO 3166-1 alpha-2 code of both certificates ("NL").
	Country string
	// RSA makes RSA-2048 keys (PKCS #1 v1.5 SOD signature); the default is
	// ECDSA P-256.
	RSA bool
	// DSNotBefore and DSNotAfter bound the DS certificate; zero means one
	// year back and ten years ahead.
	DSNotBefore, DSNotAfter time.Time
}

// PKI is a CSCA and a document signer made at test time.
type PKI struct {
	Country string
	CSCA    *x509.Certificate
	CSCAKey crypto.Signer
	DS      *x509.Certificate
	DSKey   crypto.Signer
}

func newKey(useRSA bool) (crypto.Signer, error) {
	if useRSA {
		return rsa.GenerateKey(rand.Reader, 2048)
	}
	return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
}

// NewPKI makes a self-signed CSCA and a DS certificate it signs.
func NewPKI(o PKIOpts) (*PKI, error) {
	if o.Country == "" {
		o.Country = "NL"
	}
	now := time.Now()
	if o.DSNotBefore.IsZero() {
		o.DSNotBefore = now.AddDate(-1, 0, 0)
	}
	if o.DSNotAfter.IsZero() {
		o.DSNotAfter = now.AddDate(10, 0, 0)
	}
	cscaKey, err := newKey(o.RSA)
	if err != nil {
		return nil, err
	}
	cscaTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{Country: []string{o.Country}, Organization: []string{"egate test"}, CommonName: "Test CSCA " + o.Country},
		NotBefore:             now.AddDate(-2, 0, 0),
		NotAfter:              now.AddDate(15, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLen:            0,
		MaxPathLenZero:        true,
	}
	cscaDER, err := x509.CreateCertificate(rand.Reader, cscaTmpl, cscaTmpl, cscaKey.Public(), cscaKey)
	if err != nil {
		return nil, err
	}
	csca, err := x509.ParseCertificate(cscaDER)
	if err != nil {
		return nil, err
	}
	dsKey, err := newKey(o.RSA)
	if err != nil {
		return nil, err
	}
	dsTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1000 + int64(mrand.IntN(1<<20))),
		Subject:      pkix.Name{Country: []string{o.Country}, Organization: []string{"egate test"}, CommonName: "Test DS " + o.Country},
		NotBefore:    o.DSNotBefore,
		NotAfter:     o.DSNotAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	dsDER, err := x509.CreateCertificate(rand.Reader, dsTmpl, csca, dsKey.Public(), cscaKey)
	if err != nil {
		return nil, err
	}
	ds, err := x509.ParseCertificate(dsDER)
	if err != nil {
		return nil, err
	}
	return &PKI{Country: o.Country, CSCA: csca, CSCAKey: cscaKey, DS: ds, DSKey: dsKey}, nil
}

// CRL returns a DER CRL signed by the CSCA revoking the given serials.
func (p *PKI) CRL(revoked ...*big.Int) ([]byte, error) {
	var entries []x509.RevocationListEntry
	for _, s := range revoked {
		entries = append(entries, x509.RevocationListEntry{SerialNumber: s, RevocationTime: time.Now().Add(-time.Hour)})
	}
	return x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
		Number:                    big.NewInt(1),
		ThisUpdate:                time.Now().Add(-time.Hour),
		NextUpdate:                time.Now().AddDate(0, 1, 0),
		RevokedCertificateEntries: entries,
	}, p.CSCA, p.CSCAKey)
}

// WriteTrustStore writes the CSCA (PEM) and, if crl is not nil, the CRL to
// dir, as sensors/chip/pa.LoadTrustStore reads them.
func (p *PKI) WriteTrustStore(dir string, crl []byte) error {
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.CSCA.Raw})
	if err := os.WriteFile(filepath.Join(dir, "csca-"+strings.ToLower(p.Country)+".pem"), pemBytes, 0o644); err != nil {
		return err
	}
	if crl != nil {
		return os.WriteFile(filepath.Join(dir, "csca-"+strings.ToLower(p.Country)+".crl"), crl, 0o644)
	}
	return nil
}

// TD3 builds a passport MRZ (two lines of 44, joined) with its check
// digits (ICAO 9303 Part 4 §4.2.2).
func TD3(state, surname, given, docNumber, nationality, dob, sex, expiry string) string {
	name := strings.ReplaceAll(surname, " ", "<") + "<<" + strings.ReplaceAll(given, " ", "<")
	l1 := pad("P<"+state+name, 44)
	doc := pad(docNumber, 9)
	opt := pad("", 14)
	l2 := doc + string(chip.CheckDigit(doc)) + nationality + dob + string(chip.CheckDigit(dob)) + sex +
		expiry + string(chip.CheckDigit(expiry)) + opt + string(chip.CheckDigit(opt))
	comp := doc + string(chip.CheckDigit(doc)) + dob + string(chip.CheckDigit(dob)) + expiry + string(chip.CheckDigit(expiry)) + opt + string(chip.CheckDigit(opt))
	l2 += string(chip.CheckDigit(comp))
	return l1 + l2
}

func pad(s string, n int) string {
	if len(s) >= n {
		return s[:n]
	}
	return s + strings.Repeat("<", n-len(s))
}

// FaceJPEG returns a deterministic noisy JPEG of w x h pixels; noise keeps
// the file near the size of a real portrait (about 20 KB at 180 x 240).
func FaceJPEG(w, h int, seed uint64) ([]byte, error) {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	r := mrand.New(mrand.NewPCG(seed, seed^0x9E3779B97F4A7C15))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := uint8(128 + (x*y)%64 + r.IntN(40))
			img.Set(x, y, color.RGBA{v, v - 10, v - 20, 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 80}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// DocumentOpts shapes a test document.
type DocumentOpts struct {
	PKI *PKI
	// MRZ defaults to a TD3 for the PKI's country (alpha-3 from a small
	// table) with document number NX1234567.
	MRZ string
	// Face is the portrait; default FaceJPEG(180, 240).
	Face *lds.FaceImage
	// DG2ISO39794 encodes DG2 as an ISO/IEC 39794-5 face image data block
	// (7F2E) instead of an ISO/IEC 19794-5 facial record (5F2E).
	DG2ISO39794 bool
	// PACE lists the PACEInfos of EF.CardAccess; nil means no PACE.
	PACE []lds.PACEInfo
	// AAKey adds DG15 with its public key (ECDSA keys also add DG14 with an
	// ActiveAuthenticationInfo naming ecdsa-with-SHA256).
	AAKey crypto.Signer
	// CAKey adds DG14 chip authentication infos (ECDH with CAAlg,
	// default AES-128) for this key's public half.
	CAKey *ecdsa.PrivateKey
	CAAlg sm.Alg
	// CAKeyExplicit encodes a brainpool CAKey with explicit domain
	// parameters, as many issuers do, instead of the curve's name.
	CAKeyExplicit bool
	// CardSecurity adds EF.CardSecurity (the PACEInfos and, with CAKey, the
	// chip authentication infos, signed by the DS), where chips keep the
	// key for PACE chip authentication mapping. CAOnlyInCardSecurity
	// leaves the chip authentication infos out of DG14.
	CardSecurity         bool
	CAOnlyInCardSecurity bool
	// ExtraDGs adds data groups as they are (e.g. 11, 12).
	ExtraDGs map[int][]byte
	// Hash is the SOD hash; default SHA-256.
	Hash crypto.Hash
}

// Document is the set of files of a test eMRTD.
type Document struct {
	MRZ          string
	Key          chip.MRZKey
	COM          []byte
	SOD          []byte
	CardAccess   []byte
	CardSecurity []byte
	DGs          map[int][]byte
	PKI          *PKI
}

var alpha3 = map[string]string{"NL": "NLD", "DE": "D<<", "FR": "FRA", "GB": "GBR", "US": "USA", "UT": "UTO"}

// NewDocument builds EF.COM, DG1, DG2, optional DG14/DG15/extra groups and
// an EF.SOD signed by the PKI's DS.
func NewDocument(o DocumentOpts) (*Document, error) {
	if o.PKI == nil {
		return nil, errors.New("chiptest: NewDocument needs a PKI")
	}
	if o.Hash == 0 {
		o.Hash = crypto.SHA256
	}
	if o.MRZ == "" {
		a3, ok := alpha3[o.PKI.Country]
		if !ok {
			a3 = "UTO"
		}
		o.MRZ = TD3(a3, "ERIKSSON", "ANNA MARIA", "NX1234567", a3, "740812", "F", "341231")
	}
	dg1, err := lds.ParseMRZ(o.MRZ)
	if err != nil {
		return nil, err
	}
	if o.Face == nil {
		j, err := FaceJPEG(180, 240, 1)
		if err != nil {
			return nil, err
		}
		o.Face = &lds.FaceImage{Format: lds.FormatJPEG, Width: 180, Height: 240, ImageType: 1, Data: j}
	}
	d := &Document{
		MRZ: o.MRZ,
		Key: chip.MRZKey{DocumentNumber: dg1.DocumentNumber, DateOfBirth: dg1.DateOfBirth, DateOfExpiry: dg1.DateOfExpiry},
		DGs: map[int][]byte{1: lds.MarshalDG1(o.MRZ), 2: lds.MarshalDG2(*o.Face)},
		PKI: o.PKI,
	}
	if o.DG2ISO39794 {
		d.DGs[2] = lds.MarshalDG2ISO39794(*o.Face)
	}
	var dg14, caInfos []asn1.RawValue
	if o.AAKey != nil {
		spki, err := x509.MarshalPKIXPublicKey(o.AAKey.Public())
		if err != nil {
			return nil, err
		}
		d.DGs[15] = tlvEncode(0x6F, spki)
		if _, ok := o.AAKey.(*ecdsa.PrivateKey); ok {
			aa, err := asn1.Marshal(struct {
				Protocol asn1.ObjectIdentifier
				Version  int
				Alg      asn1.ObjectIdentifier
			}{lds.OIDAA, 1, asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}})
			if err != nil {
				return nil, err
			}
			dg14 = append(dg14, asn1.RawValue{FullBytes: aa})
		}
	}
	if o.CAKey != nil {
		if o.CAAlg == 0 {
			o.CAAlg = sm.AlgAES128
		}
		spki, err := x509.MarshalPKIXPublicKey(&o.CAKey.PublicKey)
		if err != nil {
			// A brainpool key: crypto/x509 cannot encode it.
			if spki, err = MarshalECPublicKey(&o.CAKey.PublicKey, o.CAKeyExplicit); err != nil {
				return nil, err
			}
		}
		pk, err := asn1.Marshal(struct {
			Protocol asn1.ObjectIdentifier
			Key      asn1.RawValue
		}{ca.PKOID, asn1.RawValue{FullBytes: spki}})
		if err != nil {
			return nil, err
		}
		info, err := asn1.Marshal(struct {
			Protocol asn1.ObjectIdentifier
			Version  int
		}{ca.OID(o.CAAlg), 1})
		if err != nil {
			return nil, err
		}
		caInfos = []asn1.RawValue{{FullBytes: pk}, {FullBytes: info}}
		if !o.CAOnlyInCardSecurity {
			dg14 = append(dg14, caInfos...)
		}
	}
	if dg14 != nil {
		set, err := asn1.MarshalWithParams(dg14, "set")
		if err != nil {
			return nil, err
		}
		d.DGs[14] = tlvEncode(0x6E, set)
	}
	for n, b := range o.ExtraDGs {
		d.DGs[n] = b
	}
	if o.PACE != nil {
		if d.CardAccess, err = lds.MarshalPACEInfos(o.PACE); err != nil {
			return nil, err
		}
	}
	if o.CardSecurity {
		infos := append([]asn1.RawValue{}, caInfos...)
		if d.CardAccess != nil {
			var pace []asn1.RawValue
			if _, err := asn1.UnmarshalWithParams(d.CardAccess, &pace, "set"); err != nil {
				return nil, err
			}
			infos = append(pace, infos...)
		}
		set, err := asn1.MarshalWithParams(infos, "set")
		if err != nil {
			return nil, err
		}
		if d.CardSecurity, err = SignCMS(lds.OIDSecurityObject, set, o.PKI.DS, o.PKI.DSKey, o.Hash); err != nil {
			return nil, err
		}
	}
	var tags []byte
	for n := 1; n <= 16; n++ {
		if _, ok := d.DGs[n]; ok {
			tags = append(tags, byte(lds.DGTag(n)))
		}
	}
	d.COM = lds.MarshalCOM(&lds.COM{LDSVersion: "0107", UnicodeVersion: "040000", Tags: tags})
	if err := d.Sign(o.Hash); err != nil {
		return nil, err
	}
	return d, nil
}

// Sign (re)builds EF.SOD over the current data groups with the PKI's DS.
func (d *Document) Sign(h crypto.Hash) error {
	hashes := map[int][]byte{}
	for n, b := range d.DGs {
		hh := h.New()
		hh.Write(b)
		hashes[n] = hh.Sum(nil)
	}
	hashOID, err := oidForHash(h)
	if err != nil {
		return err
	}
	content, err := lds.MarshalLDSSecurityObject(hashOID, hashes)
	if err != nil {
		return err
	}
	cms, err := SignCMS(lds.OIDLDSSecObj, content, d.PKI.DS, d.PKI.DSKey, h)
	if err != nil {
		return err
	}
	d.SOD = tlvEncode(lds.TagSOD, cms)
	return nil
}

func oidForHash(h crypto.Hash) (asn1.ObjectIdentifier, error) {
	switch h {
	case crypto.SHA1:
		return lds.OIDSHA1, nil
	case crypto.SHA224:
		return lds.OIDSHA224, nil
	case crypto.SHA256:
		return lds.OIDSHA256, nil
	case crypto.SHA384:
		return lds.OIDSHA384, nil
	case crypto.SHA512:
		return lds.OIDSHA512, nil
	}
	return nil, fmt.Errorf("chiptest: hash %v", h)
}

// SignCMS builds a DER ContentInfo/SignedData (RFC 5652) over content of
// type contentType with signed attributes, signed by key, embedding cert.
// It is written independently of the parser in sensors/chip/lds so that
// the two check each other.
func SignCMS(contentType asn1.ObjectIdentifier, content []byte, cert *x509.Certificate, key crypto.Signer, h crypto.Hash) ([]byte, error) {
	hashOID, err := oidForHash(h)
	if err != nil {
		return nil, err
	}
	hh := h.New()
	hh.Write(content)
	digest := hh.Sum(nil)

	type attribute struct {
		Type   asn1.ObjectIdentifier
		Values []asn1.RawValue `asn1:"set"`
	}
	ctVal, _ := asn1.Marshal(contentType)
	mdVal, _ := asn1.Marshal(digest)
	attrs := []attribute{
		{Type: lds.OIDContentType, Values: []asn1.RawValue{{FullBytes: ctVal}}},
		{Type: lds.OIDMessageDigest, Values: []asn1.RawValue{{FullBytes: mdVal}}},
	}
	attrSet, err := asn1.MarshalWithParams(attrs, "set")
	if err != nil {
		return nil, err
	}
	ah := h.New()
	ah.Write(attrSet)
	var sig []byte
	var sigAlg pkix.AlgorithmIdentifier
	switch key.(type) {
	case *ecdsa.PrivateKey:
		sig, err = key.Sign(rand.Reader, ah.Sum(nil), h)
		sigAlg.Algorithm = map[crypto.Hash]asn1.ObjectIdentifier{
			crypto.SHA1: {1, 2, 840, 10045, 4, 1}, crypto.SHA224: {1, 2, 840, 10045, 4, 3, 1},
			crypto.SHA256: {1, 2, 840, 10045, 4, 3, 2}, crypto.SHA384: {1, 2, 840, 10045, 4, 3, 3}, crypto.SHA512: {1, 2, 840, 10045, 4, 3, 4},
		}[h]
	case *rsa.PrivateKey:
		sig, err = key.Sign(rand.Reader, ah.Sum(nil), h)
		sigAlg.Algorithm = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
		sigAlg.Parameters = asn1.NullRawValue
	default:
		return nil, fmt.Errorf("chiptest: key %T", key)
	}
	if err != nil {
		return nil, err
	}
	implicitAttrs := append([]byte{}, attrSet...)
	implicitAttrs[0] = 0xA0

	type issuerAndSerial struct {
		Issuer asn1.RawValue
		Serial *big.Int
	}
	sid, err := asn1.Marshal(issuerAndSerial{Issuer: asn1.RawValue{FullBytes: cert.RawIssuer}, Serial: cert.SerialNumber})
	if err != nil {
		return nil, err
	}
	type signerInfo struct {
		Version            int
		SID                asn1.RawValue
		DigestAlgorithm    pkix.AlgorithmIdentifier
		SignedAttrs        asn1.RawValue
		SignatureAlgorithm pkix.AlgorithmIdentifier
		Signature          []byte
	}
	type encap struct {
		Type    asn1.ObjectIdentifier
		Content []byte `asn1:"explicit,tag:0"`
	}
	type signedData struct {
		Version          int
		DigestAlgorithms []pkix.AlgorithmIdentifier `asn1:"set"`
		Encap            encap
		Certificates     asn1.RawValue
		SignerInfos      []signerInfo `asn1:"set"`
	}
	sd := signedData{
		Version:          3,
		DigestAlgorithms: []pkix.AlgorithmIdentifier{{Algorithm: hashOID}},
		Encap:            encap{Type: contentType, Content: content},
		Certificates:     asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: cert.Raw},
		SignerInfos: []signerInfo{{
			Version:            1,
			SID:                asn1.RawValue{FullBytes: sid},
			DigestAlgorithm:    pkix.AlgorithmIdentifier{Algorithm: hashOID},
			SignedAttrs:        asn1.RawValue{FullBytes: implicitAttrs},
			SignatureAlgorithm: sigAlg,
			Signature:          sig,
		}},
	}
	sdDER, err := asn1.Marshal(sd)
	if err != nil {
		return nil, err
	}
	return asn1.Marshal(struct {
		Type    asn1.ObjectIdentifier
		Content asn1.RawValue
	}{lds.OIDSignedData, asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: sdDER}})
}

// tlvEncode is a local DER TLV writer, independent of sensors/chip/tlv.
func tlvEncode(tag uint32, v []byte) []byte {
	var out []byte
	if tag > 0xFF {
		out = append(out, byte(tag>>8))
	}
	out = append(out, byte(tag))
	n := len(v)
	switch {
	case n < 0x80:
		out = append(out, byte(n))
	case n <= 0xFF:
		out = append(out, 0x81, byte(n))
	case n <= 0xFFFF:
		out = append(out, 0x82, byte(n>>8), byte(n))
	default:
		out = append(out, 0x83, byte(n>>16), byte(n>>8), byte(n))
	}
	return append(out, v...)
}
