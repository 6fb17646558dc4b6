package watchlist

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// DeltaFormat is the format field of a delta.
const DeltaFormat = "egate-watchlist-delta 1"

// MaxDeltaBytes bounds an encoded delta.
const MaxDeltaBytes = 16 << 20

// wireDelta is the JSON form of a delta:
//
//	{"format": "egate-watchlist-delta 1", "version": 43,
//	 "issued": "2026-11-23T07:00:00Z", "key_id": "3f1c0a9d2b7e4c51",
//	 "add": ["UTO/P/L898902C3", "ref:9c1d..."], "remove": ["ref:77ab..."]}
//
// Entries are written as in a list file. key_id is required when any entry
// is pre-hashed (ref:) and must then name the lane key.
type wireDelta struct {
	Format  string   `json:"format"`
	Version uint64   `json:"version"`
	Issued  string   `json:"issued"`
	KeyID   string   `json:"key_id,omitempty"`
	Add     []string `json:"add"`
	Remove  []string `json:"remove"`
}

// ParseDelta decodes a delta, hashing cleartext entries with the lane key.
// Decoding is strict: unknown fields, trailing data, a bad entry or a
// key_id that is not this lane's are errors (wrapping ErrSyntax or
// ErrKeyMismatch), and messages never quote an entry.
func ParseDelta(data []byte, key []byte) (Delta, error) {
	if len(key) == 0 {
		return Delta{}, errors.New("watchlist: ParseDelta needs the lane key")
	}
	if len(data) > MaxDeltaBytes {
		return Delta{}, fmt.Errorf("%w: delta larger than %d bytes", ErrSyntax, MaxDeltaBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var w wireDelta
	if err := dec.Decode(&w); err != nil {
		return Delta{}, fmt.Errorf("%w: delta: %s", ErrSyntax, jsonErr(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return Delta{}, fmt.Errorf("%w: delta: trailing data after the object", ErrSyntax)
	}
	if w.Format != DeltaFormat {
		return Delta{}, fmt.Errorf("%w: delta: format must be %q", ErrSyntax, DeltaFormat)
	}
	issued, err := time.Parse(time.RFC3339, w.Issued)
	if err != nil {
		return Delta{}, fmt.Errorf("%w: delta: issued must be an RFC 3339 time", ErrSyntax)
	}
	own := KeyID(key)
	if w.KeyID != "" && w.KeyID != own {
		return Delta{}, fmt.Errorf("%w: the delta's key_id %s is not this lane's (%s)", ErrKeyMismatch, w.KeyID, own)
	}
	d := Delta{Version: w.Version, IssuedAt: issued, KeyID: own}
	if len(w.Add)+len(w.Remove) > MaxDeltaEntries {
		return Delta{}, fmt.Errorf("%w: delta has more than %d entries", ErrSyntax, MaxDeltaEntries)
	}
	m := newRefMaker(key)
	for _, list := range []struct {
		name string
		in   []string
		out  *[]Ref
	}{{"add", w.Add, &d.Add}, {"remove", w.Remove, &d.Remove}} {
		for i, s := range list.in {
			r, pre, err := parseEntry(m, s)
			if err != nil {
				return Delta{}, fmt.Errorf("delta %s[%d]: %w", list.name, i, err)
			}
			if pre && w.KeyID == "" {
				return Delta{}, fmt.Errorf("%w: delta %s[%d]: a ref: entry needs key_id", ErrKeyMismatch, list.name, i)
			}
			*list.out = append(*list.out, r)
		}
	}
	if err := d.Validate(); err != nil {
		return Delta{}, err
	}
	return d, nil
}

// EncodeDelta writes d in the wire form, with pre-hashed entries only.
func EncodeDelta(d Delta) ([]byte, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	w := wireDelta{Format: DeltaFormat, Version: d.Version, Issued: d.IssuedAt.UTC().Format(time.RFC3339Nano),
		KeyID: d.KeyID, Add: []string{}, Remove: []string{}}
	for _, r := range d.Add {
		w.Add = append(w.Add, "ref:"+r.String())
	}
	for _, r := range d.Remove {
		w.Remove = append(w.Remove, "ref:"+r.String())
	}
	return json.Marshal(w)
}

// jsonErr describes a decoding error without quoting the input.
func jsonErr(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("invalid JSON at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("field %q has the wrong type", te.Field)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "truncated JSON"
	}
	if strings.HasPrefix(err.Error(), "json: unknown field") {
		// Not quoted: the input is untrusted and could put anything there.
		return "unknown field (known: format, version, issued, key_id, add, remove)"
	}
	return "invalid JSON"
}
