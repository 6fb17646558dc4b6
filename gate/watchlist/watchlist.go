package watchlist

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strings"
	"time"

	"github.com/egate/egate/gate"
)

// MaxEntries bounds a list file. A load sorts the whole list in memory
// (32 bytes an entry: 320 MB at the bound) so that it can write the table
// in key order.
const MaxEntries = 10_000_000

// MaxDeltaEntries bounds the entries (added plus removed) of one delta.
const MaxDeltaEntries = 200_000

// Errors callers decide on. They are wrapped with detail; test with errors.Is.
var (
	// ErrSyntax: the file or delta is malformed. Drop it.
	ErrSyntax = errors.New("watchlist: malformed")
	// ErrKeyMismatch: pre-hashed entries were made with another lane key,
	// or a delta does not match the key of the loaded list. Drop it.
	ErrKeyMismatch = errors.New("watchlist: key mismatch")
	// ErrGap: a delta skips a version. Ask for the missing deltas or a full list.
	ErrGap = errors.New("watchlist: version gap")
	// ErrOlder: a full list is older than the one loaded (see LoadOptions).
	ErrOlder = errors.New("watchlist: list older than the loaded one")
)

// Ref is a pseudonymised list entry: the keyed HMAC-SHA256 of (issuing
// state, document type, document number), as gate.DocRef computes it.
type Ref [sha256.Size]byte

// RefOf pseudonymises a document identity under key, as gate.DocRef does.
func RefOf(key []byte, issuingState, docType, number string) Ref {
	r, _ := ParseRef(gate.DocRef(key, issuingState, docType, number))
	return r
}

// refMaker computes Refs like RefOf, reusing one HMAC state: a list load
// makes millions. TestRefMatchesDocRef holds it to gate.DocRef.
type refMaker struct {
	mac hash.Hash
	buf []byte
}

func newRefMaker(key []byte) *refMaker {
	return &refMaker{mac: hmac.New(sha256.New, key)}
}

func (m *refMaker) ref(issuingState, docType, number string) Ref {
	norm := func(s string) string { return strings.ToUpper(strings.Trim(s, "< ")) }
	m.buf = append(m.buf[:0], norm(issuingState)...)
	m.buf = append(m.buf, 0)
	m.buf = append(m.buf, norm(docType)...)
	m.buf = append(m.buf, 0)
	m.buf = append(m.buf, norm(number)...)
	m.mac.Reset()
	m.mac.Write(m.buf)
	var r Ref
	m.mac.Sum(r[:0])
	return r
}

// ParseRef decodes the hex form of a Ref (as gate.DocRef returns it).
func ParseRef(s string) (Ref, error) {
	var r Ref
	if len(s) != 2*len(r) {
		return r, fmt.Errorf("%w: a ref is %d hex digits", ErrSyntax, 2*len(r))
	}
	if _, err := hex.Decode(r[:], []byte(s)); err != nil {
		return r, fmt.Errorf("%w: a ref is %d hex digits", ErrSyntax, 2*len(r))
	}
	return r, nil
}

// String is the lower-case hex form, as gate.DocRef returns it.
func (r Ref) String() string { return hex.EncodeToString(r[:]) }

// KeyID names a lane key without revealing it: the first 8 bytes, in hex, of
// HMAC-SHA256(key, "egate watchlist key-id v1"). Lists and deltas carrying
// pre-hashed entries state it so that a list made with the wrong key is
// refused rather than silently never hitting.
func KeyID(key []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("egate watchlist key-id v1"))
	return hex.EncodeToString(m.Sum(nil)[:8])
}

// Status describes the list a lane holds.
type Status struct {
	// Version is the issuer's list version; 0 means no list was ever loaded.
	Version uint64
	// IssuedAt is when the issuer produced this version (the full list or
	// the latest delta, whichever is newer). The stale-list rule measures
	// from it.
	IssuedAt time.Time
	// UpdatedAt is when this device last changed the list.
	UpdatedAt time.Time
	// Entries is the number of entries held.
	Entries int64
	// KeyID is the key the entries were made with (see KeyID).
	KeyID string
}

// Loaded reports whether a list was ever loaded or built by deltas.
func (s Status) Loaded() bool { return s.Version > 0 }

// Age is how old the list is at now. A list issued in the future (a clock
// that is behind) has age 0.
func (s Status) Age(now time.Time) time.Duration {
	if now.Before(s.IssuedAt) {
		return 0
	}
	return now.Sub(s.IssuedAt)
}

// Delta moves a list from version Version-1 to Version. It holds only refs:
// ParseDelta hashes cleartext entries as it reads them.
type Delta struct {
	Version  uint64
	IssuedAt time.Time
	// KeyID is the key the refs were made with; it must match the loaded
	// list's key.
	KeyID  string
	Add    []Ref
	Remove []Ref
}

// Validate reports a delta that cannot be applied to any list.
func (d Delta) Validate() error {
	if d.Version == 0 {
		return fmt.Errorf("%w: delta version must be positive", ErrSyntax)
	}
	if d.IssuedAt.IsZero() {
		return fmt.Errorf("%w: delta has no issue time", ErrSyntax)
	}
	if d.KeyID == "" {
		return fmt.Errorf("%w: delta has no key id", ErrSyntax)
	}
	if len(d.Add)+len(d.Remove) > MaxDeltaEntries {
		return fmt.Errorf("%w: delta has more than %d entries", ErrSyntax, MaxDeltaEntries)
	}
	add := make(map[Ref]bool, len(d.Add))
	for _, r := range d.Add {
		add[r] = true
	}
	for _, r := range d.Remove {
		if add[r] {
			return fmt.Errorf("%w: delta both adds and removes one entry", ErrSyntax)
		}
	}
	return nil
}

// Applier applies deltas in order; the SQLite store implements it. The MQTT
// link depends on this interface, not on the store.
//
// ApplyDelta returns nil for a delta already applied (version not above the
// list's), an error wrapping ErrGap for one that skips a version, and one
// wrapping ErrKeyMismatch or ErrSyntax for one that can never apply.
// Anything else (a database error) is worth retrying.
type Applier interface {
	ApplyDelta(ctx context.Context, d Delta) error
}

// parseEntry reads one entry: STATE/TYPE/NUMBER (hashed with key) or
// ref:HEX. pre reports a pre-hashed entry. Error messages never quote the
// entry: it may be a document number.
func parseEntry(m *refMaker, s string) (r Ref, pre bool, err error) {
	if hexPart, ok := strings.CutPrefix(s, "ref:"); ok {
		r, err = ParseRef(strings.ToLower(hexPart))
		return r, true, err
	}
	state, rest, ok1 := strings.Cut(s, "/")
	typ, number, ok2 := strings.Cut(rest, "/")
	if !ok1 || !ok2 {
		return r, false, fmt.Errorf("%w: entry is not STATE/TYPE/NUMBER or ref:HEX", ErrSyntax)
	}
	switch {
	case !field(state, 3, false):
		return r, false, fmt.Errorf("%w: issuing state must be 1-3 letters or '<'", ErrSyntax)
	case !field(typ, 2, false):
		return r, false, fmt.Errorf("%w: document type must be 1-2 letters or '<'", ErrSyntax)
	case !field(number, 35, true):
		return r, false, fmt.Errorf("%w: document number must be 1-35 letters, digits or '<'", ErrSyntax)
	}
	if m == nil {
		return r, false, fmt.Errorf("%w: cleartext entries need the lane key", ErrSyntax)
	}
	return m.ref(state, typ, number), false, nil
}

// field checks an MRZ field: letters (and digits if digits), '<' fillers,
// at least one non-filler, at most n characters.
func field(s string, n int, digits bool) bool {
	if len(s) == 0 || len(s) > n {
		return false
	}
	real := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z':
			real = true
		case digits && c >= '0' && c <= '9':
			real = true
		case c == '<':
		default:
			return false
		}
	}
	return real
}

func validKeyID(s string) bool {
	if len(s) != 16 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil && strings.ToLower(s) == s
}
