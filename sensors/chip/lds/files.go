package lds

import (
	"crypto"
	"crypto/x509"
	"fmt"
	"strings"

	"github.com/egate/egate/sensors/chip/tlv"
)

// Tags of the LDS files (ICAO 9303 Part 10 §4.6, Table 34).
const (
	TagCOM = 0x60
	TagSOD = 0x77
)

var dgTags = [17]uint32{0, 0x61, 0x75, 0x63, 0x76, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6A, 0x6B, 0x6C, 0x6D, 0x6E, 0x6F, 0x70}

// DGTag returns the tag of data group n (1 to 16), or 0.
func DGTag(n int) uint32 {
	if n < 1 || n > 16 {
		return 0
	}
	return dgTags[n]
}

// DGNumber returns the data group number of tag, or 0.
func DGNumber(tag uint32) int {
	for n, t := range dgTags {
		if n > 0 && t == tag {
			return n
		}
	}
	return 0
}

// COM is EF.COM.
type COM struct {
	LDSVersion     string // e.g. "0107"
	UnicodeVersion string // e.g. "040000"
	Tags           []byte // data group tags present
}

// DataGroups returns the data group numbers listed in EF.COM.
func (c *COM) DataGroups() []int {
	var out []int
	for _, t := range c.Tags {
		if n := DGNumber(uint32(t)); n > 0 {
			out = append(out, n)
		}
	}
	return out
}

// ParseCOM decodes EF.COM.
func ParseCOM(b []byte) (*COM, error) {
	v, err := tlv.Single(b, TagCOM)
	if err != nil {
		return nil, fmt.Errorf("%w: EF.COM: %w", ErrFormat, err)
	}
	objs, err := tlv.Parse(v)
	if err != nil {
		return nil, fmt.Errorf("%w: EF.COM: %w", ErrFormat, err)
	}
	c := &COM{}
	seen := false
	for _, o := range objs {
		switch o.Tag {
		case 0x5F01:
			c.LDSVersion = string(o.Value)
		case 0x5F36:
			c.UnicodeVersion = string(o.Value)
		case 0x5C:
			c.Tags = append([]byte{}, o.Value...)
			seen = true
		}
	}
	if !seen {
		return nil, fmt.Errorf("%w: EF.COM without tag list", ErrFormat)
	}
	return c, nil
}

// MarshalCOM encodes EF.COM (for the simulated chip).
func MarshalCOM(c *COM) []byte {
	return tlv.Encode(TagCOM,
		tlv.Encode(0x5F01, []byte(c.LDSVersion)),
		tlv.Encode(0x5F36, []byte(c.UnicodeVersion)),
		tlv.Encode(0x5C, c.Tags))
}

// MRZ format by length (ICAO 9303 Parts 4 to 6).
const (
	TD1 = "TD1" // 3 x 30
	TD2 = "TD2" // 2 x 36
	TD3 = "TD3" // 2 x 44
)

// DG1 is the MRZ as stored on the chip, with fields cut by position. It
// holds personal data: do not log it; String redacts it.
type DG1 struct {
	MRZ            string
	Format         string
	DocumentCode   string
	IssuingState   string
	DocumentNumber string
	Nationality    string
	DateOfBirth    string
	Sex            string
	DateOfExpiry   string
	Name           string // primary<<secondary, fillers kept
}

// String redacts the data.
func (d *DG1) String() string { return "DG1{" + d.Format + ", redacted}" }

// ParseDG1 decodes DG1 (ICAO 9303 Part 10 §4.7.1).
func ParseDG1(b []byte) (*DG1, error) {
	v, err := tlv.Single(b, DGTag(1))
	if err != nil {
		return nil, fmt.Errorf("%w: DG1: %w", ErrFormat, err)
	}
	mrz, err := tlv.Single(v, 0x5F1F)
	if err != nil {
		return nil, fmt.Errorf("%w: DG1: %w", ErrFormat, err)
	}
	return ParseMRZ(string(mrz))
}

// ParseMRZ cuts an MRZ (without line breaks) into fields by position.
func ParseMRZ(s string) (*DG1, error) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c == '<') {
			return nil, fmt.Errorf("%w: DG1: MRZ character %q at %d", ErrFormat, c, i)
		}
	}
	d := &DG1{MRZ: s}
	switch len(s) {
	case 90:
		l1, l2, l3 := s[0:30], s[30:60], s[60:90]
		d.Format = TD1
		d.DocumentCode, d.IssuingState = l1[0:2], l1[2:5]
		d.DocumentNumber = l1[5:14]
		if l1[14] == '<' {
			// Long document number: continues in the optional data, whose
			// last character before the filler is its check digit
			// (Part 5 §4.2.4 note j).
			opt := strings.TrimRight(l1[15:30], "<")
			if len(opt) > 1 {
				d.DocumentNumber += opt[:len(opt)-1]
			}
		}
		d.DateOfBirth, d.Sex, d.DateOfExpiry, d.Nationality = l2[0:6], l2[7:8], l2[8:14], l2[15:18]
		d.Name = l3
	case 72:
		l1, l2 := s[0:36], s[36:72]
		d.Format = TD2
		d.DocumentCode, d.IssuingState, d.Name = l1[0:2], l1[2:5], l1[5:36]
		d.DocumentNumber, d.Nationality = l2[0:9], l2[10:13]
		d.DateOfBirth, d.Sex, d.DateOfExpiry = l2[13:19], l2[20:21], l2[21:27]
	case 88:
		l1, l2 := s[0:44], s[44:88]
		d.Format = TD3
		d.DocumentCode, d.IssuingState, d.Name = l1[0:2], l1[2:5], l1[5:44]
		d.DocumentNumber, d.Nationality = l2[0:9], l2[10:13]
		d.DateOfBirth, d.Sex, d.DateOfExpiry = l2[13:19], l2[20:21], l2[21:27]
	default:
		return nil, fmt.Errorf("%w: DG1: MRZ of %d characters", ErrFormat, len(s))
	}
	d.DocumentNumber = strings.TrimRight(d.DocumentNumber, "<")
	return d, nil
}

// MarshalDG1 encodes DG1 from an MRZ string (for the simulated chip).
func MarshalDG1(mrz string) []byte {
	return tlv.Encode(DGTag(1), tlv.Encode(0x5F1F, []byte(mrz)))
}

// DG15 is the active authentication public key.
type DG15 struct {
	Raw       []byte // SubjectPublicKeyInfo
	PublicKey crypto.PublicKey
}

// ParseDG15 decodes DG15 (ICAO 9303 Part 10 §4.7.15). Keys crypto/x509
// cannot parse (brainpool ECDSA) are an error.
func ParseDG15(b []byte) (*DG15, error) {
	v, err := tlv.Single(b, DGTag(15))
	if err != nil {
		return nil, fmt.Errorf("%w: DG15: %w", ErrFormat, err)
	}
	pk, err := x509.ParsePKIXPublicKey(v)
	if err != nil {
		return nil, fmt.Errorf("%w: DG15: %w", ErrFormat, err)
	}
	return &DG15{Raw: v, PublicKey: pk}, nil
}

// ParseDG14 decodes DG14 (ICAO 9303 Part 10 §4.7.14).
func ParseDG14(b []byte) (*SecurityInfos, error) {
	v, err := tlv.Single(b, DGTag(14))
	if err != nil {
		return nil, fmt.Errorf("%w: DG14: %w", ErrFormat, err)
	}
	return ParseSecurityInfos(v)
}
