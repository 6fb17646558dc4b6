// Package tlv decodes and encodes the BER-TLV data objects used by ISO/IEC
// 7816-4 smart cards and the ICAO 9303 logical data structure.
//
// It may be imported by any package under sensors/chip. It imports only the
// standard library.
//
// # Encoding rules
//
// ICAO 9303 Part 10 §4.4 (and ISO/IEC 7816-4 §5.2): tags are one to three
// bytes (low five bits 0x1F of the first byte mean "more bytes follow", bit 8
// of each following byte means "more"); lengths are short form (0x00-0x7F) or
// long form 0x81-0x84 followed by one to four length bytes. Indefinite length
// (0x80) is refused: eMRTD files are DER.
//
// Every decoder checks lengths against the bytes actually present, so a
// hostile chip cannot cause a panic or an allocation larger than its answer.
package tlv

import (
	"errors"
	"fmt"
)

// Errors returned by the decoders. They are wrapped with context; test with
// errors.Is.
var (
	// ErrTruncated means the input ended inside a tag, a length or a value.
	ErrTruncated = errors.New("tlv: truncated")
	// ErrMalformed means a tag or length is not valid BER for our use.
	ErrMalformed = errors.New("tlv: malformed")
	// ErrNotFound means a required tag is absent.
	ErrNotFound = errors.New("tlv: tag not found")
)

// MaxLength is the largest value length accepted (16 MiB); no eMRTD file is
// near it, and it keeps lengths inside an int on 32-bit builds.
const MaxLength = 1 << 24

// Object is one decoded data object. Value aliases the input.
type Object struct {
	Tag   uint32
	Value []byte
}

// Constructed reports whether the tag's first byte has the constructed bit
// (0x20) set.
func (o Object) Constructed() bool { return IsConstructed(o.Tag) }

// IsConstructed reports whether tag is a constructed tag.
func IsConstructed(tag uint32) bool {
	for tag > 0xFF {
		tag >>= 8
	}
	return tag&0x20 != 0
}

// ReadTag reads a tag from b and returns it with the number of bytes used.
func ReadTag(b []byte) (tag uint32, n int, err error) {
	if len(b) == 0 {
		return 0, 0, fmt.Errorf("%w: no tag", ErrTruncated)
	}
	tag = uint32(b[0])
	n = 1
	if b[0]&0x1F != 0x1F {
		return tag, n, nil
	}
	for {
		if n >= len(b) {
			return 0, 0, fmt.Errorf("%w: multi-byte tag", ErrTruncated)
		}
		if n >= 3 {
			return 0, 0, fmt.Errorf("%w: tag longer than 3 bytes", ErrMalformed)
		}
		c := b[n]
		tag = tag<<8 | uint32(c)
		n++
		if c&0x80 == 0 {
			return tag, n, nil
		}
	}
}

// ReadLength reads a BER length from b and returns it with the number of
// bytes used. It does not check that the value is present.
func ReadLength(b []byte) (length, n int, err error) {
	if len(b) == 0 {
		return 0, 0, fmt.Errorf("%w: no length", ErrTruncated)
	}
	first := b[0]
	if first < 0x80 {
		return int(first), 1, nil
	}
	if first == 0x80 {
		return 0, 0, fmt.Errorf("%w: indefinite length", ErrMalformed)
	}
	k := int(first & 0x7F)
	if k > 4 {
		return 0, 0, fmt.Errorf("%w: length of %d bytes", ErrMalformed, k)
	}
	if len(b) < 1+k {
		return 0, 0, fmt.Errorf("%w: long-form length", ErrTruncated)
	}
	var l uint64
	for _, c := range b[1 : 1+k] {
		l = l<<8 | uint64(c)
	}
	if l > MaxLength {
		return 0, 0, fmt.Errorf("%w: length %d over limit", ErrMalformed, l)
	}
	return int(l), 1 + k, nil
}

// HeaderLen decodes only the tag and length of the object that starts b and
// returns the tag, the header size and the value length. It is used to learn
// the size of a file from its first bytes (ICAO 9303 Part 10 §3.6.1).
func HeaderLen(b []byte) (tag uint32, header, length int, err error) {
	tag, tn, err := ReadTag(b)
	if err != nil {
		return 0, 0, 0, err
	}
	length, ln, err := ReadLength(b[tn:])
	if err != nil {
		return 0, 0, 0, err
	}
	return tag, tn + ln, length, nil
}

// Next decodes the first object of b and returns it and the remaining bytes.
func Next(b []byte) (Object, []byte, error) {
	tag, h, l, err := HeaderLen(b)
	if err != nil {
		return Object{}, nil, err
	}
	if l > len(b)-h {
		return Object{}, nil, fmt.Errorf("%w: tag %X wants %d bytes, %d present", ErrTruncated, tag, l, len(b)-h)
	}
	return Object{Tag: tag, Value: b[h : h+l : h+l]}, b[h+l:], nil
}

// Parse decodes the whole of b as a sequence of objects. Trailing bytes that
// do not form an object are an error.
func Parse(b []byte) ([]Object, error) {
	var out []Object
	for len(b) > 0 {
		o, rest, err := Next(b)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
		b = rest
	}
	return out, nil
}

// Single decodes b as exactly one object with the given tag.
func Single(b []byte, tag uint32) ([]byte, error) {
	o, rest, err := Next(b)
	if err != nil {
		return nil, err
	}
	if o.Tag != tag {
		return nil, fmt.Errorf("%w: want tag %X, got %X", ErrMalformed, tag, o.Tag)
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%w: %d bytes after tag %X", ErrMalformed, len(rest), tag)
	}
	return o.Value, nil
}

// Find returns the value of the first object with tag among the direct
// children encoded in b.
func Find(b []byte, tag uint32) ([]byte, error) {
	objs, err := Parse(b)
	if err != nil {
		return nil, err
	}
	for _, o := range objs {
		if o.Tag == tag {
			return o.Value, nil
		}
	}
	return nil, fmt.Errorf("%w: %X", ErrNotFound, tag)
}

// AppendTag appends the big-endian bytes of tag (one to three bytes).
func AppendTag(dst []byte, tag uint32) []byte {
	switch {
	case tag > 0xFFFF:
		return append(dst, byte(tag>>16), byte(tag>>8), byte(tag))
	case tag > 0xFF:
		return append(dst, byte(tag>>8), byte(tag))
	default:
		return append(dst, byte(tag))
	}
}

// AppendLength appends the DER length encoding of n.
func AppendLength(dst []byte, n int) []byte {
	switch {
	case n < 0x80:
		return append(dst, byte(n))
	case n <= 0xFF:
		return append(dst, 0x81, byte(n))
	case n <= 0xFFFF:
		return append(dst, 0x82, byte(n>>8), byte(n))
	case n <= 0xFFFFFF:
		return append(dst, 0x83, byte(n>>16), byte(n>>8), byte(n))
	default:
		return append(dst, 0x84, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
}

// Encode returns tag || length || concatenation of values.
func Encode(tag uint32, values ...[]byte) []byte {
	n := 0
	for _, v := range values {
		n += len(v)
	}
	out := AppendTag(make([]byte, 0, n+8), tag)
	out = AppendLength(out, n)
	for _, v := range values {
		out = append(out, v...)
	}
	return out
}
