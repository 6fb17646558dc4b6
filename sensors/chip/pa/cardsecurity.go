package pa

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/egate/egate/sensors/chip/lds"
)

// ErrCardSecurity means EF.CardSecurity did not pass its checks.
var ErrCardSecurity = errors.New("pa: EF.CardSecurity")

// VerifyCardSecurity checks EF.CardSecurity (ICAO 9303 Part 11 §9.2: a CMS
// SignedData over SecurityInfos, content type id-SecurityObject, signed by
// a document signer) the way Verify checks EF.SOD, and returns its
// SecurityInfos: the signature, the DS certificate's chain to a trusted
// CSCA and its validity must pass, and the DS must not be revoked. It is
// where the chip keeps its static key for PACE chip authentication mapping.
func VerifyCardSecurity(der []byte, ts *TrustStore, now time.Time) (*lds.SecurityInfos, error) {
	if now.IsZero() {
		now = time.Now()
	}
	if ts == nil {
		ts = &TrustStore{}
	}
	sd, err := lds.ParseSignedData(der)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCardSecurity, err)
	}
	if !sd.ContentType.Equal(lds.OIDSecurityObject) {
		return nil, fmt.Errorf("%w: content type %v is not id-SecurityObject", ErrCardSecurity, sd.ContentType)
	}
	ds, err := signerCertificate(sd)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCardSecurity, err)
	}
	if err := verifySigned(sd, ds); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCardSecurity, err)
	}
	r := &Report{}
	checkChainOf(r, ds, ts, now)
	var bad []string
	for _, c := range r.Checks {
		if c.Status == Fail || (c.Name == CheckDSSignature && c.Status != Pass) {
			bad = append(bad, c.Name+": "+c.Reason)
		}
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("%w: %s", ErrCardSecurity, strings.Join(bad, "; "))
	}
	infos, err := lds.ParseSecurityInfos(sd.Content)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCardSecurity, err)
	}
	return infos, nil
}
