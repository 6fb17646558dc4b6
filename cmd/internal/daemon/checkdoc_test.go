package daemon

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/egate/egate/cmd/internal/config"
	"github.com/egate/egate/cmd/internal/lanes"
	"github.com/egate/egate/gate"
	"github.com/egate/egate/gate/clock"
	"github.com/egate/egate/gate/policy"
	"github.com/egate/egate/gate/store"
	"github.com/egate/egate/gate/watchlist"
	"github.com/egate/egate/sensors"
)

// docRig is a daemon that is not running: checkDocument and recordPassage
// are called directly, against a real store.
func docRig(t *testing.T, mod func(*config.Policy)) (*Daemon, *store.Store, []byte) {
	t.Helper()
	c, err := config.Load("../../../deploy/sim/egate.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c.StateDir = t.TempDir()
	c.Policy.Watchlist = config.WatchlistPolicy{Enabled: true, MaxAge: config.Duration(24 * time.Hour), WhenStale: "refer"}
	c.Policy.DuplicateUse = config.DuplicatePolicy{Window: config.Duration(10 * time.Minute), OpenLimit: config.Duration(time.Hour)}
	c.Policy.Records.Direction = "entry"
	if mod != nil {
		mod(&c.Policy)
	}
	_, l, err := lanes.Simulated(c, clock.Real{})
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(filepath.Join(c.StateDir, "egate.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	key := make([]byte, 32)
	d, err := New(Deps{Config: c, Lane: l, Store: st, Key: key})
	if err != nil {
		t.Fatal(err)
	}
	return d, st, key
}

func traveller(number string) sensors.Document {
	return sensors.Document{Type: "P", IssuingState: "UTO", Number: number, Nationality: "UTO",
		BirthDate: time.Date(1974, 8, 12, 0, 0, 0, 0, time.UTC), ExpiryDate: time.Date(2031, 4, 15, 0, 0, 0, 0, time.UTC),
		MRZValid: true, Chip: &sensors.ChipResult{Checks: map[string]bool{"passive_auth": true}}}
}

func loadList(t *testing.T, st *store.Store, key []byte, issued time.Time, numbers ...string) {
	t.Helper()
	f := "egate-watchlist 1\nversion 1\nissued " + issued.UTC().Format(time.RFC3339) + "\n"
	for _, n := range numbers {
		f += "UTO/P/" + n + "\n"
	}
	rd, err := watchlist.NewReader(strings.NewReader(f), key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.LoadWatchlist(context.Background(), rd, store.LoadOptions{}); err != nil {
		t.Fatal(err)
	}
}

func TestCheckDocumentWatchlistAndDuplicates(t *testing.T) {
	d, st, key := docRig(t, nil)
	now := time.Now()
	loadList(t, st, key, now.Add(-time.Hour), "S7654321")

	// A hit: referred, with the watchlist alarm.
	r := d.checkDocument(1, traveller("S7654321"), now)
	if r.OK || !r.Refer || r.Alarm != gate.AlarmWatchlistHit || !slices.Equal(r.Reasons, []string{policy.ReasonWatchlistHit}) {
		t.Fatalf("hit: %+v", r)
	}

	// A clean document passes; while its passage is open, presenting it
	// again is a duplicate.
	doc := traveller("L898902C3")
	r = d.checkDocument(2, doc, now)
	if !r.OK || r.AgeBand != "50-64" || r.DocRef != gate.DocRef(key, "UTO", "P", "L898902C3") {
		t.Fatalf("clean: %+v", r)
	}
	r2 := d.checkDocument(3, doc, now.Add(time.Second))
	if r2.OK || r2.Alarm != policy.AlarmDuplicateUse || !slices.Equal(r2.Reasons, []string{policy.ReasonDuplicateOpen}) {
		t.Fatalf("open duplicate: %+v", r2)
	}
	// The first passage ends accepted: within the window the document is a
	// duplicate, after it not.
	d.recordPassage(gate.Passage{ID: 2, Start: now, End: now.Add(10 * time.Second), Doc: &r, Decision: gate.OutcomeAccept, Exited: true, DecidedAt: now})
	d.recordPassage(gate.Passage{ID: 3, Start: now, End: now.Add(2 * time.Second), Doc: &r2, Decision: gate.OutcomeRefer, DecidedAt: now})
	r3 := d.checkDocument(4, doc, now.Add(5*time.Minute))
	if r3.OK || !slices.Equal(r3.Reasons, []string{policy.ReasonDuplicateRecent}) {
		t.Fatalf("recent duplicate: %+v", r3)
	}
	d.recordPassage(gate.Passage{ID: 4, Start: now, End: now.Add(5 * time.Minute), Doc: &r3, Decision: gate.OutcomeRefer})
	if r4 := d.checkDocument(5, doc, now.Add(11*time.Minute)); !r4.OK {
		t.Fatalf("after the window: %+v", r4)
	}

	// The decisions are in the audit chain, with the direction.
	rep, err := st.VerifyAudit(context.Background())
	if err != nil || rep.Problem != nil || rep.Entries != 4 { // 1 watchlist load, 3 decisions
		t.Fatalf("audit: %+v %v %v", rep, err, rep.Problem)
	}
	var got []store.ExportRecord
	st.ExportRecords(context.Background(), store.ExportFilter{}, func(e store.ExportRecord) error { got = append(got, e); return nil })
	if len(got) != 3 || *got[0].Direction != "entry" || got[0].Decision != "accept" {
		t.Fatalf("export %+v", got)
	}
}

func TestCheckDocumentStaleList(t *testing.T) {
	now := time.Now()
	// No list at all, when_stale refer: every traveller sees an officer.
	d, _, _ := docRig(t, nil)
	r := d.checkDocument(1, traveller("L898902C3"), now)
	if r.OK || !r.Refer || !slices.Equal(r.Reasons, []string{policy.ReasonWatchlistNotLoaded}) || len(d.events) != 0 {
		t.Fatalf("no list: %+v", r)
	}
	// A stale list, when_stale out_of_service: referred, and a watchlist
	// fault takes the lane out of service.
	d, st, key := docRig(t, func(p *config.Policy) { p.Watchlist.WhenStale = "out_of_service" })
	loadList(t, st, key, now.Add(-48*time.Hour), "S7654321")
	r = d.checkDocument(1, traveller("L898902C3"), now)
	if r.OK || !slices.Equal(r.Reasons, []string{policy.ReasonWatchlistStale}) {
		t.Fatalf("stale: %+v", r)
	}
	select {
	case ev := <-d.events:
		if f, ok := ev.(gate.DeviceFault); !ok || f.Device != "watchlist" {
			t.Fatalf("event %#v", ev)
		}
	default:
		t.Fatal("no watchlist fault")
	}
	// With the watchlist off, no list is needed.
	d, _, _ = docRig(t, func(p *config.Policy) { p.Watchlist.Enabled = false })
	if r := d.checkDocument(1, traveller("L898902C3"), now); !r.OK {
		t.Fatalf("watchlist off: %+v", r)
	}
}

func TestCheckDocumentStoreFailureFailsClosed(t *testing.T) {
	d, st, _ := docRig(t, nil)
	st.Close()
	r := d.checkDocument(1, traveller("L898902C3"), time.Now())
	if r.OK || !r.Refer || !slices.Contains(r.Reasons, policy.ReasonWatchlistUnavail) || !slices.Contains(r.Reasons, policy.ReasonDuplicateUnavail) {
		t.Fatalf("%+v", r)
	}
}
