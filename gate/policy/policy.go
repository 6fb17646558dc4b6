package policy

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/egate/egate/gate"
	"github.com/egate/egate/gate/watchlist"
)

// AlarmDuplicateUse is raised when a document is used again too soon.
//
// TODO(lead): move next to the other AlarmKinds in gate/events.go.
const AlarmDuplicateUse = gate.AlarmDuplicateUse

// MinorAge is the age below which a traveller is always referred.
const MinorAge = 18

// Reasons. A rule that does not apply adds nothing.
const (
	ReasonMRZInvalid         = "document.mrz_invalid"
	ReasonTypeNotEligible    = "document.type_not_eligible"
	ReasonStateNotEligible   = "document.state_not_eligible"
	ReasonNationalityNotElig = "traveller.nationality_not_eligible"
	ReasonExpired            = "document.expired"
	ReasonExpiryUnknown      = "document.expiry_unknown"
	ReasonValidityTooShort   = "document.validity_too_short"
	ReasonChipNotRead        = "chip.not_read"
	ReasonMinor              = "traveller.minor"
	ReasonUnderMinAge        = "traveller.under_min_age"
	ReasonAgeUnknown         = "traveller.age_unknown"
	ReasonWatchlistHit       = "watchlist.hit"
	ReasonWatchlistStale     = "watchlist.stale"
	ReasonWatchlistNotLoaded = "watchlist.not_loaded"
	ReasonWatchlistUnavail   = "watchlist.unavailable"
	ReasonDuplicateOpen      = "duplicate.passage_open"
	ReasonDuplicateRecent    = "duplicate.recent_use"
	ReasonDuplicateUnavail   = "duplicate.unavailable"
	ReasonFaceAboveThreshold = "face.above_threshold"
	reasonChipPrefix         = "chip."
	reasonChipFailedSuffix   = "_failed"
	reasonChipMissingSuffix  = "_missing"
	reasonChipUnknownFailed  = "chip.check_failed" // a failed check whose name is not reason-safe
)

// DefaultDuplicateOpenLimit is how long an unclosed passage counts as open.
const DefaultDuplicateOpenLimit = time.Hour

// ReasonChipFailed and ReasonChipMissing name a chip check's reasons,
// e.g. "chip.passive_auth_failed".
func ReasonChipFailed(c Check) string  { return reasonChipPrefix + string(c) + reasonChipFailedSuffix }
func ReasonChipMissing(c Check) string { return reasonChipPrefix + string(c) + reasonChipMissingSuffix }

// Action is what a rule's finding leads to.
type Action string

const (
	Ignore Action = "ignore"
	Reject Action = "reject"
	Refer  Action = "refer"
)

// StaleAction is what a missing or stale watchlist leads to.
type StaleAction string

const (
	// StaleRefer refers every traveller to an officer until the list is fresh.
	StaleRefer StaleAction = "refer"
	// StaleOutOfService also asks the daemon to take the lane out of service.
	StaleOutOfService StaleAction = "out_of_service"
)

// Check names a chip check as it appears in sensors.ChipResult.Checks.
type Check string

const (
	CheckPA Check = "passive_auth" // passive authentication, ICAO 9303-11 §5.1
	CheckCA Check = "chip_auth"    // chip authentication, ICAO 9303-11 §6.2
	CheckAA Check = "active_auth"  // active authentication, ICAO 9303-11 §6.1
)

// Checks lists the configurable chip checks in the order they are judged.
var Checks = []Check{CheckPA, CheckCA, CheckAA}

// CheckRule says what a chip check leads to when it failed and when the
// chip was read but the check was not performed.
type CheckRule struct {
	Failed  Action
	Missing Action
}

// WatchlistRule configures the watchlist rules.
type WatchlistRule struct {
	// Enabled turns the look-up and the stale-list rule on.
	Enabled bool
	// MaxAge is how old (from its issue time) the list may be.
	MaxAge time.Duration
	// WhenStale is what a missing or stale list leads to.
	WhenStale StaleAction
}

// DuplicateRule configures duplicate-use detection.
type DuplicateRule struct {
	// Window after an accepted passage in which the same document raises
	// an alarm. Zero turns duplicate detection off.
	Window time.Duration
	// OpenLimit is how long an earlier passage that was never closed (the
	// daemon died during it) still counts as open.
	OpenLimit time.Duration
}

// Policy is the document decision policy.
type Policy struct {
	// Version is recorded with every decision.
	Version string
	// DocumentTypes are the eligible document codes; "P" admits every
	// passport ("P", "PD", ...), "PD" only that code.
	DocumentTypes []string
	// IssuingStates and Nationalities are ICAO 9303 codes; empty admits any.
	IssuingStates []string
	Nationalities []string
	// RequireValidMRZ rejects a zone whose check digits fail.
	RequireValidMRZ bool
	// MinAge refers younger travellers (at least MinorAge).
	MinAge int
	// ExpiryGraceDays accepts a document this many days after its expiry date.
	ExpiryGraceDays int
	// MinValidityDays rejects a document that expires within this many days.
	MinValidityDays int
	// ChipRequired requires a chip read for every document type;
	// ChipRequiredTypes for the listed ones only (matched as DocumentTypes).
	ChipRequired      bool
	ChipRequiredTypes []string
	// ChipChecks says what each check's failure or absence leads to.
	ChipChecks map[Check]CheckRule
	// FaceThreshold is the largest face descriptor distance accepted; 0
	// leaves the decision to the face verifier's own threshold.
	FaceThreshold float64
	Watchlist     WatchlistRule
	Duplicate     DuplicateRule
}

// DefaultChipChecks are the chip rules used where the configuration gives
// none: a failed or missing passive authentication rejects (the chip's data
// cannot be trusted); failed chip or active authentication suggests a cloned
// chip and refers; many documents support neither, so their absence is
// ignored.
func DefaultChipChecks() map[Check]CheckRule {
	return map[Check]CheckRule{
		CheckPA: {Failed: Reject, Missing: Reject},
		CheckCA: {Failed: Refer, Missing: Ignore},
		CheckAA: {Failed: Refer, Missing: Ignore},
	}
}

// Default is a conservative policy: passports only, chip and valid MRZ
// required, adults only. The watchlist and duplicate rules are off until
// configured (they need a list and a window that only the agency can give).
func Default() Policy {
	return Policy{
		Version:         "default-1",
		DocumentTypes:   []string{"P"},
		RequireValidMRZ: true,
		MinAge:          MinorAge,
		ChipRequired:    true,
		ChipChecks:      DefaultChipChecks(),
		Watchlist:       WatchlistRule{MaxAge: 24 * time.Hour, WhenStale: StaleRefer},
		Duplicate:       DuplicateRule{OpenLimit: DefaultDuplicateOpenLimit},
	}
}

// Validate reports a policy that would misbehave. The configuration loader
// reports the same problems with the key and line.
func (p Policy) Validate() error {
	var errs []error
	if p.Version == "" {
		errs = append(errs, errors.New("version must be set"))
	}
	if len(p.DocumentTypes) == 0 {
		errs = append(errs, errors.New("document_types must list at least one type"))
	}
	if p.MinAge < MinorAge || p.MinAge > 30 {
		errs = append(errs, fmt.Errorf("min_age must be between %d and 30, got %d", MinorAge, p.MinAge))
	}
	if p.ExpiryGraceDays < 0 || p.MinValidityDays < 0 {
		errs = append(errs, errors.New("expiry_grace_days and min_validity_days must not be negative"))
	}
	if p.ExpiryGraceDays > 0 && p.MinValidityDays > 0 {
		errs = append(errs, errors.New("expiry_grace_days and min_validity_days contradict each other; set one"))
	}
	for _, c := range Checks {
		r, ok := p.ChipChecks[c]
		if !ok {
			errs = append(errs, fmt.Errorf("chip_checks.%s missing", c))
			continue
		}
		if !r.Failed.valid() || !r.Missing.valid() {
			errs = append(errs, fmt.Errorf("chip_checks.%s: actions must be ignore, reject or refer", c))
		}
	}
	if p.FaceThreshold < 0 || p.FaceThreshold > 4 {
		errs = append(errs, fmt.Errorf("face_threshold must be between 0 and 4, got %v", p.FaceThreshold))
	}
	if p.Watchlist.Enabled {
		if p.Watchlist.MaxAge <= 0 {
			errs = append(errs, errors.New("watchlist.max_age must be positive"))
		}
		if p.Watchlist.WhenStale != StaleRefer && p.Watchlist.WhenStale != StaleOutOfService {
			errs = append(errs, fmt.Errorf("watchlist.when_stale must be refer or out_of_service, got %q", p.Watchlist.WhenStale))
		}
	}
	if p.Duplicate.Window < 0 || p.Duplicate.OpenLimit < 0 || p.Duplicate.Window > 0 && p.Duplicate.OpenLimit == 0 {
		errs = append(errs, errors.New("duplicate_use.window must not be negative, open_limit must be positive"))
	}
	return errors.Join(errs...)
}

func (a Action) valid() bool { return a == Ignore || a == Reject || a == Refer }

// Document is what the policy needs of a travel document. It has no
// number and no name: the policy never sees them.
type Document struct {
	Type         string // document code, fillers stripped: P, PD, ID, V...
	IssuingState string
	Nationality  string
	BirthDate    time.Time // zero: unknown
	ExpiryDate   time.Time // zero: unknown
	MRZValid     bool
	ChipRead     bool
	// ChipChecks are the chip's results by check name (see Check).
	ChipChecks map[string]bool
}

// Facts are what the daemon found out about the document beyond itself.
type Facts struct {
	Watchlist ListFacts
	Prior     PriorUse
}

// ListFacts is the outcome of the watchlist look-up.
type ListFacts struct {
	Status watchlist.Status
	Hit    bool
	// Unavailable: the look-up failed (the store is broken).
	Unavailable bool
}

// PriorUse is what the store knows of earlier uses of the document on this
// lane.
type PriorUse struct {
	// OpenSince is when a passage with this document that has not ended
	// began; zero if none.
	OpenSince time.Time
	// LastAccepted is when the latest accepted passage with this document
	// ended; zero if none.
	LastAccepted time.Time
	// Unavailable: the look-up failed.
	Unavailable bool
}

// Outcome is the document step's verdict.
type Outcome string

const (
	// Eligible: the document may be used; go on to the face step.
	Eligible Outcome = "eligible"
	Rejected Outcome = "reject"
	Referred Outcome = "refer"
)

// Decision is the policy's verdict on a document.
type Decision struct {
	Outcome Outcome
	// Reasons are machine-readable, in rule order; empty when Eligible.
	Reasons []string
	// Alarm is raised with a referral (watchlist hit, duplicate use).
	Alarm gate.AlarmKind
	// CloseLane: the watchlist is stale and the policy says out of
	// service; the daemon should report a watchlist fault.
	CloseLane bool
	// PolicyVersion is the policy the decision was made under.
	PolicyVersion string
}

// DocResult converts the decision for the state machine; the caller adds
// the document reference and the statistics fields.
func (d Decision) DocResult() gate.DocResult {
	return gate.DocResult{
		OK:      d.Outcome == Eligible,
		Refer:   d.Outcome == Referred,
		Alarm:   d.Alarm,
		Reasons: slices.Clone(d.Reasons),
	}
}

// verdict accumulates reasons and the strongest action.
type verdict struct {
	reasons []string
	refer   bool
	reject  bool
	alarm   gate.AlarmKind
}

func (v *verdict) add(a Action, reason string) {
	switch a {
	case Reject:
		v.reject = true
	case Refer:
		v.refer = true
	default:
		return
	}
	v.reasons = append(v.reasons, reason)
}

func (v *verdict) raise(k gate.AlarmKind) {
	if v.alarm == "" || k == gate.AlarmWatchlistHit {
		v.alarm = k
	}
}

// Evaluate applies the policy to a document at now.
func Evaluate(p Policy, doc Document, f Facts, now time.Time) Decision {
	var v verdict
	today := civil(now)

	// Document.
	if p.RequireValidMRZ && !doc.MRZValid {
		v.add(Reject, ReasonMRZInvalid)
	}
	if !matchType(p.DocumentTypes, doc.Type) {
		v.add(Reject, ReasonTypeNotEligible)
	}
	if len(p.IssuingStates) > 0 && !matchCode(p.IssuingStates, doc.IssuingState) {
		v.add(Reject, ReasonStateNotEligible)
	}
	if len(p.Nationalities) > 0 && !matchCode(p.Nationalities, doc.Nationality) {
		v.add(Reject, ReasonNationalityNotElig)
	}
	if doc.ExpiryDate.IsZero() {
		v.add(Reject, ReasonExpiryUnknown)
	} else {
		expiry := civil(doc.ExpiryDate)
		switch {
		case today.After(expiry.AddDate(0, 0, p.ExpiryGraceDays)):
			// ICAO 9303-4 §4.2.2.2: the document is valid through its date of expiry.
			v.add(Reject, ReasonExpired)
		case p.MinValidityDays > 0 && today.AddDate(0, 0, p.MinValidityDays).After(expiry):
			v.add(Reject, ReasonValidityTooShort)
		}
	}

	// Chip.
	if !doc.ChipRead {
		if p.ChipRequired || matchType(p.ChipRequiredTypes, doc.Type) {
			v.add(Reject, ReasonChipNotRead)
		}
	} else {
		for _, c := range Checks {
			rule := p.ChipChecks[c]
			ok, done := doc.ChipChecks[string(c)]
			switch {
			case !done:
				v.add(rule.Missing, ReasonChipMissing(c))
			case !ok:
				v.add(rule.Failed, ReasonChipFailed(c))
			}
		}
		var unknown []string
		for name, ok := range doc.ChipChecks {
			if !ok && !slices.Contains(Checks, Check(name)) {
				unknown = append(unknown, name)
			}
		}
		sort.Strings(unknown)
		for _, name := range unknown {
			// An unknown check that failed: fail closed.
			if reasonSafe(name) {
				v.add(Reject, reasonChipPrefix+name+reasonChipFailedSuffix)
			} else {
				v.add(Reject, reasonChipUnknownFailed)
			}
		}
	}

	// Age: minors always see an officer.
	if doc.BirthDate.IsZero() {
		v.add(Refer, ReasonAgeUnknown)
	} else if a := Age(doc.BirthDate, now); a < MinorAge {
		v.add(Refer, ReasonMinor)
	} else if a < p.MinAge {
		v.add(Refer, ReasonUnderMinAge)
	}

	// Watchlist.
	if p.Watchlist.Enabled {
		wl := f.Watchlist
		switch {
		case wl.Unavailable:
			v.add(Refer, ReasonWatchlistUnavail)
		case wl.Hit:
			v.add(Refer, ReasonWatchlistHit)
			v.raise(gate.AlarmWatchlistHit)
		}
		if !wl.Unavailable {
			if stale, reason := Stale(p, wl.Status, now); stale {
				v.add(Refer, reason)
			}
		}
	}

	// Duplicate use.
	if p.Duplicate.Window > 0 {
		pr := f.Prior
		switch {
		case pr.Unavailable:
			v.add(Refer, ReasonDuplicateUnavail)
		case !pr.OpenSince.IsZero() && now.Sub(pr.OpenSince) < p.Duplicate.OpenLimit:
			v.add(Refer, ReasonDuplicateOpen)
			v.raise(AlarmDuplicateUse)
		case !pr.LastAccepted.IsZero() && now.Sub(pr.LastAccepted) < p.Duplicate.Window:
			// A clock that went back (now before LastAccepted) counts as recent.
			v.add(Refer, ReasonDuplicateRecent)
			v.raise(AlarmDuplicateUse)
		}
	}

	d := Decision{Outcome: Eligible, Reasons: v.reasons, Alarm: v.alarm, PolicyVersion: p.Version}
	switch {
	case v.refer:
		d.Outcome = Referred
	case v.reject:
		d.Outcome = Rejected
	}
	if d.Outcome != Referred {
		d.Alarm = "" // alarms come only with referrals
	}
	d.CloseLane = p.Watchlist.Enabled && p.Watchlist.WhenStale == StaleOutOfService &&
		(slices.Contains(d.Reasons, ReasonWatchlistStale) || slices.Contains(d.Reasons, ReasonWatchlistNotLoaded))
	return d
}

// Stale reports whether the list is missing or older than the policy
// allows, with the reason.
func Stale(p Policy, st watchlist.Status, now time.Time) (bool, string) {
	if !p.Watchlist.Enabled {
		return false, ""
	}
	if !st.Loaded() {
		return true, ReasonWatchlistNotLoaded
	}
	if st.Age(now) > p.Watchlist.MaxAge {
		return true, ReasonWatchlistStale
	}
	return false, ""
}

// Face applies the face threshold to the verifier's result: a match whose
// descriptor distance is above the threshold is not a match.
func Face(p Policy, r gate.FaceResult) gate.FaceResult {
	if p.FaceThreshold > 0 && r.Match && r.Score > p.FaceThreshold {
		r.Match = false
		r.Reasons = append(slices.Clone(r.Reasons), ReasonFaceAboveThreshold)
	}
	return r
}

// Age is the traveller's age in whole years at now, by calendar date.
func Age(birth, now time.Time) int {
	b, n := civil(birth), civil(now)
	y := n.Year() - b.Year()
	if n.Month() < b.Month() || n.Month() == b.Month() && n.Day() < b.Day() {
		y--
	}
	return y
}

// AgeBand is an age band for statistics, never the birth date; "" when the
// birth date is unknown.
func AgeBand(birth, now time.Time) string {
	if birth.IsZero() {
		return ""
	}
	switch a := Age(birth, now); {
	case a < 18:
		return "0-17"
	case a < 30:
		return "18-29"
	case a < 50:
		return "30-49"
	case a < 65:
		return "50-64"
	}
	return "65+"
}

// civil is t's calendar date at midnight UTC. MRZ dates are dates, not
// instants; now is judged by the date on the lane's clock.
func civil(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// matchType: a one-letter entry admits every code starting with it.
func matchType(list []string, t string) bool {
	t = strings.Trim(t, "<")
	for _, x := range list {
		x = strings.Trim(x, "<")
		if x == t || len(x) == 1 && strings.HasPrefix(t, x) {
			return true
		}
	}
	return false
}

func matchCode(list []string, c string) bool {
	c = strings.Trim(c, "< ")
	for _, x := range list {
		if strings.Trim(x, "< ") == c {
			return true
		}
	}
	return false
}

func reasonSafe(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}
