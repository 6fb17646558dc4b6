package main

// egatectl mrz: parse an ICAO 9303 machine readable zone from stdin.
//
// The --json output is a contract other tools rely on; see
// sensors/mrz/README-section.md (merged into the README) for the keys.
// Exit codes: 0 valid zone, 1 invalid zone, 2 usage or unreadable input
// (nothing that forms a 3x30, 2x36 or 2x44 zone). Expiry never changes
// the exit code; it is reported in "expired".

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/egate/egate/sensors/mrz"
)

func init() {
	register("mrz", "parse an ICAO 9303 machine readable zone from stdin", runMRZ)
}

// maxMRZInput bounds what is read from stdin; a zone is under 100 bytes.
const maxMRZInput = 64 << 10

func runMRZ(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mrz", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print one JSON object (the documented contract) instead of a summary")
	todayFlag := fs.String("today", "", "resolve centuries and judge expiry against `YYYY-MM-DD` instead of the current date")
	repair := fs.Bool("repair", false, "repair OCR confusions (O/0 I/1 B/8 S/5 Z/2) where a check digit proves them; repairs are reported")
	fold := fs.Bool("fold-case", false, "fold lower-case letters to upper case (reported) instead of rejecting them")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: egatectl mrz [--json] [--today YYYY-MM-DD] [--repair] [--fold-case] < zone.txt")
		fmt.Fprintln(stderr)
		fmt.Fprintln(stderr, "Reads the 2 or 3 MRZ lines (TD1, TD2, TD3, MRV-A, MRV-B) from stdin.")
		fmt.Fprintln(stderr, "Exit 0 valid zone, 1 invalid zone, 2 usage or unreadable input. Expiry does not change the exit code.")
		fmt.Fprintln(stderr)
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "egatectl mrz: unexpected argument %q (the zone is read from stdin)\n", fs.Arg(0))
		fs.Usage()
		return 2
	}
	today := time.Now()
	if *todayFlag != "" {
		t, err := time.Parse("2006-01-02", *todayFlag)
		if err != nil {
			fmt.Fprintf(stderr, "egatectl mrz: --today %q is not a YYYY-MM-DD date\n", *todayFlag)
			return 2
		}
		today = t
	}
	opts := &mrz.Options{Today: today, RepairOCR: *repair, FoldCase: *fold}

	m, perr := readZone(stdin, opts)
	if m == nil {
		// Unreadable: no zone geometry, or stdin failed. The message
		// describes line lengths only, never the content.
		if *asJSON {
			writeJSON(stdout, unreadableJSON(perr))
		}
		fmt.Fprintf(stderr, "egatectl mrz: unreadable input: %v\n", perr)
		return 2
	}
	if *asJSON {
		writeJSON(stdout, zoneJSON(m, today))
	} else {
		writeSummary(stdout, m, today)
	}
	if !m.Valid() {
		return 1
	}
	return 0
}

// readZone reads stdin and parses it. A nil *MRZ means unreadable input.
func readZone(stdin io.Reader, opts *mrz.Options) (*mrz.MRZ, error) {
	data, err := io.ReadAll(io.LimitReader(stdin, maxMRZInput+1))
	if err != nil {
		return nil, mrz.Errors{{Field: mrz.FieldInput, Rule: mrz.ErrGeometry, Message: "reading stdin: " + err.Error()}}
	}
	if len(data) > maxMRZInput {
		return nil, mrz.Errors{{Field: mrz.FieldInput, Rule: mrz.ErrGeometry,
			Message: fmt.Sprintf("more than %d bytes on stdin; a zone is at most 3 lines", maxMRZInput)}}
	}
	return mrz.ParseText(string(data), opts)
}

// mrzJSON is the `egatectl mrz --json` object. Key order follows the
// contract; every key is always present (null when the zone does not
// give a value), except that TD1 has optional_data_1 and optional_data_2
// instead of optional_data.
type mrzJSON struct {
	Format         *string          `json:"format"`
	Valid          bool             `json:"valid"`
	DocumentCode   *string          `json:"document_code"`
	IssuingState   *string          `json:"issuing_state"`
	Surname        *string          `json:"surname"`
	GivenNames     *string          `json:"given_names"`
	DocumentNumber *string          `json:"document_number"`
	Nationality    *string          `json:"nationality"`
	BirthDate      *string          `json:"birth_date"`
	ExpiryDate     *string          `json:"expiry_date"`
	BirthDateISO   *string          `json:"birth_date_iso"`
	ExpiryDateISO  *string          `json:"expiry_date_iso"`
	Sex            *string          `json:"sex"`
	OptionalData   json.RawMessage  `json:"optional_data,omitempty"`
	OptionalData1  json.RawMessage  `json:"optional_data_1,omitempty"`
	OptionalData2  json.RawMessage  `json:"optional_data_2,omitempty"`
	Checks         map[string]*bool `json:"checks"`
	Errors         []fieldJSON      `json:"errors"`
	Expired        *bool            `json:"expired"`
	// Additions beyond the contract's list.
	NameTruncated          *bool        `json:"name_truncated"`
	DocumentNumberOverflow *string      `json:"document_number_overflow"`
	Repairs                []repairJSON `json:"repairs"`
	Normalisations         []noteJSON   `json:"normalisations"`
	Warnings               []fieldJSON  `json:"warnings"`
}

type fieldJSON struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

type repairJSON struct {
	Field  string `json:"field"`
	Line   int    `json:"line"`
	Column int    `json:"column"`
	From   string `json:"from"`
	To     string `json:"to"`
}

type noteJSON struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func ptr[T any](v T) *T { return &v }

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func rawString(s string) json.RawMessage {
	b, _ := json.Marshal(s)
	return b
}

var checkKeys = []string{"document_number", "birth_date", "expiry_date", "optional_data", "composite"}

func fieldsJSON(errs mrz.Errors) []fieldJSON {
	out := []fieldJSON{}
	for _, e := range errs {
		out = append(out, fieldJSON{Field: string(e.Field), Message: e.Message})
	}
	return out
}

func unreadableJSON(err error) mrzJSON {
	j := mrzJSON{
		OptionalData:   json.RawMessage("null"),
		Checks:         map[string]*bool{},
		Repairs:        []repairJSON{},
		Normalisations: []noteJSON{},
		Warnings:       []fieldJSON{},
	}
	for _, k := range checkKeys {
		j.Checks[k] = nil
	}
	var errs mrz.Errors
	if !errors.As(err, &errs) {
		errs = mrz.Errors{{Field: mrz.FieldInput, Message: err.Error()}}
	}
	j.Errors = fieldsJSON(errs)
	return j
}

func zoneJSON(m *mrz.MRZ, today time.Time) mrzJSON {
	j := mrzJSON{
		Format:                 ptr(m.Format.String()),
		Valid:                  m.Valid(),
		DocumentCode:           &m.DocumentCode,
		IssuingState:           &m.IssuingState,
		Surname:                &m.PrimaryIdentifier,
		GivenNames:             &m.SecondaryIdentifier,
		DocumentNumber:         &m.DocumentNumber,
		Nationality:            &m.Nationality,
		BirthDate:              &m.BirthDate.Raw,
		ExpiryDate:             &m.ExpiryDate.Raw,
		BirthDateISO:           nonEmpty(m.BirthDate.ISO()),
		ExpiryDateISO:          nonEmpty(m.ExpiryDate.ISO()),
		Sex:                    nonEmpty(m.Sex.String()),
		Checks:                 map[string]*bool{},
		Errors:                 fieldsJSON(m.Errors),
		NameTruncated:          &m.NameTruncated,
		DocumentNumberOverflow: nonEmpty(m.LongNumber.String()),
		Repairs:                []repairJSON{},
		Normalisations:         []noteJSON{},
		Warnings:               fieldsJSON(m.Warnings),
	}
	if m.Format == mrz.TD1 {
		j.OptionalData1, j.OptionalData2 = rawString(m.OptionalData1), rawString(m.OptionalData2)
	} else {
		j.OptionalData = rawString(m.OptionalData)
	}
	m.Checks.Each(func(f mrz.Field, c mrz.Check) {
		switch c {
		case mrz.CheckPass:
			j.Checks[string(f)] = ptr(true)
		case mrz.CheckFail:
			j.Checks[string(f)] = ptr(false)
		default:
			j.Checks[string(f)] = nil
		}
	})
	if exp, ok := m.Expired(today); ok {
		j.Expired = &exp
	}
	for _, r := range m.Repairs {
		j.Repairs = append(j.Repairs, repairJSON{Field: string(r.Field), Line: r.Line, Column: r.Column,
			From: string(rune(r.From)), To: string(rune(r.To))})
	}
	for _, n := range m.Notes {
		j.Normalisations = append(j.Normalisations, noteJSON{Code: n.Code, Message: n.Message})
	}
	return j
}

func writeJSON(w io.Writer, j mrzJSON) {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false) // keep the filler < readable
	enc.SetIndent("", "  ")
	_ = enc.Encode(j)
}

// writeSummary prints the zone for a technician at the lane.
func writeSummary(w io.Writer, m *mrz.MRZ, today time.Time) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k, format string, args ...any) { fmt.Fprintf(tw, "%s\t%s\n", k, fmt.Sprintf(format, args...)) }
	status := "yes"
	if !m.Valid() {
		status = fmt.Sprintf("NO (%d error(s), listed below)", len(m.Errors))
	}
	row("format", "%s (%d lines of %d)", m.Format, m.Format.Lines(), m.Format.LineLength())
	row("valid", "%s", status)
	row("document code", "%s", m.DocumentCode)
	row("issuing state", "%s", m.IssuingState)
	name := m.SecondaryIdentifier
	if m.NameTruncated {
		name += "  (name field full: may be truncated)"
	}
	row("surname", "%s", m.PrimaryIdentifier)
	row("given names", "%s", name)
	number := m.DocumentNumber
	switch m.LongNumber {
	case mrz.LongBoth:
		number += "  (long number; check digit holds with and without the < filler)"
	case mrz.LongWithFiller:
		number += "  (long number; check digit holds only with the < filler)"
	case mrz.LongWithoutFiller:
		number += "  (long number; check digit holds only without the < filler)"
	case mrz.LongNeither:
		number += "  (long number; check digit holds neither with nor without the < filler)"
	}
	row("document number", "%s", number)
	row("nationality", "%s", m.Nationality)
	row("birth date", "%s", dateText(m.BirthDate))
	sex := m.Sex.String()
	if m.Sex == mrz.SexUnspecified {
		sex = "X (unspecified)"
	}
	row("sex", "%s", sex)
	expiry := dateText(m.ExpiryDate)
	if exp, ok := m.Expired(today); ok && exp {
		expiry += "  EXPIRED"
	}
	row("expiry date", "%s", expiry)
	if m.Format == mrz.TD1 {
		row("optional data 1", "%s", m.OptionalData1)
		row("optional data 2", "%s", m.OptionalData2)
	} else {
		row("optional data", "%s", m.OptionalData)
	}
	var checks []string
	m.Checks.Each(func(f mrz.Field, c mrz.Check) {
		if c != mrz.CheckNone {
			checks = append(checks, fmt.Sprintf("%s %s", f, c))
		}
	})
	row("check digits", "%s", strings.Join(checks, ", "))
	tw.Flush()
	list := func(title string, items []string) {
		if len(items) == 0 {
			return
		}
		fmt.Fprintf(w, "%s:\n", title)
		for _, it := range items {
			fmt.Fprintf(w, "  %s\n", it)
		}
	}
	var repairs, notes, warnings, errs []string
	for _, r := range m.Repairs {
		repairs = append(repairs, r.String())
	}
	for _, n := range m.Notes {
		notes = append(notes, n.Message)
	}
	for _, e := range m.Warnings {
		warnings = append(warnings, string(e.Field)+": "+e.Message)
	}
	for _, e := range m.Errors {
		errs = append(errs, string(e.Field)+": "+e.Message)
	}
	list("input normalised", notes)
	list("OCR repairs", repairs)
	list("warnings", warnings)
	list("errors", errs)
}

func dateText(d mrz.Date) string {
	if iso := d.ISO(); iso != "" {
		return d.Raw + " = " + iso
	}
	if d.Raw == "<<<<<<" {
		return d.Raw + " (unknown)"
	}
	return d.Raw + " (invalid)"
}
