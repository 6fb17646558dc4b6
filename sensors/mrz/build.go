package mrz

import (
	"fmt"
	"slices"
	"strings"
)

// Fields are the values of a zone as Build takes them and MRZ.Fields gives
// them back. Text is in MRZ form: A-Z and 0-9, no transliteration.
type Fields struct {
	Format Format
	// DocumentCode is one or two characters (a second < may be left out).
	// Empty means P for TD3, I for TD1 and TD2, V for visas. Visas must
	// start with V and other formats must not, since the format of a 2x44
	// or 2x36 zone is told by it (ICAO 9303 Part 7).
	DocumentCode string
	IssuingState string // one to three letters: "UTO", "D"
	// Surname (primary identifier) and GivenNames (secondary identifier):
	// words of A-Z separated by spaces or <. Surname is required.
	Surname    string
	GivenNames string
	// DocumentNumber is A-Z 0-9. Up to nine characters fit the field; in
	// TD1 and TD2 a longer one overflows into the optional data (see
	// "# Long document numbers" in the package documentation).
	DocumentNumber string
	Nationality    string // one to three letters
	// BirthDate and ExpiryDate are YYMMDD as printed. Build checks only
	// their shape (six digits; a birth date may have fillers for unknown
	// parts), so tests can build impossible dates on purpose.
	BirthDate  string
	Sex        string // "M", "F", "X" (printed X), "" or "<" (printed <)
	ExpiryDate string
	// OptionalData is the optional data of TD2, TD3 (the personal number),
	// MRV-A and MRV-B: A-Z 0-9 <. After a long TD1/TD2 number it may not
	// start with <, which would be read as part of the separator.
	OptionalData string
	// OptionalData1 (line 1) and OptionalData2 (line 2) are TD1's.
	OptionalData1 string
	OptionalData2 string
	// LongNumberWithFiller computes the check digit of a long TD1/TD2
	// document number over the number with the < that marks the overflow;
	// by default it is computed without it. Issuers do both.
	LongNumberWithFiller bool
	// FillerCheck writes < instead of 0 as the check digit of an empty
	// TD3 personal number; ICAO 9303 Part 4 allows either.
	FillerCheck bool
	// TruncateName cuts a name that does not fit the name field instead of
	// failing. The cut is plain: ICAO 9303 Part 3's truncation rules are
	// the issuer's business.
	TruncateName bool
	// Corrupt lists check digits to print wrong, for tests: any of
	// FieldDocumentNumber, FieldBirthDate, FieldExpiryDate,
	// FieldOptionalData (TD3's personal number) and FieldComposite (TD1,
	// TD2, TD3). The composite is computed over the digits as printed, so
	// each corruption breaks exactly its own check.
	Corrupt []Field
}

// defaultCode is the document code Build uses when none is given.
func defaultCode(f Format) string {
	switch f {
	case TD3:
		return "P"
	case MRVA, MRVB:
		return "V"
	}
	return "I"
}

// builder writes a zone into lines of fillers.
type builder struct {
	lay  *layout
	buf  [][]byte
	errs Errors
}

func (b *builder) fail(f Field, rule error, format string, args ...any) {
	b.errs = append(b.errs, FieldError{Field: f, Rule: rule, Message: fmt.Sprintf(format, args...)})
}

func (b *builder) put(s span, v string) {
	copy(b.buf[s.line][s.start:s.end], v)
}

func (b *builder) get(s span) string { return string(b.buf[s.line][s.start:s.end]) }

func allOf(s string, ok func(byte) bool) bool {
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool { return isAlpha(c) || isDigit(c) }

// Build writes the zone of f.Format holding the values of f, with every
// check digit computed (ICAO 9303 Part 3 §4.9) except those f.Corrupt
// asks to print wrong. It fails, naming each field and wrapping ErrField,
// ErrCharset or ErrDate, when a value cannot be written: characters
// outside its set, too long for its field, no surname or document number,
// a visa code on a non-visa format or the reverse. The lines carry no line
// ends. Build is for tests and the simulated lane: it never logs, but its
// output is a zone like any other and must not be logged either.
func Build(f Fields) (lines []string, err error) {
	lay := layouts[f.Format]
	if lay == nil {
		return nil, Errors{{Field: FieldInput, Rule: ErrGeometry, Message: "format is not one of TD1, TD2, TD3, MRVA, MRVB"}}
	}
	b := &builder{lay: lay}
	for range f.Format.Lines() {
		b.buf = append(b.buf, []byte(strings.Repeat("<", f.Format.LineLength())))
	}
	b.documentCode(f)
	b.state(FieldIssuingState, lay.issuer, f.IssuingState)
	b.state(FieldNationality, lay.nationality, f.Nationality)
	b.name(f)
	optData := f.OptionalData
	if f.Format == TD1 {
		optData = f.OptionalData1
	}
	long := b.documentNumber(f, optData)
	b.optional(f, long)
	b.date(FieldBirthDate, lay.birth, lay.birthCD, f.BirthDate, true)
	b.date(FieldExpiryDate, lay.expiry, lay.expiryCD, f.ExpiryDate, false)
	b.sex(f.Sex)
	if len(b.errs) > 0 {
		return nil, b.errs
	}
	// Corrupt after every digit is known, then compute the composite over
	// the printed digits, then corrupt it if asked.
	for _, c := range f.Corrupt {
		b.corrupt(f, c, long)
	}
	if lay.composite.len() > 0 {
		var data strings.Builder
		for _, s := range lay.compositeData {
			data.WriteString(b.get(s))
		}
		d, _ := CheckDigit(data.String())
		b.put(lay.composite, string(d))
		if slices.Contains(f.Corrupt, FieldComposite) {
			b.put(lay.composite, string(wrongDigit(d)))
		}
	}
	if len(b.errs) > 0 {
		return nil, b.errs
	}
	for _, l := range b.buf {
		lines = append(lines, string(l))
	}
	return lines, nil
}

// wrongDigit returns a digit other than every one in not.
func wrongDigit(not ...byte) byte {
	for d := byte('1'); ; d++ {
		if d > '9' {
			d = '0'
		}
		if !slices.Contains(not, d) {
			return d
		}
	}
}

func (b *builder) documentCode(f Fields) {
	code := f.DocumentCode
	if code == "" {
		code = defaultCode(f.Format)
	}
	switch {
	case len(code) > 2:
		b.fail(FieldDocumentCode, ErrField, "document code is one or two characters")
		return
	case !isAlpha(code[0]) || (len(code) == 2 && !isAlpha(code[1]) && code[1] != '<'):
		b.fail(FieldDocumentCode, ErrCharset, "document code is a letter followed by a letter or <")
		return
	}
	visa := f.Format == MRVA || f.Format == MRVB
	if visa != (code[0] == 'V') {
		b.fail(FieldDocumentCode, ErrField, "a visa's document code starts with V and no other's does (the format is told by it, ICAO 9303 Part 7)")
		return
	}
	b.put(b.lay.docCode, code)
}

// state writes a state code: letters, padded with fillers (D<<).
func (b *builder) state(f Field, s span, v string) {
	switch {
	case v == "" || len(v) > 3:
		b.fail(f, ErrField, "state code is one to three letters")
	case !allOf(v, isAlpha):
		b.fail(f, ErrCharset, "state code holds characters other than A-Z")
	default:
		b.put(s, v)
	}
}

func nameWords(s string) ([]string, bool) {
	ws := strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '<' })
	for _, w := range ws {
		if !allOf(w, isAlpha) {
			return nil, false
		}
	}
	return ws, true
}

// name writes primary << secondary, words joined by < (ICAO 9303 Part 3).
func (b *builder) name(f Fields) {
	sur, ok1 := nameWords(f.Surname)
	given, ok2 := nameWords(f.GivenNames)
	switch {
	case !ok1 || !ok2:
		b.fail(FieldName, ErrCharset, "names hold A-Z only, words separated by spaces or <")
		return
	case len(sur) == 0:
		b.fail(FieldName, ErrField, "surname (primary identifier) is empty")
		return
	}
	v := strings.Join(sur, "<")
	if len(given) > 0 {
		v += "<<" + strings.Join(given, "<")
	}
	if n := b.lay.name.len(); len(v) > n {
		if !f.TruncateName {
			b.fail(FieldName, ErrField, "name of %d characters does not fit the %d of the field (set TruncateName to cut it)", len(v), n)
			return
		}
		v = v[:n]
	}
	b.put(b.lay.name, v)
}

// documentNumber writes the number and its check digit, overflowing a
// long TD1/TD2 number into the optional data followed by its check digit
// and a filler. It returns the continuation written there ("" if none).
func (b *builder) documentNumber(f Fields, optData string) (cont string) {
	l, num := b.lay, f.DocumentNumber
	switch {
	case num == "":
		b.fail(FieldDocumentNumber, ErrField, "document number is empty")
		return ""
	case !allOf(num, isAlnum):
		b.fail(FieldDocumentNumber, ErrCharset, "document number holds characters other than A-Z 0-9")
		return ""
	case len(num) <= 9:
		padded := num + strings.Repeat("<", 9-len(num))
		d, _ := CheckDigit(padded)
		b.put(l.docNum, padded)
		b.put(l.docNumCD, string(d))
		return ""
	case !l.overflow:
		b.fail(FieldDocumentNumber, ErrField, "a %s document number has at most 9 characters (only TD1 and TD2 overflow)", f.Format)
		return ""
	}
	head, rest := num[:9], num[9:]
	in := head + rest
	if f.LongNumberWithFiller {
		in = head + "<" + rest
	}
	d, _ := CheckDigit(in)
	cont = rest + string(d)
	room := l.opt.len()
	switch {
	case len(cont) > room:
		b.fail(FieldDocumentNumber, ErrField, "a long %s document number has at most %d characters", f.Format, 9+room-1)
		return ""
	case optData != "" && len(cont)+1+len(optData) > room:
		b.fail(l.optField, ErrField, "optional data does not fit after the long document number (%d characters left)", max(room-len(cont)-1, 0))
		return ""
	case strings.HasPrefix(optData, "<"):
		b.fail(l.optField, ErrField, "optional data after a long document number may not start with <")
		return ""
	}
	b.put(l.docNum, head)
	b.put(span{l.opt.line, l.opt.start, l.opt.start + len(cont)}, cont)
	return cont
}

// optional writes the optional data fields and TD3's personal number
// check digit (all fillers give 0, which ICAO 9303 Part 4 allows beside <).
func (b *builder) optional(f Fields, cont string) {
	l := b.lay
	write := func(field Field, s span, v string) {
		switch {
		case !allOf(v, validChar):
			b.fail(field, ErrCharset, "optional data holds characters outside A-Z 0-9 <")
		case len(v) > s.len():
			b.fail(field, ErrField, "optional data of %d characters does not fit the %d of the field", len(v), s.len())
		default:
			b.put(s, v)
		}
	}
	opt := l.opt
	if cont != "" {
		opt.start += len(cont) + 1
		opt.start = min(opt.start, opt.end)
	}
	switch f.Format {
	case TD1:
		write(FieldOptionalData1, opt, f.OptionalData1)
		write(FieldOptionalData2, l.opt2, f.OptionalData2)
		if f.OptionalData != "" {
			b.fail(FieldOptionalData, ErrField, "TD1 has OptionalData1 and OptionalData2, not OptionalData")
		}
	default:
		write(FieldOptionalData, opt, f.OptionalData)
		if f.OptionalData1 != "" || f.OptionalData2 != "" {
			b.fail(FieldOptionalData1, ErrField, "only TD1 has OptionalData1 and OptionalData2")
		}
	}
	if l.optCD.len() > 0 {
		d, _ := CheckDigit(b.get(l.opt))
		if f.FillerCheck && strings.Trim(b.get(l.opt), "<") == "" {
			d = '<'
		}
		b.put(l.optCD, string(d))
	}
}

func (b *builder) date(f Field, s, cd span, v string, unknownOK bool) {
	ok := len(v) == 6 && allOf(v, func(c byte) bool { return isDigit(c) || (unknownOK && c == '<') })
	if !ok {
		if unknownOK {
			b.fail(f, ErrDate, "a date of birth is YYMMDD, with << for unknown parts")
		} else {
			b.fail(f, ErrDate, "a date of expiry is YYMMDD")
		}
		return
	}
	d, _ := CheckDigit(v)
	b.put(s, v)
	b.put(cd, string(d))
}

func (b *builder) sex(v string) {
	switch v {
	case "M", "F", "X", "<":
		b.put(b.lay.sex, v)
	case "":
	default:
		b.fail(FieldSex, ErrField, "sex is M, F, X, < or empty")
	}
}

// corrupt prints a wrong check digit for field c. A long number's digit
// must differ from both ways of computing it.
func (b *builder) corrupt(f Fields, c Field, cont string) {
	l := b.lay
	flip := func(s span) {
		b.put(s, string(wrongDigit(b.get(s)[0])))
	}
	switch {
	case c == FieldDocumentNumber && cont != "":
		head, rest := f.DocumentNumber[:9], f.DocumentNumber[9:]
		d1, _ := CheckDigit(head + rest)
		d2, _ := CheckDigit(head + "<" + rest)
		b.put(span{l.opt.line, l.opt.start + len(rest), l.opt.start + len(rest) + 1}, string(wrongDigit(d1, d2)))
	case c == FieldDocumentNumber:
		flip(l.docNumCD)
	case c == FieldBirthDate:
		flip(l.birthCD)
	case c == FieldExpiryDate:
		flip(l.expiryCD)
	case c == FieldOptionalData && l.optCD.len() > 0:
		flip(l.optCD)
	case c == FieldComposite && l.composite.len() > 0:
		// Build corrupts the composite after computing it.
	default:
		b.fail(c, ErrField, "%s has no %s check digit to corrupt", f.Format, c)
	}
}

// Fields returns the values of the zone in the form Build takes, so that
// for a valid zone Build(m.Fields()) gives m.Lines back, except where a
// zone holds what Build never writes: runs of fillers inside the given
// names, or fillers leading the optional data after a long number.
func (m *MRZ) Fields() Fields {
	if m == nil || m.Format == FormatUnknown {
		return Fields{}
	}
	f := Fields{
		Format:               m.Format,
		DocumentCode:         m.DocumentCode,
		IssuingState:         m.IssuingState,
		Surname:              m.PrimaryIdentifier,
		GivenNames:           m.SecondaryIdentifier,
		DocumentNumber:       m.DocumentNumber,
		Nationality:          m.Nationality,
		BirthDate:            m.BirthDate.Raw,
		ExpiryDate:           m.ExpiryDate.Raw,
		OptionalData:         m.OptionalData,
		OptionalData1:        m.OptionalData1,
		OptionalData2:        m.OptionalData2,
		LongNumberWithFiller: m.LongNumber == LongWithFiller,
	}
	printed := func(s span) byte {
		if s.len() == 0 || s.line >= len(m.Lines) || s.start >= len(m.Lines[s.line]) {
			return 0
		}
		return m.Lines[s.line][s.start]
	}
	lay := layouts[m.Format]
	switch c := printed(lay.sex); c {
	case 'M', 'F', 'X':
		f.Sex = string(c)
	}
	f.FillerCheck = m.OptionalData == "" && printed(lay.optCD) == '<'
	return f
}
