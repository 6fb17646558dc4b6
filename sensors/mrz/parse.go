package mrz

import (
	"fmt"
	"strings"
)

// Parse parses the lines of a machine readable zone. The lines go through
// the same normalisation as ParseText (see Normalize), so surrounding
// whitespace and a single unsplit run are accepted.
//
// The returned *MRZ is nil only when no format can be recognised from the
// geometry (the error then wraps ErrGeometry) or opts is unusable
// (ErrOptions). Otherwise it is filled as far as the zone allows, and the
// error is nil for a valid zone or the Errors listing every broken rule.
// Parse never logs: the zone is personal data.
func Parse(lines []string, opts *Options) (*MRZ, error) {
	return ParseText(strings.Join(lines, "\n"), opts)
}

// ParseText parses a zone given as text, as a device sends it; see
// Normalize for what is tolerated.
func ParseText(text string, opts *Options) (*MRZ, error) {
	o, err := opts.resolve()
	if err != nil {
		return nil, err
	}
	lines, notes := normalize(text, o.FoldCase)
	return parse(lines, notes, o)
}

type parser struct {
	f   Format
	lay *layout
	buf [][]byte
	bad [][]bool // the character is outside A-Z 0-9 <
	o   Options
	m   *MRZ
}

func parse(lines []string, notes []Note, o Options) (*MRZ, error) {
	f := detect(lines)
	if f == FormatUnknown {
		return nil, Errors{{Field: FieldInput, Rule: ErrGeometry, Message: geometryMessage(lines)}}
	}
	p := &parser{f: f, lay: layouts[f], o: o, m: &MRZ{Format: f, Notes: notes}}
	for _, l := range lines {
		p.buf = append(p.buf, []byte(l))
		p.bad = append(p.bad, make([]bool, len(l)))
	}
	p.charset()
	if o.RepairOCR {
		p.repair()
	}
	p.fields()
	for _, b := range p.buf {
		p.m.Lines = append(p.m.Lines, string(b))
	}
	if len(p.m.Errors) > 0 {
		return p.m, p.m.Errors
	}
	return p.m, nil
}

func geometryMessage(lines []string) string {
	if len(lines) == 0 {
		return "no MRZ lines in the input"
	}
	lens := make([]string, len(lines))
	for i, l := range lines {
		lens[i] = fmt.Sprint(len(l))
	}
	return fmt.Sprintf("%d line(s) of %s characters match no format: TD1 is 3x30, TD2 and MRV-B 2x36, TD3 and MRV-A 2x44 (ICAO 9303 Parts 4-7)",
		len(lines), strings.Join(lens, "/"))
}

func (p *parser) str(s span) string { return string(p.buf[s.line][s.start:s.end]) }

func (p *parser) at(s span) byte { return p.buf[s.line][s.start] }

func (p *parser) clean(s span) bool {
	for _, b := range p.bad[s.line][s.start:s.end] {
		if b {
			return false
		}
	}
	return true
}

func (p *parser) fail(f Field, rule error, format string, args ...any) {
	p.m.Errors = append(p.m.Errors, FieldError{Field: f, Rule: rule, Message: fmt.Sprintf(format, args...)})
}

func (p *parser) warn(f Field, rule error, format string, args ...any) {
	p.m.Warnings = append(p.m.Warnings, FieldError{Field: f, Rule: rule, Message: fmt.Sprintf(format, args...)})
}

// charset marks and reports characters outside A-Z 0-9 <, one error per
// field (ICAO 9303 Part 3, MRZ character set).
func (p *parser) charset() {
	type hit struct {
		line, col int
		c         byte
		n         int
	}
	var order []Field
	hits := map[Field]*hit{}
	for li, l := range p.buf {
		for ci, c := range l {
			if validChar(c) {
				continue
			}
			p.bad[li][ci] = true
			f := p.lay.fieldAt(li, ci)
			if h := hits[f]; h != nil {
				h.n++
				continue
			}
			hits[f] = &hit{li, ci, c, 1}
			order = append(order, f)
		}
	}
	for _, f := range order {
		h := hits[f]
		what := fmt.Sprintf("%q is not in the MRZ character set A-Z 0-9 <", h.c)
		if h.c >= 'a' && h.c <= 'z' {
			what = fmt.Sprintf("lower-case %q is not in the MRZ character set A-Z 0-9 < (fold case to accept it)", h.c)
		}
		more := ""
		if h.n > 1 {
			more = fmt.Sprintf(" (%d such characters in this field)", h.n)
		}
		p.fail(f, ErrCharset, "line %d column %d: %s%s", h.line+1, h.col+1, what, more)
	}
}

// cdMessage explains a failed check digit without quoting the data.
func cdMessage(data string, c byte) string {
	switch {
	case c == '<':
		return "check digit position holds the filler < instead of a digit (ICAO 9303 Part 3 §4.9)"
	case c < '0' || c > '9':
		return fmt.Sprintf("check digit %q is not a digit (ICAO 9303 Part 3 §4.9)", c)
	}
	d, err := CheckDigit(data)
	if err != nil {
		return "check digit cannot be computed: the data holds characters outside the set"
	}
	return fmt.Sprintf("check digit is %c but the data gives %c (ICAO 9303 Part 3 §4.9)", c, d)
}

func isAlpha(c byte) bool { return c >= 'A' && c <= 'Z' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func (p *parser) fields() {
	l, m := p.lay, p.m
	p.documentCode()
	m.IssuingState = p.state(FieldIssuingState, l.issuer)
	p.name()
	p.documentNumber()
	m.Nationality = p.state(FieldNationality, l.nationality)
	var byy, eyy int
	m.BirthDate, byy, m.Checks.BirthDate = p.date(FieldBirthDate, l.birth, l.birthCD, true)
	p.sex()
	m.ExpiryDate, eyy, m.Checks.ExpiryDate = p.date(FieldExpiryDate, l.expiry, l.expiryCD, false)
	p.resolveDates(byy, eyy)
	p.optional()
	p.composite()
}

// documentCode: P for passports (Part 4), A, C or I for TD1/TD2 (Parts 5
// and 6), V for visas (Part 7); the second character is a letter or <.
func (p *parser) documentCode() {
	s := p.lay.docCode
	v := p.str(s)
	p.m.DocumentCode = strings.TrimRight(v, "<")
	if !p.clean(s) {
		return
	}
	switch c := v[0]; p.f {
	case TD3:
		if c != 'P' {
			p.fail(FieldDocumentCode, ErrField, "a TD3 (2x44) zone that is not a visa starts with P (ICAO 9303 Part 4)")
		}
	case TD1, TD2:
		if c != 'A' && c != 'C' && c != 'I' {
			p.fail(FieldDocumentCode, ErrField, "a %s zone starts with A, C or I (ICAO 9303 Parts 5 and 6)", p.f)
		}
	}
	if c := v[1]; !isAlpha(c) && c != '<' {
		p.fail(FieldDocumentCode, ErrField, "second character %q is neither a letter nor <", c)
	}
}

// state checks a three-character state code: letters then fillers, as in
// UTO or D<< (ICAO 9303 Part 3, codes for nationality and issuing state).
// A well-formed code that is on no list is a warning, not an error: new
// codes appear faster than firmware is updated.
func (p *parser) state(f Field, s span) string {
	v := p.str(s)
	code := strings.TrimRight(v, "<")
	if !p.clean(s) {
		return code
	}
	n := 0
	for n < len(v) && isAlpha(v[n]) {
		n++
	}
	switch {
	case n == 0:
		p.fail(f, ErrField, "state code does not start with a letter (letters then fillers, e.g. UTO or D<<)")
	case strings.Trim(v[n:], "<") != "":
		p.fail(f, ErrField, "state code is not letters followed by fillers (e.g. UTO or D<<)")
	case !KnownState(code):
		p.warn(f, ErrField, "state code is neither ISO 3166-1 alpha-3 nor reserved in ICAO 9303 Part 3")
	}
	return code
}

// name splits the name field into primary and secondary identifiers at
// the first <<; single < separate words (ICAO 9303 Part 3, name in the MRZ).
func (p *parser) name() {
	s, m := p.lay.name, p.m
	v := p.str(s)
	m.NameTruncated = v[len(v)-1] != '<'
	t := strings.TrimRight(v, "<")
	primary, secondary, _ := strings.Cut(t, "<<")
	m.PrimaryIdentifier = words(primary)
	m.SecondaryIdentifier = words(secondary)
	if !p.clean(s) {
		return
	}
	if t == "" {
		p.fail(FieldName, ErrField, "name field is empty")
		return
	}
	if primary == "" || primary[0] == '<' {
		p.fail(FieldName, ErrField, "primary identifier is missing: the name field starts with a filler")
	}
	if i := strings.IndexFunc(t, func(r rune) bool { return r >= '0' && r <= '9' }); i >= 0 {
		p.fail(FieldName, ErrField, "line %d column %d: digit in the name (names hold letters and fillers only)", s.line+1, s.start+i+1)
	}
	if strings.HasPrefix(secondary, "<") || strings.Contains(secondary, "<<") {
		p.warn(FieldName, ErrField, "filler run inside the secondary identifier; read as one separator")
	}
}

func words(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == '<' }), " ")
}

// longNumber finds the continuation of a long TD1/TD2 document number at
// the start of the optional data: rest, its check digit at index cd of the
// optional data, and the index where the optional data proper starts.
// ok is false when the optional data does not hold a continuation.
func (p *parser) longNumber() (rest string, cd, after int, ok bool) {
	opt := p.str(p.lay.opt)
	i := strings.IndexByte(opt, '<')
	if i < 0 {
		i = len(opt)
	}
	if i < 2 {
		return "", 0, 0, false
	}
	return opt[:i-1], i - 1, i, true
}

func (p *parser) isLong() bool {
	return p.lay.overflow && p.at(p.lay.docNumCD) == '<'
}

// documentNumber reads the document number and its check digit, joining a
// long TD1/TD2 number (ICAO 9303 Parts 5 and 6, document number notes) and
// trying its check digit with and without the < that marks the overflow.
func (p *parser) documentNumber() {
	l, m := p.lay, p.m
	num := p.str(l.docNum)
	m.DocumentNumber = strings.TrimRight(num, "<")
	m.keyNumber, m.keyDigit = num, p.at(l.docNumCD)
	if !p.clean(l.docNum) || !p.clean(l.docNumCD) {
		m.Checks.DocumentNumber = CheckFail
		return
	}
	if p.isLong() {
		opt := p.str(l.opt)
		rest, cdi, _, ok := p.longNumber()
		switch {
		case !ok || !p.clean(span{l.opt.line, l.opt.start, l.opt.start + cdi + 1}):
			m.Checks.DocumentNumber = CheckFail
			p.fail(FieldDocumentNumber, ErrCheckDigit, "check digit position holds <, the mark of a long document number, but the optional data does not continue the number with its check digit")
			return
		case strings.Contains(num, "<"):
			m.Checks.DocumentNumber = CheckFail
			p.fail(FieldDocumentNumber, ErrField, "a long document number fills its first 9 positions; fillers found there")
			return
		}
		cd := opt[cdi]
		m.DocumentNumber = num + rest
		m.keyNumber, m.keyDigit = num+rest, cd
		with, without := verify(num+"<"+rest, cd), verify(num+rest, cd)
		switch {
		case with && without:
			m.LongNumber = LongBoth
		case with:
			m.LongNumber = LongWithFiller
		case without:
			m.LongNumber = LongWithoutFiller
		default:
			m.LongNumber = LongNeither
			m.Checks.DocumentNumber = CheckFail
			if !isDigit(cd) {
				p.fail(FieldDocumentNumber, ErrCheckDigit, "check digit %q of the long document number is not a digit (ICAO 9303 Part 3 §4.9)", cd)
				return
			}
			d1, _ := CheckDigit(num + "<" + rest)
			d2, _ := CheckDigit(num + rest)
			p.fail(FieldDocumentNumber, ErrCheckDigit, "long document number: check digit is %c but the data gives %c with the filler and %c without (ICAO 9303 Part 3 §4.9)", cd, d1, d2)
			return
		}
		m.Checks.DocumentNumber = CheckPass
		return
	}
	switch {
	case m.DocumentNumber == "":
		p.fail(FieldDocumentNumber, ErrField, "document number is empty")
	case strings.Contains(m.DocumentNumber, "<"):
		p.fail(FieldDocumentNumber, ErrField, "fillers may only follow the document number, not lead or split it")
	}
	if c := p.at(l.docNumCD); verify(num, c) {
		m.Checks.DocumentNumber = CheckPass
	} else {
		m.Checks.DocumentNumber = CheckFail
		p.fail(FieldDocumentNumber, ErrCheckDigit, "%s", cdMessage(num, c))
	}
}

// date reads a YYMMDD date and its check digit. The century is resolved
// later, in resolveDates, once both dates are known; yy is -1 when the
// date is invalid or wholly unknown.
func (p *parser) date(f Field, s, cds span, unknownOK bool) (d Date, yy int, c Check) {
	raw := p.str(s)
	d, yy = Date{Raw: raw}, -1
	if !p.clean(s) || !p.clean(cds) {
		return d, yy, CheckFail
	}
	if !(unknownOK && raw == "<<<<<<") { // a wholly unknown birth date is valid
		y, mm, dd, msg := splitDate(raw, unknownOK)
		if msg != "" {
			p.fail(f, ErrDate, "%s", msg)
		} else {
			yy, d.Month, d.Day = y, mm, dd
		}
	}
	if cd := p.at(cds); !verify(raw, cd) {
		p.fail(f, ErrCheckDigit, "%s", cdMessage(raw, cd))
		return d, yy, CheckFail
	}
	return d, yy, CheckPass
}

// resolveDates gives both dates their century (ICAO 9303 Part 3, dates:
// years are printed with two digits) and rejects days that do not exist
// in the resolved year. A birth date is the latest one not after today;
// an expiry date lies in the window set by Options.ExpiryYearsAhead. A
// birth date after the expiry date moves back a century, unless that
// would make the holder older than maxAge.
// maxAge bounds the age a century shift of a birth date may produce.
const maxAge = 130

func (p *parser) resolveDates(birthYY, expiryYY int) {
	b, e := &p.m.BirthDate, &p.m.ExpiryDate
	if expiryYY >= 0 {
		e.Year = expiryYear(expiryYY, e.Month, e.Day, p.o.Today, p.o.ExpiryYearsAhead)
	}
	if birthYY >= 0 {
		b.Year = birthYear(birthYY, b.Month, b.Day, p.o.Today)
		if e.Year != 0 && dateBefore(e.Year, e.Month, e.Day, b.Year, orOne(b.Month), orOne(b.Day)) &&
			p.o.Today.Year()-(b.Year-100) <= maxAge {
			b.Year -= 100
		}
	}
	for _, x := range []struct {
		f Field
		d *Date
	}{{FieldBirthDate, b}, {FieldExpiryDate, e}} {
		if x.d.Year != 0 && !dayExists(x.d.Year, x.d.Month, x.d.Day) {
			p.fail(x.f, ErrDate, "impossible date: that day does not exist in that month and year")
			x.d.Year, x.d.Month, x.d.Day = 0, 0, 0
		}
	}
}

// sex: M, F, or unspecified written < (or X by some issuers), reported as
// X (ICAO 9303 Part 4 line 2 position 21, Part 5 line 2 position 8).
func (p *parser) sex() {
	s := p.lay.sex
	if !p.clean(s) {
		return
	}
	switch c := p.at(s); c {
	case 'M', 'F':
		p.m.Sex = Sex(c)
	case '<', 'X':
		p.m.Sex = SexUnspecified
	default:
		p.fail(FieldSex, ErrField, "sex %q is not M, F, X or <", c)
	}
}

// optional reads the optional data fields and, in TD3, the personal
// number check digit, which may be < or 0 when the field is all fillers
// (ICAO 9303 Part 4, line 2 position 43).
func (p *parser) optional() {
	l, m := p.lay, p.m
	v := p.str(l.opt)
	trimmed := strings.TrimRight(v, "<")
	if p.isLong() {
		if _, _, after, ok := p.longNumber(); ok {
			trimmed = strings.TrimRight(strings.TrimLeft(v[after:], "<"), "<")
		}
	}
	switch p.f {
	case TD1:
		m.OptionalData1 = trimmed
		m.OptionalData2 = strings.TrimRight(p.str(l.opt2), "<")
	default:
		m.OptionalData = trimmed
	}
	if l.optCD.len() == 0 {
		return
	}
	if !p.clean(l.opt) || !p.clean(l.optCD) {
		m.Checks.OptionalData = CheckFail
		return
	}
	c := p.at(l.optCD)
	if (trimmed == "" && c == '<') || verify(v, c) {
		m.Checks.OptionalData = CheckPass
		return
	}
	m.Checks.OptionalData = CheckFail
	p.fail(FieldOptionalData, ErrCheckDigit, "%s", cdMessage(v, c))
}

// compositeData is the concatenated input of the composite check digit.
func (p *parser) compositeData() (string, bool) {
	var b strings.Builder
	ok := true
	for _, s := range p.lay.compositeData {
		b.WriteString(p.str(s))
		ok = ok && p.clean(s)
	}
	return b.String(), ok
}

// composite checks the composite check digit of TD1, TD2 and TD3 (ICAO
// 9303 Parts 4-6; the ranges are in layout.go). Visas have none (Part 7).
func (p *parser) composite() {
	s := p.lay.composite
	if s.len() == 0 {
		return
	}
	data, ok := p.compositeData()
	c := p.at(s)
	switch {
	case !ok || !p.clean(s):
		p.m.Checks.Composite = CheckFail
		if p.clean(s) {
			p.fail(FieldComposite, ErrCheckDigit, "composite check digit cannot be computed: its data holds characters outside the set")
		}
	case verify(data, c):
		p.m.Checks.Composite = CheckPass
	default:
		p.m.Checks.Composite = CheckFail
		p.fail(FieldComposite, ErrCheckDigit, "%s", cdMessage(data, c))
	}
}
