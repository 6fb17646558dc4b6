package watchlist

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// FileMagic is the first line of a list file.
const FileMagic = "egate-watchlist 1"

// maxLine bounds a line of a list file.
const maxLine = 4096

// Header is a list file's header.
type Header struct {
	Version  uint64
	IssuedAt time.Time
	// KeyID is the key-id line, or "" when the file has none (then it may
	// hold only cleartext entries).
	KeyID string
}

// Reader streams the entries of a list file, hashing cleartext ones with
// the lane key as it goes, so a list of millions never sits in memory and
// cleartext never outlives its line.
type Reader struct {
	sc      *bufio.Scanner
	refs    *refMaker
	keyID   string
	hdr     Header
	line    int
	n       int
	pending string // first entry line, read while looking for the header's end
	err     error
}

// NewReader reads and checks the header. key is the lane key: cleartext
// entries are hashed with it, and a key-id line must name it.
func NewReader(r io.Reader, key []byte) (*Reader, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 512), maxLine)
	rd := &Reader{sc: sc}
	if len(key) > 0 {
		rd.keyID, rd.refs = KeyID(key), newRefMaker(key)
	}
	if err := rd.readHeader(); err != nil {
		return nil, err
	}
	return rd, nil
}

// Header returns the file's header.
func (rd *Reader) Header() Header { return rd.hdr }

// KeyID is the ID of the lane key the entries are made with.
func (rd *Reader) KeyID() string { return rd.keyID }

// Line is the number of the line last read, for error messages.
func (rd *Reader) Line() int { return rd.line }

func (rd *Reader) errf(format string, args ...any) error {
	return fmt.Errorf("%w: line %d: %s", ErrSyntax, rd.line, fmt.Sprintf(format, args...))
}

// next returns the next line that is neither blank nor a comment.
func (rd *Reader) next() (string, error) {
	for rd.sc.Scan() {
		rd.line++
		s := strings.TrimSpace(strings.TrimSuffix(rd.sc.Text(), "\r"))
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		return s, nil
	}
	if err := rd.sc.Err(); err != nil {
		rd.line++
		if errors.Is(err, bufio.ErrTooLong) {
			return "", rd.errf("line longer than %d bytes", maxLine)
		}
		return "", fmt.Errorf("watchlist: reading: %w", err)
	}
	return "", io.EOF
}

func (rd *Reader) readHeader() error {
	s, err := rd.next()
	if err == io.EOF {
		return fmt.Errorf("%w: empty file", ErrSyntax)
	}
	if err != nil {
		return err
	}
	if s != FileMagic {
		return rd.errf("first line must be %q", FileMagic)
	}
	seen := map[string]bool{}
	for {
		s, err := rd.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		k, v, ok := strings.Cut(s, " ")
		if !ok || strings.Contains(k, "/") || strings.HasPrefix(k, "ref:") {
			rd.pending = s // the first entry
			break
		}
		v = strings.TrimSpace(v)
		if seen[k] {
			return rd.errf("%s given twice", k)
		}
		seen[k] = true
		switch k {
		case "version":
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil || n == 0 {
				return rd.errf("version must be a positive integer")
			}
			rd.hdr.Version = n
		case "issued":
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return rd.errf("issued must be an RFC 3339 time such as 2026-11-23T06:00:00Z")
			}
			rd.hdr.IssuedAt = t
		case "key-id":
			if !validKeyID(v) {
				return rd.errf("key-id must be 16 lower-case hex digits (egatectl watchlist status prints the lane's)")
			}
			rd.hdr.KeyID = v
		default:
			return rd.errf("unknown header %q (known: version, issued, key-id)", k)
		}
	}
	if rd.hdr.Version == 0 {
		return fmt.Errorf("%w: header has no version line", ErrSyntax)
	}
	if rd.hdr.IssuedAt.IsZero() {
		return fmt.Errorf("%w: header has no issued line", ErrSyntax)
	}
	if rd.hdr.KeyID != "" && rd.hdr.KeyID != rd.keyID {
		return fmt.Errorf("%w: the file's key-id %s is not this lane's (%s)", ErrKeyMismatch, rd.hdr.KeyID, rd.keyID)
	}
	return nil
}

// Next returns the next entry, or io.EOF after the last.
func (rd *Reader) Next() (Ref, error) {
	if rd.err != nil {
		return Ref{}, rd.err
	}
	s := rd.pending
	rd.pending = ""
	if s == "" {
		var err error
		if s, err = rd.next(); err != nil {
			rd.err = err
			return Ref{}, err
		}
	}
	r, pre, err := parseEntry(rd.refs, s)
	if err != nil {
		rd.err = fmt.Errorf("line %d: %w", rd.line, err)
		return Ref{}, rd.err
	}
	if pre && rd.hdr.KeyID == "" {
		rd.err = fmt.Errorf("%w: line %d: a ref: entry needs a key-id header naming the key it was made with", ErrKeyMismatch, rd.line)
		return Ref{}, rd.err
	}
	rd.n++
	if rd.n > MaxEntries {
		rd.err = rd.errf("more than %d entries", MaxEntries)
		return Ref{}, rd.err
	}
	return r, nil
}

// ReadAll reads a whole (small) list; tests and tools use it.
func ReadAll(r io.Reader, key []byte) (Header, []Ref, error) {
	rd, err := NewReader(r, key)
	if err != nil {
		return Header{}, nil, err
	}
	var refs []Ref
	for {
		ref, err := rd.Next()
		if err == io.EOF {
			return rd.Header(), refs, nil
		}
		if err != nil {
			return Header{}, nil, err
		}
		refs = append(refs, ref)
	}
}
