package onnx

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// Protocol buffer wire types. See https://protobuf.dev/programming-guides/encoding/.
const (
	wireVarint  = 0
	wireFixed64 = 1
	wireBytes   = 2
	wireGroupSt = 3
	wireGroupEn = 4
	wireFixed32 = 5
)

// enc appends protobuf fields to a byte slice. It is a deliberately small
// subset of google.golang.org/protobuf/encoding/protowire: the module does
// not depend on the protobuf runtime, and ONNX needs only these field kinds.
type enc struct{ b []byte }

func (e *enc) varint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }

func (e *enc) tag(field int, wt int) { e.varint(uint64(field)<<3 | uint64(wt)) }

func (e *enc) int64Field(field int, v int64) {
	e.tag(field, wireVarint)
	e.varint(uint64(v))
}

func (e *enc) bytesField(field int, v []byte) {
	e.tag(field, wireBytes)
	e.varint(uint64(len(v)))
	e.b = append(e.b, v...)
}

func (e *enc) stringField(field int, v string) {
	e.tag(field, wireBytes)
	e.varint(uint64(len(v)))
	e.b = append(e.b, v...)
}

func (e *enc) float32Field(field int, v float32) {
	e.tag(field, wireFixed32)
	e.b = binary.LittleEndian.AppendUint32(e.b, math.Float32bits(v))
}

// message writes a nested message built by fn as a length-delimited field.
func (e *enc) message(field int, fn func(*enc)) {
	var sub enc
	fn(&sub)
	e.bytesField(field, sub.b)
}

func (e *enc) packedInt64(field int, vs []int64) {
	var sub enc
	for _, v := range vs {
		sub.varint(uint64(v))
	}
	e.bytesField(field, sub.b)
}

func (e *enc) packedFloat32(field int, vs []float32) {
	sub := make([]byte, 0, 4*len(vs))
	for _, v := range vs {
		sub = binary.LittleEndian.AppendUint32(sub, math.Float32bits(v))
	}
	e.bytesField(field, sub)
}

var errTruncated = errors.New("truncated protobuf")

// field is one decoded protobuf field.
type field struct {
	num int
	wt  int
	u   uint64 // varint, fixed32 and fixed64 values
	b   []byte // length-delimited payload (aliases the input)
}

// fields decodes every top-level field of msg. It never allocates more
// than the input's size and rejects groups, zero field numbers and any
// length running past the end of the input.
func fields(msg []byte) ([]field, error) {
	var out []field
	for len(msg) > 0 {
		key, n := binary.Uvarint(msg)
		if n <= 0 {
			return nil, errTruncated
		}
		msg = msg[n:]
		f := field{num: int(key >> 3), wt: int(key & 7)}
		if key>>3 == 0 || key>>3 > math.MaxInt32 {
			return nil, fmt.Errorf("invalid field number %d", key>>3)
		}
		switch f.wt {
		case wireVarint:
			v, n := binary.Uvarint(msg)
			if n <= 0 {
				return nil, errTruncated
			}
			f.u, msg = v, msg[n:]
		case wireFixed64:
			if len(msg) < 8 {
				return nil, errTruncated
			}
			f.u, msg = binary.LittleEndian.Uint64(msg), msg[8:]
		case wireFixed32:
			if len(msg) < 4 {
				return nil, errTruncated
			}
			f.u, msg = uint64(binary.LittleEndian.Uint32(msg)), msg[4:]
		case wireBytes:
			l, n := binary.Uvarint(msg)
			if n <= 0 {
				return nil, errTruncated
			}
			msg = msg[n:]
			if l > uint64(len(msg)) {
				return nil, errTruncated
			}
			f.b, msg = msg[:l], msg[l:]
		default:
			return nil, fmt.Errorf("unsupported wire type %d (field %d)", f.wt, f.num)
		}
		out = append(out, f)
	}
	return out, nil
}

// want checks that f has wire type wt.
func (f field) want(wt int, what string) error {
	if f.wt != wt {
		return fmt.Errorf("%s: field %d has wire type %d, want %d", what, f.num, f.wt, wt)
	}
	return nil
}

// int64s decodes a repeated int64 field that may be packed or not.
func (f field) int64s(dst []int64, what string) ([]int64, error) {
	switch f.wt {
	case wireVarint:
		return append(dst, int64(f.u)), nil
	case wireBytes:
		b := f.b
		for len(b) > 0 {
			v, n := binary.Uvarint(b)
			if n <= 0 {
				return nil, fmt.Errorf("%s: %w", what, errTruncated)
			}
			dst, b = append(dst, int64(v)), b[n:]
		}
		return dst, nil
	}
	return nil, fmt.Errorf("%s: field %d has wire type %d", what, f.num, f.wt)
}

// float32s decodes a repeated float field that may be packed or not.
func (f field) float32s(dst []float32, what string) ([]float32, error) {
	switch f.wt {
	case wireFixed32:
		return append(dst, math.Float32frombits(uint32(f.u))), nil
	case wireBytes:
		if len(f.b)%4 != 0 {
			return nil, fmt.Errorf("%s: packed floats of %d bytes", what, len(f.b))
		}
		for i := 0; i < len(f.b); i += 4 {
			dst = append(dst, math.Float32frombits(binary.LittleEndian.Uint32(f.b[i:])))
		}
		return dst, nil
	}
	return nil, fmt.Errorf("%s: field %d has wire type %d", what, f.num, f.wt)
}
