package chip

import (
	"errors"
	"fmt"
	"strings"
)

// ErrBadKey means an access key (MRZ fields or CAN) is not well formed.
var ErrBadKey = errors.New("chip: bad access key")

// MRZKey holds the MRZ fields that key BAC and PACE (ICAO 9303 Part 11
// §9.7.2 and §4.4.1): document number, date of birth and date of expiry as
// printed (YYMMDD). Its String method never prints the fields: they are
// personal data and must not reach logs.
type MRZKey struct {
	DocumentNumber string
	DateOfBirth    string
	DateOfExpiry   string
}

// String redacts the key.
func (k MRZKey) String() string { return "MRZKey{redacted}" }

// GoString redacts the key for %#v too.
func (k MRZKey) GoString() string { return k.String() }

// Info returns the MRZ information used as key seed input: document number
// (at least nine characters, padded with '<') and its check digit, date of
// birth and check digit, date of expiry and check digit (ICAO 9303 Part 11
// §9.7.2; Part 3 §4.9 for check digits). Document numbers longer than nine
// characters are used whole, as in the TD1 extended form.
func (k MRZKey) Info() (string, error) {
	doc := strings.ToUpper(strings.TrimSpace(k.DocumentNumber))
	if doc == "" || !isMRZChars(doc) {
		return "", fmt.Errorf("%w: document number", ErrBadKey)
	}
	for len(doc) < 9 {
		doc += "<"
	}
	if !isDate(k.DateOfBirth) || !isDate(k.DateOfExpiry) {
		return "", fmt.Errorf("%w: dates must be YYMMDD", ErrBadKey)
	}
	var b strings.Builder
	for _, f := range []string{doc, k.DateOfBirth, k.DateOfExpiry} {
		b.WriteString(f)
		b.WriteByte(CheckDigit(f))
	}
	return b.String(), nil
}

func isMRZChars(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c == '<') {
			return false
		}
	}
	return true
}

func isDate(s string) bool {
	if len(s) != 6 {
		return false
	}
	for i := 0; i < 6; i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// CheckDigit computes the ICAO 9303 Part 3 §4.9 check digit (weights 7 3 1,
// A=10 ... Z=35, '<'=0) of s and returns it as an ASCII digit. Characters
// outside the MRZ set count as 0.
func CheckDigit(s string) byte {
	weights := [3]int{7, 3, 1}
	sum := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		v := 0
		switch {
		case c >= '0' && c <= '9':
			v = int(c - '0')
		case c >= 'A' && c <= 'Z':
			v = int(c-'A') + 10
		}
		sum += v * weights[i%3]
	}
	return byte('0' + sum%10)
}

// CAN is the card access number printed on the document, a PACE password
// (ICAO 9303 Part 11 §4.4.1). Its String method redacts it.
type CAN string

// String redacts the CAN.
func (c CAN) String() string { return "CAN{redacted}" }
