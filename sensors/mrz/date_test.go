package mrz

import (
	"errors"
	"testing"
	"time"
)

func TestCenturies(t *testing.T) {
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	for _, tc := range []struct {
		name       string
		today      time.Time
		birth      string
		expiry     string
		ahead      int
		wantBirth  string
		wantExpiry string
	}{
		{"birth in the past century", day(2026, 1, 1), "740812", "300101", 0, "1974-08-12", "2030-01-01"},
		{"birth this century", day(2026, 1, 1), "150101", "300101", 0, "2015-01-01", "2030-01-01"},
		{"birth today is not the future", day(2026, 1, 1), "260101", "360101", 0, "2026-01-01", "2036-01-01"},
		{"birth tomorrow is a century ago", day(2026, 1, 1), "260102", "360101", 0, "1926-01-02", "2036-01-01"},
		{"expiry at the edge of the window", day(2026, 1, 1), "740812", "460101", 0, "1974-08-12", "2046-01-01"},
		{"expiry a day past the window", day(2026, 1, 1), "740812", "460102", 0, "1974-08-12", "1946-01-02"},
		{"expiry long past", day(2026, 1, 1), "400907", "961210", 0, "1940-09-07", "1996-12-10"},
		{"narrow window", day(2026, 1, 1), "740812", "400101", 10, "1974-08-12", "1940-01-01"},
		{"birth after expiry moves back a century", day(2026, 1, 1), "100101", "050101", 0, "1910-01-01", "2005-01-01"},
		{"but not past the oldest plausible age", day(2026, 1, 1), "890101", "850101", 0, "1989-01-01", "1985-01-01"},
		{"across the century: today 2099", day(2099, 6, 1), "050101", "100101", 0, "2005-01-01", "2110-01-01"},
		{"across the century: today 2101", day(2101, 6, 1), "990101", "950101", 0, "1999-01-01", "2095-01-01"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			yy, mm, dd, msg := splitDate(tc.birth, true)
			if msg != "" {
				t.Fatal(msg)
			}
			ey, em, ed, msg := splitDate(tc.expiry, false)
			if msg != "" {
				t.Fatal(msg)
			}
			p := &parser{o: Options{Today: tc.today, ExpiryYearsAhead: tc.ahead}, m: &MRZ{
				BirthDate: Date{Month: mm, Day: dd}, ExpiryDate: Date{Month: em, Day: ed}}}
			if p.o.ExpiryYearsAhead == 0 {
				p.o.ExpiryYearsAhead = DefaultExpiryYearsAhead
			}
			p.resolveDates(yy, ey)
			eq(t, "birth", p.m.BirthDate.ISO(), tc.wantBirth)
			eq(t, "expiry", p.m.ExpiryDate.ISO(), tc.wantExpiry)
		})
	}
}

func TestSplitDate(t *testing.T) {
	for _, tc := range []struct {
		raw       string
		unknownOK bool
		ok        bool
	}{
		{"740812", false, true},
		{"741312", false, false},
		{"740012", false, false},
		{"740800", false, false},
		{"740832", false, false},
		{"74O812", false, false},
		{"74<<<<", false, false},
		{"74<<<<", true, true},
		{"7401<<", true, true},
		{"74<<01", true, false},
		{"<<0101", true, false},
		{"7", false, false},
	} {
		_, _, _, msg := splitDate(tc.raw, tc.unknownOK)
		if (msg == "") != tc.ok {
			t.Errorf("splitDate(%q, %v) = %q, want ok=%v", tc.raw, tc.unknownOK, msg, tc.ok)
		}
	}
}

func TestExpired(t *testing.T) {
	m, _ := ParseText(specimenTD3, &Options{Today: today})
	for _, tc := range []struct {
		today time.Time
		want  bool
	}{
		{time.Date(2012, 4, 14, 23, 0, 0, 0, time.UTC), false},
		{time.Date(2012, 4, 15, 23, 0, 0, 0, time.UTC), false}, // valid through its expiry day
		{time.Date(2012, 4, 16, 0, 0, 0, 0, time.UTC), true},
	} {
		got, ok := m.Expired(tc.today)
		if got != tc.want || !ok {
			t.Errorf("Expired(%v) = %v, %v; want %v", tc.today, got, ok, tc.want)
		}
	}
	bad, _ := ParseText(replace(specimenTD3, 2, 24, '9'), &Options{Today: today})
	if _, ok := bad.Expired(today); ok {
		t.Error("Expired on an impossible expiry date: ok = true")
	}
}

func TestOptions(t *testing.T) {
	for _, n := range []int{-1, 100} {
		m, err := ParseText(specimenTD3, &Options{ExpiryYearsAhead: n})
		if m != nil || !errors.Is(err, ErrOptions) {
			t.Errorf("ExpiryYearsAhead %d: m = %v, err = %v; want ErrOptions", n, m, err)
		}
	}
	// nil options: strict, today is now; the specimen stays valid.
	if m, err := ParseText(specimenTD3, nil); err != nil || !m.Valid() {
		t.Errorf("nil options: %v", err)
	}
}

func TestDateTime(t *testing.T) {
	d := Date{Raw: "740812", Year: 1974, Month: 8, Day: 12}
	if got, ok := d.Time(time.UTC); !ok || !got.Equal(time.Date(1974, 8, 12, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("Time = %v, %v", got, ok)
	}
	for _, p := range []Date{{Raw: "5601<<", Year: 1956, Month: 1}, {Raw: "<<<<<<"}} {
		if _, ok := p.Time(time.UTC); ok {
			t.Errorf("%q: Time ok for an incomplete date", p.Raw)
		}
	}
	eq(t, "ISO year only", Date{Year: 1956}.ISO(), "1956")
}
