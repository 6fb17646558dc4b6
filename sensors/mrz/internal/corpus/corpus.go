// Package corpus reads and writes the MRZ corpus in
// sensors/mrz/testdata/corpus.jsonl: zones of every format, valid and
// invalid, each labelled with what a correct ICAO 9303 parser reports. The
// parser's tests check sensors/mrz against the labels, its benchmarks
// parse the zones, and sensors/mrz/bench compares sensors/mrz with the npm
// package mrz on the same zones.
//
// Only sensors/mrz and its subpackages may import it. The corpus holds
// specimen and made-up data only (issuing state Utopia and made-up
// names); it is still a set of zones, and tools print zone ids, never
// lines.
package corpus

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/egate/egate/sensors/mrz"
)

// Zone is one corpus entry, one JSON object per line of the file.
type Zone struct {
	// ID names the zone in reports: format/what, e.g. "td3/icao-specimen".
	ID string `json:"id"`
	// Why says what the zone exercises and where the rule comes from.
	Why   string   `json:"why"`
	Lines []string `json:"lines"`
	// Format is what a correct parser recognises: TD1, TD2, TD3, MRVA,
	// MRVB, or "" when the geometry matches no format.
	Format string `json:"format"`
	// Valid: well formed and every check digit holds (expiry aside).
	Valid bool `json:"valid"`
	// Errors are the fields with a broken rule, in zone order, each once,
	// named as in `egatectl mrz --json` ("input" for the geometry).
	Errors []string `json:"errors,omitempty"`
	// Fields are the values a correct parser returns, given for valid zones.
	Fields *Fields `json:"fields,omitempty"`
}

// Fields are the values compared across parsers, as `egatectl mrz --json`
// names them: fillers stripped, name words separated by single spaces,
// dates as printed (YYMMDD), sex M, F or X (unspecified, printed < or X).
type Fields struct {
	DocumentCode   string `json:"document_code"`
	IssuingState   string `json:"issuing_state"`
	Surname        string `json:"surname"`
	GivenNames     string `json:"given_names"`
	DocumentNumber string `json:"document_number"`
	Nationality    string `json:"nationality"`
	BirthDate      string `json:"birth_date"`
	Sex            string `json:"sex"`
	ExpiryDate     string `json:"expiry_date"`
}

// Read parses a corpus: one Zone per line; blank lines are skipped.
func Read(r io.Reader) ([]Zone, error) {
	var zones []Zone
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	seen := map[string]bool{}
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var z Zone
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&z); err != nil {
			return nil, fmt.Errorf("corpus: line %d: %w", n, err)
		}
		if z.ID == "" || seen[z.ID] {
			return nil, fmt.Errorf("corpus: line %d: missing or repeated id", n)
		}
		seen[z.ID] = true
		zones = append(zones, z)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("corpus: %w", err)
	}
	return zones, nil
}

// Load reads the corpus file at path.
func Load(path string) ([]Zone, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("corpus: %w", err)
	}
	defer f.Close()
	return Read(f)
}

// Write writes zones one per line, the form Read takes.
func Write(w io.Writer, zones []Zone) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false) // keep < readable
	for _, z := range zones {
		if err := enc.Encode(z); err != nil {
			return fmt.Errorf("corpus: %s: %w", z.ID, err)
		}
	}
	return nil
}

// Result is what a parser made of one zone, in the terms of the labels.
type Result struct {
	Format string   // "" when no format was recognised
	Valid  bool     // well formed, every check digit holds
	Errors []string // fields with a broken rule, in zone order, each once
	Fields *Fields  // nil when no format was recognised
}

// Today is the date the corpus labels assume (centuries of dates).
var Today = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Options are the parser options the labels assume: strict (no case
// folding, no repair), Today fixed.
func Options() *mrz.Options { return &mrz.Options{Today: Today} }

// Ours parses lines with sensors/mrz and reports the Result.
func Ours(lines []string) Result {
	m, _ := mrz.Parse(lines, Options())
	return OfMRZ(m)
}

// OfMRZ turns a parse into a Result.
func OfMRZ(m *mrz.MRZ) Result {
	if m == nil {
		return Result{Errors: []string{string(mrz.FieldInput)}}
	}
	r := Result{Format: m.Format.String(), Valid: m.Valid(), Fields: FieldsOf(m)}
	for _, e := range m.Errors {
		if f := string(e.Field); len(r.Errors) == 0 || r.Errors[len(r.Errors)-1] != f {
			r.Errors = append(r.Errors, f)
		}
	}
	return r
}

// FieldsOf gives the compared values of a parsed zone.
func FieldsOf(m *mrz.MRZ) *Fields {
	return &Fields{
		DocumentCode:   m.DocumentCode,
		IssuingState:   m.IssuingState,
		Surname:        m.PrimaryIdentifier,
		GivenNames:     m.SecondaryIdentifier,
		DocumentNumber: m.DocumentNumber,
		Nationality:    m.Nationality,
		BirthDate:      m.BirthDate.Raw,
		Sex:            m.Sex.String(),
		ExpiryDate:     m.ExpiryDate.Raw,
	}
}

// Agrees reports whether r matches the labels of z: format, validity, the
// fields with errors, and for a valid zone the field values. The
// differences are named, never shown: what is the field, not its value.
func (z Zone) Agrees(r Result) (ok bool, diffs []string) {
	if r.Format != z.Format {
		diffs = append(diffs, "format")
	}
	if r.Valid != z.Valid {
		diffs = append(diffs, "validity")
	}
	if !slices.Equal(r.Errors, z.Errors) {
		diffs = append(diffs, "error fields")
	}
	if z.Valid && z.Fields != nil && r.Fields != nil {
		diffs = append(diffs, z.Fields.Diff(*r.Fields)...)
	}
	return len(diffs) == 0, diffs
}

// Diff names the fields whose values differ.
func (f Fields) Diff(g Fields) []string {
	var out []string
	for _, c := range []struct {
		name string
		a, b string
	}{
		{"document_code", f.DocumentCode, g.DocumentCode},
		{"issuing_state", f.IssuingState, g.IssuingState},
		{"surname", f.Surname, g.Surname},
		{"given_names", f.GivenNames, g.GivenNames},
		{"document_number", f.DocumentNumber, g.DocumentNumber},
		{"nationality", f.Nationality, g.Nationality},
		{"birth_date", f.BirthDate, g.BirthDate},
		{"sex", f.Sex, g.Sex},
		{"expiry_date", f.ExpiryDate, g.ExpiryDate},
	} {
		if c.a != c.b {
			out = append(out, c.name)
		}
	}
	return out
}
