package tlv

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var parseCases = []struct {
	name    string
	in      string
	want    []Object
	wantErr error
}{
	{name: "empty", in: ""},
	{name: "trailing tag byte", in: "5F0104303130367F", wantErr: ErrTruncated},
	{name: "one byte tag", in: "8A0201FF", want: []Object{{Tag: 0x8A, Value: []byte{1, 0xFF}}}},
	{name: "two byte tag", in: "5F010430313036", want: []Object{{Tag: 0x5F01, Value: []byte("0106")}}},
	{name: "three byte tag", in: "5F810102AABB", want: []Object{{Tag: 0x5F8101, Value: []byte{0xAA, 0xBB}}}},
	{name: "long form 81", in: "8181" + "01" + "", wantErr: ErrTruncated},
	{name: "long form 82", in: "04820002AABB", want: []Object{{Tag: 0x04, Value: []byte{0xAA, 0xBB}}}},
	{name: "two objects", in: "0100" + "0201FF", want: []Object{{Tag: 1, Value: []byte{}}, {Tag: 2, Value: []byte{0xFF}}}},
	{name: "indefinite", in: "3080", wantErr: ErrMalformed},
	{name: "five length bytes", in: "30850000000001", wantErr: ErrMalformed},
	{name: "huge length", in: "3084FFFFFFFF", wantErr: ErrMalformed},
	{name: "length past end", in: "3005AABB", wantErr: ErrTruncated},
	{name: "tag cut", in: "5F", wantErr: ErrTruncated},
	{name: "four byte tag", in: "5F8181810100", wantErr: ErrMalformed},
	{name: "no length", in: "30", wantErr: ErrTruncated},
}

func TestParse(t *testing.T) {
	for _, tc := range parseCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(unhex(t, tc.in))
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %d objects, want %d", len(got), len(tc.want))
			}
			for i := range got {
				if got[i].Tag != tc.want[i].Tag || !bytes.Equal(got[i].Value, tc.want[i].Value) {
					t.Errorf("object %d = %X %X, want %X %X", i, got[i].Tag, got[i].Value, tc.want[i].Tag, tc.want[i].Value)
				}
			}
		})
	}
}

func TestEncodeRoundTrip(t *testing.T) {
	for _, n := range []int{0, 1, 0x7F, 0x80, 0xFF, 0x100, 0xFFFF, 0x10000} {
		for _, tag := range []uint32{0x04, 0x5F1F, 0x7F61, 0x5F8101} {
			v := bytes.Repeat([]byte{0xA5}, n)
			enc := Encode(tag, v)
			got, err := Single(enc, tag)
			if err != nil {
				t.Fatalf("tag %X len %d: %v", tag, n, err)
			}
			if !bytes.Equal(got, v) {
				t.Fatalf("tag %X len %d: value mismatch", tag, n)
			}
		}
	}
}

func TestFindAndSingle(t *testing.T) {
	b := unhex(t, "5F0104303130365C026175")
	v, err := Find(b, 0x5C)
	if err != nil || !bytes.Equal(v, []byte{0x61, 0x75}) {
		t.Fatalf("Find = %X, %v", v, err)
	}
	if _, err := Find(b, 0x99); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Find missing: %v", err)
	}
	if _, err := Single(b, 0x5F01); !errors.Is(err, ErrMalformed) {
		t.Fatalf("Single with trailing data: %v", err)
	}
	if !IsConstructed(0x7F61) || IsConstructed(0x5F1F) || !IsConstructed(0x61) {
		t.Fatal("IsConstructed")
	}
}

func FuzzParse(f *testing.F) {
	for _, tc := range parseCases {
		b, _ := hex.DecodeString(tc.in)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		objs, err := Parse(b)
		if err != nil {
			return
		}
		// Re-encoding what was parsed must parse to the same objects.
		var re []byte
		for _, o := range objs {
			if len(o.Value) > MaxLength {
				t.Fatalf("value over MaxLength")
			}
			re = append(re, Encode(o.Tag, o.Value)...)
		}
		objs2, err := Parse(re)
		if err != nil {
			t.Fatalf("re-parse: %v", err)
		}
		if len(objs2) != len(objs) {
			t.Fatalf("re-parse count %d != %d", len(objs2), len(objs))
		}
	})
}
