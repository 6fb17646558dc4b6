package policy

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/egate/egate/gate"
	"github.com/egate/egate/gate/watchlist"
)

var now = time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)

func date(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// adult is a document every rule of testPolicy admits.
func adult() Document {
	return Document{
		Type: "P", IssuingState: "UTO", Nationality: "UTO",
		BirthDate: date("1974-08-12"), ExpiryDate: date("2031-04-15"), MRZValid: true,
		ChipRead: true, ChipChecks: map[string]bool{"passive_auth": true},
	}
}

func testPolicy() Policy {
	p := Default()
	p.Version = "test-7"
	p.Watchlist = WatchlistRule{Enabled: true, MaxAge: 24 * time.Hour, WhenStale: StaleRefer}
	p.Duplicate = DuplicateRule{Window: 10 * time.Minute, OpenLimit: time.Hour}
	return p
}

// fresh facts: a loaded, current list, no hit, no earlier use.
func fresh() Facts {
	return Facts{Watchlist: ListFacts{Status: watchlist.Status{Version: 9, IssuedAt: now.Add(-time.Hour), Entries: 10}}}
}

func TestEvaluate(t *testing.T) {
	tests := []struct {
		name    string
		pol     func(*Policy)
		doc     func(*Document)
		facts   func(*Facts)
		want    Outcome
		reasons []string
		alarm   gate.AlarmKind
		close   bool
	}{
		{name: "eligible", want: Eligible},

		// MRZ, type, state, nationality.
		{name: "mrz invalid", doc: func(d *Document) { d.MRZValid = false }, want: Rejected, reasons: []string{ReasonMRZInvalid}},
		{name: "mrz invalid allowed", pol: func(p *Policy) { p.RequireValidMRZ = false }, doc: func(d *Document) { d.MRZValid = false }, want: Eligible},
		{name: "id card not eligible", doc: func(d *Document) { d.Type = "ID" }, want: Rejected, reasons: []string{ReasonTypeNotEligible}},
		{name: "diplomatic passport by first letter", doc: func(d *Document) { d.Type = "PD" }, want: Eligible},
		{name: "two-letter type exact", pol: func(p *Policy) { p.DocumentTypes = []string{"PD"} }, doc: func(d *Document) { d.Type = "PO" }, want: Rejected, reasons: []string{ReasonTypeNotEligible}},
		{name: "id cards admitted", pol: func(p *Policy) { p.DocumentTypes = []string{"P", "I"} }, doc: func(d *Document) { d.Type = "ID" }, want: Eligible},
		{name: "state listed", pol: func(p *Policy) { p.IssuingStates = []string{"UTO", "D<<"} }, doc: func(d *Document) { d.IssuingState = "D" }, want: Eligible},
		{name: "state not listed", pol: func(p *Policy) { p.IssuingStates = []string{"D"} }, want: Rejected, reasons: []string{ReasonStateNotEligible}},
		{name: "nationality not listed", pol: func(p *Policy) { p.Nationalities = []string{"D"} }, want: Rejected, reasons: []string{ReasonNationalityNotElig}},
		{name: "nationality listed", pol: func(p *Policy) { p.Nationalities = []string{"UTO"} }, want: Eligible},

		// Expiry.
		{name: "expires today", doc: func(d *Document) { d.ExpiryDate = date("2026-11-23") }, want: Eligible},
		{name: "expired yesterday", doc: func(d *Document) { d.ExpiryDate = date("2026-11-22") }, want: Rejected, reasons: []string{ReasonExpired}},
		{name: "within grace", pol: func(p *Policy) { p.ExpiryGraceDays = 2 }, doc: func(d *Document) { d.ExpiryDate = date("2026-11-21") }, want: Eligible},
		{name: "beyond grace", pol: func(p *Policy) { p.ExpiryGraceDays = 2 }, doc: func(d *Document) { d.ExpiryDate = date("2026-11-20") }, want: Rejected, reasons: []string{ReasonExpired}},
		{name: "expiry unknown", doc: func(d *Document) { d.ExpiryDate = time.Time{} }, want: Rejected, reasons: []string{ReasonExpiryUnknown}},
		{name: "validity too short", pol: func(p *Policy) { p.MinValidityDays = 90 }, doc: func(d *Document) { d.ExpiryDate = date("2027-01-20") }, want: Rejected, reasons: []string{ReasonValidityTooShort}},
		{name: "validity long enough", pol: func(p *Policy) { p.MinValidityDays = 90 }, doc: func(d *Document) { d.ExpiryDate = date("2027-02-21") }, want: Eligible},

		// Chip.
		{name: "chip not read", doc: func(d *Document) { d.ChipRead, d.ChipChecks = false, nil }, want: Rejected, reasons: []string{ReasonChipNotRead}},
		{name: "chip optional", pol: func(p *Policy) { p.ChipRequired = false }, doc: func(d *Document) { d.ChipRead = false }, want: Eligible},
		{name: "chip required for passports only: passport", pol: func(p *Policy) {
			p.ChipRequired, p.ChipRequiredTypes, p.DocumentTypes = false, []string{"P"}, []string{"P", "I"}
		},
			doc: func(d *Document) { d.ChipRead = false }, want: Rejected, reasons: []string{ReasonChipNotRead}},
		{name: "chip required for passports only: id card", pol: func(p *Policy) {
			p.ChipRequired, p.ChipRequiredTypes, p.DocumentTypes = false, []string{"P"}, []string{"P", "I"}
		},
			doc: func(d *Document) { d.Type, d.ChipRead = "ID", false }, want: Eligible},
		{name: "PA failed", doc: func(d *Document) { d.ChipChecks["passive_auth"] = false }, want: Rejected, reasons: []string{"chip.passive_auth_failed"}},
		{name: "PA missing", doc: func(d *Document) { delete(d.ChipChecks, "passive_auth") }, want: Rejected, reasons: []string{"chip.passive_auth_missing"}},
		{name: "PA failed refers", pol: func(p *Policy) { p.ChipChecks[CheckPA] = CheckRule{Failed: Refer, Missing: Reject} },
			doc: func(d *Document) { d.ChipChecks["passive_auth"] = false }, want: Referred, reasons: []string{"chip.passive_auth_failed"}},
		{name: "CA failed refers", doc: func(d *Document) { d.ChipChecks["chip_auth"] = false }, want: Referred, reasons: []string{"chip.chip_auth_failed"}},
		{name: "AA failed refers", doc: func(d *Document) { d.ChipChecks["active_auth"] = false }, want: Referred, reasons: []string{"chip.active_auth_failed"}},
		{name: "AA passed", doc: func(d *Document) { d.ChipChecks["active_auth"] = true }, want: Eligible},
		{name: "AA failure ignored", pol: func(p *Policy) { p.ChipChecks[CheckAA] = CheckRule{Failed: Ignore, Missing: Ignore} },
			doc: func(d *Document) { d.ChipChecks["active_auth"] = false }, want: Eligible},
		{name: "CA missing rejects when configured", pol: func(p *Policy) { p.ChipChecks[CheckCA] = CheckRule{Failed: Reject, Missing: Reject} }, want: Rejected, reasons: []string{"chip.chip_auth_missing"}},
		{name: "unknown check failed", doc: func(d *Document) { d.ChipChecks["terminal_auth"] = false; d.ChipChecks["Bad Name!"] = false }, want: Rejected,
			reasons: []string{"chip.check_failed", "chip.terminal_auth_failed"}},
		{name: "unknown check passed", doc: func(d *Document) { d.ChipChecks["terminal_auth"] = true }, want: Eligible},

		// Age.
		{name: "eighteen today", doc: func(d *Document) { d.BirthDate = date("2008-11-23") }, want: Eligible},
		{name: "eighteen tomorrow", doc: func(d *Document) { d.BirthDate = date("2008-11-24") }, want: Referred, reasons: []string{ReasonMinor}},
		{name: "leap day birthday", doc: func(d *Document) { d.BirthDate = date("2008-02-29") }, want: Eligible},
		{name: "under min age", pol: func(p *Policy) { p.MinAge = 21 }, doc: func(d *Document) { d.BirthDate = date("2006-01-01") }, want: Referred, reasons: []string{ReasonUnderMinAge}},
		{name: "age unknown", doc: func(d *Document) { d.BirthDate = time.Time{} }, want: Referred, reasons: []string{ReasonAgeUnknown}},

		// Watchlist.
		{name: "watchlist hit", facts: func(f *Facts) { f.Watchlist.Hit = true }, want: Referred, reasons: []string{ReasonWatchlistHit}, alarm: gate.AlarmWatchlistHit},
		{name: "watchlist off ignores hit", pol: func(p *Policy) { p.Watchlist.Enabled = false }, facts: func(f *Facts) { f.Watchlist = ListFacts{Hit: true} }, want: Eligible},
		{name: "list stale", facts: func(f *Facts) { f.Watchlist.Status.IssuedAt = now.Add(-25 * time.Hour) }, want: Referred, reasons: []string{ReasonWatchlistStale}},
		{name: "list just fresh", facts: func(f *Facts) { f.Watchlist.Status.IssuedAt = now.Add(-24 * time.Hour) }, want: Eligible},
		{name: "list from the future", facts: func(f *Facts) { f.Watchlist.Status.IssuedAt = now.Add(time.Hour) }, want: Eligible},
		{name: "list stale closes lane", pol: func(p *Policy) { p.Watchlist.WhenStale = StaleOutOfService },
			facts: func(f *Facts) { f.Watchlist.Status.IssuedAt = now.Add(-25 * time.Hour) }, want: Referred, reasons: []string{ReasonWatchlistStale}, close: true},
		{name: "no list", facts: func(f *Facts) { f.Watchlist.Status = watchlist.Status{} }, want: Referred, reasons: []string{ReasonWatchlistNotLoaded}},
		{name: "no list closes lane", pol: func(p *Policy) { p.Watchlist.WhenStale = StaleOutOfService },
			facts: func(f *Facts) { f.Watchlist.Status = watchlist.Status{} }, want: Referred, reasons: []string{ReasonWatchlistNotLoaded}, close: true},
		{name: "look-up failed", facts: func(f *Facts) { f.Watchlist = ListFacts{Unavailable: true} }, want: Referred, reasons: []string{ReasonWatchlistUnavail}},
		{name: "hit on a stale list", facts: func(f *Facts) { f.Watchlist.Hit = true; f.Watchlist.Status.IssuedAt = now.Add(-48 * time.Hour) },
			want: Referred, reasons: []string{ReasonWatchlistHit, ReasonWatchlistStale}, alarm: gate.AlarmWatchlistHit},

		// Duplicate use.
		{name: "accepted 5 minutes ago", facts: func(f *Facts) { f.Prior.LastAccepted = now.Add(-5 * time.Minute) },
			want: Referred, reasons: []string{ReasonDuplicateRecent}, alarm: AlarmDuplicateUse},
		{name: "accepted 11 minutes ago", facts: func(f *Facts) { f.Prior.LastAccepted = now.Add(-11 * time.Minute) }, want: Eligible},
		{name: "accepted in the future (clock went back)", facts: func(f *Facts) { f.Prior.LastAccepted = now.Add(time.Hour) },
			want: Referred, reasons: []string{ReasonDuplicateRecent}, alarm: AlarmDuplicateUse},
		{name: "earlier passage open", facts: func(f *Facts) { f.Prior.OpenSince = now.Add(-2 * time.Minute) },
			want: Referred, reasons: []string{ReasonDuplicateOpen}, alarm: AlarmDuplicateUse},
		{name: "open passage abandoned long ago", facts: func(f *Facts) { f.Prior.OpenSince = now.Add(-2 * time.Hour) }, want: Eligible},
		{name: "duplicate off", pol: func(p *Policy) { p.Duplicate.Window = 0 }, facts: func(f *Facts) { f.Prior.OpenSince = now }, want: Eligible},
		{name: "duplicate look-up failed", facts: func(f *Facts) { f.Prior.Unavailable = true }, want: Referred, reasons: []string{ReasonDuplicateUnavail}},

		// Combinations.
		{name: "every document fault at once", pol: func(p *Policy) { p.IssuingStates, p.Nationalities = []string{"D"}, []string{"D"} },
			doc: func(d *Document) {
				d.MRZValid, d.Type, d.ExpiryDate, d.ChipRead, d.ChipChecks = false, "V", date("2020-01-01"), false, nil
			},
			want: Rejected, reasons: []string{ReasonMRZInvalid, ReasonTypeNotEligible, ReasonStateNotEligible, ReasonNationalityNotElig, ReasonExpired, ReasonChipNotRead}},
		{name: "minor with an expired passport is referred", doc: func(d *Document) { d.BirthDate, d.ExpiryDate = date("2015-01-01"), date("2020-01-01") },
			want: Referred, reasons: []string{ReasonExpired, ReasonMinor}},
		{name: "minor on the watchlist", doc: func(d *Document) { d.BirthDate = date("2015-01-01") }, facts: func(f *Facts) { f.Watchlist.Hit = true },
			want: Referred, reasons: []string{ReasonMinor, ReasonWatchlistHit}, alarm: gate.AlarmWatchlistHit},
		{name: "expired and stolen", doc: func(d *Document) { d.ExpiryDate = date("2020-01-01") }, facts: func(f *Facts) { f.Watchlist.Hit = true },
			want: Referred, reasons: []string{ReasonExpired, ReasonWatchlistHit}, alarm: gate.AlarmWatchlistHit},
		{name: "stolen and used twice: the hit's alarm wins", facts: func(f *Facts) { f.Watchlist.Hit = true; f.Prior.LastAccepted = now.Add(-time.Minute) },
			want: Referred, reasons: []string{ReasonWatchlistHit, ReasonDuplicateRecent}, alarm: gate.AlarmWatchlistHit},
		{name: "used twice with a failed PA", doc: func(d *Document) { d.ChipChecks["passive_auth"] = false }, facts: func(f *Facts) { f.Prior.OpenSince = now },
			want: Referred, reasons: []string{"chip.passive_auth_failed", ReasonDuplicateOpen}, alarm: AlarmDuplicateUse},
		{name: "stale list and wrong type", doc: func(d *Document) { d.Type = "V" }, facts: func(f *Facts) { f.Watchlist.Status = watchlist.Status{} },
			want: Referred, reasons: []string{ReasonTypeNotEligible, ReasonWatchlistNotLoaded}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, d, f := testPolicy(), adult(), fresh()
			if tc.pol != nil {
				tc.pol(&p)
			}
			if err := p.Validate(); err != nil {
				t.Fatalf("test policy invalid: %v", err)
			}
			if tc.doc != nil {
				tc.doc(&d)
			}
			if tc.facts != nil {
				tc.facts(&f)
			}
			got := Evaluate(p, d, f, now)
			if got.Outcome != tc.want || !slices.Equal(got.Reasons, tc.reasons) || got.Alarm != tc.alarm || got.CloseLane != tc.close {
				t.Fatalf("got %s %q alarm %q close %v\nwant %s %q alarm %q close %v",
					got.Outcome, got.Reasons, got.Alarm, got.CloseLane, tc.want, tc.reasons, tc.alarm, tc.close)
			}
			if got.PolicyVersion != "test-7" {
				t.Fatalf("policy version %q", got.PolicyVersion)
			}
			r := got.DocResult()
			if r.OK != (tc.want == Eligible) || r.Refer != (tc.want == Referred) || r.Alarm != tc.alarm || !slices.Equal(r.Reasons, tc.reasons) {
				t.Fatalf("DocResult %+v", r)
			}
		})
	}
}

// TestMinorsAlwaysReferred: no combination of facts lets a minor through or
// merely rejects them.
func TestMinorsAlwaysReferred(t *testing.T) {
	docs := []func(*Document){
		func(*Document) {},
		func(d *Document) { d.ExpiryDate = date("2020-01-01") },
		func(d *Document) { d.Type = "V" },
		func(d *Document) { d.ChipRead = false },
		func(d *Document) { d.MRZValid = false },
	}
	for i, mod := range docs {
		for age := 0; age < MinorAge; age++ {
			d := adult()
			d.BirthDate = now.AddDate(-age, 0, -1)
			mod(&d)
			if got := Evaluate(testPolicy(), d, fresh(), now); got.Outcome != Referred || !slices.Contains(got.Reasons, ReasonMinor) {
				t.Fatalf("case %d, age %d: %s %q", i, age, got.Outcome, got.Reasons)
			}
		}
	}
}

func TestValidate(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		mod  func(*Policy)
		want string
	}{
		{"no version", func(p *Policy) { p.Version = "" }, "version"},
		{"no types", func(p *Policy) { p.DocumentTypes = nil }, "document_types"},
		{"min age below 18", func(p *Policy) { p.MinAge = 12 }, "min_age"},
		{"negative grace", func(p *Policy) { p.ExpiryGraceDays = -1 }, "expiry_grace_days"},
		{"grace and validity", func(p *Policy) { p.ExpiryGraceDays, p.MinValidityDays = 1, 1 }, "contradict"},
		{"chip check missing", func(p *Policy) { delete(p.ChipChecks, CheckAA) }, "chip_checks.active_auth"},
		{"chip action", func(p *Policy) { p.ChipChecks[CheckPA] = CheckRule{Failed: "warn", Missing: Reject} }, "chip_checks.passive_auth"},
		{"face threshold", func(p *Policy) { p.FaceThreshold = -1 }, "face_threshold"},
		{"watchlist max age", func(p *Policy) { p.Watchlist = WatchlistRule{Enabled: true, WhenStale: StaleRefer} }, "max_age"},
		{"watchlist stale action", func(p *Policy) { p.Watchlist = WatchlistRule{Enabled: true, MaxAge: time.Hour, WhenStale: "ignore"} }, "when_stale"},
		{"duplicate open limit", func(p *Policy) { p.Duplicate = DuplicateRule{Window: time.Minute} }, "open_limit"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := Default()
			tc.mod(&p)
			if err := p.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestFace(t *testing.T) {
	p := testPolicy()
	m := gate.FaceResult{Match: true, Score: 0.45}
	if got := Face(p, m); !got.Match {
		t.Fatal("no threshold: the verifier decides")
	}
	p.FaceThreshold = 0.4
	got := Face(p, m)
	if got.Match || !slices.Equal(got.Reasons, []string{ReasonFaceAboveThreshold}) {
		t.Fatalf("%+v", got)
	}
	if got := Face(p, gate.FaceResult{Match: true, Score: 0.3}); !got.Match {
		t.Fatal("close face refused")
	}
	// The threshold never turns a non-match into a match.
	if got := Face(p, gate.FaceResult{Match: false, Score: 0.1, Reasons: []string{"face.no_match"}}); got.Match || len(got.Reasons) != 1 {
		t.Fatalf("%+v", got)
	}
}

func TestAgeBand(t *testing.T) {
	for birth, want := range map[string]string{"2010-01-01": "0-17", "2008-11-23": "18-29", "1990-01-01": "30-49",
		"1970-01-01": "50-64", "1950-02-28": "65+"} {
		if got := AgeBand(date(birth), now); got != want {
			t.Errorf("%s: %q, want %q", birth, got, want)
		}
	}
	if AgeBand(time.Time{}, now) != "" {
		t.Error("unknown birth date has a band")
	}
}

func TestStale(t *testing.T) {
	p := testPolicy()
	if s, r := Stale(p, watchlist.Status{}, now); !s || r != ReasonWatchlistNotLoaded {
		t.Fatal(s, r)
	}
	p.Watchlist.Enabled = false
	if s, _ := Stale(p, watchlist.Status{}, now); s {
		t.Fatal("disabled list is stale")
	}
}

// TestPure keeps the policy free of I/O edges and cgo.
func TestPure(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go tool")
	}
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Skipf("go list: %v %s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.Contains(dep, "sqlite") || strings.Contains(dep, "gocv") || strings.HasSuffix(dep, "gate/store") ||
			strings.Contains(dep, "/sensors") || strings.Contains(dep, "/vision") || dep == "database/sql" || dep == "net" {
			t.Errorf("forbidden dependency %s", dep)
		}
	}
}
