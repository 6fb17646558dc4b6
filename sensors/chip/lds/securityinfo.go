package lds

import (
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"

	"github.com/egate/egate/sensors/chip/eckey"
)

// ErrFormat means a file does not follow the LDS structure.
var ErrFormat = errors.New("lds: malformed")

// Object identifiers of ICAO 9303 Part 11 §9.2 and BSI TR-03110.
var (
	OIDBSI       = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7}
	OIDPACE      = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 2, 2, 4}
	OIDCA        = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 2, 2, 3}
	OIDPK        = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 2, 2, 1}
	OIDTA        = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 2, 2, 2}
	OIDAA        = asn1.ObjectIdentifier{2, 23, 136, 1, 1, 5}
	OIDLDSSecObj = asn1.ObjectIdentifier{2, 23, 136, 1, 1, 1}
	// OIDSecurityObject is the content type of EF.CardSecurity (BSI
	// TR-03110 id-SecurityObject, used by ICAO 9303 Part 11 §9.2).
	OIDSecurityObject = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 3, 2, 1}
	OIDMasterList     = asn1.ObjectIdentifier{2, 23, 136, 1, 1, 2}
)

// PACEInfo is one PACE protocol the chip offers (ICAO 9303 Part 11 §9.2.1).
type PACEInfo struct {
	Protocol    asn1.ObjectIdentifier
	Version     int
	ParameterID int // -1 when absent
}

// ChipAuthenticationInfo (ICAO 9303 Part 11 §9.2.5).
type ChipAuthenticationInfo struct {
	Protocol asn1.ObjectIdentifier
	Version  int
	KeyID    *big.Int // nil when absent
}

// ChipAuthenticationPublicKeyInfo (ICAO 9303 Part 11 §9.2.6). PublicKey is
// parsed by crypto/x509 when it can be, else by sensors/chip/eckey (EC keys
// on brainpool curves, with explicit parameters or a domain parameter id:
// an *ecdsa.PublicKey); DH keys stay unparsed. Raw always holds the
// SubjectPublicKeyInfo.
type ChipAuthenticationPublicKeyInfo struct {
	Protocol  asn1.ObjectIdentifier
	Raw       []byte
	PublicKey crypto.PublicKey
	KeyID     *big.Int
}

// ActiveAuthenticationInfo (ICAO 9303 Part 11 §9.2.8): the signature
// algorithm for ECDSA active authentication.
type ActiveAuthenticationInfo struct {
	Version            int
	SignatureAlgorithm asn1.ObjectIdentifier
}

// SecurityInfos is a decoded EF.CardAccess, EF.CardSecurity or DG14.
type SecurityInfos struct {
	PACE    []PACEInfo
	CA      []ChipAuthenticationInfo
	CAKeys  []ChipAuthenticationPublicKeyInfo
	AA      []ActiveAuthenticationInfo
	Unknown []asn1.ObjectIdentifier
}

type securityInfo struct {
	Protocol asn1.ObjectIdentifier
	Required asn1.RawValue
	Optional asn1.RawValue `asn1:"optional"`
}

func hasPrefix(oid, prefix asn1.ObjectIdentifier) bool {
	if len(oid) <= len(prefix) {
		return false
	}
	return asn1.ObjectIdentifier(oid[:len(prefix)]).Equal(prefix)
}

func smallInt(raw asn1.RawValue) (int, error) {
	if raw.Class != asn1.ClassUniversal || raw.Tag != asn1.TagInteger {
		return 0, fmt.Errorf("%w: expected INTEGER", ErrFormat)
	}
	var v int
	if _, err := asn1.Unmarshal(raw.FullBytes, &v); err != nil {
		return 0, fmt.Errorf("%w: %w", ErrFormat, err)
	}
	return v, nil
}

// ParseSecurityInfos decodes a DER SET OF SecurityInfo (ICAO 9303 Part 11
// §9.2). Unknown protocols are kept by OID, not refused.
func ParseSecurityInfos(der []byte) (*SecurityInfos, error) {
	var raw []securityInfo
	rest, err := asn1.UnmarshalWithParams(der, &raw, "set")
	if err != nil {
		return nil, fmt.Errorf("%w: SecurityInfos: %w", ErrFormat, err)
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%w: SecurityInfos: %d trailing bytes", ErrFormat, len(rest))
	}
	out := &SecurityInfos{}
	for _, si := range raw {
		switch {
		case hasPrefix(si.Protocol, OIDPACE) && len(si.Protocol) == len(OIDPACE)+2:
			v, err := smallInt(si.Required)
			if err != nil {
				return nil, fmt.Errorf("PACEInfo version: %w", err)
			}
			p := PACEInfo{Protocol: si.Protocol, Version: v, ParameterID: -1}
			if len(si.Optional.FullBytes) > 0 {
				if p.ParameterID, err = smallInt(si.Optional); err != nil {
					return nil, fmt.Errorf("PACEInfo parameterId: %w", err)
				}
			}
			out.PACE = append(out.PACE, p)
		case hasPrefix(si.Protocol, OIDCA) && len(si.Protocol) == len(OIDCA)+2:
			v, err := smallInt(si.Required)
			if err != nil {
				return nil, fmt.Errorf("ChipAuthenticationInfo version: %w", err)
			}
			ca := ChipAuthenticationInfo{Protocol: si.Protocol, Version: v}
			if len(si.Optional.FullBytes) > 0 {
				ca.KeyID = new(big.Int)
				if _, err := asn1.Unmarshal(si.Optional.FullBytes, &ca.KeyID); err != nil {
					return nil, fmt.Errorf("%w: ChipAuthenticationInfo keyId: %w", ErrFormat, err)
				}
			}
			out.CA = append(out.CA, ca)
		case hasPrefix(si.Protocol, OIDPK) && len(si.Protocol) == len(OIDPK)+1:
			k := ChipAuthenticationPublicKeyInfo{Protocol: si.Protocol, Raw: si.Required.FullBytes}
			if si.Required.Tag != asn1.TagSequence {
				return nil, fmt.Errorf("%w: ChipAuthenticationPublicKeyInfo key", ErrFormat)
			}
			if pk, err := x509.ParsePKIXPublicKey(si.Required.FullBytes); err == nil {
				k.PublicKey = pk
			} else if pk, _, err := eckey.ParseSPKI(si.Required.FullBytes); err == nil {
				k.PublicKey = pk // brainpool, explicit parameters or a domain parameter id
			}
			if len(si.Optional.FullBytes) > 0 {
				k.KeyID = new(big.Int)
				if _, err := asn1.Unmarshal(si.Optional.FullBytes, &k.KeyID); err != nil {
					return nil, fmt.Errorf("%w: ChipAuthenticationPublicKeyInfo keyId: %w", ErrFormat, err)
				}
			}
			out.CAKeys = append(out.CAKeys, k)
		case si.Protocol.Equal(OIDAA):
			v, err := smallInt(si.Required)
			if err != nil {
				return nil, fmt.Errorf("ActiveAuthenticationInfo version: %w", err)
			}
			aa := ActiveAuthenticationInfo{Version: v}
			if len(si.Optional.FullBytes) > 0 {
				if _, err := asn1.Unmarshal(si.Optional.FullBytes, &aa.SignatureAlgorithm); err != nil {
					return nil, fmt.Errorf("%w: ActiveAuthenticationInfo algorithm: %w", ErrFormat, err)
				}
			}
			out.AA = append(out.AA, aa)
		default:
			out.Unknown = append(out.Unknown, si.Protocol)
		}
	}
	return out, nil
}

// MarshalPACEInfos encodes PACEInfos as EF.CardAccess (for the simulated
// chip and tests).
func MarshalPACEInfos(infos []PACEInfo) ([]byte, error) {
	type paceInfo struct {
		Protocol asn1.ObjectIdentifier
		Version  int
		ParamID  int
	}
	type paceInfoNoParam struct {
		Protocol asn1.ObjectIdentifier
		Version  int
	}
	var set []any
	for _, p := range infos {
		if p.ParameterID >= 0 {
			set = append(set, paceInfo{p.Protocol, p.Version, p.ParameterID})
		} else {
			set = append(set, paceInfoNoParam{p.Protocol, p.Version})
		}
	}
	var elems []asn1.RawValue
	for _, e := range set {
		b, err := asn1.Marshal(e)
		if err != nil {
			return nil, err
		}
		elems = append(elems, asn1.RawValue{FullBytes: b})
	}
	return asn1.MarshalWithParams(elems, "set")
}
