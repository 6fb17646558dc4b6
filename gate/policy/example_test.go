package policy_test

import (
	"fmt"
	"time"

	"github.com/egate/egate/gate/policy"
	"github.com/egate/egate/gate/watchlist"
)

// The daemon's document step: gather the facts, evaluate, hand the result
// to the state machine.
func ExampleEvaluate() {
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	p := policy.Default()
	p.Version = "2026-11-a"
	p.Watchlist = policy.WatchlistRule{Enabled: true, MaxAge: 24 * time.Hour, WhenStale: policy.StaleRefer}

	doc := policy.Document{
		Type: "P", IssuingState: "UTO", Nationality: "UTO", MRZValid: true,
		BirthDate:  time.Date(2011, 3, 9, 0, 0, 0, 0, time.UTC), // 15 years old
		ExpiryDate: time.Date(2030, 3, 9, 0, 0, 0, 0, time.UTC),
		ChipRead:   true, ChipChecks: map[string]bool{"passive_auth": true},
	}
	facts := policy.Facts{Watchlist: policy.ListFacts{
		Hit:    true, // from the store's look-up of the document's keyed HMAC
		Status: watchlist.Status{Version: 42, IssuedAt: now.Add(-3 * time.Hour)},
	}}
	d := policy.Evaluate(p, doc, facts, now)
	fmt.Println(d.Outcome, d.Reasons, d.Alarm, d.PolicyVersion)
	// Output: refer [traveller.minor watchlist.hit] watchlist_hit 2026-11-a
}
