package pa

import (
	"fmt"

	"github.com/egate/egate/sensors/chip/lds"
)

// signerCertificate finds the signer's certificate among the embedded
// ones (by issuer and serial, or subject key identifier), parsing each
// with ParseCertificate. When none matches and some did not parse, the
// parse error is the reason: it is most likely the signer's.
func signerCertificate(sd *lds.SignedData) (*Certificate, error) {
	var parseErr error
	for _, raw := range sd.RawCertificates {
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
