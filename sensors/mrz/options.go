package mrz

import (
	"fmt"
	"time"
)

// DefaultExpiryYearsAhead is how far ahead of today an expiry date may
// lie before it is read as a date in the previous century. Passports run
// ten years and some identity cards longer; twenty leaves room for both.
const DefaultExpiryYearsAhead = 20

// Options steer the parser. The zero value (or a nil *Options) is strict:
// lower case is rejected, nothing is repaired, today is time.Now().
type Options struct {
	// Today is the date centuries are resolved against and Expired is
	// judged by. Zero means time.Now(). Tests and replays set it.
	Today time.Time
	// ExpiryYearsAhead puts an expiry date YYMMDD in the century that
	// places it at most this many years after Today and less than
	// 100-ExpiryYearsAhead years before it. 0 means DefaultExpiryYearsAhead;
	// anything outside 1..99 is rejected.
	ExpiryYearsAhead int
	// FoldCase folds lower-case letters to upper case (reported as a Note)
	// instead of rejecting them as outside the character set.
	FoldCase bool
	// RepairOCR fixes the usual OCR confusions (O/0, I/1, B/8, S/5, Z/2)
	// where a check digit proves the fix; each fix is reported as a
	// Repair. See doc.go "# OCR repair".
	RepairOCR bool
}

// resolve applies the defaults in one place and rejects values that would
// make the parser misbehave silently.
func (o *Options) resolve() (Options, error) {
	var r Options
	if o != nil {
		r = *o
	}
	if r.Today.IsZero() {
		r.Today = time.Now()
	}
	if r.ExpiryYearsAhead == 0 {
		r.ExpiryYearsAhead = DefaultExpiryYearsAhead
	}
	if r.ExpiryYearsAhead < 1 || r.ExpiryYearsAhead > 99 {
		return r, Errors{{Field: FieldOptions, Rule: ErrOptions,
			Message: fmt.Sprintf("ExpiryYearsAhead %d is outside 1..99", r.ExpiryYearsAhead)}}
	}
	return r, nil
}
