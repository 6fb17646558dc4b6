package lds

import (
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"

	"github.com/egate/egate/sensors/chip/tlv"
)

// CMS and digest object identifiers (RFC 5652, RFC 8017, RFC 5758).
var (
	OIDSignedData    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	OIDContentType   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	OIDMessageDigest = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
	OIDSHA1          = asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}
	OIDSHA224        = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 4}
	OIDSHA256        = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	OIDSHA384        = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}
	OIDSHA512        = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}
)

// HashForOID maps a digest algorithm OID to a crypto.Hash.
func HashForOID(oid asn1.ObjectIdentifier) (crypto.Hash, error) {
	switch {
	case oid.Equal(OIDSHA1):
		return crypto.SHA1, nil
	case oid.Equal(OIDSHA224):
		return crypto.SHA224, nil
	case oid.Equal(OIDSHA256):
		return crypto.SHA256, nil
	case oid.Equal(OIDSHA384):
		return crypto.SHA384, nil
	case oid.Equal(OIDSHA512):
		return crypto.SHA512, nil
	}
	return 0, fmt.Errorf("%w: digest algorithm %v", ErrFormat, oid)
}

// For RawValue fields, encoding/asn1 keeps an explicit tag: Bytes is the
// tagged element's content, i.e. the inner TLV.
type contentInfo struct {
	ContentType asn1.ObjectIdentifier
	Content     asn1.RawValue `asn1:"explicit,tag:0"`
}

type signedData struct {
	Version          int
	DigestAlgorithms []pkix.AlgorithmIdentifier `asn1:"set"`
	EncapContentInfo encapContentInfo
	Certificates     asn1.RawValue `asn1:"optional,tag:0"`
	CRLs             asn1.RawValue `asn1:"optional,tag:1"`
	SignerInfos      []signerInfo  `asn1:"set"`
}

type encapContentInfo struct {
	EContentType asn1.ObjectIdentifier
	EContent     asn1.RawValue `asn1:"explicit,optional,tag:0"`
}

type signerInfo struct {
	Version            int
	SID                asn1.RawValue
	DigestAlgorithm    pkix.AlgorithmIdentifier
	SignedAttrs        asn1.RawValue `asn1:"optional,tag:0"`
	SignatureAlgorithm pkix.AlgorithmIdentifier
	Signature          []byte
	UnsignedAttrs      asn1.RawValue `asn1:"optional,tag:1"`
}

type issuerAndSerial struct {
	Issuer asn1.RawValue
	Serial *big.Int
}

type attribute struct {
	Type   asn1.ObjectIdentifier
	Values asn1.RawValue `asn1:"set"`
}

type dataGroupHash struct {
	Number int
	Hash   []byte
}

type ldsSecurityObject struct {
	Version       int
	HashAlgorithm pkix.AlgorithmIdentifier
	Hashes        []dataGroupHash
	VersionInfo   asn1.RawValue `asn1:"optional"`
}

// SignedData is a decoded CMS SignedData with one signer, the form ICAO
// 9303 Part 10 §4.6.2 prescribes for EF.SOD (and that master lists use).
type SignedData struct {
	ContentType asn1.ObjectIdentifier
	Content     []byte // eContent (DER of the LDSSecurityObject for EF.SOD)
	// RawCertificates are the embedded certificates (DER, in order);
	// Certificates those of them crypto/x509 parses. A certificate it
	// cannot parse (a brainpool key, for one) is left to the caller: the
	// signature does not cover the certificates, and passive
	// authentication parses them itself.
	RawCertificates [][]byte
	Certificates    []*x509.Certificate

	// Signer.
	DigestAlgorithm    asn1.ObjectIdentifier
	SignatureAlgorithm pkix.AlgorithmIdentifier
	Signature          []byte
	// SignedAttrs is the DER of the signed attributes re-tagged as SET OF
	// (RFC 5652 §5.4), the bytes the signature covers. Nil when absent.
	SignedAttrs []byte
	// AttrContentType and AttrMessageDigest are the values of those signed
	// attributes.
	AttrContentType   asn1.ObjectIdentifier
	AttrMessageDigest []byte
	// Issuer and Serial, or SubjectKeyID, identify the signer's
	// certificate.
	Issuer       []byte
	Serial       *big.Int
	SubjectKeyID []byte
}

// SignerCertificate returns the certificate named by the signer identifier
// among the embedded ones.
func (s *SignedData) SignerCertificate() (*x509.Certificate, error) {
	for _, c := range s.Certificates {
		if s.Serial != nil && c.SerialNumber.Cmp(s.Serial) == 0 && string(c.RawIssuer) == string(s.Issuer) {
			return c, nil
		}
		if s.SubjectKeyID != nil && string(c.SubjectKeyId) == string(s.SubjectKeyID) {
			return c, nil
		}
	}
	return nil, fmt.Errorf("%w: signer certificate not embedded", ErrFormat)
}

// ParseSignedData decodes a DER ContentInfo holding a SignedData.
func ParseSignedData(der []byte) (*SignedData, error) {
	var ci contentInfo
	rest, err := asn1.Unmarshal(der, &ci)
	if err != nil {
		return nil, fmt.Errorf("%w: ContentInfo: %w", ErrFormat, err)
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%w: ContentInfo: trailing bytes", ErrFormat)
	}
	if !ci.ContentType.Equal(OIDSignedData) {
		return nil, fmt.Errorf("%w: content type %v is not SignedData", ErrFormat, ci.ContentType)
	}
	var sd signedData
	if rest, err = asn1.Unmarshal(ci.Content.Bytes, &sd); err != nil {
		return nil, fmt.Errorf("%w: SignedData: %w", ErrFormat, err)
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%w: SignedData: trailing bytes", ErrFormat)
	}
	if len(sd.SignerInfos) != 1 {
		return nil, fmt.Errorf("%w: SignedData with %d signers", ErrFormat, len(sd.SignerInfos))
	}
	out := &SignedData{ContentType: sd.EncapContentInfo.EContentType}
	if len(sd.EncapContentInfo.EContent.FullBytes) == 0 {
		return nil, fmt.Errorf("%w: SignedData without content", ErrFormat)
	}
	if _, err := asn1.Unmarshal(sd.EncapContentInfo.EContent.Bytes, &out.Content); err != nil {
		return nil, fmt.Errorf("%w: eContent: %w", ErrFormat, err)
	}
	for rest := sd.Certificates.Bytes; len(rest) > 0; {
		var c asn1.RawValue
		if rest, err = asn1.Unmarshal(rest, &c); err != nil {
			return nil, fmt.Errorf("%w: certificates: %w", ErrFormat, err)
		}
		if c.Class != asn1.ClassUniversal || c.Tag != asn1.TagSequence {
			continue // attribute and other certificate formats (RFC 5652 §10.2.2)
		}
		out.RawCertificates = append(out.RawCertificates, c.FullBytes)
		if xc, err := x509.ParseCertificate(c.FullBytes); err == nil {
			out.Certificates = append(out.Certificates, xc)
		}
	}
	si := sd.SignerInfos[0]
	out.DigestAlgorithm = si.DigestAlgorithm.Algorithm
	out.SignatureAlgorithm = si.SignatureAlgorithm
	out.Signature = si.Signature
	switch {
	case si.SID.Class == asn1.ClassUniversal && si.SID.Tag == asn1.TagSequence:
		var ias issuerAndSerial
		if _, err := asn1.Unmarshal(si.SID.FullBytes, &ias); err != nil {
			return nil, fmt.Errorf("%w: signer identifier: %w", ErrFormat, err)
		}
		out.Issuer, out.Serial = ias.Issuer.FullBytes, ias.Serial
	case si.SID.Class == asn1.ClassContextSpecific && si.SID.Tag == 0:
		out.SubjectKeyID = si.SID.Bytes
	default:
		return nil, fmt.Errorf("%w: signer identifier", ErrFormat)
	}
	if len(si.SignedAttrs.FullBytes) > 0 {
		// RFC 5652 §5.4: the signature covers the DER of SET OF
		// Attribute, i.e. the [0] IMPLICIT field re-tagged as 31.
		attrs := append([]byte{}, si.SignedAttrs.FullBytes...)
		attrs[0] = 0x31
		out.SignedAttrs = attrs
		rest := si.SignedAttrs.Bytes
		for len(rest) > 0 {
			var a attribute
			if rest, err = asn1.Unmarshal(rest, &a); err != nil {
				return nil, fmt.Errorf("%w: signed attribute: %w", ErrFormat, err)
			}
			switch {
			case a.Type.Equal(OIDContentType):
				if _, err := asn1.Unmarshal(a.Values.Bytes, &out.AttrContentType); err != nil {
					return nil, fmt.Errorf("%w: contentType attribute: %w", ErrFormat, err)
				}
			case a.Type.Equal(OIDMessageDigest):
				if _, err := asn1.Unmarshal(a.Values.Bytes, &out.AttrMessageDigest); err != nil {
					return nil, fmt.Errorf("%w: messageDigest attribute: %w", ErrFormat, err)
				}
			}
		}
	}
	return out, nil
}

// SOD is EF.SOD: the signed data and the decoded LDSSecurityObject.
type SOD struct {
	Signed        *SignedData
	HashAlgorithm crypto.Hash
	// Hashes maps data group number to the hash the issuer signed.
	Hashes map[int][]byte
	// LDSVersion is from LDSVersionInfo when present (LDS 1.8).
	LDSVersion string
}

// ParseSOD decodes EF.SOD (ICAO 9303 Part 10 §4.6.2). It does not verify
// anything; see sensors/chip/pa.
func ParseSOD(b []byte) (*SOD, error) {
	v, err := tlv.Single(b, TagSOD)
	if err != nil {
		return nil, fmt.Errorf("%w: EF.SOD: %w", ErrFormat, err)
	}
	sd, err := ParseSignedData(v)
	if err != nil {
		return nil, err
	}
	if !sd.ContentType.Equal(OIDLDSSecObj) {
		return nil, fmt.Errorf("%w: EF.SOD content type %v", ErrFormat, sd.ContentType)
	}
	var so ldsSecurityObject
	rest, err := asn1.Unmarshal(sd.Content, &so)
	if err != nil {
		return nil, fmt.Errorf("%w: LDSSecurityObject: %w", ErrFormat, err)
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%w: LDSSecurityObject: trailing bytes", ErrFormat)
	}
	h, err := HashForOID(so.HashAlgorithm.Algorithm)
	if err != nil {
		return nil, err
	}
	out := &SOD{Signed: sd, HashAlgorithm: h, Hashes: map[int][]byte{}}
	for _, dg := range so.Hashes {
		if dg.Number < 1 || dg.Number > 16 {
			return nil, fmt.Errorf("%w: LDSSecurityObject names data group %d", ErrFormat, dg.Number)
		}
		if _, dup := out.Hashes[dg.Number]; dup {
			return nil, fmt.Errorf("%w: LDSSecurityObject repeats data group %d", ErrFormat, dg.Number)
		}
		if len(dg.Hash) != h.Size() {
			return nil, fmt.Errorf("%w: DG%d hash of %d bytes for %v", ErrFormat, dg.Number, len(dg.Hash), h)
		}
		out.Hashes[dg.Number] = dg.Hash
	}
	if len(so.VersionInfo.FullBytes) > 0 {
		var vi struct {
			LDSVersion     string `asn1:"printable"`
			UnicodeVersion string `asn1:"printable"`
		}
		if _, err := asn1.Unmarshal(so.VersionInfo.FullBytes, &vi); err == nil {
			out.LDSVersion = vi.LDSVersion
		}
	}
	return out, nil
}

// MarshalLDSSecurityObject encodes the LDSSecurityObject (version 0) for
// the given hashes (for test documents).
func MarshalLDSSecurityObject(hashOID asn1.ObjectIdentifier, hashes map[int][]byte) ([]byte, error) {
	so := ldsSecurityObject{HashAlgorithm: pkix.AlgorithmIdentifier{Algorithm: hashOID}}
	for n := 1; n <= 16; n++ {
		if h, ok := hashes[n]; ok {
			so.Hashes = append(so.Hashes, dataGroupHash{Number: n, Hash: h})
		}
	}
	return asn1.Marshal(so)
}
