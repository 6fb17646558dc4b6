// Package policy is the lane's document decision policy: which documents
// and travellers may use the gate, what the chip checks, the watchlist and
// an earlier use of the same document lead to, and how close a face must be.
//
// # Who may import it
//
// Everyone. It is pure: standard library, gate and gate/watchlist only; no
// I/O, no clock (the caller passes now), no cgo. The daemon gathers the
// facts (a watchlist look-up, earlier uses of the document from the store),
// calls Evaluate, and hands the Decision to the state machine as a
// gate.DocResult.
//
// # Rules
//
// Evaluate applies every rule and keeps every reason, so a record says all
// that was wrong with a document, not just the first thing. Each reason is
// a machine-readable string (see the Reason constants); each rule's reasons
// lead to reject or refer:
//
//   - MRZ check digits (if required), document type, issuing state and
//     nationality (empty lists allow any), expiry (with grace days) and
//     remaining validity: reject.
//   - Chip: required per document type; passive (PA, ICAO 9303-11 §5.1),
//     chip (CA, §6.2) and active (AA, §6.1) authentication each have a
//     configured action when failed and when not performed; unknown checks
//     that fail reject.
//   - Age: travellers under 18 are always referred to an officer (a
//     child-trafficking safeguard that no configuration can turn off), as
//     are those under MinAge and those whose birth date is unknown.
//   - Watchlist: a hit refers with gate.AlarmWatchlistHit; the traveller is
//     only ever shown "see an officer". A list that is missing or older
//     than MaxAge refers, and with StaleOutOfService also asks the daemon
//     to take the lane out of service. A failed look-up refers (fail closed).
//   - Duplicate use: the same document while its earlier passage on this
//     lane is still open, or within Window after an accepted passage,
//     refers with AlarmDuplicateUse.
//
// A refer reason outranks a reject reason (a minor with an expired passport
// still sees an officer), and a watchlist hit's alarm outranks a duplicate
// one. Every Decision carries the policy version it was made under.
package policy
