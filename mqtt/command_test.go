package mqtt

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A fixed key pair for the table and fuzz tests.
var (
	testSeed = bytes.Repeat([]byte{7}, ed25519.SeedSize)
	testPriv = ed25519.NewKeyFromSeed(testSeed)
	testPub  = testPriv.Public().(ed25519.PublicKey)
	otherKey = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, ed25519.SeedSize))
	testNow  = time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
)

func testVerifier(t testing.TB) *verifier {
	o := Opts{Site: "site-1", Lane: "lane-01", Brokers: []string{"ssl://127.0.0.1:8883"}, Commands: CommandOpts{Keys: []CommandKey{
		{ID: "cr-1", PublicKey: base64.StdEncoding.EncodeToString(testPub)},
		{ID: "viewer", PublicKey: base64.StdEncoding.EncodeToString(otherKey.Public().(ed25519.PublicKey)), Commands: []string{"status_request"}},
	}, MaxBytes: 64 << 10}}.withDefaults()
	if err := o.validate(); err != nil {
		t.Fatal(err)
	}
	return newVerifier(&o)
}

func body(cmd string, mod ...func(*CommandBody)) CommandBody {
	b := CommandBody{V: 1, Cmd: cmd, Site: "site-1", Lane: "lane-01", Nonce: "nonce-0123456789abcdef",
		IAT: testNow.Unix() - 5, Exp: testNow.Unix() + 60}
	for _, m := range mod {
		m(&b)
	}
	return b
}

func signed(t testing.TB, priv ed25519.PrivateKey, key string, b CommandBody) []byte {
	env, err := SignCommand(priv, key, b)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// rawEnvelope signs arbitrary body bytes.
func rawEnvelope(priv ed25519.PrivateKey, key string, body []byte) []byte {
	env, _ := json.Marshal(Envelope{V: 1, Key: key, Body: base64.StdEncoding.EncodeToString(body),
		Sig: base64.StdEncoding.EncodeToString(ed25519.Sign(priv, body))})
	return env
}

type verifyCase struct {
	name  string
	topic string // cmd/<topic>
	msg   []byte
	code  string // "" = accepted
}

func verifyCases(t testing.TB) []verifyCase {
	good := signed(t, testPriv, "cr-1", body("lock"))
	tampered := func() []byte {
		var e Envelope
		json.Unmarshal(good, &e)
		b, _ := base64.StdEncoding.DecodeString(e.Body)
		b = bytes.Replace(b, []byte(`"lock"`), []byte(`"unlock"`), 1)
		e.Body = base64.StdEncoding.EncodeToString(b)
		out, _ := json.Marshal(e)
		return out
	}()
	return []verifyCase{
		{"lock", "lock", good, ""},
		{"set_mode maintenance", "set_mode", signed(t, testPriv, "cr-1", body("set_mode", func(b *CommandBody) { b.Args = json.RawMessage(`{"mode":"maintenance"}`) })), ""},
		{"watchlist delta", "watchlist_delta", signed(t, testPriv, "cr-1", body("watchlist_delta", func(b *CommandBody) { b.Args = json.RawMessage(`{"add":["ab"],"version":"7"}`) })), ""},
		{"restricted key, allowed command", "status_request", signed(t, otherKey, "viewer", body("status_request")), ""},
		{"empty", "lock", nil, CodeMalformed},
		{"not json", "lock", []byte("lock please"), CodeMalformed},
		{"trailing data", "lock", append(append([]byte{}, good...), []byte(" {}")...), CodeMalformed},
		{"unknown envelope field", "lock", bytes.Replace(good, []byte(`{"v":1`), []byte(`{"v":1,"x":2`), 1), CodeMalformed},
		{"envelope version", "lock", bytes.Replace(good, []byte(`{"v":1`), []byte(`{"v":2`), 1), CodeMalformed},
		{"too large", "lock", append(append([]byte{}, good[:len(good)-1]...), []byte(`,"pad":"`+strings.Repeat("x", 70<<10)+`"}`)...), CodeMalformed},
		{"unknown key", "lock", signed(t, testPriv, "cr-9", body("lock")), CodeUnknownKey},
		{"bad signature (other key)", "lock", signed(t, otherKey, "cr-1", body("lock")), CodeBadSignature},
		{"bad signature (tampered body)", "lock", tampered, CodeBadSignature},
		{"signature not base64", "lock", bytes.Replace(good, []byte(`"sig":"`), []byte(`"sig":"!`), 1), CodeMalformed},
		{"body unknown field", "lock", rawEnvelope(testPriv, "cr-1", []byte(`{"v":1,"cmd":"lock","site":"site-1","lane":"lane-01","nonce":"nonce-0123456789abcdef","iat":1,"exp":2,"evil":1}`)), CodeMalformed},
		{"body not json", "lock", rawEnvelope(testPriv, "cr-1", []byte(`lock`)), CodeMalformed},
		{"body version", "lock", signed(t, testPriv, "cr-1", body("lock", func(b *CommandBody) { b.V = 2 })), CodeMalformed},
		{"short nonce", "lock", signed(t, testPriv, "cr-1", body("lock", func(b *CommandBody) { b.Nonce = "abc" })), CodeMalformed},
		{"nonce charset", "lock", signed(t, testPriv, "cr-1", body("lock", func(b *CommandBody) { b.Nonce = "nonce/0123456789abcdef" })), CodeMalformed},
		{"topic mismatch", "unlock", good, CodeWrongTarget},
		{"other lane", "lock", signed(t, testPriv, "cr-1", body("lock", func(b *CommandBody) { b.Lane = "lane-02" })), CodeWrongTarget},
		{"other site", "lock", signed(t, testPriv, "cr-1", body("lock", func(b *CommandBody) { b.Site = "site-2" })), CodeWrongTarget},
		{"expired", "lock", signed(t, testPriv, "cr-1", body("lock", func(b *CommandBody) { b.IAT, b.Exp = testNow.Unix()-200, testNow.Unix()-31 })), CodeExpired},
		{"expired within skew", "lock", signed(t, testPriv, "cr-1", body("lock", func(b *CommandBody) { b.IAT, b.Exp = testNow.Unix()-200, testNow.Unix()-29 })), ""},
		{"not yet valid", "lock", signed(t, testPriv, "cr-1", body("lock", func(b *CommandBody) { b.IAT, b.Exp = testNow.Unix()+31, testNow.Unix()+90 })), CodeNotYetValid},
		{"validity too long", "lock", signed(t, testPriv, "cr-1", body("lock", func(b *CommandBody) { b.Exp = b.IAT + 3600 })), CodeValidityTooLong},
		{"exp before iat", "lock", signed(t, testPriv, "cr-1", body("lock", func(b *CommandBody) { b.Exp = b.IAT - 1 })), CodeMalformed},
		{"unknown command", "self_destruct", signed(t, testPriv, "cr-1", body("self_destruct")), CodeUnknownCommand},
		{"not permitted", "lock", signed(t, otherKey, "viewer", body("lock")), CodeNotPermitted},
		{"set_mode without args", "set_mode", signed(t, testPriv, "cr-1", body("set_mode")), CodeMalformed},
		{"set_mode bad mode", "set_mode", signed(t, testPriv, "cr-1", body("set_mode", func(b *CommandBody) { b.Args = json.RawMessage(`{"mode":"party"}`) })), CodeMalformed},
		{"set_mode extra arg", "set_mode", signed(t, testPriv, "cr-1", body("set_mode", func(b *CommandBody) { b.Args = json.RawMessage(`{"mode":"normal","x":1}`) })), CodeMalformed},
		{"lock with args", "lock", signed(t, testPriv, "cr-1", body("lock", func(b *CommandBody) { b.Args = json.RawMessage(`{"now":true}`) })), CodeMalformed},
		{"watchlist delta not an object", "watchlist_delta", signed(t, testPriv, "cr-1", body("watchlist_delta", func(b *CommandBody) { b.Args = json.RawMessage(`[1]`) })), CodeMalformed},
	}
}

func TestVerify(t *testing.T) {
	v := testVerifier(t)
	for _, tc := range verifyCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			got, _, rej := v.verify(tc.topic, tc.msg, testNow)
			switch {
			case tc.code == "" && rej != nil:
				t.Fatalf("rejected: %v", rej)
			case tc.code != "" && rej == nil:
				t.Fatalf("accepted %+v, want %s", got, tc.code)
			case rej != nil && rej.Code != tc.code:
				t.Fatalf("code %s (%s), want %s", rej.Code, rej.Detail, tc.code)
			}
		})
	}
}

// FuzzVerify: no input panics, and nothing is accepted that is not a
// well-formed command for this lane signed by a configured key.
func FuzzVerify(f *testing.F) {
	for _, tc := range verifyCases(f) {
		f.Add(tc.topic, tc.msg)
	}
	v := testVerifier(f)
	f.Fuzz(func(t *testing.T, topic string, msg []byte) {
		got, cl, rej := v.verify(topic, msg, testNow)
		if cl.Nonce != "" && !nonceRe.MatchString(cl.Nonce) {
			t.Fatalf("claimed nonce %q not sanitised", cl.Nonce)
		}
		if rej != nil {
			if rej.Code == "" {
				t.Fatal("rejection without a code")
			}
			return
		}
		var env Envelope
		if err := json.Unmarshal(msg, &env); err != nil {
			t.Fatalf("accepted a message that is not JSON: %v", err)
		}
		b, _ := base64.StdEncoding.DecodeString(env.Body)
		sig, _ := base64.StdEncoding.DecodeString(env.Sig)
		k := v.keys[got.Key]
		if k == nil || !ed25519.Verify(k.pub, b, sig) {
			t.Fatal("accepted without a valid signature")
		}
		if got.Body.Cmd != topic || got.Body.Site != "site-1" || got.Body.Lane != "lane-01" {
			t.Fatalf("accepted a command for another target: %+v on %s", got.Body, topic)
		}
		if !nonceRe.MatchString(got.Body.Nonce) || got.Body.Exp <= got.Body.IAT {
			t.Fatalf("accepted bad fields: %+v", got.Body)
		}
	})
}

func TestOptsValidate(t *testing.T) {
	key := base64.StdEncoding.EncodeToString(testPub)
	base := func() Opts {
		return Opts{Brokers: []string{"ssl://broker:8883"}, Site: "site-1", Lane: "lane-01",
			Commands: CommandOpts{Keys: []CommandKey{{ID: "cr-1", PublicKey: key}}}}
	}
	for _, tc := range []struct {
		name string
		mod  func(*Opts)
		err  string
	}{
		{"ok", func(*Opts) {}, ""},
		{"no brokers", func(o *Opts) { o.Brokers = nil }, "no brokers"},
		{"plaintext", func(o *Opts) { o.Brokers = []string{"tcp://b:1883"} }, "plaintext"},
		{"plaintext allowed", func(o *Opts) { o.Brokers = []string{"tcp://b:1883"}; o.AllowPlaintext = true }, ""},
		{"no port", func(o *Opts) { o.Brokers = []string{"ssl://b"} }, "scheme://host:port"},
		{"websocket", func(o *Opts) { o.Brokers = []string{"ws://b:80"} }, "unsupported scheme"},
		{"lane with slash", func(o *Opts) { o.Lane = "a/b" }, "must be"},
		{"no site", func(o *Opts) { o.Site = "" }, "must be"},
		{"wildcard root", func(o *Opts) { o.TopicRoot = "egate/#" }, "topic_root"},
		{"cert without key", func(o *Opts) { o.TLS.CertFile = "c.pem" }, "go together"},
		{"bad key", func(o *Opts) { o.Commands.Keys[0].PublicKey = "AAAA" }, "32 bytes"},
		{"repeated key id", func(o *Opts) { o.Commands.Keys = append(o.Commands.Keys, o.Commands.Keys[0]) }, "repeated"},
		{"unknown command for key", func(o *Opts) { o.Commands.Keys[0].Commands = []string{"fly"} }, "unknown command"},
		{"tiny outbox", func(o *Opts) { o.Outbox.Max = 3 }, "outbox"},
		{"backoff inverted", func(o *Opts) { o.BackoffMin, o.BackoffMax = time.Minute, time.Second }, "backoff"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := base()
			tc.mod(&o)
			o = o.withDefaults()
			err := o.validate()
			if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
				t.Fatalf("err = %v, want %q", err, tc.err)
			}
		})
	}
}

func TestRedact(t *testing.T) {
	ref := strings.Repeat("ab12", 16) // a document HMAC
	for in, want := range map[string]string{
		"door.entry: relay stuck":             "door.entry: relay stuck",
		"watchlist hit " + ref:                "watchlist hit [redacted]",
		"mrz P<UTOERIKSSON<<ANNA<MARIA<<<<<<": "mrz [redacted]",
		"emergency open by mqtt:cr-1":         "emergency open by mqtt:cr-1",
	} {
		if got := redact(in); got != want {
			t.Errorf("redact(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFilterDropsPersonalData(t *testing.T) {
	got := filter(routes["passage"], map[string]any{
		"passage": 7, "outcome": "accept", "nationality": "UTO", "issuing_state": "UTO", "age_band": "30-49",
		"doc_ref": strings.Repeat("f", 64), "name": "ERIKSSON", "doc_type": "P",
	})
	for _, k := range []string{"nationality", "issuing_state", "age_band", "doc_ref", "name"} {
		if _, ok := got[k]; ok {
			t.Errorf("%s published", k)
		}
	}
	if got["outcome"] != "accept" || got["doc_type"] != "P" {
		t.Errorf("allowed fields missing: %v", got)
	}
}

func TestNewID(t *testing.T) {
	a, b := newID(testNow), newID(testNow.Add(time.Millisecond))
	if a == b || len(a) != 36 || a[14] != '7' || !strings.ContainsAny(a[19:20], "89ab") {
		t.Fatalf("ids %s %s", a, b)
	}
	if a[:13] >= b[:13] && a[:8] == b[:8] {
		t.Fatalf("ids not time-ordered: %s %s", a, b)
	}
}

// TestOpenSSLRecipe runs the signing recipe of README-section.md with the
// openssl command line (no Go on the control-room side) and checks that the
// lane accepts the result.
func TestOpenSSLRecipe(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not installed")
	}
	dir := t.TempDir()
	script := `set -euo pipefail
cd "$1"
openssl genpkey -algorithm ed25519 -out cr-1.pem 2>/dev/null
openssl pkey -in cr-1.pem -pubout -outform DER | tail -c 32 | base64 > pub.b64
now=1795000000   # $(date +%s) in real use
body='{"v":1,"cmd":"lock","site":"site-1","lane":"lane-01","nonce":"'$(openssl rand -hex 16)'","iat":'$now',"exp":'$((now + 60))'}'
printf %s "$body" > body.json
sig=$(openssl pkeyutl -sign -inkey cr-1.pem -rawin -in body.json | base64 -w0)
printf '{"v":1,"key":"cr-1","body":"%s","sig":"%s"}' "$(base64 -w0 body.json)" "$sig" > envelope.json
`
	out, err := exec.Command("bash", "-c", script, "recipe", dir).CombinedOutput()
	if err != nil {
		t.Skipf("openssl recipe did not run here (%v): %s", err, out)
	}
	pub, _ := os.ReadFile(filepath.Join(dir, "pub.b64"))
	env, _ := os.ReadFile(filepath.Join(dir, "envelope.json"))
	o := Opts{Site: "site-1", Lane: "lane-01", Brokers: []string{"ssl://b:8883"},
		Commands: CommandOpts{Keys: []CommandKey{{ID: "cr-1", PublicKey: strings.TrimSpace(string(pub))}}}}.withDefaults()
	if err := o.validate(); err != nil {
		t.Fatal(err)
	}
	got, _, rej := newVerifier(&o).verify("lock", env, time.Unix(1795000010, 0))
	if rej != nil {
		t.Fatalf("lane rejects the openssl-signed command: %v\n%s", rej, env)
	}
	if got.Body.Cmd != "lock" || got.Key != "cr-1" {
		t.Fatalf("got %+v", got)
	}
}
