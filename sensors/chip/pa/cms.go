package pa

import (
	"encoding/asn1"
	"errors"
	"fmt"

	"github.com/egate/egate/sensors/chip/lds"
	"github.com/egate/egate/sensors/chip/tlv"
)

// lds decodes CMS SignedData and hands over the embedded certificates as
// crypto/x509 parsed them; a certificate crypto/x509 cannot parse (a
// brainpool key) makes the whole SignedData unreadable there. This file
// takes the embedded certificates out of the DER itself (RFC 5652 §5.1,
// SignedData.certificates [0] IMPLICIT CertificateSet) and, when lds
// refused the original, hands lds the same SignedData without its
// certificates. The signature does not cover the certificates, so dropping
// them changes nothing lds checks or returns but the certificate list.

// signedSOD decodes EF.SOD and returns its embedded certificates as DER.
func signedSOD(b []byte) (*lds.SOD, [][]byte, error) {
	sod, err := lds.ParseSOD(b)
	inner, terr := tlv.Single(b, lds.TagSOD)
	var raws [][]byte
	var stripped []byte
	serr := terr
	if terr == nil {
		raws, stripped, serr = splitCertificates(inner)
	}
	if err != nil {
		if serr != nil || len(raws) == 0 {
			return nil, nil, err
		}
		sod2, err2 := lds.ParseSOD(tlv.Encode(lds.TagSOD, stripped))
		if err2 != nil {
			return nil, nil, err
		}
		return sod2, raws, nil
	}
	if serr != nil {
		raws = rawCertificates(sod.Signed)
	}
	return sod, raws, nil
}

// signedData decodes a ContentInfo holding SignedData (a master list) and
// returns its embedded certificates as DER.
func signedData(der []byte) (*lds.SignedData, [][]byte, error) {
	sd, err := lds.ParseSignedData(der)
	raws, stripped, serr := splitCertificates(der)
	if err != nil {
		if serr != nil || len(raws) == 0 {
			return nil, nil, err
		}
		sd2, err2 := lds.ParseSignedData(stripped)
		if err2 != nil {
			return nil, nil, err
		}
		return sd2, raws, nil
	}
	if serr != nil {
		raws = rawCertificates(sd)
	}
	return sd, raws, nil
}

func rawCertificates(sd *lds.SignedData) [][]byte {
	var out [][]byte
	for _, c := range sd.Certificates {
		out = append(out, c.Raw)
	}
	return out
}

var errCMS = errors.New("malformed CMS structure")

// splitCertificates returns the certificates (the Certificate choice of
// CertificateChoices) of a DER ContentInfo holding SignedData, and the
// ContentInfo re-encoded without them, every other field byte for byte.
func splitCertificates(der []byte) (certs [][]byte, stripped []byte, err error) {
	ci, err := sequence(der)
	if err != nil || len(ci) != 2 {
		return nil, nil, errCMS
	}
	content := ci[1]
	if content.Class != asn1.ClassContextSpecific || content.Tag != 0 || !content.IsCompound {
		return nil, nil, errCMS
	}
	sdFields, err := sequence(content.Bytes)
	if err != nil {
		return nil, nil, errCMS
	}
	var kept []byte
	for _, f := range sdFields {
		if f.Class == asn1.ClassContextSpecific && f.Tag == 0 {
			set, err := elements(f.Bytes)
			if err != nil {
				return nil, nil, errCMS
			}
			for _, c := range set {
				if c.Class == asn1.ClassUniversal && c.Tag == asn1.TagSequence {
					certs = append(certs, c.FullBytes)
				}
			}
			continue
		}
		kept = append(kept, f.FullBytes...)
	}
	sd, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSequence, IsCompound: true, Bytes: kept})
	if err != nil {
		return nil, nil, err
	}
	wrapped, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: sd})
	if err != nil {
		return nil, nil, err
	}
	stripped, err = asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSequence, IsCompound: true,
		Bytes: append(append([]byte{}, ci[0].FullBytes...), wrapped...)})
	if err != nil {
		return nil, nil, err
	}
	return certs, stripped, nil
}

// sequence decodes der as exactly one SEQUENCE and returns its elements.
func sequence(der []byte) ([]asn1.RawValue, error) {
	var seq asn1.RawValue
	rest, err := asn1.Unmarshal(der, &seq)
	if err != nil {
		return nil, err
	}
	if len(rest) != 0 || seq.Class != asn1.ClassUniversal || seq.Tag != asn1.TagSequence || !seq.IsCompound {
		return nil, errCMS
	}
	return elements(seq.Bytes)
}

// elements decodes a concatenation of DER elements.
func elements(b []byte) ([]asn1.RawValue, error) {
	var out []asn1.RawValue
	for len(b) > 0 {
		var v asn1.RawValue
		rest, err := asn1.Unmarshal(b, &v)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
		b = rest
	}
	return out, nil
}

// signerCertificate finds the signer's certificate among the embedded
// ones (by issuer and serial, or subject key identifier), parsing each
// with ParseCertificate. When none matches and some did not parse, the
// parse error is the reason: it is most likely the signer's.
func signerCertificate(sd *lds.SignedData, raws [][]byte) (*Certificate, error) {
	var parseErr error
	for _, raw := range raws {
		c, err := ParseCertificate(raw)
		if err != nil {
			if parseErr == nil {
				parseErr = err
			}
			continue
		}
		if sd.Serial != nil && c.SerialNumber.Cmp(sd.Serial) == 0 && string(c.RawIssuer) == string(sd.Issuer) {
			return c, nil
		}
		if len(sd.SubjectKeyID) > 0 && string(c.SubjectKeyId) == string(sd.SubjectKeyID) {
			return c, nil
		}
	}
	if parseErr != nil {
		return nil, fmt.Errorf("signer certificate unusable: %w", parseErr)
	}
	return nil, fmt.Errorf("%w: signer certificate not embedded", lds.ErrFormat)
}
