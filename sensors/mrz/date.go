package mrz

import "time"

// dateBefore reports whether (y1, m1, d1) is before (y2, m2, d2).
func dateBefore(y1, m1, d1, y2, m2, d2 int) bool {
	if y1 != y2 {
		return y1 < y2
	}
	if m1 != m2 {
		return m1 < m2
	}
	return d1 < d2
}

func daysIn(year, month int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func digits2(s string) (int, bool) {
	if len(s) != 2 || s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9' {
		return 0, false
	}
	return int(s[0]-'0')*10 + int(s[1]-'0'), true
}

// splitDate reads YYMMDD. With unknownOK (dates of birth) the month and
// day, or the whole date, may be fillers: ICAO 9303 Part 3 writes unknown
// parts of a date of birth as <. A known day under an unknown month is
// refused. It returns yy, mm and dd (0 for unknown) or a message.
func splitDate(raw string, unknownOK bool) (yy, mm, dd int, msg string) {
	if len(raw) != 6 {
		return 0, 0, 0, "a date is 6 characters YYMMDD"
	}
	yy, ok := digits2(raw[0:2])
	if !ok {
		return 0, 0, 0, "year is not two digits (YYMMDD)"
	}
	monthUnknown := unknownOK && raw[2:4] == "<<"
	dayUnknown := unknownOK && raw[4:6] == "<<"
	if !monthUnknown {
		if mm, ok = digits2(raw[2:4]); !ok {
			if unknownOK {
				return 0, 0, 0, "month is neither two digits nor << (unknown)"
			}
			return 0, 0, 0, "month is not two digits (YYMMDD)"
		}
		if mm < 1 || mm > 12 {
			return 0, 0, 0, "impossible date: month outside 01-12"
		}
	}
	if !dayUnknown {
		if dd, ok = digits2(raw[4:6]); !ok {
			if unknownOK {
				return 0, 0, 0, "day is neither two digits nor << (unknown)"
			}
			return 0, 0, 0, "day is not two digits (YYMMDD)"
		}
		if monthUnknown {
			return 0, 0, 0, "day is given but the month is unknown (<<)"
		}
		if dd < 1 || dd > 31 {
			return 0, 0, 0, "impossible date: day outside 01-31"
		}
	}
	return yy, mm, dd, ""
}

func orOne(v int) int {
	if v == 0 {
		return 1
	}
	return v
}

// birthYear resolves the century of a date of birth: the latest year
// ending in yy that does not put the date after today.
func birthYear(yy, mm, dd int, today time.Time) int {
	y := today.Year() - today.Year()%100 + yy
	if dateBefore(today.Year(), int(today.Month()), today.Day(), y, orOne(mm), orOne(dd)) {
		y -= 100
	}
	return y
}

// expiryYear resolves the century of an expiry date: the year ending in
// yy that puts the date in (today+ahead-100 years, today+ahead years].
func expiryYear(yy, mm, dd int, today time.Time, ahead int) int {
	ly, lm, ld := today.Year()+ahead, int(today.Month()), today.Day()
	y := today.Year() - today.Year()%100 + yy
	switch {
	case dateBefore(ly, lm, ld, y, mm, dd):
		y -= 100
	case !dateBefore(ly-100, lm, ld, y, mm, dd):
		y += 100
	}
	return y
}

// dayExists checks the day against the resolved year (29 February).
func dayExists(y, mm, dd int) bool {
	return mm == 0 || dd == 0 || dd <= daysIn(y, mm)
}
