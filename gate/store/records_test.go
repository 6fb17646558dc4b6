package store

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)

func openTemp(t testing.TB) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "egate.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

func decision(n uint64, at time.Time, ref, outcome string) Decision {
	score := 0.31
	return Decision{Passage: Passage{
		Lane: "lane-01", Passage: n, Start: at, End: at.Add(12 * time.Second), DecidedAt: at.Add(9 * time.Second),
		Outcome: outcome, Reasons: []string{"r1"}, Exited: outcome == "accept", DocRef: ref, DocType: "P",
		IssuingState: "UTO", Nationality: "UTO", AgeBand: "30-49", FaceScore: &score, Policy: "v7",
	}, Direction: "entry"}
}

func mustVerify(t testing.TB, s *Store) AuditReport {
	t.Helper()
	rep, err := s.VerifyAudit(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Problem != nil {
		t.Fatalf("chain broken: %v", rep.Problem)
	}
	return rep
}

func TestRecordDecisionAndEvents(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	if rep := mustVerify(t, s); rep.Entries != 0 || rep.LastSeq != 0 {
		t.Fatalf("empty chain: %+v", rep)
	}
	id, err := s.RecordDecision(ctx, decision(1, t0, "ref-a", "accept"))
	if err != nil || id != 1 {
		t.Fatal(id, err)
	}
	for _, k := range []string{"state", "alarm", "command"} {
		if err := s.RecordEventChained(ctx, Event{At: t0, Lane: "lane-01", Kind: k, Detail: map[string]any{"kind": "tailgating"}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.AppendAudit(ctx, t0, "", "operator", map[string]any{"op": "note"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AppendAudit(ctx, t0, "", "decision", map[string]any{}); err == nil {
		t.Fatal("decision kind accepted from AppendAudit")
	}
	rep := mustVerify(t, s)
	if rep.Entries != 4 || rep.FirstSeq != 1 || rep.LastSeq != 4 || len(rep.Head) != 64 {
		t.Fatalf("report %+v", rep) // decision, alarm, command, operator: the state event is not chained
	}
	es, err := s.AuditEntries(ctx, 0, 10)
	if err != nil || len(es) != 4 {
		t.Fatal(es, err)
	}
	kinds := []string{es[0].Kind, es[1].Kind, es[2].Kind, es[3].Kind}
	if !slices.Equal(kinds, []string{"decision", "alarm", "command", "operator"}) || es[0].Record != 1 || es[0].Prev != strings.Repeat("0", 64) {
		t.Fatalf("entries %+v", es)
	}
	if es[1].Prev != es[0].Hash || es[0].At != "2026-11-23T08:00:12.000000000Z" {
		t.Fatalf("links %+v", es[:2])
	}
	// The decision is also readable through the old API.
	ps, err := s.Passages(ctx, 10)
	if err != nil || len(ps) != 1 || ps[0].Outcome != "accept" || ps[0].DocRef != "ref-a" {
		t.Fatal(ps, err)
	}
}

func TestDocUses(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	prior, err := s.OpenDocUse(ctx, "lane-01", 1, "ref-a", t0)
	if err != nil || !prior.OpenSince.IsZero() || !prior.LastAccepted.IsZero() {
		t.Fatal(prior, err)
	}
	// While passage 1 is open, a second presentation sees it.
	prior, err = s.OpenDocUse(ctx, "lane-01", 2, "ref-a", t0.Add(time.Second))
	if err != nil || !prior.OpenSince.Equal(t0) {
		t.Fatal(prior, err)
	}
	// Another lane's uses do not count.
	if prior, _ := s.OpenDocUse(ctx, "lane-02", 1, "ref-a", t0); !prior.OpenSince.IsZero() {
		t.Fatal("other lane counted")
	}
	d := decision(1, t0, "ref-a", "accept")
	if _, err := s.RecordDecision(ctx, d); err != nil {
		t.Fatal(err)
	}
	d2 := decision(2, t0.Add(time.Second), "ref-a", "reject")
	if _, err := s.RecordDecision(ctx, d2); err != nil {
		t.Fatal(err)
	}
	prior, err = s.OpenDocUse(ctx, "lane-01", 3, "ref-a", t0.Add(time.Minute))
	if err != nil || !prior.OpenSince.IsZero() || !prior.LastAccepted.Equal(d.End) {
		t.Fatalf("after close: %+v %v", prior, err)
	}
	// A rejected attempt is not a use that counts as crossed.
	if _, err := s.OpenDocUse(ctx, "lane-01", 4, "ref-b", t0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RecordDecision(ctx, decision(4, t0, "ref-b", "reject")); err != nil {
		t.Fatal(err)
	}
	if prior, _ := s.OpenDocUse(ctx, "lane-01", 5, "ref-b", t0.Add(time.Minute)); !prior.OpenSince.IsZero() || !prior.LastAccepted.IsZero() {
		t.Fatalf("rejected attempt counted: %+v", prior)
	}
	if _, err := s.OpenDocUse(ctx, "lane-01", 6, "", t0); err == nil {
		t.Fatal("empty ref accepted")
	}
}

func TestExport(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	for i := 0; i < 3; i++ {
		d := decision(uint64(i+1), t0.Add(time.Duration(i)*time.Hour), "ref", "accept")
		if i == 2 {
			d.Direction, d.Nationality, d.Reasons = "", "", nil
		}
		if _, err := s.RecordDecision(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	var got []ExportRecord
	collect := func(e ExportRecord) error { got = append(got, e); return nil }
	if err := s.ExportRecords(ctx, ExportFilter{}, collect); err != nil || len(got) != 3 {
		t.Fatal(len(got), err)
	}
	b, _ := json.Marshal(got[0])
	want := `{"id":1,"time":"2026-11-23T08:00:12Z","decided_at":"2026-11-23T08:00:09Z","lane":"lane-01","passage":1,` +
		`"direction":"entry","document_type":"P","issuing_state":"UTO","nationality":"UTO","age_band":"30-49",` +
		`"decision":"accept","reasons":["r1"],"alarms":[],"exited":true,"policy":"v7","time_in_lane_ms":12000}`
	if string(b) != want {
		t.Fatalf("export\n got %s\nwant %s", b, want)
	}
	if strings.Contains(string(b), "ref") && strings.Contains(string(b), "doc_ref") {
		t.Fatal("document reference exported")
	}
	b, _ = json.Marshal(got[2])
	if !strings.Contains(string(b), `"direction":null`) || !strings.Contains(string(b), `"reasons":[]`) {
		t.Fatalf("unset fields: %s", b)
	}
	got = nil
	if err := s.ExportRecords(ctx, ExportFilter{Since: t0.Add(30 * time.Minute), Until: t0.Add(90 * time.Minute)}, collect); err != nil || len(got) != 1 || got[0].ID != 2 {
		t.Fatalf("time filter: %+v %v", got, err)
	}
	got = nil
	if err := s.ExportRecords(ctx, ExportFilter{AfterID: 2}, collect); err != nil || len(got) != 1 || got[0].ID != 3 {
		t.Fatalf("id filter: %+v %v", got, err)
	}
}
