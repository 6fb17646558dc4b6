package mrz

import "fmt"

// weights is the repeating 7-3-1 weighting of ICAO 9303 Part 3 §4.9.
var weights = [3]int{7, 3, 1}

// charValue is the numeric value of an MRZ character for check digits
// (ICAO 9303 Part 3 §4.9): 0-9 are themselves, A-Z are 10-35, the filler
// < is 0. Anything else is -1.
func charValue(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'A' && c <= 'Z':
		return int(c-'A') + 10
	case c == '<':
		return 0
	}
	return -1
}

// validChar reports whether c is in the MRZ character set A-Z 0-9 <
// (ICAO 9303 Part 3, MRZ character set).
func validChar(c byte) bool { return charValue(c) >= 0 }

// CheckDigit computes the ICAO 9303 Part 3 §4.9 check digit of s: each
// character's value times the weights 7, 3, 1 repeating, summed, modulo 10.
// It returns the digit as an ASCII character '0'-'9'. Characters outside
// A-Z 0-9 < (lower case included) are an error wrapping ErrCharset.
func CheckDigit(s string) (byte, error) {
	sum := 0
	for i := 0; i < len(s); i++ {
		v := charValue(s[i])
		if v < 0 {
			return 0, fmt.Errorf("mrz: check digit: character %q at position %d is outside A-Z 0-9 <: %w", s[i], i+1, ErrCharset)
		}
		sum += v * weights[i%3]
	}
	return byte('0' + sum%10), nil
}

// verify reports whether c is a digit and is the check digit of s.
func verify(s string, c byte) bool {
	if c < '0' || c > '9' {
		return false
	}
	d, err := CheckDigit(s)
	return err == nil && d == c
}
