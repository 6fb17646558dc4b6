// Package watchlist holds the plain types and parsers of the lane's offline
// list of lost, stolen and alerted travel documents (in the manner of
// INTERPOL's SLTD database): the list file read by `egatectl watchlist
// load`, the versioned deltas the MQTT link delivers, and the status the
// decision policy judges for staleness.
//
// # Who may import it
//
// Everyone. It imports only the standard library and gate (for DocRef), so
// mqtt/ can parse and hand over deltas without cgo. The SQLite store
// (gate/store) keeps the list and implements Applier.
//
// # Pseudonymised entries
//
// The device never keeps the cleartext list. Every entry is a Ref: the
// keyed HMAC-SHA256 of (issuing state, document type, document number)
// under the lane's key, exactly as gate.DocRef computes it for a document
// on the reader, so a look-up is one primary-key probe. Cleartext entries in
// a file or delta are hashed as they are parsed and never kept, logged or
// echoed in an error message (errors name the line, never its content).
//
// Entries made elsewhere ("ref:" lines, pre-hashed by a system that holds
// the lane key) must name the key they were made with (KeyID); a list made
// with another key would silently never hit, so it is refused.
//
// # File format (egate-watchlist 1)
//
//	egate-watchlist 1
//	version 42
//	issued 2026-11-23T06:00:00Z
//	key-id 3f1c0a9d2b7e4c51      (required when there are ref: lines)
//	# comments and blank lines are ignored anywhere
//	UTO/P/L898902C3              (issuing state / document type / number)
//	ref:9c1d...64 hex digits     (a pre-hashed entry)
//
// The header lines come first, in any order, each once; version (a positive
// integer that deltas continue) and issued (RFC 3339, when the issuer
// produced the list: the stale-list rule measures from it) are required.
// Fields are normalised as gate.DocRef does (upper case, '<' fillers
// stripped). A file holds at most MaxEntries entries.
//
// # Deltas
//
// A delta (JSON, see ParseDelta) moves the list from version N-1 to N by
// adding and removing entries. Deltas apply in order: one whose version is
// not above the list's is already applied and is ignored (idempotent); one
// that skips a version is refused with ErrGap, and the sender must send the
// missing deltas or a full list.
package watchlist
