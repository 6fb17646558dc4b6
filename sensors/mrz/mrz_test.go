package mrz

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// today is the injected date of every table case.
var today = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

// ICAO 9303 specimens (Part 4 TD3, Part 5 TD1, Part 6 TD2, Part 7 MRV-A and
// MRV-B), all for ERIKSSON, ANNA MARIA of Utopia.
const (
	specimenTD3  = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10"
	specimenTD1  = "I<UTOD231458907<<<<<<<<<<<<<<<\n7408122F1204159UTO<<<<<<<<<<<6\nERIKSSON<<ANNA<MARIA<<<<<<<<<<"
	specimenTD2  = "I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<\nD231458907UTO7408122F1204159<<<<<<<6"
	specimenMRVA = "V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL8988901C4XXX4009078F96121096ZE184226B<<<<<<"
	specimenMRVB = "V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<\nL8988901C4XXX4009078F9612109<<<<<<<<"
)

type parseCase struct {
	name   string
	in     string
	opts   Options // Today defaults to today
	format Format
	// errs lists the field of every error, in order; nil means valid.
	errs []Field
	// rules: each error wraps the rule at the same index (when given).
	rules []error
	check func(t *testing.T, m *MRZ)
}

func lines(ls ...string) string { return strings.Join(ls, "\n") }

// replace returns s with the byte at line li, 1-based column col set to c.
func replace(s string, li, col int, c byte) string {
	ls := strings.Split(s, "\n")
	b := []byte(ls[li-1])
	b[col-1] = c
	ls[li-1] = string(b)
	return strings.Join(ls, "\n")
}

func eq[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func allPass(t *testing.T, m *MRZ, composite, optional bool) {
	t.Helper()
	want := Checks{DocumentNumber: CheckPass, BirthDate: CheckPass, ExpiryDate: CheckPass}
	if composite {
		want.Composite = CheckPass
	}
	if optional {
		want.OptionalData = CheckPass
	}
	eq(t, "Checks", m.Checks, want)
}

var parseCases = []parseCase{
	{
		name: "TD3 specimen (Part 4)", in: specimenTD3, format: TD3,
		check: func(t *testing.T, m *MRZ) {
			eq(t, "DocumentCode", m.DocumentCode, "P")
			eq(t, "IssuingState", m.IssuingState, "UTO")
			eq(t, "Primary", m.PrimaryIdentifier, "ERIKSSON")
			eq(t, "Secondary", m.SecondaryIdentifier, "ANNA MARIA")
			eq(t, "NameTruncated", m.NameTruncated, false)
			eq(t, "DocumentNumber", m.DocumentNumber, "L898902C3")
			eq(t, "LongNumber", m.LongNumber, NotLong)
			eq(t, "Nationality", m.Nationality, "UTO")
			eq(t, "BirthDate", m.BirthDate.ISO(), "1974-08-12")
			eq(t, "BirthDate.Raw", m.BirthDate.Raw, "740812")
			eq(t, "Sex", m.Sex, SexFemale)
			eq(t, "ExpiryDate", m.ExpiryDate.ISO(), "2012-04-15")
			eq(t, "OptionalData", m.OptionalData, "ZE184226B")
			allPass(t, m, true, true)
			exp, ok := m.Expired(today)
			eq(t, "Expired", exp, true)
			eq(t, "Expired ok", ok, true)
		},
	},
	{
		name: "TD1 specimen (Part 5)", in: specimenTD1, format: TD1,
		check: func(t *testing.T, m *MRZ) {
			eq(t, "DocumentCode", m.DocumentCode, "I")
			eq(t, "DocumentNumber", m.DocumentNumber, "D23145890")
			eq(t, "Primary", m.PrimaryIdentifier, "ERIKSSON")
			eq(t, "Secondary", m.SecondaryIdentifier, "ANNA MARIA")
			eq(t, "BirthDate", m.BirthDate.ISO(), "1974-08-12")
			eq(t, "ExpiryDate", m.ExpiryDate.ISO(), "2012-04-15")
			eq(t, "Nationality", m.Nationality, "UTO")
			eq(t, "OptionalData1", m.OptionalData1, "")
			eq(t, "OptionalData2", m.OptionalData2, "")
			allPass(t, m, true, false)
		},
	},
	{
		name: "TD2 specimen (Part 6)", in: specimenTD2, format: TD2,
		check: func(t *testing.T, m *MRZ) {
			eq(t, "DocumentCode", m.DocumentCode, "I")
			eq(t, "DocumentNumber", m.DocumentNumber, "D23145890")
			eq(t, "Secondary", m.SecondaryIdentifier, "ANNA MARIA")
			eq(t, "Sex", m.Sex, SexFemale)
			allPass(t, m, true, false)
		},
	},
	{
		name: "MRV-A specimen (Part 7)", in: specimenMRVA, format: MRVA,
		check: func(t *testing.T, m *MRZ) {
			eq(t, "DocumentCode", m.DocumentCode, "V")
			eq(t, "DocumentNumber", m.DocumentNumber, "L8988901C")
			eq(t, "Nationality", m.Nationality, "XXX")
			eq(t, "BirthDate", m.BirthDate.ISO(), "1940-09-07")
			eq(t, "ExpiryDate", m.ExpiryDate.ISO(), "1996-12-10")
			eq(t, "OptionalData", m.OptionalData, "6ZE184226B")
			allPass(t, m, false, false)
		},
	},
	{
		name: "MRV-B specimen (Part 7)", in: specimenMRVB, format: MRVB,
		check: func(t *testing.T, m *MRZ) {
			eq(t, "DocumentNumber", m.DocumentNumber, "L8988901C")
			eq(t, "OptionalData", m.OptionalData, "")
			eq(t, "ExpiryDate", m.ExpiryDate.ISO(), "1996-12-10")
			allPass(t, m, false, false)
		},
	},
	// Long document numbers (TD1/TD2 overflow into the optional data).
	{
		name: "TD1 long number, same digit both ways (Part 11 D.2 number)", format: TD1,
		in: lines("I<UTOD23145890<7349<<<<<<<<<<<", "3407127M9507122UTO<<<<<<<<<<<2", "STEVENSON<<PETER<JOHN<<<<<<<<<"),
		check: func(t *testing.T, m *MRZ) {
			eq(t, "DocumentNumber", m.DocumentNumber, "D23145890734")
			eq(t, "LongNumber", m.LongNumber, LongBoth)
			eq(t, "OptionalData1", m.OptionalData1, "")
			eq(t, "BirthDate", m.BirthDate.ISO(), "1934-07-12")
			eq(t, "ExpiryDate", m.ExpiryDate.ISO(), "1995-07-12")
			allPass(t, m, true, false)
		},
	},
	{
		name: "TD1 long number, digit holds only with the filler (PRADO BEL-BO-03003)", format: TD1,
		in: lines("IDBEL000590240<6013<<<<<<<<<<<", "8001014F3001019BEL<<<<<<<<<<<4", "DUPONT<<MARIE<<<<<<<<<<<<<<<<<"),
		check: func(t *testing.T, m *MRZ) {
			eq(t, "DocumentCode", m.DocumentCode, "ID")
			eq(t, "DocumentNumber", m.DocumentNumber, "000590240601")
			eq(t, "LongNumber", m.LongNumber, LongWithFiller)
			allPass(t, m, true, false)
		},
	},
	{
		name: "TD1 long number, digit holds only without the filler (PRADO BEL-BO-11005)", format: TD1,
		in: lines("IDBEL600001795<0152<<<<<<<<<<<", "8001014F3001019BEL<<<<<<<<<<<8", "DUPONT<<MARIE<<<<<<<<<<<<<<<<<"),
		check: func(t *testing.T, m *MRZ) {
			eq(t, "DocumentNumber", m.DocumentNumber, "600001795015")
			eq(t, "LongNumber", m.LongNumber, LongWithoutFiller)
		},
	},
	{
		name: "TD1 long number, neither way", format: TD1,
		in:   lines("IDBEL600001795<0157<<<<<<<<<<<", "8001014F3001019BEL<<<<<<<<<<<3", "DUPONT<<MARIE<<<<<<<<<<<<<<<<<"),
		errs: []Field{FieldDocumentNumber}, rules: []error{ErrCheckDigit},
		check: func(t *testing.T, m *MRZ) {
			eq(t, "LongNumber", m.LongNumber, LongNeither)
			eq(t, "DocumentNumber", m.DocumentNumber, "600001795015")
			eq(t, "Composite", m.Checks.Composite, CheckPass)
		},
	},
	{
		name: "TD1 long number followed by optional data", format: TD1,
		in: lines("IDBEL000590240<6013<ABC12<<<<<", "8001014F3001019BELXYZ<<<<<<<<0", "DUPONT<<MARIE<<<<<<<<<<<<<<<<<"),
		check: func(t *testing.T, m *MRZ) {
			eq(t, "DocumentNumber", m.DocumentNumber, "000590240601")
			eq(t, "OptionalData1", m.OptionalData1, "ABC12")
			eq(t, "OptionalData2", m.OptionalData2, "XYZ")
		},
	},
	{
		name: "TD1 long number with letters, without filler (JMRTD PRT from PRADO)", format: TD1,
		in: lines("I<PRT000024759<ZZ70<<<<<<<<<<<", "8010100M2006017PRT<<<<<<<<<<<2", "DA<SILVA<<JOAO<<<<<<<<<<<<<<<<"),
		check: func(t *testing.T, m *MRZ) {
			eq(t, "DocumentNumber", m.DocumentNumber, "000024759ZZ7")
			eq(t, "LongNumber", m.LongNumber, LongWithoutFiller)
			eq(t, "Primary", m.PrimaryIdentifier, "DA SILVA")
			allPass(t, m, true, false)
		},
	},
	{
		name: "TD1 long number with letters, with filler (JMRTD PRT variant)", format: TD1,
		in: lines("I<PRT000024759<ZZ72<<<<<<<<<<<", "8010100M2006017PRT<<<<<<<<<<<8", "DA<SILVA<<JOAO<<<<<<<<<<<<<<<<"),
		check: func(t *testing.T, m *MRZ) {
			eq(t, "LongNumber", m.LongNumber, LongWithFiller)
		},
	},
	{
		name: "TD1 long number (JMRTD bug 65)", format: TD1,
		in: lines("I<PRT119000652<ZX46<<<<<<<<<<<", "8109231M2906128PRT<<<<<<<<<<<2", "DA<SILVA<<JOAO<<<<<<<<<<<<<<<<"),
		check: func(t *testing.T, m *MRZ) {
			eq(t, "DocumentNumber", m.DocumentNumber, "119000652ZX4")
			eq(t, "LongNumber", m.LongNumber, LongWithoutFiller)
		},
	},
	{
		name: "TD1 check position < without a continuation", format: TD1,
		in:   replace(specimenTD1, 1, 15, '<'),
		errs: []Field{FieldDocumentNumber, FieldComposite}, rules: []error{ErrCheckDigit, ErrCheckDigit},
	},
	{
		name: "TD2 long number", format: TD2,
		in: lines("I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<", "D23145890<UTO7408122F12041597349<<<2"),
		check: func(t *testing.T, m *MRZ) {
			eq(t, "DocumentNumber", m.DocumentNumber, "D23145890734")
			eq(t, "LongNumber", m.LongNumber, LongBoth)
			eq(t, "OptionalData", m.OptionalData, "")
			allPass(t, m, true, false)
		},
	},
	{
		name: "TD3 has no overflow: < in the check digit position fails", format: TD3,
		in:   replace(specimenTD3, 2, 10, '<'),
		errs: []Field{FieldDocumentNumber, FieldComposite}, rules: []error{ErrCheckDigit, ErrCheckDigit},
	},
	// Every check digit failing on its own.
	{
		name: "TD3 document number check digit", format: TD3, in: replace(specimenTD3, 2, 10, '5'),
		errs: []Field{FieldDocumentNumber, FieldComposite}, rules: []error{ErrCheckDigit, ErrCheckDigit},
	},
	{
		name: "TD3 birth date check digit", format: TD3, in: replace(specimenTD3, 2, 20, '3'),
		errs: []Field{FieldBirthDate, FieldComposite}, rules: []error{ErrCheckDigit, ErrCheckDigit},
	},
	{
		name: "TD3 expiry date check digit", format: TD3, in: replace(specimenTD3, 2, 28, '0'),
		errs: []Field{FieldExpiryDate, FieldComposite}, rules: []error{ErrCheckDigit, ErrCheckDigit},
	},
	{
		name: "TD3 personal number check digit", format: TD3, in: replace(specimenTD3, 2, 43, '2'),
		errs: []Field{FieldOptionalData, FieldComposite}, rules: []error{ErrCheckDigit, ErrCheckDigit},
	},
	{
		name: "TD3 composite check digit", format: TD3, in: replace(specimenTD3, 2, 44, '1'),
		errs: []Field{FieldComposite}, rules: []error{ErrCheckDigit},
	},
	{
		name: "TD3 check digit is a letter", format: TD3, in: replace(specimenTD3, 2, 44, 'A'),
		errs: []Field{FieldComposite}, rules: []error{ErrCheckDigit},
	},
	{
		name: "TD3 data changed under a valid check digit fails the composite only", format: TD3,
		in:   replace(specimenTD3, 2, 30, 'X'), // personal number, its own digit now wrong too
		errs: []Field{FieldOptionalData, FieldComposite},
	},
	{
		name: "TD3 empty personal number with check digit 0", format: TD3,
		in:    lines("P<UTODOE<<JANE<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<", "X123456785UTO6408125F3108055<<<<<<<<<<<<<<04"),
		check: func(t *testing.T, m *MRZ) { allPass(t, m, true, true) },
	},
	{
		name: "TD3 empty personal number with check digit <", format: TD3,
		in: lines("P<UTODOE<<JANE<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<", "X123456785UTO6408125F3108055<<<<<<<<<<<<<<<4"),
		check: func(t *testing.T, m *MRZ) {
			allPass(t, m, true, true)
			eq(t, "OptionalData", m.OptionalData, "")
		},
	},
	{
		name: "TD1 document number check digit", format: TD1, in: replace(specimenTD1, 1, 15, '1'),
		errs: []Field{FieldDocumentNumber, FieldComposite},
	},
	{
		name: "TD1 composite check digit", format: TD1, in: replace(specimenTD1, 2, 30, '5'),
		errs: []Field{FieldComposite}, rules: []error{ErrCheckDigit},
	},
	{
		name: "TD2 composite check digit", format: TD2, in: replace(specimenTD2, 2, 36, '0'),
		errs: []Field{FieldComposite}, rules: []error{ErrCheckDigit},
	},
	{
		name: "MRV-A document number check digit (no composite to back it)", format: MRVA,
		in:   replace(specimenMRVA, 2, 10, '0'),
		errs: []Field{FieldDocumentNumber}, rules: []error{ErrCheckDigit},
	},
	{
		name: "MRV-B expiry check digit", format: MRVB, in: replace(specimenMRVB, 2, 28, '1'),
		errs: []Field{FieldExpiryDate}, rules: []error{ErrCheckDigit},
	},
	// Dates.
	{
		name: "impossible date: month 13", format: TD3,
		in:   lines("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7413128F1204159ZE184226B<<<<<10"),
		errs: []Field{FieldBirthDate}, rules: []error{ErrDate},
		check: func(t *testing.T, m *MRZ) {
			eq(t, "BirthDate.Known", m.BirthDate.Known(), false)
			eq(t, "BirthDate.Raw", m.BirthDate.Raw, "741312")
			eq(t, "Checks.BirthDate", m.Checks.BirthDate, CheckPass)
		},
	},
	{
		name: "impossible date: 30 February", format: TD3,
		in:   lines("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7402304F1204159ZE184226B<<<<<16"),
		errs: []Field{FieldBirthDate}, rules: []error{ErrDate},
	},
	{
		name: "impossible date: 29 February 2001", format: TD3,
		in:   lines("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO0102292F3004157ZE184226B<<<<<14"),
		errs: []Field{FieldBirthDate}, rules: []error{ErrDate},
	},
	{
		name: "29 February 2000 exists", format: TD3,
		in: lines("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO0002299F3004157ZE184226B<<<<<14"),
		check: func(t *testing.T, m *MRZ) {
			eq(t, "BirthDate", m.BirthDate.ISO(), "2000-02-29")
			eq(t, "ExpiryDate", m.ExpiryDate.ISO(), "2030-04-15")
			exp, _ := m.Expired(today)
			eq(t, "Expired", exp, false)
		},
	},
	{
		name: "birth date with unknown day", format: TD3,
		in: lines("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO5601<<0F3004157<<<<<<<<<<<<<<<8"),
		check: func(t *testing.T, m *MRZ) {
			eq(t, "BirthDate", m.BirthDate.ISO(), "1956-01")
			eq(t, "Complete", m.BirthDate.Complete(), false)
		},
	},
	{
		name: "birth date wholly unknown", format: TD3,
		in: lines("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO<<<<<<0M3004157<<<<<<<<<<<<<<<4"),
		check: func(t *testing.T, m *MRZ) {
			eq(t, "BirthDate", m.BirthDate.ISO(), "")
			eq(t, "Sex", m.Sex, SexMale)
		},
	},
	{
		name: "expiry date may not be unknown", format: TD3,
		in:    replace(replace(specimenTD3, 2, 26, '<'), 2, 27, '<'),
		errs:  []Field{FieldExpiryDate, FieldExpiryDate, FieldComposite},
		rules: []error{ErrDate, ErrCheckDigit, ErrCheckDigit},
	},
	{
		name: "expiry date in the next century window", format: TD3,
		in:    lines("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F3404159ZE184226B<<<<<16"),
		check: func(t *testing.T, m *MRZ) { eq(t, "ExpiryDate", m.ExpiryDate.ISO(), "2034-04-15") },
	},
	// Sex, state codes, document codes, names.
	{
		name: "sex X and Germany's D<<", format: TD3,
		in: lines("P<D<<MUSTERMANN<<ERIKA<<<<<<<<<<<<<<<<<<<<<<", "C01X00T478D<<6408125X3108055<<<<<<<<<<<<<<<8"),
		check: func(t *testing.T, m *MRZ) {
			eq(t, "Sex", m.Sex, SexUnspecified)
			eq(t, "IssuingState", m.IssuingState, "D")
			eq(t, "Nationality", m.Nationality, "D")
			eq(t, "Warnings", len(m.Warnings), 0)
		},
	},
	{
		name: "sex < is unspecified, stateless XXA issuer, XXX nationality", format: TD3,
		in: lines("P<XXADOE<<JANE<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<", "X123456785XXX6408125<3108055<<<<<<<<<<<<<<<4"),
		check: func(t *testing.T, m *MRZ) {
			eq(t, "Sex", m.Sex, SexUnspecified)
			eq(t, "IssuingState", m.IssuingState, "XXA")
			eq(t, "Nationality", m.Nationality, "XXX")
		},
	},
	{
		name: "TD2 with XXB issuer and XXC nationality", format: TD2,
		in: lines("I<XXBERIKSSON<<ANNA<<<<<<<<<<<<<<<<<", "D231458907XXC7408122F3004157<<<<<<<2"),
	},
	{
		name: "sex Q", format: TD3,
		in:   lines("P<UTODOE<<JANE<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<", "X123456785UTO6408125Q3108055<<<<<<<<<<<<<<<4"),
		errs: []Field{FieldSex}, rules: []error{ErrField},
	},
	{
		name: "state code with a digit", format: TD3,
		in:   lines("P<UTODOE<<JANE<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<", "X123456785U1O6408125F3108055<<<<<<<<<<<<<<<4"),
		errs: []Field{FieldNationality}, rules: []error{ErrField},
	},
	{
		name: "state code starting with a filler", format: TD3,
		in:   replace(specimenTD3, 1, 3, '<'),
		errs: []Field{FieldIssuingState}, rules: []error{ErrField},
	},
	{
		name: "unknown state code is a warning only", format: TD3,
		in: lines("P<QQQDOE<<JANE<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<", "X123456785UTO6408125F3108055<<<<<<<<<<<<<<<4"),
		check: func(t *testing.T, m *MRZ) {
			if len(m.Warnings) != 1 || m.Warnings[0].Field != FieldIssuingState {
				t.Errorf("Warnings = %v, want one about issuing_state", m.Warnings)
			}
		},
	},
	{
		name: "TD3 document code must be P", format: TD3,
		in:   lines("I<UTODOE<<JANE<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<", "X123456785UTO6408125F3108055<<<<<<<<<<<<<<<4"),
		errs: []Field{FieldDocumentCode}, rules: []error{ErrField},
	},
	{
		name: "TD1 document code must be A, C or I", format: TD1,
		in:   lines("P<UTOD231458907<<<<<<<<<<<<<<<", "7408122F3004157UTO<<<<<<<<<<<2", "ERIKSSON<<ANNA<<<<<<<<<<<<<<<<"),
		errs: []Field{FieldDocumentCode}, rules: []error{ErrField},
	},
	{
		name: "name filling the field is flagged truncated", format: TD3,
		in: lines("PPUTOSCHWARZENEGGER<<ARNOLD<ALOIS<MAXIMILIAN", "X123456785UTO6408125M3108055<<<<<<<<<<<<<<<4"),
		check: func(t *testing.T, m *MRZ) {
			eq(t, "NameTruncated", m.NameTruncated, true)
			eq(t, "DocumentCode", m.DocumentCode, "PP")
			eq(t, "Secondary", m.SecondaryIdentifier, "ARNOLD ALOIS MAXIMILIAN")
		},
	},
	{
		name: "single name has no secondary identifier", format: TD3,
		in: lines("P<UTOANNA<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<", "X123456785UTO6408125F3108055<<<<<<<<<<<<<<<4"),
		check: func(t *testing.T, m *MRZ) {
			eq(t, "Primary", m.PrimaryIdentifier, "ANNA")
			eq(t, "Secondary", m.SecondaryIdentifier, "")
		},
	},
	{
		name: "digit in the name", format: TD3,
		in:   lines("P<UTOERIK5SON<<ANNA<<<<<<<<<<<<<<<<<<<<<<<<<", "X123456785UTO6408125F3108055<<<<<<<<<<<<<<<4"),
		errs: []Field{FieldName}, rules: []error{ErrField},
	},
	{
		name: "name without primary identifier", format: TD3,
		in:   lines("P<UTO<<ANNA<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<", "X123456785UTO6408125F3108055<<<<<<<<<<<<<<<4"),
		errs: []Field{FieldName}, rules: []error{ErrField},
	},
	// Character set.
	{
		name: "character outside the set in the name", format: TD3,
		in:   replace(specimenTD3, 1, 8, '*'),
		errs: []Field{FieldName}, rules: []error{ErrCharset},
	},
	{
		name: "character outside the set in the document number", format: TD3,
		in:   replace(specimenTD3, 2, 3, '-'),
		errs: []Field{FieldDocumentNumber, FieldComposite}, rules: []error{ErrCharset, ErrCheckDigit},
		check: func(t *testing.T, m *MRZ) { eq(t, "Checks.DocumentNumber", m.Checks.DocumentNumber, CheckFail) },
	},
	{
		name: "lower case is rejected by default", format: TD3,
		in:   strings.Replace(specimenTD3, "ERIKSSON", "Eriksson", 1),
		errs: []Field{FieldName}, rules: []error{ErrCharset},
		check: func(t *testing.T, m *MRZ) {
			if !strings.Contains(m.Errors[0].Message, "lower-case") || !strings.Contains(m.Errors[0].Message, "7 such") {
				t.Errorf("message %q does not explain lower case", m.Errors[0].Message)
			}
		},
	},
	{
		name: "lower case folded when asked", format: TD3, opts: Options{FoldCase: true},
		in: strings.ToLower(specimenTD3),
		check: func(t *testing.T, m *MRZ) {
			eq(t, "Primary", m.PrimaryIdentifier, "ERIKSSON")
			if len(m.Notes) != 1 || m.Notes[0].Code != "folded_case" {
				t.Errorf("Notes = %v, want folded_case", m.Notes)
			}
		},
	},
	{
		name: "non-ASCII character", format: TD3,
		in:   strings.Replace(specimenTD3, "ERIKSSON", "ERIKSSÖN", 1),
		errs: []Field{FieldName}, rules: []error{ErrCharset},
	},
	// Normalisation of device input.
	{
		name: "surrounding whitespace and CRLF", format: TD3,
		in: "\r\n  " + strings.ReplaceAll(specimenTD3, "\n", " \r\n") + "\r\n\r\n",
		check: func(t *testing.T, m *MRZ) {
			eq(t, "Lines[1]", m.Lines[1], "L898902C36UTO7408122F1204159ZE184226B<<<<<10")
			eq(t, "Notes[0].Code", m.Notes[0].Code, "trimmed")
		},
	},
	{
		name: "CR only and a blank line between", format: TD1,
		in: strings.ReplaceAll(specimenTD1, "\n", "\r\r"),
		check: func(t *testing.T, m *MRZ) {
			eq(t, "Notes", len(m.Notes), 1)
			eq(t, "Notes[0].Code", m.Notes[0].Code, "blank_lines")
		},
	},
	{name: "single run of 88 (TD3)", format: TD3, in: strings.ReplaceAll(specimenTD3, "\n", "")},
	{name: "single run of 88 (MRV-A)", format: MRVA, in: strings.ReplaceAll(specimenMRVA, "\n", "")},
	{name: "single run of 72 (TD2)", format: TD2, in: strings.ReplaceAll(specimenTD2, "\n", "")},
	{name: "single run of 72 (MRV-B)", format: MRVB, in: strings.ReplaceAll(specimenMRVB, "\n", "")},
	{name: "single run of 90 (TD1)", format: TD1, in: "  " + strings.ReplaceAll(specimenTD1, "\n", "") + "\n"},
	// Geometry.
	{name: "empty input", in: "  \n", errs: []Field{FieldInput}, rules: []error{ErrGeometry}},
	{name: "line too short", in: specimenTD3[:len(specimenTD3)-1], errs: []Field{FieldInput}, rules: []error{ErrGeometry}},
	{name: "three lines of 44", in: specimenTD3 + "\n" + specimenTD3[:44], errs: []Field{FieldInput}, rules: []error{ErrGeometry}},
	{name: "space inside a line", in: strings.Replace(specimenTD3, "<<ANNA", "< ANNA", 1), format: TD3, errs: []Field{FieldName}, rules: []error{ErrCharset}},
	// OCR repair.
	{
		name: "repair off: O in a date is an error", format: TD3,
		in:    replace(specimenTD3, 2, 16, 'O'),
		errs:  []Field{FieldBirthDate, FieldBirthDate, FieldComposite},
		rules: []error{ErrDate, ErrCheckDigit, ErrCheckDigit},
	},
	{
		name: "repair: O in a date", format: TD3, opts: Options{RepairOCR: true},
		in: replace(specimenTD3, 2, 16, 'O'),
		check: func(t *testing.T, m *MRZ) {
			want := []Repair{{Field: FieldBirthDate, Line: 2, Column: 16, From: 'O', To: '0'}}
			if !reflect.DeepEqual(m.Repairs, want) {
				t.Errorf("Repairs = %v, want %v", m.Repairs, want)
			}
			eq(t, "BirthDate", m.BirthDate.ISO(), "1974-08-12")
		},
	},
	{
		name: "repair: I and S in an expiry date and Z in its check digit", format: TD1, opts: Options{RepairOCR: true},
		in: replace(replace(replace(specimenTD1, 2, 9, 'I'), 2, 14, 'S'), 2, 7, 'Z'),
		check: func(t *testing.T, m *MRZ) {
			eq(t, "Repairs", len(m.Repairs), 3)
			eq(t, "Lines[1]", m.Lines[1], "7408122F1204159UTO<<<<<<<<<<<6")
		},
	},
	{
		name: "repair refused when the check digit does not prove it", format: TD3, opts: Options{RepairOCR: true},
		in:    replace(replace(specimenTD3, 2, 16, 'O'), 2, 20, '7'),
		errs:  []Field{FieldBirthDate, FieldBirthDate, FieldComposite},
		check: func(t *testing.T, m *MRZ) { eq(t, "Repairs", len(m.Repairs), 0) },
	},
	{
		name: "repair: O for 0 in the document number", format: TD3, opts: Options{RepairOCR: true},
		in: replace(specimenTD3, 2, 6, 'O'),
		check: func(t *testing.T, m *MRZ) {
			eq(t, "DocumentNumber", m.DocumentNumber, "L898902C3")
			want := []Repair{{Field: FieldDocumentNumber, Line: 2, Column: 6, From: 'O', To: '0'}}
			if !reflect.DeepEqual(m.Repairs, want) {
				t.Errorf("Repairs = %v, want %v", m.Repairs, want)
			}
		},
	},
	{
		name: "repair: letter in the document number check digit", format: TD3, opts: Options{RepairOCR: true},
		in:    replace(lines("P<UTODOE<<JANE<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<", "X123456785UTO6408125F3108055<<<<<<<<<<<<<<<4"), 2, 10, 'S'),
		check: func(t *testing.T, m *MRZ) { eq(t, "Repairs", len(m.Repairs), 1) },
	},
	{
		name: "repair: composite check digit", format: TD3, opts: Options{RepairOCR: true},
		in:    replace(specimenTD3, 2, 44, 'O'),
		check: func(t *testing.T, m *MRZ) { eq(t, "Repairs", len(m.Repairs), 1) },
	},
	{
		name: "repair refused: long number's check digit S would be 5, not 3", format: TD1, opts: Options{RepairOCR: true},
		in:    lines("IDBEL000590240<601S<<<<<<<<<<<", "8001014F3001019BEL<<<<<<<<<<<4", "DUPONT<<MARIE<<<<<<<<<<<<<<<<<"),
		errs:  []Field{FieldDocumentNumber, FieldComposite}, // S->5 is not the digit 3: refused
		check: func(t *testing.T, m *MRZ) { eq(t, "Repairs", len(m.Repairs), 0) },
	},
	{
		// XI4888020 was printed X14888020; XI48B8020 and XI48880Z0 fit the
		// check digit as well, and the composite cannot tell them apart.
		name: "repair refused: several single swaps fit the check digit", format: TD3, opts: Options{RepairOCR: true},
		in:    lines("P<UTODOE<<JANE<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<", "XI48880202UTO6408125F3108055<<<<<<<<<<<<<<<0"),
		errs:  []Field{FieldDocumentNumber, FieldComposite},
		check: func(t *testing.T, m *MRZ) { eq(t, "Repairs", len(m.Repairs), 0) },
	},
	{
		name: "repair refused: ambiguous document number and no composite (MRV-A)", format: MRVA, opts: Options{RepairOCR: true},
		in:    lines("V<UTODOE<<JANE<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<", "XI48880202UTO6408125F3108055<<<<<<<<<<<<<<<<"),
		errs:  []Field{FieldDocumentNumber},
		check: func(t *testing.T, m *MRZ) { eq(t, "Repairs", len(m.Repairs), 0) },
	},
	{
		name: "repair: O in a long TD1 number", format: TD1, opts: Options{RepairOCR: true},
		in: lines("I<UTOD2314589O<7349<<<<<<<<<<<", "3407127M9507122UTO<<<<<<<<<<<2", "STEVENSON<<PETER<JOHN<<<<<<<<<"),
		check: func(t *testing.T, m *MRZ) {
			eq(t, "DocumentNumber", m.DocumentNumber, "D23145890734")
			eq(t, "Repairs", len(m.Repairs), 1)
		},
	},
}

func TestParse(t *testing.T) {
	for _, tc := range parseCases {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.opts
			if o.Today.IsZero() {
				o.Today = today
			}
			m, err := ParseText(tc.in, &o)
			var errs Errors
			if err != nil && !errors.As(err, &errs) {
				t.Fatalf("error %v is not Errors", err)
			}
			if m == nil {
				if tc.format != FormatUnknown {
					t.Fatalf("m = nil (%v), want format %v", err, tc.format)
				}
			} else {
				eq(t, "Format", m.Format, tc.format)
				if !reflect.DeepEqual(errs, m.Errors) {
					t.Errorf("returned error %v differs from m.Errors %v", errs, m.Errors)
				}
				eq(t, "Valid", m.Valid(), len(tc.errs) == 0)
			}
			var got []Field
			for _, fe := range errs {
				got = append(got, fe.Field)
			}
			if !reflect.DeepEqual(got, tc.errs) {
				t.Errorf("error fields = %v, want %v\nerrors: %v", got, tc.errs, err)
			}
			for i, r := range tc.rules {
				if i < len(errs) && !errors.Is(errs[i], r) {
					t.Errorf("error %d (%v) does not wrap %v", i, errs[i], r)
				}
			}
			for _, fe := range errs {
				if fe.Message == "" || fe.Rule == nil {
					t.Errorf("error %+v lacks a message or rule", fe)
				}
			}
			if tc.check != nil && m != nil {
				tc.check(t, m)
			}
		})
	}
}
