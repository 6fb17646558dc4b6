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
	// Information, when set, is MRZ_information itself (document number,
	// birth and expiry dates, each followed by its check digit as printed),
	// as sensors/mrz (*MRZ).Key returns it, and the three fields above are
	// ignored. It keys documents whose printed check digits cannot be
	// recomputed from the fields alone: long TD1/TD2 numbers and birth
	// dates with unknown parts ("<<<<<<").
	Information string
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
	if k.Information != "" {
		return checkInformation(k.Information)
	}
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

// checkInformation accepts MRZ_information of at least 24 characters (a
// nine-character number, two dates, three check digits) whose dates and
// check digits are digits (a birth date may be fillers) and whose
// characters are all MRZ characters.
func checkInformation(info string) (string, error) {
	n := len(info)
	if n < 24 || !isMRZChars(info) {
		return "", fmt.Errorf("%w: MRZ information", ErrBadKey)
	}
	dob, exp := info[n-14:n-8], info[n-7:n-1]
	if !(isDate(dob) || dob == "<<<<<<" || isPartDate(dob)) || !isDate(exp) {
		return "", fmt.Errorf("%w: dates must be YYMMDD", ErrBadKey)
	}
	for _, i := range []int{n - 15, n - 8, n - 1} {
		if info[i] < '0' || info[i] > '9' {
			return "", fmt.Errorf("%w: check digits must be digits", ErrBadKey)
		}
	}
	return info, nil
}

// isPartDate accepts a birth date with unknown day or month ("5601<<",
// "56<<<<"), ICAO 9303 Part 3.
func isPartDate(s string) bool {
	if len(s) != 6 || s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9' {
		return false
	}
	for i := 2; i < 6; i++ {
		if !(s[i] >= '0' && s[i] <= '9' || s[i] == '<') {
			return false
		}
	}
	return true
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
