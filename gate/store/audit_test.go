package store

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// buildChain writes n days of records: each day a decision and an alarm.
// Entries: day d (0-based) has seq 2d+1 (decision, passages.id d+1) and
// 2d+2 (alarm, lane_events.id d+1).
func buildChain(t testing.TB, s *Store, days int) {
	t.Helper()
	ctx := context.Background()
	for d := 0; d < days; d++ {
		at := t0.AddDate(0, 0, d)
		if _, err := s.RecordDecision(ctx, decision(uint64(d+1), at, "ref", "accept")); err != nil {
			t.Fatal(err)
		}
		if err := s.RecordEventChained(ctx, Event{At: at.Add(time.Minute), Lane: "lane-01", Kind: "alarm", Detail: map[string]any{"kind": "tailgating"}}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestAuditDetectsTampering(t *testing.T) {
	tests := []struct {
		name    string
		tamper  []string
		seq     int64
		msgPart string
	}{
		{"entry body altered", []string{`UPDATE audit SET body = replace(body, '"accept"', '"reject"') WHERE seq = 3`}, 3, "altered"},
		{"entry time altered", []string{`UPDATE audit SET at = '2026-01-01T00:00:00.000000000Z' WHERE seq = 4`}, 4, "hash does not match"},
		{"entry deleted", []string{`DELETE FROM audit WHERE seq = 5`}, 5, "missing"},
		{"last entry deleted", []string{`DELETE FROM audit WHERE seq = 6`, `DELETE FROM lane_events WHERE id = 3`}, 0, ""}, // undetectable without the head: see below
		{"entry inserted", []string{`UPDATE audit SET seq = seq + 100 WHERE seq >= 4`, `UPDATE audit SET seq = seq - 99 WHERE seq >= 100`,
			`INSERT INTO audit SELECT 4, at, lane, 'operator', 0, body, prev, hash FROM audit WHERE seq = 3`}, 4, "does not link to entry 3"},
		{"hash rewritten", []string{`UPDATE audit SET hash = '` + strings.Repeat("ab", 32) + `' WHERE seq = 2`}, 2, "hash does not match"},
		{"decision record altered", []string{`UPDATE passages SET outcome = 'accept', reasons = '[]' WHERE id = 2`}, 3, "decision record (row 2) was altered"},
		{"decision doc ref altered", []string{`UPDATE passages SET doc_ref = 'other' WHERE id = 1`}, 1, "altered"},
		{"decision record deleted", []string{`DELETE FROM passages WHERE id = 3`}, 5, "missing"},
		{"alarm record altered", []string{`UPDATE lane_events SET detail = '{"kind":"none"}' WHERE id = 1`}, 2, "alarm record (row 1) was altered"},
		{"alarm record deleted", []string{`DELETE FROM lane_events WHERE id = 2`}, 4, "missing"},
		{"passage inserted behind its back", []string{`INSERT INTO passages (lane, passage, started_at, ended_at, outcome, reasons, alarms, exited, policy, time_in_lane_ms)
			VALUES ('lane-01', 9, 'x', 'y', 'accept', '[]', '[]', 1, 'v7', 0)`}, 0, "passages row 4 is not in the audit chain"},
		{"alarm inserted behind its back", []string{`INSERT INTO lane_events (at, lane, kind, detail) VALUES ('x', 'lane-01', 'command', '{}')`}, 0, "lane_events row 4"},
		{"invalid JSON in a record", []string{`UPDATE passages SET reasons = '[' WHERE id = 1`}, 1, "altered"},
		{"head cut off with a forged anchor", []string{`INSERT INTO audit_anchor SELECT 1, seq, hash, at FROM audit WHERE seq = 2`,
			`DELETE FROM audit WHERE seq <= 2`, `DELETE FROM passages WHERE id = 1`, `DELETE FROM lane_events WHERE id = 1`}, 0, "no purge entry"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := openTemp(t)
			buildChain(t, s, 3)
			before := mustVerify(t, s)
			for _, q := range tc.tamper {
				if _, err := s.DB().Exec(q); err != nil {
					t.Fatal(err)
				}
			}
			rep, err := s.VerifyAudit(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if tc.msgPart == "" {
				// Cutting off the newest entries leaves a valid chain: only a
				// head kept off the device (telemetry) reveals it.
				if rep.Problem != nil || rep.Head == before.Head || rep.LastSeq != before.LastSeq-1 {
					t.Fatalf("report %+v", rep)
				}
				return
			}
			if rep.Problem == nil {
				t.Fatal("tampering not detected")
			}
			if rep.Problem.Seq != tc.seq || !strings.Contains(rep.Problem.Msg, tc.msgPart) {
				t.Fatalf("problem %v, want seq %d mentioning %q", rep.Problem, tc.seq, tc.msgPart)
			}
		})
	}
}

func TestPurgeKeepsChainVerifiable(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	buildChain(t, s, 10) // seq 1..20, days 0..9
	if err := s.RecordEventChained(ctx, Event{At: t0, Lane: "lane-01", Kind: "state", Detail: map[string]any{}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.OpenDocUse(ctx, "lane-01", 1, "ref", t0); err != nil {
		t.Fatal(err)
	}
	now := t0.AddDate(0, 0, 10)
	res, err := s.Purge(ctx, t0.AddDate(0, 0, 4), now) // days 0..3 go: entries 1..8
	if err != nil {
		t.Fatal(err)
	}
	if res.ThroughSeq != 8 || res.Entries != 8 || res.Passages != 4 || res.Events != 5 || res.DocUses != 1 || res.Seq != 21 {
		t.Fatalf("purge %+v", res)
	}
	rep := mustVerify(t, s)
	if rep.AnchorSeq != 8 || rep.FirstSeq != 9 || rep.LastSeq != 21 || rep.Entries != 13 {
		t.Fatalf("after purge %+v", rep)
	}
	ps, _ := s.Passages(ctx, 100)
	if len(ps) != 6 {
		t.Fatalf("%d passages left", len(ps))
	}
	// A second purge with nothing old enough keeps the anchor confirmed.
	res, err = s.Purge(ctx, t0.AddDate(0, 0, 4), now)
	if err != nil || res.ThroughSeq != 0 || res.Entries != 0 {
		t.Fatal(res, err)
	}
	mustVerify(t, s)
	// A purge past the first purge entry moves the anchor on.
	buildChainAt(t, s, now)
	if res, err = s.Purge(ctx, now.Add(time.Second), now); err != nil || res.ThroughSeq != 22 {
		t.Fatal(res, err)
	}
	rep = mustVerify(t, s)
	if rep.AnchorSeq != 22 {
		t.Fatalf("%+v", rep)
	}
	// Tampering with the anchor is found.
	if _, err := s.DB().Exec(`UPDATE audit_anchor SET hash = '` + strings.Repeat("11", 32) + `'`); err != nil {
		t.Fatal(err)
	}
	rep, _ = s.VerifyAudit(ctx)
	if rep.Problem == nil || rep.Problem.Seq != 23 || !strings.Contains(rep.Problem.Msg, "anchor") {
		t.Fatalf("%+v", rep.Problem)
	}
	// And a broken chain is not purged.
	if _, err := s.Purge(ctx, now.AddDate(1, 0, 0), now); !errors.Is(err, ErrChainBroken) {
		t.Fatalf("purged a broken chain: %v", err)
	}
}

func buildChainAt(t *testing.T, s *Store, at time.Time) {
	if _, err := s.RecordDecision(context.Background(), decision(99, at, "ref", "reject")); err != nil {
		t.Fatal(err)
	}
}

func TestConcurrentWritersKeepOneChain(t *testing.T) {
	// Two connections to one file (the daemon and egatectl) append at once.
	s1, path := openTemp(t)
	s2, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	ctx := context.Background()
	done := make(chan error, 2)
	for i, s := range []*Store{s1, s2} {
		go func() {
			for n := 0; n < 40; n++ {
				if _, err := s.RecordDecision(ctx, decision(uint64(i*1000+n), t0, "ref", "accept")); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for range 2 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if rep := mustVerify(t, s1); rep.Entries != 80 {
		t.Fatalf("%+v", rep)
	}
}

func TestOpenReadOnly(t *testing.T) {
	s, path := openTemp(t)
	buildChain(t, s, 2)
	ro, err := OpenReadOnly(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.CloseReadOnly()
	mustVerify(t, ro)
	if _, err := ro.RecordDecision(context.Background(), decision(5, t0, "r", "accept")); err == nil {
		t.Fatal("read-only store wrote")
	}
	s.Close()
	// Also after the writer closed (WAL checkpointed and removed).
	ro2, err := OpenReadOnly(path)
	if err != nil {
		t.Fatal(err)
	}
	mustVerify(t, ro2)
	ro2.CloseReadOnly()
	if _, err := OpenReadOnly(path + ".missing"); err == nil {
		t.Fatal("opened a missing file")
	}
}
