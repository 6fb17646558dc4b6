package mrz

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Normalize turns text from a device into zone lines, tolerating what
// readers send around a zone:
//
//   - whitespace around the zone and around each line, CR, LF or CRLF
//     line ends, and blank lines;
//   - no separators at all: a single run of 90, 72 or 88 characters is
//     split into 3x30, 2x36 or 2x44;
//   - lower case, folded to upper case only when opts.FoldCase is set
//     (otherwise left for Parse to reject as outside the character set);
//   - characters outside ASCII, replaced by '?' so that column numbers
//     in errors stay right (Parse then rejects them).
//
// Each change is reported as a Note. Nothing else is altered: characters
// inside a line are never dropped or guessed.
func Normalize(text string, opts *Options) (lines []string, notes []Note) {
	fold := opts != nil && opts.FoldCase
	return normalize(text, fold)
}

func normalize(text string, fold bool) (lines []string, notes []Note) {
	note := func(code, format string, args ...any) {
		notes = append(notes, Note{Code: code, Message: fmt.Sprintf(format, args...)})
	}
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	raw := strings.Split(text, "\n")
	first, last := -1, -1
	for i, l := range raw {
		if strings.TrimSpace(l) != "" {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	trimmed, inner := false, 0
	for i, l := range raw {
		t := strings.TrimSpace(l)
		if t != l {
			trimmed = true
		}
		if t == "" {
			if i > first && i < last {
				inner++
			}
			continue
		}
		lines = append(lines, t)
	}
	if trimmed {
		note("trimmed", "whitespace around the zone or its lines was removed")
	}
	if inner > 0 {
		note("blank_lines", "%d blank line(s) inside the zone were dropped", inner)
	}
	if len(lines) == 1 {
		if f, n := splitFormat(len(lines[0])); n > 0 {
			run := lines[0]
			lines = nil
			for i := 0; i < len(run); i += n {
				lines = append(lines, run[i:i+n])
			}
			note("split", "a single run of %d characters was split into %d lines of %d (%s)", len(run), len(lines), n, f)
		}
	}
	nonASCII := 0
	for i, l := range lines {
		if !isASCII(l) {
			var b strings.Builder
			for _, r := range l {
				if r >= utf8.RuneSelf {
					r = '?'
					nonASCII++
				}
				b.WriteRune(r)
			}
			lines[i] = b.String()
		}
	}
	if nonASCII > 0 {
		note("non_ascii", "%d character(s) outside ASCII were replaced by '?' (and are rejected)", nonASCII)
	}
	if fold {
		folded := 0
		for i, l := range lines {
			b := []byte(l)
			for j, c := range b {
				if c >= 'a' && c <= 'z' {
					b[j] = c - 'a' + 'A'
					folded++
				}
			}
			lines[i] = string(b)
		}
		if folded > 0 {
			note("folded_case", "%d lower-case letter(s) were folded to upper case", folded)
		}
	}
	return lines, notes
}

// splitFormat names the geometry a single unsplit run of n characters
// stands for, and the line length to split it at.
func splitFormat(n int) (string, int) {
	switch n {
	case 90:
		return "TD1", 30
	case 72:
		return "TD2 or MRV-B", 36
	case 88:
		return "TD3 or MRV-A", 44
	}
	return "", 0
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
