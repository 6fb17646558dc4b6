package mrz

import "math/bits"

// OCR repair (Options.RepairOCR). OCR engines confuse a few letters with
// digits. In a field that can only hold digits (dates, check digits) the
// letter is mapped to its digit; in the alphanumeric document number the
// swap can go either way. A repair is kept only when a check digit proves
// it: the repaired field must satisfy its check digit, which it did not
// before. Every change is recorded in MRZ.Repairs.

// ocrDigit maps letters that OCR reads for digits to those digits.
var ocrDigit = map[byte]byte{'O': '0', 'I': '1', 'B': '8', 'S': '5', 'Z': '2'}

// ocrSwap maps each confusable character to its look-alike, both ways.
var ocrSwap = map[byte]byte{
	'O': '0', '0': 'O', 'I': '1', '1': 'I', 'B': '8', '8': 'B',
	'S': '5', '5': 'S', 'Z': '2', '2': 'Z',
}

// maxSwaps bounds the positions tried in a document number (2^n
// candidates): more ambiguity than that proves nothing anyway.
const maxSwaps = 12

type pos struct{ line, col int }

func positions(spans ...span) []pos {
	var out []pos
	for _, s := range spans {
		for c := s.start; c < s.end; c++ {
			out = append(out, pos{s.line, c})
		}
	}
	return out
}

func (p *parser) get(q pos) byte { return p.buf[q.line][q.col] }

func (p *parser) anyBad(ps []pos) bool {
	for _, q := range ps {
		if p.bad[q.line][q.col] {
			return true
		}
	}
	return false
}

func (p *parser) read(ps []pos) []byte {
	b := make([]byte, len(ps))
	for i, q := range ps {
		b[i] = p.get(q)
	}
	return b
}

// apply writes cand over ps, recording each change as a Repair of f.
func (p *parser) apply(f Field, ps []pos, cand []byte) {
	for i, q := range ps {
		if from := p.get(q); from != cand[i] {
			p.buf[q.line][q.col] = cand[i]
			p.m.Repairs = append(p.m.Repairs, Repair{Field: f, Line: q.line + 1, Column: q.col + 1, From: from, To: cand[i]})
		}
	}
}

func (p *parser) repair() {
	l := p.lay
	// Dates first: the document number repair may consult the composite,
	// which covers them.
	p.repairNumeric(FieldBirthDate, positions(l.birth), true, positions(l.birthCD)[0], verify)
	p.repairNumeric(FieldExpiryDate, positions(l.expiry), false, positions(l.expiryCD)[0], verify)
	p.repairDocumentNumber()
	if l.optCD.len() > 0 {
		p.repairCheckDigit(FieldOptionalData, positions(l.opt), positions(l.optCD)[0])
	}
	if l.composite.len() > 0 {
		p.repairCheckDigit(FieldComposite, positions(l.compositeData...), positions(l.composite)[0])
	}
}

// repairNumeric maps letters to digits in an all-digit field (a date; < is
// also kept where fillerOK, for unknown parts of a birth date) and in its
// check digit, and keeps the result only if ok accepts it.
func (p *parser) repairNumeric(f Field, data []pos, fillerOK bool, cd pos, ok func(string, byte) bool) {
	all := append(append([]pos(nil), data...), cd)
	if p.anyBad(all) {
		return
	}
	cand := p.read(all)
	changed := false
	for i, c := range cand {
		switch {
		case isDigit(c), fillerOK && c == '<' && i < len(data):
		case ocrDigit[c] != 0:
			cand[i] = ocrDigit[c]
			changed = true
		default:
			return // not a confusion we know: leave it to the error
		}
	}
	if changed && ok(string(cand[:len(data)]), cand[len(data)]) {
		p.apply(f, all, cand)
	}
}

// repairCheckDigit maps a letter in a check digit position to its digit
// when the data (left as it is) then verifies.
func (p *parser) repairCheckDigit(f Field, data []pos, cd pos) {
	c := p.get(cd)
	d := ocrDigit[c]
	if d == 0 || p.anyBad(data) {
		return
	}
	if verify(string(p.read(data)), d) {
		p.apply(f, []pos{cd}, []byte{d})
	}
}

// repairDocumentNumber tries the swaps in the document number (including a
// long number's continuation) and maps a letter in its check digit. Of the
// candidates with the fewest swaps that satisfy the check digit, exactly
// one must exist; more than one means the check digit proves nothing, and
// nothing is changed. The composite cannot break such a tie: the document
// number opens the composite input, so it enters the composite with the
// same weights as its own check digit and every tied candidate satisfies
// the composite alike.
func (p *parser) repairDocumentNumber() {
	l := p.lay
	data, cd := positions(l.docNum), positions(l.docNumCD)[0]
	check := verify
	if p.isLong() {
		rest, cdi, _, ok := p.longNumber()
		if !ok {
			return
		}
		data = append(data, positions(span{l.opt.line, l.opt.start, l.opt.start + len(rest)})...)
		cd = pos{l.opt.line, l.opt.start + cdi}
		check = func(d string, c byte) bool {
			return verify(d, c) || verify(d[:9]+"<"+d[9:], c)
		}
	}
	all := append(append([]pos(nil), data...), cd)
	if p.anyBad(all) {
		return
	}
	orig := p.read(all)
	c := orig[len(data)]
	cdChanged := false
	if !isDigit(c) {
		if ocrDigit[c] == 0 {
			return
		}
		c, cdChanged = ocrDigit[c], true
	}
	if !cdChanged && check(string(orig[:len(data)]), c) {
		return // nothing to repair
	}
	var amb []int
	for i, ch := range orig[:len(data)] {
		if ocrSwap[ch] != 0 {
			amb = append(amb, i)
		}
	}
	if len(amb) > maxSwaps {
		return
	}
	best := len(amb) + 1
	var found [][]byte
	for mask := 0; mask < 1<<len(amb); mask++ {
		k := bits.OnesCount(uint(mask))
		if k > best || (k == 0 && !cdChanged) {
			continue
		}
		cand := append([]byte(nil), orig...)
		cand[len(data)] = c
		for j, i := range amb {
			if mask&(1<<j) != 0 {
				cand[i] = ocrSwap[cand[i]]
			}
		}
		if !check(string(cand[:len(data)]), c) {
			continue
		}
		if k < best {
			best, found = k, found[:0]
		}
		found = append(found, cand)
	}
	if len(found) == 1 {
		p.apply(FieldDocumentNumber, all, found[0])
	}
}
