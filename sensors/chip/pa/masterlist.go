package pa

import (
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"time"

	"github.com/egate/egate/sensors/chip/lds"
)

// LoadMasterList decodes an ICAO CSCA master list as ParseMasterList does
// and returns the CSCA certificates crypto/x509 parses; ParseMasterList
// also returns the brainpool ones.
func LoadMasterList(der []byte, now time.Time) ([]*x509.Certificate, error) {
	certs, err := ParseMasterList(der, now)
	if err != nil {
		return nil, err
	}
	var out []*x509.Certificate
	for _, c := range certs {
		if c.X509 != nil {
			out = append(out, c.X509)
		}
	}
	return out, nil
}

// ParseMasterList decodes an ICAO CSCA master list (ICAO 9303 Part 12 §9):
// a CMS SignedData whose content is CscaMasterList ::= SEQUENCE { version
// INTEGER, certList SET OF Certificate }. Its signature is verified with the
// embedded master list signer certificate, and that certificate must be
// signed by a CSCA carried in the list itself and be valid at now. Signer
// and CSCAs may carry RSA, NIST or brainpool keys (see ParseCertificate).
// It returns the CSCA certificates; one neither parser takes (an unknown
// curve) is left out rather than refusing the whole list.
func ParseMasterList(der []byte, now time.Time) ([]*Certificate, error) {
	sd, err := lds.ParseSignedData(der)
	if err != nil {
		return nil, err
	}
	if !sd.ContentType.Equal(lds.OIDMasterList) {
		return nil, fmt.Errorf("master list content type %v", sd.ContentType)
	}
	var ml struct {
		Version  int
		CertList []asn1.RawValue `asn1:"set"`
	}
	if _, err := asn1.Unmarshal(sd.Content, &ml); err != nil {
		return nil, fmt.Errorf("master list content: %w", err)
	}
	var certs []*Certificate
	for _, raw := range ml.CertList {
		c, err := ParseCertificate(raw.FullBytes)
		if err != nil {
			continue
		}
		certs = append(certs, c)
	}
	signer, err := signerCertificate(sd)
	if err != nil {
		return nil, err
	}
	if err := verifySigned(sd, signer); err != nil {
		return nil, fmt.Errorf("master list: %w", err)
	}
	if !signer.validAt(now) {
		return nil, errors.New("master list signer certificate outside its validity")
	}
	for _, c := range certs {
		if string(c.RawSubject) == string(signer.RawIssuer) && checkSignedBy(signer, c) == nil {
			return certs, nil
		}
	}
	return nil, errors.New("master list signer not issued by a CSCA in the list")
}
