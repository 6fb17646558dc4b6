package mqtt

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"time"
)

// CommandNames are the commands a lane accepts on <prefix>cmd/<name>.
var CommandNames = []string{
	"lock", "unlock", "set_mode", "emergency_open", "emergency_clear",
	"watchlist_delta", "config_reload", "status_request",
}

// Modes are the values of set_mode's "mode" argument.
var Modes = []string{"normal", "maintenance", "out_of_service"}

// EnvelopeVersion and CommandVersion are the versions this build reads.
const (
	EnvelopeVersion = 1
	CommandVersion  = 1
)

// Envelope is a signed command as it travels on cmd/<name>.
type Envelope struct {
	V    int    `json:"v"`    // EnvelopeVersion
	Key  string `json:"key"`  // id of the signing key (Opts.Commands.Keys)
	Body string `json:"body"` // standard base64 of the CommandBody JSON
	Sig  string `json:"sig"`  // standard base64 of Ed25519(private key, body bytes)
}

// CommandBody is what the control room signs.
type CommandBody struct {
	V     int             `json:"v"`     // CommandVersion
	Cmd   string          `json:"cmd"`   // one of CommandNames; equals the topic's last level
	Site  string          `json:"site"`  // the target lane's site ...
	Lane  string          `json:"lane"`  // ... and id: a command signed for one lane is refused by all others
	Nonce string          `json:"nonce"` // 16-64 of [A-Za-z0-9_-], never reused
	IAT   int64           `json:"iat"`   // issued at, unix seconds
	Exp   int64           `json:"exp"`   // expires at, unix seconds; exp-iat <= max_validity
	Args  json.RawMessage `json:"args,omitempty"`
}

// Ack codes: "ok", or why the command was not carried out.
const (
	CodeOK              = "ok"                // carried out (the reason may qualify it)
	CodeRefused         = "refused"           // authorised, but the lane (or the watchlist, or the reload) said no
	CodeMalformed       = "malformed"         // not a well-formed envelope or body, or bad arguments
	CodeUnknownKey      = "unknown_key"       // key id not configured
	CodeBadSignature    = "bad_signature"     // signature does not verify
	CodeWrongTarget     = "wrong_target"      // signed for another lane, or topic and cmd differ
	CodeExpired         = "expired"           // now > exp (+ skew)
	CodeNotYetValid     = "not_yet_valid"     // iat > now (+ skew)
	CodeValidityTooLong = "validity_too_long" // exp - iat > max_validity
	CodeReplay          = "replay"            // nonce seen before
	CodeUnknownCommand  = "unknown_command"   // not in CommandNames
	CodeNotPermitted    = "not_permitted"     // key not allowed this command
	CodeUnsupported     = "unsupported"       // this lane has no watchlist or reloader
	CodeLaneError       = "lane_error"        // the lane did not answer, or the nonce could not be recorded
	CodeThrottled       = "throttled"         // never sent: rejections over the rate limit are only counted
)

// Rejection says why a command was refused before it reached the lane.
type Rejection struct {
	Code   string
	Detail string
}

func (r *Rejection) Error() string { return "mqtt: command rejected: " + r.Code + ": " + r.Detail }

func reject(code, format string, args ...any) *Rejection {
	return &Rejection{Code: code, Detail: fmt.Sprintf(format, args...)}
}

// Verified is a command whose envelope, signature, target, times and
// arguments have been checked. Its nonce is not yet recorded.
type Verified struct {
	Key  string
	Body CommandBody
	Mode string // set_mode's argument
}

// claimed is what an envelope says about itself, trusted or not, for the
// ack of a rejected command.
type claimed struct {
	Key, Nonce, Cmd string
}

type verifier struct {
	keys        map[string]*CommandKey
	site, lane  string
	maxValidity time.Duration
	skew        time.Duration
	maxBytes    int
}

func newVerifier(o *Opts) *verifier {
	v := &verifier{keys: map[string]*CommandKey{}, site: o.Site, lane: o.Lane,
		maxValidity: o.Commands.MaxValidity, skew: o.Commands.ClockSkew, maxBytes: o.Commands.MaxBytes}
	for i := range o.Commands.Keys {
		v.keys[o.Commands.Keys[i].ID] = &o.Commands.Keys[i]
	}
	return v
}

var nonceRe = regexp.MustCompile(`^[A-Za-z0-9_-]{16,64}$`)

// verify checks a command received on cmd/<name>. It never touches the
// lane or the store. The order of the checks is the order of the codes in
// the README: the first failure is reported.
func (v *verifier) verify(name string, raw []byte, now time.Time) (Verified, claimed, *Rejection) {
	var cl claimed
	if len(raw) > v.maxBytes {
		return Verified{}, cl, reject(CodeMalformed, "message of %d bytes exceeds %d", len(raw), v.maxBytes)
	}
	var env Envelope
	if err := decodeStrict(raw, &env); err != nil {
		return Verified{}, cl, reject(CodeMalformed, "envelope: %v", err)
	}
	if nameRe.MatchString(env.Key) {
		cl.Key = env.Key
	}
	if env.V != EnvelopeVersion {
		return Verified{}, cl, reject(CodeMalformed, "envelope version %d, want %d", env.V, EnvelopeVersion)
	}
	body, err := base64.StdEncoding.DecodeString(env.Body)
	if err != nil || len(body) == 0 {
		return Verified{}, cl, reject(CodeMalformed, "body is not standard base64")
	}
	sig, err := base64.StdEncoding.DecodeString(env.Sig)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return Verified{}, cl, reject(CodeMalformed, "sig is not a base64 %d-byte Ed25519 signature", ed25519.SignatureSize)
	}
	// What the body claims, for the ack only; nothing acts on it unverified.
	var peek struct {
		Nonce string `json:"nonce"`
		Cmd   string `json:"cmd"`
	}
	if json.Unmarshal(body, &peek) == nil {
		if nonceRe.MatchString(peek.Nonce) {
			cl.Nonce = peek.Nonce
		}
		if slices.Contains(CommandNames, peek.Cmd) {
			cl.Cmd = peek.Cmd
		}
	}
	key, ok := v.keys[env.Key]
	if !ok {
		return Verified{}, cl, reject(CodeUnknownKey, "no key %q", cl.Key)
	}
	if !ed25519.Verify(key.pub, body, sig) {
		return Verified{}, cl, reject(CodeBadSignature, "signature does not verify with key %q", key.ID)
	}
	var b CommandBody
	if err := decodeStrict(body, &b); err != nil {
		return Verified{}, cl, reject(CodeMalformed, "body: %v", err)
	}
	if b.V != CommandVersion {
		return Verified{}, cl, reject(CodeMalformed, "body version %d, want %d", b.V, CommandVersion)
	}
	if !nonceRe.MatchString(b.Nonce) {
		return Verified{}, cl, reject(CodeMalformed, "nonce must be 16-64 characters of A-Z a-z 0-9 _ -")
	}
	if b.Cmd != name {
		return Verified{}, cl, reject(CodeWrongTarget, "body is for command %q, received on cmd/%s", trunc(b.Cmd, 32), trunc(name, 32))
	}
	if b.Site != v.site || b.Lane != v.lane {
		return Verified{}, cl, reject(CodeWrongTarget, "signed for %s/%s, this is %s/%s", trunc(b.Site, 64), trunc(b.Lane, 64), v.site, v.lane)
	}
	iat, exp := time.Unix(b.IAT, 0), time.Unix(b.Exp, 0)
	switch {
	case b.IAT <= 0 || b.Exp <= b.IAT:
		return Verified{}, cl, reject(CodeMalformed, "need 0 < iat < exp")
	case exp.Sub(iat) > v.maxValidity:
		return Verified{}, cl, reject(CodeValidityTooLong, "valid for %s, at most %s", exp.Sub(iat), v.maxValidity)
	case now.After(exp.Add(v.skew)):
		return Verified{}, cl, reject(CodeExpired, "expired at %s", exp.UTC().Format(time.RFC3339))
	case iat.After(now.Add(v.skew)):
		return Verified{}, cl, reject(CodeNotYetValid, "issued at %s, in the future", iat.UTC().Format(time.RFC3339))
	}
	if !slices.Contains(CommandNames, b.Cmd) {
		return Verified{}, cl, reject(CodeUnknownCommand, "unknown command %q", trunc(b.Cmd, 32))
	}
	if len(key.Commands) > 0 && !slices.Contains(key.Commands, b.Cmd) {
		return Verified{}, cl, reject(CodeNotPermitted, "key %q may not send %s", key.ID, b.Cmd)
	}
	out := Verified{Key: key.ID, Body: b}
	if err := checkArgs(&out); err != nil {
		return Verified{}, cl, reject(CodeMalformed, "args: %v", err)
	}
	return out, cl, nil
}

// checkArgs validates the arguments of each command.
func checkArgs(v *Verified) error {
	args := bytes.TrimSpace(v.Body.Args)
	isNull := len(args) == 0 || bytes.Equal(args, []byte("null"))
	switch v.Body.Cmd {
	case "set_mode":
		var a struct {
			Mode string `json:"mode"`
		}
		if isNull {
			return errors.New("set_mode needs {\"mode\": ...}")
		}
		if err := decodeStrict(args, &a); err != nil {
			return err
		}
		if !slices.Contains(Modes, a.Mode) {
			return fmt.Errorf("mode %q: want normal, maintenance or out_of_service", trunc(a.Mode, 32))
		}
		v.Mode = a.Mode
	case "watchlist_delta":
		if isNull || args[0] != '{' {
			return errors.New("watchlist_delta needs an object")
		}
	default:
		if !isNull && !bytes.Equal(args, []byte("{}")) {
			return fmt.Errorf("%s takes no arguments", v.Body.Cmd)
		}
	}
	return nil
}

// decodeStrict decodes exactly one JSON value, rejecting unknown fields
// and trailing data.
func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errors.New(trunc(err.Error(), 120))
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("trailing data")
	}
	return nil
}

func trunc(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// SignCommand signs body with priv and returns the envelope to publish on
// <prefix>cmd/<body.Cmd>. Zero V fields are set to the current versions.
func SignCommand(priv ed25519.PrivateKey, keyID string, body CommandBody) ([]byte, error) {
	if len(priv) != ed25519.PrivateKeySize {
		return nil, errors.New("mqtt: not an Ed25519 private key")
	}
	if body.V == 0 {
		body.V = CommandVersion
	}
	b, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("mqtt: %w", err)
	}
	return json.Marshal(Envelope{
		V: EnvelopeVersion, Key: keyID,
		Body: base64.StdEncoding.EncodeToString(b),
		Sig:  base64.StdEncoding.EncodeToString(ed25519.Sign(priv, b)),
	})
}

// NewNonce returns a random 22-character nonce.
func NewNonce() string {
	var b [16]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}
