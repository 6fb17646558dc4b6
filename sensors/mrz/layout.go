package mrz

// span is a run of characters in one line: 0-based line, [start, end).
type span struct{ line, start, end int }

func (s span) len() int { return s.end - s.start }

// layout is where each data element sits in a format. Positions in the
// comments are ICAO's, 1-based.
type layout struct {
	docCode, issuer, name span
	docNum, docNumCD      span
	nationality           span
	birth, birthCD        span
	sex                   span
	expiry, expiryCD      span
	opt, optCD            span // opt is optional data 1 in TD1; optCD only in TD3
	opt2                  span // TD1 only
	composite             span // empty for MRVs
	compositeData         []span
	optField              Field
	overflow              bool // the document number may overflow into opt (TD1, TD2)
}

var layouts = map[Format]*layout{
	// ICAO 9303 Part 5, TD1 MRZ data structure.
	TD1: {
		docCode:     span{0, 0, 2},   // line 1, 1-2
		issuer:      span{0, 2, 5},   // line 1, 3-5
		docNum:      span{0, 5, 14},  // line 1, 6-14
		docNumCD:    span{0, 14, 15}, // line 1, 15
		opt:         span{0, 15, 30}, // line 1, 16-30
		birth:       span{1, 0, 6},   // line 2, 1-6
		birthCD:     span{1, 6, 7},   // line 2, 7
		sex:         span{1, 7, 8},   // line 2, 8
		expiry:      span{1, 8, 14},  // line 2, 9-14
		expiryCD:    span{1, 14, 15}, // line 2, 15
		nationality: span{1, 15, 18}, // line 2, 16-18
		opt2:        span{1, 18, 29}, // line 2, 19-29
		composite:   span{1, 29, 30}, // line 2, 30
		name:        span{2, 0, 30},  // line 3, 1-30
		// Composite over line 1 6-30, line 2 1-7, 8-15, 19-29.
		compositeData: []span{{0, 5, 30}, {1, 0, 7}, {1, 8, 15}, {1, 18, 29}},
		optField:      FieldOptionalData1,
		overflow:      true,
	},
	// ICAO 9303 Part 6, TD2 MRZ data structure.
	TD2: {
		docCode:     span{0, 0, 2},
		issuer:      span{0, 2, 5},
		name:        span{0, 5, 36},  // line 1, 6-36
		docNum:      span{1, 0, 9},   // line 2, 1-9
		docNumCD:    span{1, 9, 10},  // line 2, 10
		nationality: span{1, 10, 13}, // line 2, 11-13
		birth:       span{1, 13, 19}, // line 2, 14-19
		birthCD:     span{1, 19, 20}, // line 2, 20
		sex:         span{1, 20, 21}, // line 2, 21
		expiry:      span{1, 21, 27}, // line 2, 22-27
		expiryCD:    span{1, 27, 28}, // line 2, 28
		opt:         span{1, 28, 35}, // line 2, 29-35
		composite:   span{1, 35, 36}, // line 2, 36
		// Composite over line 2 1-10, 14-20, 22-35.
		compositeData: []span{{1, 0, 10}, {1, 13, 20}, {1, 21, 35}},
		optField:      FieldOptionalData,
		overflow:      true,
	},
	// ICAO 9303 Part 4, TD3 MRZ data structure.
	TD3: {
		docCode:     span{0, 0, 2},
		issuer:      span{0, 2, 5},
		name:        span{0, 5, 44},  // line 1, 6-44
		docNum:      span{1, 0, 9},   // line 2, 1-9
		docNumCD:    span{1, 9, 10},  // line 2, 10
		nationality: span{1, 10, 13}, // line 2, 11-13
		birth:       span{1, 13, 19}, // line 2, 14-19
		birthCD:     span{1, 19, 20}, // line 2, 20
		sex:         span{1, 20, 21}, // line 2, 21
		expiry:      span{1, 21, 27}, // line 2, 22-27
		expiryCD:    span{1, 27, 28}, // line 2, 28
		opt:         span{1, 28, 42}, // line 2, 29-42: personal number
		optCD:       span{1, 42, 43}, // line 2, 43
		composite:   span{1, 43, 44}, // line 2, 44
		// Composite over line 2 1-10, 14-20, 22-43.
		compositeData: []span{{1, 0, 10}, {1, 13, 20}, {1, 21, 43}},
		optField:      FieldOptionalData,
	},
	// ICAO 9303 Part 7, MRV-A: line 1 as TD3, line 2 as TD3 up to
	// position 28, then optional data to the end and no composite.
	MRVA: {
		docCode:     span{0, 0, 2},
		issuer:      span{0, 2, 5},
		name:        span{0, 5, 44},
		docNum:      span{1, 0, 9},
		docNumCD:    span{1, 9, 10},
		nationality: span{1, 10, 13},
		birth:       span{1, 13, 19},
		birthCD:     span{1, 19, 20},
		sex:         span{1, 20, 21},
		expiry:      span{1, 21, 27},
		expiryCD:    span{1, 27, 28},
		opt:         span{1, 28, 44}, // line 2, 29-44
		optField:    FieldOptionalData,
	},
	// ICAO 9303 Part 7, MRV-B: line 1 as TD2, line 2 as TD2 up to
	// position 28, then optional data to the end and no composite.
	MRVB: {
		docCode:     span{0, 0, 2},
		issuer:      span{0, 2, 5},
		name:        span{0, 5, 36},
		docNum:      span{1, 0, 9},
		docNumCD:    span{1, 9, 10},
		nationality: span{1, 10, 13},
		birth:       span{1, 13, 19},
		birthCD:     span{1, 19, 20},
		sex:         span{1, 20, 21},
		expiry:      span{1, 21, 27},
		expiryCD:    span{1, 27, 28},
		opt:         span{1, 28, 36}, // line 2, 29-36
		optField:    FieldOptionalData,
	},
}

// fieldAt names the field that position (line, col) belongs to, for
// error messages. Check digits belong to the field they protect.
func (l *layout) fieldAt(line, col int) Field {
	in := func(s span) bool { return s.len() > 0 && s.line == line && col >= s.start && col < s.end }
	switch {
	case in(l.docCode):
		return FieldDocumentCode
	case in(l.issuer):
		return FieldIssuingState
	case in(l.name):
		return FieldName
	case in(l.docNum), in(l.docNumCD):
		return FieldDocumentNumber
	case in(l.nationality):
		return FieldNationality
	case in(l.birth), in(l.birthCD):
		return FieldBirthDate
	case in(l.sex):
		return FieldSex
	case in(l.expiry), in(l.expiryCD):
		return FieldExpiryDate
	case in(l.opt), in(l.optCD):
		return l.optField
	case in(l.opt2):
		return FieldOptionalData2
	case in(l.composite):
		return FieldComposite
	}
	return FieldInput
}

// detect recognises the format from the geometry of the lines and, for
// 2x44 and 2x36, the first character (V for visas, ICAO 9303 Part 7).
func detect(lines []string) Format {
	switch len(lines) {
	case 3:
		if len(lines[0]) == 30 && len(lines[1]) == 30 && len(lines[2]) == 30 {
			return TD1
		}
	case 2:
		n := len(lines[0])
		if len(lines[1]) != n {
			return FormatUnknown
		}
		visa := n > 0 && lines[0][0] == 'V'
		switch {
		case n == 44 && visa:
			return MRVA
		case n == 44:
			return TD3
		case n == 36 && visa:
			return MRVB
		case n == 36:
			return TD2
		}
	}
	return FormatUnknown
}
