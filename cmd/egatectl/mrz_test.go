package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"sort"
	"strings"
	"testing"
	"testing/iotest"
)

// ICAO 9303 specimens (Parts 4-7).
const (
	mrzTD3  = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10\n"
	mrzTD1  = "I<UTOD231458907<<<<<<<<<<<<<<<\n7408122F1204159UTO<<<<<<<<<<<6\nERIKSSON<<ANNA<MARIA<<<<<<<<<<\n"
	mrzTD2  = "I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<\nD231458907UTO7408122F1204159<<<<<<<6\n"
	mrzMRVA = "V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL8988901C4XXX4009078F96121096ZE184226B<<<<<<\n"
	mrzMRVB = "V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<\nL8988901C4XXX4009078F9612109<<<<<<<<\n"
	// Part 11 D.2 long TD1 number, and the TD3 specimen with a wrong
	// document number check digit.
	mrzTD1Long = "I<UTOD23145890<7349<<<<<<<<<<<\n3407127M9507122UTO<<<<<<<<<<<2\nSTEVENSON<<PETER<JOHN<<<<<<<<<\n"
	mrzTD3Bad  = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C35UTO7408122F1204159ZE184226B<<<<<10\n"
)

// The keys of the contract; TD1 swaps optional_data for _1 and _2.
var (
	contractKeys = []string{"format", "valid", "document_code", "issuing_state", "surname", "given_names",
		"document_number", "nationality", "birth_date", "expiry_date", "birth_date_iso", "expiry_date_iso",
		"sex", "checks", "errors", "expired"}
	extraKeys     = []string{"name_truncated", "document_number_overflow", "repairs", "normalisations", "warnings"}
	jsonCheckKeys = []string{"birth_date", "composite", "document_number", "expiry_date", "optional_data"}
)

func runJSON(t *testing.T, stdin string, args ...string) (map[string]any, int, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := dispatch(append([]string{"mrz", "--json"}, args...), strings.NewReader(stdin), &out, &errOut)
	var j map[string]any
	if err := json.Unmarshal(out.Bytes(), &j); err != nil {
		t.Fatalf("stdout is not one JSON object: %v\n%s", err, out.String())
	}
	return j, code, errOut.String()
}

func keysOf(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func wantKeys(td1 bool) []string {
	ks := append(append([]string(nil), contractKeys...), extraKeys...)
	if td1 {
		ks = append(ks, "optional_data_1", "optional_data_2")
	} else {
		ks = append(ks, "optional_data")
	}
	sort.Strings(ks)
	return ks
}

func TestMRZJSON(t *testing.T) {
	tru, fls := any(true), any(false)
	for _, tc := range []struct {
		name   string
		in     string
		args   []string
		code   int
		want   map[string]any // values to check
		checks map[string]any
	}{
		{
			name: "TD3 specimen", in: mrzTD3, code: 0,
			want: map[string]any{"format": "TD3", "valid": true, "document_code": "P", "issuing_state": "UTO",
				"surname": "ERIKSSON", "given_names": "ANNA MARIA", "document_number": "L898902C3",
				"nationality": "UTO", "birth_date": "740812", "expiry_date": "120415",
				"birth_date_iso": "1974-08-12", "expiry_date_iso": "2012-04-15", "sex": "F",
				"optional_data": "ZE184226B", "expired": true},
			checks: map[string]any{"document_number": tru, "birth_date": tru, "expiry_date": tru, "optional_data": tru, "composite": tru},
		},
		{
			name: "TD3 specimen before its expiry", in: mrzTD3, args: []string{"--today", "2010-06-01"}, code: 0,
			want: map[string]any{"valid": true, "expired": false},
		},
		{
			name: "TD1 specimen", in: mrzTD1, code: 0,
			want: map[string]any{"format": "TD1", "document_code": "I", "document_number": "D23145890",
				"optional_data_1": "", "optional_data_2": ""},
			checks: map[string]any{"document_number": tru, "birth_date": tru, "expiry_date": tru, "optional_data": nil, "composite": tru},
		},
		{
			name: "TD1 long number joined", in: mrzTD1Long, code: 0,
			want: map[string]any{"format": "TD1", "document_number": "D23145890734", "document_number_overflow": "both",
				"surname": "STEVENSON", "given_names": "PETER JOHN", "sex": "M", "birth_date_iso": "1934-07-12"},
		},
		{
			name: "TD2 specimen", in: mrzTD2, code: 0,
			want:   map[string]any{"format": "TD2", "optional_data": ""},
			checks: map[string]any{"optional_data": nil, "composite": tru},
		},
		{
			name: "MRV-A specimen", in: mrzMRVA, code: 0,
			want:   map[string]any{"format": "MRVA", "document_code": "V", "nationality": "XXX", "optional_data": "6ZE184226B"},
			checks: map[string]any{"document_number": tru, "optional_data": nil, "composite": nil},
		},
		{
			name: "MRV-B specimen", in: mrzMRVB, code: 0,
			want:   map[string]any{"format": "MRVB", "expiry_date_iso": "1996-12-10"},
			checks: map[string]any{"composite": nil},
		},
		{
			name: "invalid zone keeps every key", in: mrzTD3Bad, code: 1,
			want:   map[string]any{"format": "TD3", "valid": false, "surname": "ERIKSSON", "expired": true},
			checks: map[string]any{"document_number": fls, "birth_date": tru, "composite": fls},
		},
		{
			name: "impossible date: iso null, check digit still true", code: 1,
			in:     "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7413128F1204159ZE184226B<<<<<10\n",
			want:   map[string]any{"valid": false, "birth_date": "741312", "birth_date_iso": nil},
			checks: map[string]any{"birth_date": tru},
		},
		{
			name: "lower case rejected", in: strings.ToLower(mrzTD3), code: 1,
			want: map[string]any{"valid": false},
		},
		{
			name: "lower case folded on request", in: strings.ToLower(mrzTD3), args: []string{"--fold-case"}, code: 0,
			want: map[string]any{"valid": true, "surname": "ERIKSSON"},
		},
		{
			name: "OCR repair on request", args: []string{"--repair"}, code: 0,
			in:   "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO74O8122F1204159ZE184226B<<<<<10\n",
			want: map[string]any{"valid": true, "birth_date": "740812"},
		},
		{
			name: "single run of 88 characters", in: strings.Replace(mrzTD3, "\n", "", 1), code: 0,
			want: map[string]any{"format": "TD3", "valid": true},
		},
		{
			name: "unreadable: no zone", in: "hello\n", code: 2,
			want:   map[string]any{"format": nil, "valid": false, "surname": nil, "expired": nil, "optional_data": nil},
			checks: map[string]any{"document_number": nil, "composite": nil},
		},
		{
			name: "unreadable: empty stdin", in: "", code: 2,
			want: map[string]any{"format": nil, "valid": false},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			if !containsArg(args, "--today") {
				args = append(args, "--today", "2026-01-01")
			}
			j, code, stderr := runJSON(t, tc.in, args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, tc.code, stderr)
			}
			td1 := j["format"] == "TD1"
			if got, want := keysOf(j), wantKeys(td1); !reflect.DeepEqual(got, want) {
				t.Errorf("keys\n got %v\nwant %v", got, want)
			}
			for k, v := range tc.want {
				if !reflect.DeepEqual(j[k], v) {
					t.Errorf("%s = %#v, want %#v", k, j[k], v)
				}
			}
			checks, ok := j["checks"].(map[string]any)
			if !ok {
				t.Fatalf("checks = %#v", j["checks"])
			}
			if got := keysOf(checks); !reflect.DeepEqual(got, jsonCheckKeys) {
				t.Errorf("check keys %v, want %v", got, jsonCheckKeys)
			}
			for k, v := range tc.checks {
				if !reflect.DeepEqual(checks[k], v) {
					t.Errorf("checks.%s = %#v, want %#v", k, checks[k], v)
				}
			}
			errs, ok := j["errors"].([]any)
			if !ok {
				t.Fatalf("errors = %#v, want a list", j["errors"])
			}
			if (len(errs) == 0) != (tc.code == 0) {
				t.Errorf("errors %v with exit %d", errs, tc.code)
			}
			for _, e := range errs {
				em, _ := e.(map[string]any)
				if len(em) != 2 || em["field"] == nil || em["message"] == nil {
					t.Errorf("error %#v is not {field, message}", e)
				}
			}
			if j["valid"] == true {
				for k, v := range checks {
					if v == false {
						t.Errorf("valid zone with checks.%s false", k)
					}
				}
			}
		})
	}
}

func containsArg(args []string, a string) bool {
	for _, x := range args {
		if x == a {
			return true
		}
	}
	return false
}

func TestMRZJSONRepairsReported(t *testing.T) {
	j, code, _ := runJSON(t, "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO74O8122F1204159ZE184226B<<<<<10\n",
		"--repair", "--today", "2026-01-01")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	want := []any{map[string]any{"field": "birth_date", "line": float64(2), "column": float64(16), "from": "O", "to": "0"}}
	if !reflect.DeepEqual(j["repairs"], want) {
		t.Errorf("repairs = %#v, want %#v", j["repairs"], want)
	}
}

func TestMRZUsage(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		code int
	}{
		{"unknown flag", []string{"mrz", "--nope"}, 2},
		{"stray argument", []string{"mrz", "zone.txt"}, 2},
		{"bad --today", []string{"mrz", "--today", "2026-13-01"}, 2},
		{"help", []string{"mrz", "--help"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			if code := dispatch(tc.args, strings.NewReader(mrzTD3), &out, &errOut); code != tc.code {
				t.Errorf("exit %d, want %d", code, tc.code)
			}
			if out.Len() != 0 {
				t.Errorf("stdout not empty on usage: %q", out.String())
			}
			if !strings.Contains(errOut.String(), "usage") && tc.name != "bad --today" {
				t.Errorf("stderr lacks usage: %q", errOut.String())
			}
		})
	}
}

func TestMRZReadError(t *testing.T) {
	var out, errOut bytes.Buffer
	code := dispatch([]string{"mrz", "--json"}, iotest.ErrReader(errors.New("device gone")), &out, &errOut)
	if code != 2 {
		t.Errorf("exit %d, want 2", code)
	}
	var j map[string]any
	if err := json.Unmarshal(out.Bytes(), &j); err != nil || j["valid"] != false {
		t.Errorf("JSON %q, %v", out.String(), err)
	}
	big := strings.Repeat("<", maxMRZInput+1)
	if code := dispatch([]string{"mrz"}, strings.NewReader(big), &out, &errOut); code != 2 {
		t.Errorf("oversized input: exit %d, want 2", code)
	}
}

func TestMRZSummary(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		code int
		want []string
	}{
		{"valid TD3", mrzTD3, 0, []string{"format           TD3 (2 lines of 44)", "valid            yes", "surname          ERIKSSON",
			"given names      ANNA MARIA", "expiry date      120415 = 2012-04-15  EXPIRED", "composite pass"}},
		{"long TD1", mrzTD1Long, 0, []string{"D23145890734  (long number; check digit holds with and without the < filler)", "optional data 1"}},
		{"invalid", mrzTD3Bad, 1, []string{"valid            NO (2 error(s), listed below)", "errors:", "  document_number: check digit is 5 but the data gives 6"}},
		{"MRV-B", mrzMRVB, 0, []string{"MRVB (2 lines of 36)", "expiry_date pass\n"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := dispatch([]string{"mrz", "--today", "2026-01-01"}, strings.NewReader(tc.in), &out, &errOut)
			if code != tc.code {
				t.Errorf("exit %d, want %d", code, tc.code)
			}
			for _, w := range tc.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("summary lacks %q:\n%s", w, out.String())
				}
			}
		})
	}
	var out, errOut bytes.Buffer
	if code := dispatch([]string{"mrz"}, strings.NewReader("garbage"), &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "unreadable input") {
		t.Errorf("garbage: exit %d, stderr %q", code, errOut.String())
	}
}
