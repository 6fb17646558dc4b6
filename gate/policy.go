package gate

// Outcome is the decision on a passage.
type Outcome string

const (
	OutcomeNone      Outcome = ""          // not decided yet
	OutcomeAccept    Outcome = "accept"    // exit door opened
	OutcomeReject    Outcome = "reject"    // sent back; see an officer
	OutcomeRefer     Outcome = "refer"     // officer referral (policy, watchlist, minors)
	OutcomeAbandoned Outcome = "abandoned" // traveller walked away
	OutcomeAborted   Outcome = "aborted"   // emergency, fault or operator ended it
)

// DocResult is what the document step (MRZ, chip, policy, watchlist) found.
// It carries no personal data beyond what the record needs.
type DocResult struct {
	// OK: the document may be used at this gate.
	OK bool
	// Refer: send the traveller to an officer (minor, watchlist hit, stale
	// list...) rather than a plain rejection.
	Refer bool
	// Alarm is raised with the referral (e.g. a watchlist hit); the traveller
	// is never told why.
	Alarm AlarmKind
	// Reasons are machine-readable, e.g. "document.expired".
	Reasons []string
	// DocRef is the keyed HMAC of the document identity; never the number.
	DocRef       string
	DocType      string
	IssuingState string
	Nationality  string
	AgeBand      string
}

// FaceResult is what the face step found.
type FaceResult struct {
	Match   bool
	Score   float64
	Reasons []string // e.g. "face.no_match", "face.quality.too_small"
}

// Policy is the part of the decision policy the state machine applies. The
// document rules (eligibility, age, expiry, chip, watchlist) are applied by
// the document step and arrive as DocResult.
type Policy struct {
	Version string
}

// decide combines the document and face results. It is the only place that
// can produce OutcomeAccept.
func (p Policy) decide(doc DocResult, face FaceResult) (Outcome, []string) {
	var reasons []string
	reasons = append(reasons, doc.Reasons...)
	if !doc.OK {
		if doc.Refer {
			return OutcomeRefer, reasons
		}
		return OutcomeReject, reasons
	}
	reasons = append(reasons, face.Reasons...)
	if !face.Match {
		if len(face.Reasons) == 0 {
			reasons = append(reasons, "face.no_match")
		}
		return OutcomeReject, reasons
	}
	return OutcomeAccept, reasons
}
