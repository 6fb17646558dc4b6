package pa

import (
	"bytes"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"time"

	"github.com/egate/egate/sensors/chip/lds"
)

// LoadMasterList decodes an ICAO CSCA master list (ICAO 9303 Part 12 §9):
// a CMS SignedData whose content is CscaMasterList ::= SEQUENCE { version
// INTEGER, certList SET OF Certificate }. Its signature is verified with the
// embedded master list signer certificate, and that certificate must be
// signed by a CSCA carried in the list itself and be valid at now. It
// returns the CSCA certificates.
func LoadMasterList(der []byte, now time.Time) ([]*x509.Certificate, error) {
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
	var certs []*x509.Certificate
	for _, raw := range ml.CertList {
		c, err := x509.ParseCertificate(raw.FullBytes)
		if err != nil {
			// Master lists carry brainpool CSCAs that crypto/x509 cannot
			// parse; skip them rather than refuse the whole list.
			continue
		}
		certs = append(certs, c)
	}
	signer, err := sd.SignerCertificate()
	if err != nil {
		return nil, err
	}
	if err := verifySignedData(sd, signer); err != nil {
		return nil, fmt.Errorf("master list: %w", err)
	}
	if now.Before(signer.NotBefore) || now.After(signer.NotAfter) {
		return nil, errors.New("master list signer certificate outside its validity")
	}
	for _, c := range certs {
		if bytes.Equal(c.RawSubject, signer.RawIssuer) && signer.CheckSignatureFrom(c) == nil {
			return certs, nil
		}
	}
	return nil, errors.New("master list signer not issued by a CSCA in the list")
}
