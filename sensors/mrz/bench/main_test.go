package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/egate/egate/sensors/mrz/internal/corpus"
)

func TestJudge(t *testing.T) {
	f := &corpus.Fields{DocumentCode: "P", IssuingState: "UTO", Surname: "A", DocumentNumber: "1", Nationality: "UTO",
		BirthDate: "740812", Sex: "F", ExpiryDate: "120415"}
	valid := corpus.Zone{ID: "v", Format: "TD3", Valid: true, Fields: f}
	bad := corpus.Zone{ID: "b", Format: "TD3", Errors: []string{"birth_date"}}
	none := corpus.Zone{ID: "n", Errors: []string{"input"}}
	for _, tc := range []struct {
		name string
		z    corpus.Zone
		v    verdict
		want string
	}{
		{"valid, right", valid, verdict{format: "TD3", valid: true, fields: *f}, right},
		{"valid, rejected", valid, verdict{format: "TD3", flagged: []string{"issuing_state"}}, falseReject},
		{"valid, threw", valid, verdict{threw: true}, falseReject},
		{"valid, other format", valid, verdict{format: "TD2", valid: true, fields: *f}, wrongFormat},
		{"valid, wrong field", valid, verdict{format: "TD3", valid: true, fields: corpus.Fields{}}, wrongFields},
		{"invalid, accepted", bad, verdict{format: "TD3", valid: true}, falseAccept},
		{"invalid, right rule and more", bad, verdict{format: "TD3", flagged: []string{"birth_date", "sex"}}, right},
		{"invalid, rule missed", bad, verdict{format: "TD3", flagged: []string{"sex"}}, missedRule},
		{"unreadable, threw", none, verdict{threw: true}, right},
		{"unreadable, read", none, verdict{format: "TD3"}, readsGarbage},
	} {
		if got, notes := judge(tc.z, tc.v); got != tc.want {
			t.Errorf("%s: %q (%v), want %q", tc.name, got, notes, tc.want)
		}
	}
}

func TestNPMVerdict(t *testing.T) {
	s := func(v string) *string { return &v }
	r := npmResult{ID: "x", Format: "TD3", Invalid: []string{"Issuing state", "Birth date check digit", "Birth date", "Odd label"},
		Fields: map[string]*string{"surname": s("A"), "sex": nil}}
	v := r.verdict()
	if strings.Join(v.flagged, " ") != "issuing_state birth_date odd_label" || v.fields.Surname != "A" || v.fields.Sex != null {
		t.Errorf("verdict %+v", v)
	}
	if v := (npmResult{Threw: true}).verdict(); !v.threw {
		t.Error("threw lost")
	}
}

func TestReport(t *testing.T) {
	zones := []corpus.Zone{{ID: "td3/a", Format: "TD3", Valid: true, Fields: &corpus.Fields{}}, {ID: "input/b", Errors: []string{"input"}}}
	ours := []verdict{{format: "TD3", valid: true}, {}}
	theirs := []verdict{{format: "TD3", flagged: []string{"issuing_state"}}, {threw: true}}
	var b bytes.Buffer
	report(&b, config{corpus: "c.jsonl", rounds: 3, seconds: 1, warmup: 1}, zones, ours, theirs,
		npmCheck{Version: "5.0.2", Node: "v20"}, []float64{100, 200, 300}, []float64{10, 20, 30})
	out := b.String()
	for _, want := range []string{"ratio egate/npm: 10.0x", "1/2 right", "2/2 right", "td3/a", "rejects a valid zone",
		"npm false rejects by flagged field: issuing_state 1", "ratio=10.00 zones=2 go_right=2 npm_right=1"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}
