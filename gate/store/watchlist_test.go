package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/egate/egate/gate"
	"github.com/egate/egate/gate/watchlist"
)

var wlKey = bytes.Repeat([]byte{3}, 32)

func listFile(version int, issued time.Time, numbers ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "egate-watchlist 1\nversion %d\nissued %s\n", version, issued.Format(time.RFC3339))
	for _, n := range numbers {
		b.WriteString("UTO/P/" + n + "\n")
	}
	return b.String()
}

func load(t testing.TB, s *Store, file string, o LoadOptions) (LoadResult, error) {
	t.Helper()
	rd, err := watchlist.NewReader(strings.NewReader(file), wlKey)
	if err != nil {
		t.Fatal(err)
	}
	return s.LoadWatchlist(context.Background(), rd, o)
}

func hit(t testing.TB, s *Store, number string) bool {
	t.Helper()
	h, _, err := s.WatchlistLookup(context.Background(), gate.DocRef(wlKey, "UTO", "P", number))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func delta(t testing.TB, version uint64, add, remove []string) watchlist.Delta {
	t.Helper()
	d := watchlist.Delta{Version: version, IssuedAt: t0.Add(time.Duration(version) * time.Hour), KeyID: watchlist.KeyID(wlKey)}
	for _, n := range add {
		d.Add = append(d.Add, watchlist.RefOf(wlKey, "UTO", "P", n))
	}
	for _, n := range remove {
		d.Remove = append(d.Remove, watchlist.RefOf(wlKey, "UTO", "P", n))
	}
	return d
}

func TestWatchlistLoadAndLookup(t *testing.T) {
	ctx := context.Background()
	s, path := openTemp(t)
	st, err := s.WatchlistStatus(ctx)
	if err != nil || st.Loaded() {
		t.Fatal(st, err)
	}
	h, st, err := s.WatchlistLookup(ctx, gate.DocRef(wlKey, "UTO", "P", "X1"))
	if err != nil || h || st.Loaded() {
		t.Fatal("look-up on an empty list")
	}
	res, err := load(t, s, listFile(10, t0, "L898902C3", "X1", "X1", "X2"), LoadOptions{Origin: "test", Now: t0})
	if err != nil {
		t.Fatal(err)
	}
	if res.Lines != 4 || res.Status.Entries != 3 || res.Status.Version != 10 || res.Previous.Loaded() {
		t.Fatalf("load %+v", res)
	}
	if !hit(t, s, "L898902C3") || !hit(t, s, "x1") || hit(t, s, "X3") {
		t.Fatal("look-ups")
	}
	st, _ = s.WatchlistStatus(ctx)
	if st.Version != 10 || !st.IssuedAt.Equal(t0) || st.Entries != 3 || st.KeyID != watchlist.KeyID(wlKey) {
		t.Fatalf("status %+v", st)
	}
	// A new full list replaces the old one entirely.
	if _, err := load(t, s, listFile(11, t0.Add(time.Hour), "X3"), LoadOptions{}); err != nil {
		t.Fatal(err)
	}
	if hit(t, s, "L898902C3") || !hit(t, s, "X3") {
		t.Fatal("old list still there")
	}
	// An older list is refused unless asked for.
	if _, err := load(t, s, listFile(9, t0, "X9"), LoadOptions{}); !errors.Is(err, watchlist.ErrOlder) {
		t.Fatalf("older list: %v", err)
	}
	if !hit(t, s, "X3") {
		t.Fatal("refused load changed the list")
	}
	if _, err := load(t, s, listFile(9, t0, "X9"), LoadOptions{AllowOlder: true}); err != nil || !hit(t, s, "X9") {
		t.Fatal("rollback", err)
	}
	// A bad line half way leaves the list as it was.
	if _, err := load(t, s, listFile(12, t0, "X4", "X5")+"bad line\n", LoadOptions{}); !errors.Is(err, watchlist.ErrSyntax) {
		t.Fatalf("bad file: %v", err)
	}
	if !hit(t, s, "X9") || hit(t, s, "X4") {
		t.Fatal("failed load changed the list")
	}
	rep := mustVerify(t, s)
	if rep.Entries != 3 {
		t.Fatalf("%d audit entries, want one per successful load", rep.Entries)
	}
	// No document number in the database.
	s.Close()
	for _, f := range []string{path, path + "-wal"} {
		b, _ := os.ReadFile(f)
		if bytes.Contains(b, []byte("L898902C3")) {
			t.Fatalf("document number in %s", f)
		}
	}
}

func TestWatchlistDeltas(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	// A list can be built by deltas from nothing.
	if err := s.ApplyDelta(ctx, delta(t, 1, []string{"A1", "A2"}, nil)); err != nil {
		t.Fatal(err)
	}
	if err := s.ApplyDelta(ctx, delta(t, 2, []string{"A3"}, []string{"A1"})); err != nil {
		t.Fatal(err)
	}
	if hit(t, s, "A1") || !hit(t, s, "A2") || !hit(t, s, "A3") {
		t.Fatal("delta 2 not applied")
	}
	// Idempotent: applying again (or an older one) changes nothing.
	for _, v := range []uint64{2, 1} {
		if err := s.ApplyDelta(ctx, delta(t, v, []string{"A9"}, []string{"A3"})); err != nil {
			t.Fatal(err)
		}
	}
	if hit(t, s, "A9") || !hit(t, s, "A3") {
		t.Fatal("old delta re-applied")
	}
	// In order: a gap is refused.
	if err := s.ApplyDelta(ctx, delta(t, 4, []string{"A4"}, nil)); !errors.Is(err, watchlist.ErrGap) {
		t.Fatalf("gap: %v", err)
	}
	// Removing what is absent and adding what is present are harmless.
	if err := s.ApplyDelta(ctx, delta(t, 3, []string{"A2"}, []string{"A7"})); err != nil {
		t.Fatal(err)
	}
	st, _ := s.WatchlistStatus(ctx)
	if st.Version != 3 || st.Entries != 2 || !st.IssuedAt.Equal(t0.Add(3*time.Hour)) {
		t.Fatalf("status %+v", st)
	}
	// Another key is refused.
	bad := delta(t, 4, nil, nil)
	bad.KeyID = watchlist.KeyID([]byte("other"))
	if err := s.ApplyDelta(ctx, bad); !errors.Is(err, watchlist.ErrKeyMismatch) {
		t.Fatalf("key: %v", err)
	}
	// An invalid delta is refused before touching anything.
	if err := s.ApplyDelta(ctx, watchlist.Delta{Version: 4}); !errors.Is(err, watchlist.ErrSyntax) {
		t.Fatalf("invalid: %v", err)
	}
	// A delta's older issue time does not make the list look fresher or older.
	old := delta(t, 4, nil, nil)
	old.IssuedAt = t0
	if err := s.ApplyDelta(ctx, old); err != nil {
		t.Fatal(err)
	}
	if st, _ := s.WatchlistStatus(ctx); !st.IssuedAt.Equal(t0.Add(3 * time.Hour)) {
		t.Fatalf("issue time went back: %v", st.IssuedAt)
	}
	// Deltas continue a full load.
	if _, err := load(t, s, listFile(20, t0, "B1"), LoadOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := s.ApplyDelta(ctx, delta(t, 21, []string{"B2"}, nil)); err != nil || !hit(t, s, "B2") || !hit(t, s, "B1") {
		t.Fatal(err)
	}
	mustVerify(t, s)
	var _ watchlist.Applier = s
}

func TestWatchlistLoadKeyMismatch(t *testing.T) {
	s, _ := openTemp(t)
	if err := s.ApplyDelta(context.Background(), delta(t, 1, []string{"A1"}, nil)); err != nil {
		t.Fatal(err)
	}
	// A full load made with another key replaces the list and its key: the
	// key the reader was given is the lane's, so this only happens when the
	// lane key itself was replaced. Deltas then must use the new key.
	other := bytes.Repeat([]byte{4}, 32)
	rd, err := watchlist.NewReader(strings.NewReader(listFile(5, t0, "A1")), other)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.LoadWatchlist(context.Background(), rd, LoadOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := s.ApplyDelta(context.Background(), delta(t, 6, nil, nil)); !errors.Is(err, watchlist.ErrKeyMismatch) {
		t.Fatalf("old-key delta after re-key: %v", err)
	}
}

func TestDeltaFeed(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	f := DeltaFeed{Store: s, Key: wlKey}
	msg := `{"format":"egate-watchlist-delta 1","version":1,"issued":"2026-11-23T07:00:00Z","add":["UTO/P/L898902C3"],"remove":[]}`
	detail, err := f.ApplyWatchlistDelta(ctx, []byte(msg))
	if err != nil || detail != "applied version 1: 1 entries" || !hit(t, s, "L898902C3") {
		t.Fatal(detail, err)
	}
	if detail, err = f.ApplyWatchlistDelta(ctx, []byte(msg)); err != nil || !strings.Contains(detail, "already applied") {
		t.Fatal(detail, err)
	}
	_, err = f.ApplyWatchlistDelta(ctx, []byte(strings.Replace(msg, `"version":1`, `"version":3`, 1)))
	if !errors.Is(err, watchlist.ErrGap) {
		t.Fatal(err)
	}
	_, err = f.ApplyWatchlistDelta(ctx, []byte(strings.Replace(msg, `UTO/P/`, `UTO-P-`, 1)))
	if !errors.Is(err, watchlist.ErrSyntax) || strings.Contains(err.Error(), "L898902C3") {
		t.Fatal(err)
	}
}
