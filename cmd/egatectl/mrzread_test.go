package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestMRZRead(t *testing.T) {
	in := mrzTD3 + "\n" + mrzTD3Bad + "\nHELLO\nWORLD\n\n" + mrzTD1 + "\n"
	var out, errOut bytes.Buffer
	code := dispatch([]string{"mrz-read", "--stdin", "--frame", "blank"}, strings.NewReader(in), &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d, stderr %s", code, errOut.String())
	}
	got := out.String()
	for _, want := range []string{
		"reading mrzreader(stdin)",
		"read 1: valid zone, document code P, expired true",
		"read 2: invalid zone, document code P, 2 broken rule(s)\n    document_number: check digit",
		"read 3: unreadable: mrz: input: 2 line(s) of 5/5 characters match no format",
		"read 4: valid zone, document code I",
		"end of input",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	for _, secret := range []string{"ERIKSSON", "ANNA", "L898902C", "D23145890", "740812"} {
		if strings.Contains(got+errOut.String(), secret) {
			t.Errorf("output shows document data %q", secret)
		}
	}

	out.Reset()
	if code := dispatch([]string{"mrz-read", "--stdin", "--count", "1"}, strings.NewReader(mrzTD3+mrzTD1), &out, &errOut); code != 0 ||
		!strings.Contains(out.String(), "read 1: valid zone") || strings.Contains(out.String(), "read 2") {
		t.Errorf("--count 1 (geometry framing): exit %d\n%s", code, out.String())
	}
}

func TestMRZReadUsage(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"--stdin", "--serial", "/dev/null"},
		{"--stdin", "--frame", "lines"},
		{"--stdin", "extra"},
		{"--serial", "/dev/null", "--baud", "12345"},
	} {
		var out, errOut bytes.Buffer
		if code := dispatch(append([]string{"mrz-read"}, args...), strings.NewReader(""), &out, &errOut); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}
