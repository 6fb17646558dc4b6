package store

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestRecordAndReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sub", "egate.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	score := 0.31
	p := Passage{Lane: "l1", Passage: 7, Start: start, End: start.Add(12 * time.Second), DecidedAt: start.Add(9 * time.Second),
		Outcome: "accept", Reasons: []string{"a", "b"}, Alarms: []string{"tailgating"}, Exited: true,
		DocRef: "abc", DocType: "P", IssuingState: "UTO", Nationality: "UTO", AgeBand: "30-49", FaceScore: &score, Policy: "v1"}
	if _, err := s.RecordPassage(ctx, p); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordEvent(ctx, Event{At: start, Lane: "l1", Kind: "alarm", Detail: map[string]any{"kind": "tailgating"}}); err != nil {
		t.Fatal(err)
	}
	var mode string
	if err := s.DB().QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode = %q, %v", mode, err)
	}
	var sync int
	if err := s.DB().QueryRow("PRAGMA synchronous").Scan(&sync); err != nil || sync != 2 {
		t.Fatalf("synchronous = %d, %v (want 2 = FULL)", sync, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = Open(path) // migrations are not re-applied
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.Passages(ctx, 10)
	if err != nil || len(got) != 1 {
		t.Fatalf("passages = %v, %v", got, err)
	}
	g := got[0]
	if g.Outcome != "accept" || !g.Exited || g.DocRef != "abc" || *g.FaceScore != score || len(g.Reasons) != 2 || !g.End.Equal(p.End) {
		t.Fatalf("read back %+v", g)
	}
	evs, err := s.Events(ctx, 0, 10)
	if err != nil || len(evs) != 1 || evs[0].Detail["kind"] != "tailgating" {
		t.Fatalf("events = %+v, %v", evs, err)
	}
	if err := s.IntegrityCheck(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "egate.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB().Exec("PRAGMA user_version = 99"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := Open(path); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("err = %v", err)
	}
}

func TestKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", "docref.key")
	k1, err := LoadOrCreateKey(path)
	if err != nil || len(k1) != KeySize {
		t.Fatal(k1, err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, %v", fi.Mode(), err)
	}
	k2, err := LoadOrCreateKey(path)
	if err != nil || string(k1) != string(k2) {
		t.Fatal("key not stable across loads")
	}
	os.WriteFile(path, []byte("deadbeef\n"), 0o600)
	if _, err := LoadOrCreateKey(path); err == nil {
		t.Fatal("short key accepted")
	}
}
