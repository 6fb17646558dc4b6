package gate

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// DocRef pseudonymises a document's identity with a keyed HMAC-SHA256 over
// (issuing state, document type, document number). It is the only form in
// which a document number leaves the decision step: records, watchlist
// look-ups and telemetry use it, never the number.
func DocRef(key []byte, issuingState, docType, number string) string {
	m := hmac.New(sha256.New, key)
	norm := func(s string) string { return strings.ToUpper(strings.Trim(s, "< ")) }
	m.Write([]byte(norm(issuingState) + "\x00" + norm(docType) + "\x00" + norm(number)))
	return hex.EncodeToString(m.Sum(nil))
}
