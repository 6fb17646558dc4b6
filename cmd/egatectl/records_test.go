package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/egate/egate/gate/store"
	"github.com/egate/egate/gate/watchlist"
)

// lane is a state directory with a database of a few records and a key.
type lane struct {
	dir, db, key string
	keyBytes     []byte
}

func newLane(t *testing.T, days int) lane {
	t.Helper()
	dir := t.TempDir()
	l := lane{dir: dir, db: filepath.Join(dir, "egate.db"), key: filepath.Join(dir, "docref.key")}
	var err error
	if l.keyBytes, err = store.LoadOrCreateKey(l.key); err != nil {
		t.Fatal(err)
	}
	s, err := store.Open(l.db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	start := time.Now().AddDate(0, 0, -days)
	for d := 0; d < days; d++ {
		at := start.AddDate(0, 0, d)
		_, err := s.RecordDecision(context.Background(), store.Decision{Passage: store.Passage{
			Lane: "lane-01", Passage: uint64(d + 1), Start: at, End: at.Add(10 * time.Second), DecidedAt: at.Add(8 * time.Second),
			Outcome: "accept", Reasons: []string{}, Exited: true, DocRef: "ref", DocType: "P", IssuingState: "UTO",
			Nationality: "UTO", AgeBand: "30-49", Policy: "v1",
		}, Direction: "exit"})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.RecordEventChained(context.Background(), store.Event{At: at, Lane: "lane-01", Kind: "alarm", Detail: map[string]any{"kind": "tailgating"}}); err != nil {
			t.Fatal(err)
		}
	}
	return l
}

func run(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := dispatch(args, strings.NewReader(stdin), &out, &errb)
	return out.String(), errb.String(), code
}

func TestAuditVerify(t *testing.T) {
	l := newLane(t, 3)
	out, errOut, code := run(t, "", "audit", "verify", "--db", l.db)
	if code != 0 || !strings.HasPrefix(out, "ok: 6 entries, 1 to 6") || !strings.Contains(out, "head: 6 ") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	out, _, code = run(t, "", "audit", "verify", "--db", l.db, "--json")
	var j map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &j) != nil || j["ok"] != true || j["last_seq"] != 6.0 {
		t.Fatalf("json: exit %d %s", code, out)
	}
	// A head kept off the device (published by the daemon) must still be in
	// the chain.
	head, _ := j["head"].(string)
	for _, tc := range []struct {
		expect string
		code   int
		want   string
	}{
		{"6:" + head, 0, "expected head: entry 6 is in the chain"},
		{"6:" + strings.ToUpper(head), 0, "expected head: entry 6"},
		{"6:" + strings.Repeat("0", 64), 1, "broken: entry 6 differs from the head kept off the device"},
		{"9:" + head, 1, "broken: entry 9, kept off the device, is not in the chain (it ends at 6)"},
		{"6", 2, ""},
		{"0:" + head, 2, ""},
		{"6:" + head[:60], 2, ""},
		{"6:" + strings.Repeat("x", 64), 2, ""},
	} {
		out, errOut, code := run(t, "", "audit", "verify", "--db", l.db, "--expect", tc.expect)
		if code != tc.code || !strings.Contains(out, tc.want) {
			t.Errorf("--expect %s: exit %d\n%s%s", tc.expect, code, out, errOut)
		}
	}
	out, _, code = run(t, "", "audit", "verify", "--db", l.db, "--json", "--expect", "6:"+strings.Repeat("0", 64))
	if code != 1 || json.Unmarshal([]byte(out), &j) != nil || j["ok"] != false || j["expected_found"] != false {
		t.Fatalf("json --expect: exit %d %s", code, out)
	}
	// Tamper with a record behind the chain's back.
	s, err := store.Open(l.db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB().Exec(`UPDATE passages SET outcome = 'reject' WHERE id = 2`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	out, _, code = run(t, "", "audit", "verify", "--db", l.db)
	if code != 1 || !strings.Contains(out, "broken: entry 3: its decision record (row 2) was altered") || !strings.Contains(out, "intact up to entry 2") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	out, _, code = run(t, "", "audit", "verify", "--db", l.db, "--json")
	if code != 1 || json.Unmarshal([]byte(out), &j) != nil || j["ok"] != false || j["broken_seq"] != 3.0 {
		t.Fatalf("json: exit %d %s", code, out)
	}
	// Usage and unreadable input.
	for _, args := range [][]string{{"audit"}, {"audit", "check"}, {"audit", "verify", "--db", filepath.Join(l.dir, "none.db")},
		{"audit", "verify", "--db", l.db, "extra"}, {"audit", "verify", "--config", filepath.Join(l.dir, "none.yaml")}} {
		if _, _, code := run(t, "", args...); code != 2 {
			t.Errorf("%q: exit %d, want 2", args, code)
		}
	}
	if _, err := os.Stat(filepath.Join(l.dir, "none.db")); err == nil {
		t.Fatal("verify created a database")
	}
}

func TestRecordsExportAndPurge(t *testing.T) {
	l := newLane(t, 5)
	out, errOut, code := run(t, "", "records", "export", "--db", l.db)
	if code != 0 || !strings.Contains(errOut, "5 records") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 5 {
		t.Fatalf("%d lines", len(lines))
	}
	var r map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &r); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"time", "lane", "direction", "document_type", "issuing_state", "nationality", "age_band", "decision", "reasons"} {
		if _, ok := r[k]; !ok {
			t.Errorf("export lacks %q: %s", k, lines[0])
		}
	}
	if _, ok := r["doc_ref"]; ok || r["direction"] != "exit" {
		t.Fatalf("record %s", lines[0])
	}
	out, _, _ = run(t, "", "records", "export", "--db", l.db, "--after-id", "3")
	if strings.Count(out, "\n") != 2 {
		t.Fatalf("after-id: %s", out)
	}
	out, _, _ = run(t, "", "records", "export", "--db", l.db, "--since", time.Now().AddDate(0, 0, -2).Format(time.RFC3339))
	if strings.Count(out, "\n") != 2 {
		t.Fatalf("since: %s", out)
	}
	if _, errOut, code := run(t, "", "records", "export", "--db", l.db, "--names"); code != 2 || !strings.Contains(errOut, "not recorded") {
		t.Fatalf("names: %d %s", code, errOut)
	}
	if _, _, code := run(t, "", "records", "export", "--db", l.db, "--since", "last week"); code != 2 {
		t.Fatal("bad time accepted")
	}

	out, errOut, code = run(t, "", "records", "purge", "--db", l.db, "--retention", "60h")
	if code != 0 || !strings.Contains(out, "6 audit entries, 3 decisions") || !strings.Contains(out, "anchored after entry 6") {
		t.Fatalf("purge: exit %d\n%s%s", code, out, errOut)
	}
	out, _, code = run(t, "", "audit", "verify", "--db", l.db)
	if code != 0 || !strings.Contains(out, "entries up to 6 purged") {
		t.Fatalf("verify after purge: %d %s", code, out)
	}
	out, _, code = run(t, "", "audit", "verify", "--db", l.db, "--expect", "4:"+strings.Repeat("ab", 32))
	if code != 1 || !strings.Contains(out, "entry 4 was purged (the chain continues from entry 6)") {
		t.Fatalf("verify --expect a purged entry: %d %s", code, out)
	}
	out, _, _ = run(t, "", "records", "export", "--db", l.db)
	if strings.Count(out, "\n") != 2 {
		t.Fatalf("export after purge: %s", out)
	}
	for _, args := range [][]string{{"records"}, {"records", "delete"}, {"records", "purge", "--db", l.db, "--retention", "1h"},
		{"records", "purge", "--db", l.db, "--before", "2026-01-01", "--retention", "48h"},
		{"records", "purge", "--db", l.db, "--before", time.Now().AddDate(1, 0, 0).Format(time.DateOnly)}} {
		if _, _, code := run(t, "", args...); code != 2 {
			t.Errorf("%q: exit %d, want 2", args, code)
		}
	}
	// A purge refuses a broken chain.
	s, _ := store.Open(l.db)
	s.DB().Exec(`DELETE FROM audit WHERE seq = 9`)
	s.Close()
	if _, errOut, code := run(t, "", "records", "purge", "--db", l.db, "--retention", "24h"); code != 1 || !strings.Contains(errOut, "broken") {
		t.Fatalf("purge of a broken chain: %d %s", code, errOut)
	}
}

func TestRecordsPurgeFromConfig(t *testing.T) {
	l := newLane(t, 4)
	cfg := filepath.Join(l.dir, "egate.yaml")
	write := func(retention string) {
		os.WriteFile(cfg, []byte("version: 1\nlane: {id: lane-01, site: s, type: two-step}\nstate_dir: "+l.dir+
			"\npolicy:\n  version: v1\n  records: {retention: "+retention+"}\n"), 0o600)
	}
	write("0s")
	if _, errOut, code := run(t, "", "records", "purge", "--config", cfg); code != 2 || !strings.Contains(errOut, "retention is 0") {
		t.Fatalf("%d %s", code, errOut)
	}
	// The daily timer: keeping everything is nothing to do, not a failure.
	if out, errOut, code := run(t, "", "records", "purge", "--config", cfg, "--scheduled"); code != 0 || !strings.Contains(out, "nothing to purge") {
		t.Fatalf("scheduled, retention 0: %d %s %s", code, out, errOut)
	}
	write("36h")
	if out, errOut, code := run(t, "", "records", "purge", "--config", cfg, "--scheduled"); code != 0 || !strings.Contains(out, "3 decisions") {
		t.Fatalf("%d %s %s", code, out, errOut)
	}
}

const secretNumber = "L898902C3"

func TestWatchlistStatusStale(t *testing.T) {
	l := newLane(t, 0)
	cfg := filepath.Join(l.dir, "egate.yaml")
	os.WriteFile(cfg, []byte("version: 1\nlane: {id: lane-01, site: s, type: two-step}\nstate_dir: "+l.dir+
		"\npolicy:\n  version: v1\n  watchlist: {enabled: true, max_age: 1h, when_stale: out_of_service}\n"), 0o600)
	out, _, code := run(t, "", "watchlist", "status", "--config", cfg)
	if code != 1 || !strings.Contains(out, "list: none loaded") || !strings.Contains(out, "policy: watchlist.not_loaded") {
		t.Fatalf("no list: %d %s", code, out)
	}
	list := "egate-watchlist 1\nversion 1\nissued " + time.Now().Add(-2*time.Hour).UTC().Format(time.RFC3339) + "\nUTO/P/X1\n"
	if _, errOut, code := run(t, list, "watchlist", "load", "--config", cfg, "-"); code != 0 {
		t.Fatalf("load: %d %s", code, errOut)
	}
	out, _, code = run(t, "", "watchlist", "status", "--config", cfg)
	if code != 1 || !strings.Contains(out, "policy: watchlist.stale") || !strings.Contains(out, "when_stale out_of_service") {
		t.Fatalf("stale: %d %s", code, out)
	}
}

func TestWatchlistCommands(t *testing.T) {
	l := newLane(t, 1)
	list := "egate-watchlist 1\nversion 5\nissued " + time.Now().Add(-time.Hour).UTC().Format(time.RFC3339) +
		"\nUTO/P/" + secretNumber + "\nUTO/P/X1234567\n"
	file := filepath.Join(l.dir, "list.txt")
	os.WriteFile(file, []byte(list), 0o600)
	kf := []string{"--db", l.db, "--key", l.key}

	out, errOut, code := run(t, "", append(append([]string{"watchlist", "load"}, kf...), file)...)
	if code != 0 || !strings.Contains(out, "loaded version 5") || !strings.Contains(out, "2 entries") {
		t.Fatalf("load: %d %s %s", code, out, errOut)
	}
	// From stdin, a newer version.
	out, errOut, code = run(t, strings.Replace(list, "version 5", "version 6", 1), append(append([]string{"watchlist", "load"}, kf...), "-")...)
	if code != 0 || !strings.Contains(out, "loaded version 6") {
		t.Fatalf("stdin load: %d %s %s", code, out, errOut)
	}
	// Older: refused unless --allow-older.
	if _, errOut, code := run(t, "", append(append([]string{"watchlist", "load"}, kf...), file)...); code != 1 || !strings.Contains(errOut, "--allow-older") {
		t.Fatalf("older: %d %s", code, errOut)
	}
	// A bad line is reported by number, never by content.
	os.WriteFile(file, []byte(strings.Replace(list, "UTO/P/"+secretNumber, "UTO-P-"+secretNumber, 1)), 0o600)
	_, errOut, code = run(t, "", append(append([]string{"watchlist", "load", "--allow-older"}, kf...), file)...)
	if code != 1 || !strings.Contains(errOut, "line 4") || strings.Contains(errOut, secretNumber) {
		t.Fatalf("bad line: %d %s", code, errOut)
	}
	// A delta.
	delta := `{"format":"egate-watchlist-delta 1","version":7,"issued":"` + time.Now().UTC().Format(time.RFC3339) +
		`","add":["D/P/C01X00T47"],"remove":["UTO/P/` + secretNumber + `"]}`
	out, errOut, code = run(t, delta, append(append([]string{"watchlist", "delta"}, kf...), "-")...)
	if code != 0 || !strings.Contains(out, "applied delta version 7: 2 entries") {
		t.Fatalf("delta: %d %s %s", code, out, errOut)
	}
	out, _, code = run(t, delta, append(append([]string{"watchlist", "delta"}, kf...), "-")...)
	if code != 0 || !strings.Contains(out, "already applied") {
		t.Fatalf("delta again: %d %s", code, out)
	}
	if _, errOut, code := run(t, strings.Replace(delta, `"version":7`, `"version":9`, 1), append(append([]string{"watchlist", "delta"}, kf...), "-")...); code != 1 || !strings.Contains(errOut, "gap") {
		t.Fatalf("gap: %d %s", code, errOut)
	}
	out, _, code = run(t, "", append([]string{"watchlist", "status"}, kf...)...)
	if code != 0 || !strings.Contains(out, "version 7") || !strings.Contains(out, "lane key-id: "+watchlist.KeyID(l.keyBytes)) {
		t.Fatalf("status: %d %s", code, out)
	}
	// With a configuration that enables the list, status judges staleness.
	cfg := filepath.Join(l.dir, "egate.yaml")
	os.WriteFile(cfg, []byte("version: 1\nlane: {id: lane-01, site: s, type: two-step}\nstate_dir: "+l.dir+
		"\npolicy:\n  version: v1\n  watchlist: {enabled: true, max_age: 30m}\n"), 0o600)
	out, _, code = run(t, "", "watchlist", "status", "--config", cfg)
	if code != 0 || !strings.Contains(out, "policy: fresh") {
		t.Fatalf("fresh: %d %s", code, out)
	}
	// Every change is in the audit chain; no number in the database.
	if out, _, code := run(t, "", "audit", "verify", "--db", l.db); code != 0 || !strings.Contains(out, "ok: 5 entries") {
		t.Fatalf("verify: %d %s", code, out) // 2 from newLane, 2 loads, 1 delta
	}
	for _, f := range []string{l.db, l.db + "-wal"} {
		b, _ := os.ReadFile(f)
		if bytes.Contains(b, []byte(secretNumber)) {
			t.Fatalf("document number in %s", f)
		}
	}
	// Usage and missing files.
	for _, args := range [][]string{{"watchlist"}, {"watchlist", "drop"}, append([]string{"watchlist", "load"}, kf...),
		{"watchlist", "status", "--db", l.db, "--key", filepath.Join(l.dir, "none.key")},
		{"watchlist", "status", "--db", filepath.Join(l.dir, "none.db"), "--key", l.key}} {
		if _, _, code := run(t, "", args...); code != 2 {
			t.Errorf("%q: exit %d, want 2", args, code)
		}
	}
	if _, err := os.Stat(filepath.Join(l.dir, "none.key")); err == nil {
		t.Fatal("a key was created")
	}
}
