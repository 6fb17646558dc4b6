package emrtd

import (
	"fmt"
	"strings"

	"github.com/egate/egate/sensors/chip"
	"github.com/egate/egate/sensors/mrz"
)

// KeyFromMRZ returns the access key of an optically read zone: its
// MRZ_information exactly as printed ((*mrz.MRZ).Key, ICAO 9303 Part 11
// §9.7.2), so long TD1 numbers and birth dates with unknown parts key the
// chip as personalised. It needs only the check digits of the number and
// the two dates to hold. Errors wrap chip.ErrBadKey and the mrz rule
// (mrz.ErrCheckDigit...) and never quote the zone.
func KeyFromMRZ(m *mrz.MRZ) (chip.MRZKey, error) {
	info, err := m.Key()
	if err != nil {
		return chip.MRZKey{}, fmt.Errorf("%w: %w", chip.ErrBadKey, err)
	}
	k := chip.MRZKey{Information: info}
	if _, err := k.Info(); err != nil {
		return chip.MRZKey{}, err
	}
	return k, nil
}

// PrintedMRZ is the zone as Opts.PrintedMRZ wants it (lines joined), for
// the dg1_vs_mrz check. Empty for a nil zone.
func PrintedMRZ(m *mrz.MRZ) string {
	if m == nil {
		return ""
	}
	return strings.Join(m.Lines, "")
}
