package mqtt

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// Opts configures a Client. The fields with yaml tags come from the lane's
// configuration file (section "mqtt"); the others are set by the daemon.
type Opts struct {
	// Brokers are tried in order on every (re)connect: the first that
	// accepts wins (failover). Schemes: tcp:// or mqtt:// (plaintext, only
	// with AllowPlaintext), ssl://, tls://, mqtts://.
	Brokers []string `yaml:"brokers"`
	// ClientID defaults to "egate-<site>-<lane>". It must be unique per
	// lane: the broker disconnects an older session with the same id.
	ClientID string `yaml:"client_id"`
	// TopicRoot is the first part of every topic; default "egate/v1".
	TopicRoot string `yaml:"topic_root"`
	// Username and PasswordFile are optional broker credentials.
	Username     string `yaml:"username"`
	PasswordFile string `yaml:"password_file"`
	// TLS applies to the ssl://, tls:// and mqtts:// brokers.
	TLS TLSOpts `yaml:"tls"`
	// AllowPlaintext permits tcp:// brokers. Off by default: a lane on an
	// airport network talks TLS.
	AllowPlaintext bool `yaml:"allow_plaintext"`

	KeepAlive      time.Duration `yaml:"keepalive"`       // MQTT keepalive; default 30s
	ConnectTimeout time.Duration `yaml:"connect_timeout"` // per broker; default 10s
	BackoffMin     time.Duration `yaml:"backoff_min"`     // first reconnect delay; default 1s
	BackoffMax     time.Duration `yaml:"backoff_max"`     // reconnect delay cap; default 2m
	Heartbeat      time.Duration `yaml:"heartbeat"`       // heartbeat period; default 30s
	Metrics        time.Duration `yaml:"metrics"`         // metrics period; default 60s

	Outbox   OutboxOpts  `yaml:"outbox"`
	Commands CommandOpts `yaml:"commands"`

	// Site and Lane name the lane in topics and payloads (config lane.site
	// and lane.id). Required; no '/', '+', '#'.
	Site string `yaml:"-"`
	Lane string `yaml:"-"`
	// Versions go into the birth and status messages (e.g. "egated",
	// "policy").
	Versions map[string]string `yaml:"-"`
	// Watchlist applies watchlist deltas; nil: the command is refused as
	// unsupported.
	Watchlist WatchlistApplier `yaml:"-"`
	// Reloader reloads the configuration; nil: refused as unsupported.
	Reloader ConfigReloader `yaml:"-"`
	// Now is the wall clock used for command expiry and timestamps; nil:
	// time.Now. The lane's own timestamps come with its events.
	Now func() time.Time `yaml:"-"`
}

// TLSOpts locate the PEM files for TLS.
type TLSOpts struct {
	// CAFile holds the CA certificates that sign the brokers'
	// certificates; empty: the system roots.
	CAFile string `yaml:"ca_file"`
	// CertFile and KeyFile are the lane's client certificate and key, both
	// or neither. They are re-read at every handshake (rotation).
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	// ServerName overrides the name checked in the broker's certificate;
	// empty: the host of the broker URL.
	ServerName string `yaml:"server_name"`
}

// OutboxOpts bound the outbox.
type OutboxOpts struct {
	// Max is the bound on queued messages; default 100000 (weeks of
	// passages at a busy lane). Decisions and alarms may exceed it.
	Max int `yaml:"max"`
	// Window is the number of QoS 1 messages in flight; default 32.
	Window int `yaml:"window"`
}

// CommandOpts configure command authorisation.
type CommandOpts struct {
	// Keys may sign commands. No keys: every command is rejected.
	Keys []CommandKey `yaml:"keys"`
	// MaxValidity caps exp-iat of a command; default 5m.
	MaxValidity time.Duration `yaml:"max_validity"`
	// ClockSkew is tolerated between signer and lane; default 30s.
	ClockSkew time.Duration `yaml:"clock_skew"`
	// NonceRetention keeps nonces this long past their expiry, against a
	// clock set back (a Pi has no RTC); default 24h.
	NonceRetention time.Duration `yaml:"nonce_retention"`
	// MaxBytes caps an inbound command message; default 1 MiB (watchlist
	// deltas are the large ones; base64 adds a third).
	MaxBytes int `yaml:"max_bytes"`
	// Timeout bounds how long the lane may take to answer; default 5s.
	Timeout time.Duration `yaml:"timeout"`
}

// CommandKey is one public key allowed to sign commands.
type CommandKey struct {
	// ID names the key in envelopes, acks and the audit log (e.g.
	// "control-room-1"). Not a person's name.
	ID string `yaml:"id"`
	// PublicKey is the raw 32-byte Ed25519 public key in standard base64.
	PublicKey string `yaml:"public_key"`
	// Commands this key may send; empty: all.
	Commands []string `yaml:"commands"`

	pub ed25519.PublicKey
}

// DefaultOpts returns the defaults. New fills every zero field of the Opts
// it is given from here.
func DefaultOpts() Opts {
	return Opts{
		TopicRoot:      "egate/v1",
		KeepAlive:      30 * time.Second,
		ConnectTimeout: 10 * time.Second,
		BackoffMin:     time.Second,
		BackoffMax:     2 * time.Minute,
		Heartbeat:      30 * time.Second,
		Metrics:        time.Minute,
		Outbox:         OutboxOpts{Max: 100000, Window: 32},
		Commands: CommandOpts{
			MaxValidity:    5 * time.Minute,
			ClockSkew:      30 * time.Second,
			NonceRetention: 24 * time.Hour,
			MaxBytes:       1 << 20,
			Timeout:        5 * time.Second,
		},
	}
}

var nameRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// withDefaults fills zero fields from DefaultOpts.
func (o Opts) withDefaults() Opts {
	d := DefaultOpts()
	def := func(v *time.Duration, dv time.Duration) {
		if *v == 0 {
			*v = dv
		}
	}
	if o.TopicRoot == "" {
		o.TopicRoot = d.TopicRoot
	}
	def(&o.KeepAlive, d.KeepAlive)
	def(&o.ConnectTimeout, d.ConnectTimeout)
	def(&o.BackoffMin, d.BackoffMin)
	def(&o.BackoffMax, d.BackoffMax)
	def(&o.Heartbeat, d.Heartbeat)
	def(&o.Metrics, d.Metrics)
	if o.Outbox.Max == 0 {
		o.Outbox.Max = d.Outbox.Max
	}
	if o.Outbox.Window == 0 {
		o.Outbox.Window = d.Outbox.Window
	}
	def(&o.Commands.MaxValidity, d.Commands.MaxValidity)
	def(&o.Commands.ClockSkew, d.Commands.ClockSkew)
	def(&o.Commands.NonceRetention, d.Commands.NonceRetention)
	def(&o.Commands.Timeout, d.Commands.Timeout)
	if o.Commands.MaxBytes == 0 {
		o.Commands.MaxBytes = d.Commands.MaxBytes
	}
	if o.ClientID == "" {
		o.ClientID = "egate-" + o.Site + "-" + o.Lane
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	o.Commands.Keys = slices.Clone(o.Commands.Keys) // validate fills in the decoded keys: not in the caller's slice
	return o
}

// Validate checks the options as New would, without reading any file (for
// egated --check-config). Site and Lane must be set.
func (o Opts) Validate() error {
	o = o.withDefaults()
	return o.validate()
}

// validate rejects values that would misbehave silently. It decodes the
// command keys.
func (o *Opts) validate() error {
	if len(o.Brokers) == 0 {
		return errors.New("mqtt: no brokers configured") // would retry forever
	}
	for _, b := range o.Brokers {
		u, err := url.Parse(b)
		if err != nil || u.Host == "" || u.Port() == "" {
			return fmt.Errorf("mqtt: broker %q: want scheme://host:port", b)
		}
		switch u.Scheme {
		case "ssl", "tls", "mqtts":
		case "tcp", "mqtt":
			if !o.AllowPlaintext {
				return fmt.Errorf("mqtt: broker %q is plaintext; use ssl:// or set allow_plaintext", b)
			}
		default:
			return fmt.Errorf("mqtt: broker %q: unsupported scheme %q (tcp, mqtt, ssl, tls, mqtts)", b, u.Scheme)
		}
	}
	if !nameRe.MatchString(o.Site) || !nameRe.MatchString(o.Lane) {
		return fmt.Errorf("mqtt: site %q and lane %q must be 1-64 letters, digits, '.', '_' or '-'", o.Site, o.Lane)
	}
	if o.TopicRoot == "" || strings.ContainsAny(o.TopicRoot, "+#") || strings.HasPrefix(o.TopicRoot, "/") || strings.HasSuffix(o.TopicRoot, "/") {
		return fmt.Errorf("mqtt: topic_root %q: no wildcards, no leading or trailing '/'", o.TopicRoot)
	}
	if len(o.ClientID) > 64 || strings.ContainsAny(o.ClientID, "/+#") {
		return fmt.Errorf("mqtt: client_id %q: at most 64 characters, no '/', '+', '#'", o.ClientID)
	}
	if (o.TLS.CertFile == "") != (o.TLS.KeyFile == "") {
		return errors.New("mqtt: tls.cert_file and tls.key_file go together")
	}
	if o.KeepAlive < time.Second || o.ConnectTimeout < 100*time.Millisecond || o.BackoffMin <= 0 || o.BackoffMax < o.BackoffMin {
		return errors.New("mqtt: keepalive >= 1s, connect_timeout >= 100ms and 0 < backoff_min <= backoff_max required")
	}
	if o.Heartbeat < 100*time.Millisecond || o.Metrics < 100*time.Millisecond {
		return errors.New("mqtt: heartbeat and metrics periods must be at least 100ms")
	}
	if o.Outbox.Max < 10 || o.Outbox.Window < 1 || o.Outbox.Window > 1000 {
		return errors.New("mqtt: outbox.max >= 10 and 1 <= outbox.window <= 1000 required")
	}
	c := &o.Commands
	if c.MaxValidity <= 0 || c.ClockSkew < 0 || c.NonceRetention < 0 || c.MaxBytes < 512 || c.Timeout <= 0 {
		return errors.New("mqtt: commands: max_validity > 0, clock_skew >= 0, nonce_retention >= 0, max_bytes >= 512, timeout > 0 required")
	}
	seen := map[string]bool{}
	for i := range c.Keys {
		k := &c.Keys[i]
		if !nameRe.MatchString(k.ID) || seen[k.ID] {
			return fmt.Errorf("mqtt: commands.keys[%d]: id %q missing, malformed or repeated", i, k.ID)
		}
		seen[k.ID] = true
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(k.PublicKey))
		if err != nil || len(raw) != ed25519.PublicKeySize {
			return fmt.Errorf("mqtt: commands.keys[%d] (%s): public_key must be %d bytes in base64", i, k.ID, ed25519.PublicKeySize)
		}
		k.pub = ed25519.PublicKey(raw)
		for _, name := range k.Commands {
			if !slices.Contains(CommandNames, name) {
				return fmt.Errorf("mqtt: commands.keys[%d] (%s): unknown command %q", i, k.ID, name)
			}
		}
	}
	return nil
}

// tlsConfig builds the TLS configuration, or nil if no broker uses TLS.
func (o *Opts) tlsConfig() (*tls.Config, error) {
	useTLS := false
	for _, b := range o.Brokers {
		if u, _ := url.Parse(b); u != nil && (u.Scheme == "ssl" || u.Scheme == "tls" || u.Scheme == "mqtts") {
			useTLS = true
		}
	}
	if !useTLS {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: o.TLS.ServerName}
	if o.TLS.CAFile != "" {
		pem, err := os.ReadFile(o.TLS.CAFile)
		if err != nil {
			return nil, fmt.Errorf("mqtt: tls.ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("mqtt: tls.ca_file %s: no PEM certificate in it", o.TLS.CAFile)
		}
		cfg.RootCAs = pool
	}
	if o.TLS.CertFile != "" {
		last, err := tls.LoadX509KeyPair(o.TLS.CertFile, o.TLS.KeyFile)
		if err != nil { // fail at start-up, not at the first handshake
			return nil, fmt.Errorf("mqtt: tls client certificate: %w", err)
		}
		certFile, keyFile := o.TLS.CertFile, o.TLS.KeyFile
		var mu sync.Mutex
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			// Re-read so a rotated certificate is used without a restart;
			// keep the last good pair if the files are mid-rotation.
			mu.Lock()
			defer mu.Unlock()
			if c, err := tls.LoadX509KeyPair(certFile, keyFile); err == nil {
				last = c
			}
			cert := last
			return &cert, nil
		}
	}
	return cfg, nil
}

// password reads the password file, if any.
func (o *Opts) password() (string, error) {
	if o.PasswordFile == "" {
		return "", nil
	}
	b, err := os.ReadFile(o.PasswordFile)
	if err != nil {
		return "", fmt.Errorf("mqtt: password_file: %w", err)
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

// WatchlistApplier applies a signed watchlist delta. delta is the "args"
// object of the command, as sent; its format belongs to the watchlist. The
// returned detail (no personal data: counts and versions only) goes into
// the ack.
type WatchlistApplier interface {
	ApplyWatchlistDelta(ctx context.Context, delta []byte) (detail string, err error)
}

// ConfigReloader re-reads the lane configuration.
type ConfigReloader interface {
	ReloadConfig(ctx context.Context) error
}
