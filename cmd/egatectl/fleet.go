package main

// egatectl fleet: the control room's live view of every lane on a broker,
// and signed commands to one lane.
//
//	egatectl fleet --broker URL [--topic-root egate/v1] [--interval 1s] [--for DUR] [--json]
//	egatectl fleet send --broker URL --site S --lane L --key-file F --key-id ID CMD [--args JSON]
//
// The view subscribes to <topic-root>/+/+/# and builds one row per lane
// from the topics of mqtt/ (see mqtt/asyncapi.yaml): the retained
// connection topic (birth, or the "offline" last will), the retained
// status (mode, state, faults), alarms and events (passages). Passages and
// alarms are counted over the last hour from the messages seen while
// watching: the broker keeps only the latest retained messages, not the
// history. A lane that was online but has sent nothing for --stale
// (default 90s, three heartbeats) shows as "stale".
//
// Payloads are the mqtt package's envelope {"type","site","lane","ts",
// "data":{...}}; a bare JSON object (no "data") is read as the data itself,
// so a status of {"state":"ready","mode":"normal"} works too.
//
// Exit codes: 0 ok (fleet send: the lane carried the command out); 1 fleet
// send: the lane refused or rejected the command, or no answer came; 2
// usage error, broker unreachable, bad key.

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/egate/egate/mqtt"
)

func init() {
	register("fleet", "control room: live table of every lane on a broker (fleet --broker URL), signed commands (fleet send ...)", runFleet)
}

// brokerFlags are the connection flags of both fleet forms.
type brokerFlags struct {
	broker, root, user, passFile, ca, cert, key string
}

func addBrokerFlags(fs *flag.FlagSet) *brokerFlags {
	b := &brokerFlags{}
	fs.StringVar(&b.broker, "broker", os.Getenv("EGATE_BROKER"), "broker `URL`: tcp://host:1883, ssl://host:8883 (mqtt:// and mqtts:// too)")
	fs.StringVar(&b.root, "topic-root", "egate/v1", "topic `root` the lanes publish under")
	fs.StringVar(&b.user, "username", "", "broker user `name`")
	fs.StringVar(&b.passFile, "password-file", "", "`file` holding the broker password")
	fs.StringVar(&b.ca, "ca", "", "CA certificates `file` (PEM) for a TLS broker; default: the system roots")
	fs.StringVar(&b.cert, "cert", "", "client certificate `file` (PEM) for a TLS broker")
	fs.StringVar(&b.key, "cert-key", "", "client certificate key `file` (PEM)")
	return b
}

// connect connects to the broker, subscribing on every (re)connect to the
// given topics with handler.
func (b *brokerFlags) connect(ctx context.Context, clientID string, subs []string, handler paho.MessageHandler, stderr io.Writer) (paho.Client, error) {
	if b.broker == "" {
		return nil, usageErr("--broker is required (or set EGATE_BROKER)")
	}
	u := b.broker
	if !strings.Contains(u, "://") {
		u = "tcp://" + u
	}
	switch {
	case strings.HasPrefix(u, "mqtt://"):
		u = "tcp://" + strings.TrimPrefix(u, "mqtt://")
	case strings.HasPrefix(u, "mqtts://"):
		u = "ssl://" + strings.TrimPrefix(u, "mqtts://")
	}
	o := paho.NewClientOptions().AddBroker(u).SetClientID(clientID).SetCleanSession(true).
		SetAutoReconnect(true).SetConnectTimeout(5 * time.Second).SetKeepAlive(30 * time.Second).
		SetMaxReconnectInterval(10 * time.Second).SetOrderMatters(false)
	if b.user != "" {
		o.SetUsername(b.user)
	}
	if b.passFile != "" {
		pw, err := os.ReadFile(b.passFile)
		if err != nil {
			return nil, usageErr("--password-file: %v", err)
		}
		o.SetPassword(strings.TrimSpace(string(pw)))
	}
	if strings.HasPrefix(u, "ssl://") || strings.HasPrefix(u, "tls://") || b.ca != "" || b.cert != "" {
		cfg := &tls.Config{MinVersion: tls.VersionTLS12}
		if b.ca != "" {
			pemb, err := os.ReadFile(b.ca)
			if err != nil {
				return nil, usageErr("--ca: %v", err)
			}
			cfg.RootCAs = x509.NewCertPool()
			if !cfg.RootCAs.AppendCertsFromPEM(pemb) {
				return nil, usageErr("--ca: no PEM certificate in %s", b.ca)
			}
		}
		if b.cert != "" || b.key != "" {
			c, err := tls.LoadX509KeyPair(b.cert, b.key)
			if err != nil {
				return nil, usageErr("--cert/--cert-key: %v", err)
			}
			cfg.Certificates = []tls.Certificate{c}
		}
		o.SetTLSConfig(cfg)
	}
	var lostOnce sync.Once
	o.SetOnConnectHandler(func(c paho.Client) {
		for _, topic := range subs {
			t := c.Subscribe(topic, 1, handler)
			go func() {
				select {
				case <-t.Done():
					if err := t.Error(); err != nil {
						fmt.Fprintf(stderr, "egatectl fleet: subscribing to %s: %v\n", topic, err)
					}
				case <-ctx.Done():
				}
			}()
		}
	})
	o.SetConnectionLostHandler(func(_ paho.Client, err error) {
		lostOnce.Do(func() { fmt.Fprintf(stderr, "egatectl fleet: connection to the broker lost (%v); reconnecting\n", err) })
	})
	c := paho.NewClient(o)
	t := c.Connect()
	select {
	case <-t.Done():
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if err := t.Error(); err != nil {
		return nil, &cliError{2, fmt.Sprintf("cannot connect to the broker %s: %v", b.broker, err)}
	}
	return c, nil
}

func runFleet(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "send" {
		return runFleetSend(args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("fleet", flag.ContinueOnError)
	fs.SetOutput(stderr)
	bf := addBrokerFlags(fs)
	interval := fs.Duration("interval", time.Second, "redraw `period`")
	forDur := fs.Duration("for", 0, "stop after this `duration` (default: until Ctrl-C)")
	stale := fs.Duration("stale", 90*time.Second, "an online lane silent this `long` shows as stale")
	asJSON := fs.Bool("json", false, "print the table as a JSON array whenever it changes")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: egatectl fleet --broker URL [--topic-root egate/v1] [--interval 1s] [--for DUR] [--json] [TLS flags]")
		fmt.Fprintln(stderr, "       egatectl fleet send --broker URL --site S --lane L --key-file F --key-id ID COMMAND [--args JSON]")
		fmt.Fprintln(stderr)
		fmt.Fprintln(stderr, "Shows every lane publishing under the topic root: online or offline (last will), mode, state,")
		fmt.Fprintln(stderr, "health, alarms and passages in the last hour (counted while watching).")
		fmt.Fprintln(stderr, "On a terminal the table is redrawn in place; otherwise it is printed again when it changes.")
		fmt.Fprintln(stderr, "Exit 0 ok, 2 usage or broker unreachable.")
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "egatectl fleet: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *interval < 100*time.Millisecond {
		*interval = 100 * time.Millisecond
	}
	ctx, stop := signalContext(*forDur)
	defer stop()
	f := newFleet(strings.TrimSuffix(bf.root, "/"), *stale)
	handler := func(_ paho.Client, m paho.Message) { f.handle(m.Topic(), m.Payload(), time.Now()) }
	c, err := bf.connect(ctx, "egatectl-fleet-"+mqtt.NewNonce()[:10], []string{f.root + "/+/+/#"}, handler, stderr)
	if err != nil {
		return fail(stderr, "fleet", err)
	}
	defer c.Disconnect(250)

	tty := isTerminal(stdout)
	last := ""
	draw := func(final bool) {
		now := time.Now()
		var body string
		if *asJSON {
			b, _ := json.Marshal(f.rows(now))
			body = string(b) + "\n"
		} else {
			body = f.table(now)
		}
		switch {
		case tty && !*asJSON:
			fmt.Fprintf(stdout, "\x1b[H\x1b[2J%s%s", f.header(bf.broker, now), body)
		case body != last || (final && last == ""):
			if !*asJSON {
				fmt.Fprint(stdout, f.header(bf.broker, now))
			}
			fmt.Fprint(stdout, body)
			if !*asJSON && !tty {
				fmt.Fprintln(stdout)
			}
		}
		last = body
	}
	tick := time.NewTicker(*interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			draw(true)
			return 0
		case <-tick.C:
			draw(false)
		}
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// fleetLane is one row of the fleet table.
type fleetLane struct {
	Site      string    `json:"site"`
	Lane      string    `json:"lane"`
	Conn      string    `json:"connection"` // online | offline | stale | unknown
	Reason    string    `json:"offline_reason,omitempty"`
	Mode      string    `json:"mode"`
	State     string    `json:"state"`
	Health    string    `json:"health"`
	Faults    []string  `json:"faults,omitempty"`
	Emergency bool      `json:"emergency,omitempty"`
	Alarms1h  int       `json:"alarms_1h"`
	LastAlarm string    `json:"last_alarm,omitempty"`
	Pass1h    int       `json:"passages_1h"`
	LastMsg   time.Time `json:"last_message"`
	// AuditSeq and AuditHead are the lane's latest audit chain head (MQTT
	// event "audit"); keep them to check the lane later with egatectl audit
	// verify --expect. AuditWarning says when a head went back or changed
	// under the same sequence number: the chain was rebuilt or restored.
	AuditSeq     int64  `json:"audit_seq,omitempty"`
	AuditHead    string `json:"audit_head,omitempty"`
	AuditWarning string `json:"audit_warning,omitempty"`

	online    *bool
	session   float64
	auditTS   time.Time
	alarmTS   []time.Time
	passTS    []time.Time
	seen      map[string]bool // message ids (QoS 1 may redeliver)
	seenOrder []string
}

// fleet is the model behind the table.
type fleet struct {
	root  string
	stale time.Duration
	mu    sync.Mutex
	lanes map[string]*fleetLane
}

func newFleet(root string, stale time.Duration) *fleet {
	return &fleet{root: root, stale: stale, lanes: map[string]*fleetLane{}}
}

// fleetEnvelope is the mqtt package's payload envelope.
type fleetEnvelope struct {
	ID   string          `json:"id"`
	Type string          `json:"type"`
	TS   string          `json:"ts"`
	Data json.RawMessage `json:"data"`
}

// handle applies one message; at is when it was received.
func (f *fleet) handle(topic string, payload []byte, at time.Time) {
	rest, ok := strings.CutPrefix(topic, f.root+"/")
	if !ok {
		return
	}
	parts := strings.SplitN(rest, "/", 3)
	if len(parts) < 3 || parts[0] == "" || parts[1] == "" {
		return
	}
	site, lane, kind := parts[0], parts[1], parts[2]
	if strings.HasPrefix(kind, "cmd/") {
		return // commands to lanes and their acks
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	key := site + "/" + lane
	l := f.lanes[key]
	if len(payload) == 0 {
		if kind == "connection" || kind == "status" {
			delete(f.lanes, key) // retained message cleared: the lane was retired
		}
		return
	}
	if l == nil {
		l = &fleetLane{Site: site, Lane: lane, Conn: "unknown", seen: map[string]bool{}}
		f.lanes[key] = l
	}
	var env fleetEnvelope
	data := map[string]any{}
	if json.Unmarshal(payload, &env) == nil && len(env.Data) > 0 {
		_ = json.Unmarshal(env.Data, &data)
	} else if json.Unmarshal(payload, &data) != nil {
		data = map[string]any{"value": strings.TrimSpace(string(payload))}
	}
	if env.ID != "" {
		if l.seen[env.ID] {
			return
		}
		l.seen[env.ID] = true
		l.seenOrder = append(l.seenOrder, env.ID)
		if len(l.seenOrder) > 2000 {
			delete(l.seen, l.seenOrder[0])
			l.seenOrder = l.seenOrder[1:]
		}
	}
	ts := at
	if t, err := time.Parse(time.RFC3339Nano, env.TS); err == nil {
		ts = t
	}
	str := func(k string) string { s, _ := data[k].(string); return s }
	setOnline := func(on bool, reason string) {
		l.online = &on
		l.Reason = reason
	}
	switch kind {
	case "connection":
		on, isBool := data["online"].(bool)
		if !isBool {
			v := strings.ToLower(str("value"))
			on = v == "online" || v == "1" || v == "true"
		}
		sess, _ := data["session"].(float64)
		if !on && sess > 0 && sess < l.session {
			break // the will of an older connection, after a newer birth
		}
		if on {
			l.session = sess
		}
		setOnline(on, str("reason"))
	case "status":
		if m := str("mode"); m != "" {
			l.Mode = m
		}
		if s := str("state"); s != "" {
			l.State = s
		}
		if on, ok := data["online"].(bool); ok {
			setOnline(on, "")
		} else if l.State == "offline" {
			setOnline(false, "")
		}
		l.Emergency, _ = data["emergency"].(bool)
		l.Faults = nil
		if fm, ok := data["faults"].(map[string]any); ok {
			for k := range fm {
				l.Faults = append(l.Faults, k)
			}
			sort.Strings(l.Faults)
		}
		l.Health = str("health")
	case "heartbeat":
		if s := str("state"); s != "" {
			l.State = s
		}
	case "alarm":
		l.alarmTS = append(l.alarmTS, ts)
		l.LastAlarm = str("kind")
	case "event":
		switch env.Type {
		case "passage":
			l.passTS = append(l.passTS, ts)
		case "state":
			if s := str("to"); s != "" {
				l.State = s
			}
		case "audit":
			seq, _ := data["seq"].(float64)
			head := str("head")
			if head == "" || ts.Before(l.auditTS) {
				break // an older head re-delivered after a newer one
			}
			switch {
			case l.AuditHead == "":
			case int64(seq) < l.AuditSeq:
				l.AuditWarning = fmt.Sprintf("audit chain went back from entry %d to %d: rebuilt or restored from an old copy", l.AuditSeq, int64(seq))
			case int64(seq) == l.AuditSeq && head != l.AuditHead:
				l.AuditWarning = fmt.Sprintf("audit entry %d changed: the chain was rebuilt", l.AuditSeq)
			}
			l.AuditSeq, l.AuditHead, l.auditTS = int64(seq), head, ts
		}
	}
	l.LastMsg = at
	if l.online == nil && kind != "connection" {
		// Traffic without a birth: the lane is publishing.
		on := true
		l.online = &on
	}
}

// rows returns the table's rows, sorted by site and lane.
func (f *fleet) rows(now time.Time) []fleetLane {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]fleetLane, 0, len(f.lanes))
	hourAgo := now.Add(-time.Hour)
	prune := func(ts []time.Time) []time.Time {
		// Outbox re-deliveries after a reconnect arrive out of order.
		keep := ts[:0]
		for _, t := range ts {
			if !t.Before(hourAgo) {
				keep = append(keep, t)
			}
		}
		return keep
	}
	for _, l := range f.lanes {
		l.alarmTS, l.passTS = prune(l.alarmTS), prune(l.passTS)
		r := *l
		r.Alarms1h, r.Pass1h = len(l.alarmTS), len(l.passTS)
		switch {
		case l.online == nil:
			r.Conn = "unknown"
		case !*l.online:
			r.Conn = "offline"
		case f.stale > 0 && now.Sub(l.LastMsg) > f.stale:
			r.Conn = "stale"
		default:
			r.Conn = "online"
		}
		if r.Health == "" {
			r.Health = "ok"
			if len(r.Faults) > 0 {
				r.Health = "fault"
			}
		}
		if r.AuditWarning != "" {
			r.Health = "AUDIT"
		}
		if r.Emergency {
			r.Health = "EMERGENCY"
		}
		r.seen, r.seenOrder, r.alarmTS, r.passTS = nil, nil, nil, nil
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Site != out[j].Site {
			return out[i].Site < out[j].Site
		}
		return out[i].Lane < out[j].Lane
	})
	return out
}

func (f *fleet) header(broker string, now time.Time) string {
	rows := f.rows(now)
	on := 0
	for _, r := range rows {
		if r.Conn == "online" {
			on++
		}
	}
	return fmt.Sprintf("egate fleet · %s · %d lanes, %d online · %s\n", broker, len(rows), on, now.Format("15:04:05"))
}

// table renders the rows (without the time, so that it changes only when
// a lane does).
func (f *fleet) table(now time.Time) string {
	rows := f.rows(now)
	var b strings.Builder
	if len(rows) == 0 {
		return "no lane seen yet under " + f.root + "/\n"
	}
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SITE\tLANE\tCONNECTION\tMODE\tSTATE\tHEALTH\tALARMS/1H\tLAST ALARM\tPASSAGES/1H\tLAST MESSAGE")
	for _, r := range rows {
		conn := r.Conn
		if r.Conn == "offline" && r.Reason != "" {
			conn += " (" + strings.ReplaceAll(r.Reason, "_", " ") + ")"
		}
		health := r.Health
		if len(r.Faults) > 0 {
			health += ": " + strings.Join(r.Faults, ",")
		}
		last := "-"
		if !r.LastMsg.IsZero() {
			last = r.LastMsg.Format("15:04:05")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%d\t%s\n", r.Site, r.Lane, conn, orDash(r.Mode), orDash(r.State),
			health, r.Alarms1h, orDash(r.LastAlarm), r.Pass1h, last)
	}
	tw.Flush()
	for _, r := range rows {
		if r.AuditWarning != "" {
			fmt.Fprintf(&b, "%s/%s: %s; check it with egatectl audit verify on the lane\n", r.Site, r.Lane, r.AuditWarning)
		}
	}
	return b.String()
}

// runFleetSend signs one command for one lane, publishes it and waits for
// the lane's ack.
func runFleetSend(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fleet send", flag.ContinueOnError)
	fs.SetOutput(stderr)
	bf := addBrokerFlags(fs)
	site := fs.String("site", "", "the lane's `site`")
	lane := fs.String("lane", "", "the lane's `id`")
	keyFile := fs.String("key-file", "", "Ed25519 private key `file`: PEM (openssl genpkey -algorithm ed25519) or base64 seed")
	keyID := fs.String("key-id", "", "the key's `id` as configured on the lanes (mqtt.commands.keys)")
	argsJSON := fs.String("args", "", "command arguments as a JSON `object`, e.g. {\"mode\":\"maintenance\"}")
	validity := fs.Duration("valid", time.Minute, "how long the signed command stays valid")
	timeout := fs.Duration("timeout", 15*time.Second, "how long to wait for the lane's answer")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: egatectl fleet send --broker URL --site S --lane L --key-file F --key-id ID COMMAND [--args JSON]")
		fmt.Fprintf(stderr, "commands: %s\n", strings.Join(mqtt.CommandNames, ", "))
		fmt.Fprintln(stderr, "Exit 0 carried out, 1 refused or rejected by the lane or no answer, 2 usage, bad key or broker unreachable.")
		fs.PrintDefaults()
	}
	var pos []string
	rest := args
	for {
		if code, ok := parseFlags(fs, rest); !ok {
			return code
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if len(pos) != 1 || *site == "" || *lane == "" || *keyFile == "" || *keyID == "" {
		fmt.Fprintln(stderr, "egatectl fleet send: need --site, --lane, --key-file, --key-id and one COMMAND")
		fs.Usage()
		return 2
	}
	cmd := pos[0]
	known := false
	for _, n := range mqtt.CommandNames {
		known = known || n == cmd
	}
	if !known {
		fmt.Fprintf(stderr, "egatectl fleet send: unknown command %q (one of %s)\n", cmd, strings.Join(mqtt.CommandNames, ", "))
		return 2
	}
	priv, err := readSigningKey(*keyFile)
	if err != nil {
		fmt.Fprintf(stderr, "egatectl fleet send: %v\n", err)
		return 2
	}
	var rawArgs json.RawMessage
	if *argsJSON != "" {
		var obj map[string]any
		if err := json.Unmarshal([]byte(*argsJSON), &obj); err != nil {
			fmt.Fprintf(stderr, "egatectl fleet send: --args is not a JSON object: %v\n", err)
			return 2
		}
		rawArgs = json.RawMessage(*argsJSON)
	}
	now := time.Now()
	nonce := mqtt.NewNonce()
	env, err := mqtt.SignCommand(priv, *keyID, mqtt.CommandBody{
		Cmd: cmd, Site: *site, Lane: *lane, Nonce: nonce, IAT: now.Unix(), Exp: now.Add(*validity).Unix(), Args: rawArgs,
	})
	if err != nil {
		fmt.Fprintf(stderr, "egatectl fleet send: %v\n", err)
		return 2
	}
	ctx, stop := signalContext(*timeout)
	defer stop()
	prefix := strings.TrimSuffix(bf.root, "/") + "/" + *site + "/" + *lane + "/"
	acks := make(chan map[string]any, 4)
	handler := func(_ paho.Client, m paho.Message) {
		var e fleetEnvelope
		var d map[string]any
		if json.Unmarshal(m.Payload(), &e) != nil || json.Unmarshal(e.Data, &d) != nil {
			return
		}
		if n, _ := d["nonce"].(string); n == nonce {
			select {
			case acks <- d:
			default:
			}
		}
	}
	c, err := bf.connect(ctx, "egatectl-send-"+nonce[:10], nil, nil, stderr)
	if err != nil {
		return fail(stderr, "fleet send", err)
	}
	defer c.Disconnect(250)
	// Subscribe to the acks before publishing, so the answer cannot be missed.
	st := c.Subscribe(prefix+"cmd/ack", 1, handler)
	select {
	case <-st.Done():
		if err := st.Error(); err != nil {
			fmt.Fprintf(stderr, "egatectl fleet send: subscribing to the acks: %v\n", err)
			return 2
		}
	case <-ctx.Done():
		fmt.Fprintln(stderr, "egatectl fleet send: no answer from the broker")
		return 1
	}
	pt := c.Publish(prefix+"cmd/"+cmd, 1, false, env)
	select {
	case <-pt.Done():
		if err := pt.Error(); err != nil {
			fmt.Fprintf(stderr, "egatectl fleet send: publishing: %v\n", err)
			return 2
		}
	case <-ctx.Done():
		fmt.Fprintln(stderr, "egatectl fleet send: the broker did not take the command")
		return 1
	}
	fmt.Fprintf(stdout, "sent %s to %s/%s (nonce %s); waiting for the lane's answer...\n", cmd, *site, *lane, nonce)
	select {
	case d := <-acks:
		ok, _ := d["ok"].(bool)
		code, _ := d["code"].(string)
		reason, _ := d["reason"].(string)
		line := fmt.Sprintf("%s/%s: %s %s", *site, *lane, cmd, code)
		if reason != "" {
			line += ": " + reason
		}
		fmt.Fprintln(stdout, line)
		if !ok {
			return 1
		}
		return 0
	case <-ctx.Done():
		fmt.Fprintf(stderr, "egatectl fleet send: no answer from %s/%s within %v: is the lane online (egatectl fleet)?\n", *site, *lane, *timeout)
		return 1
	}
}

// readSigningKey reads an Ed25519 private key: PEM PKCS#8 as openssl
// writes it, or the 32-byte seed (or 64-byte key) in standard base64.
func readSigningKey(path string) (ed25519.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	if blk, _ := pem.Decode(b); blk != nil {
		k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("key file %s: %w", path, err)
		}
		ek, ok := k.(ed25519.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("key file %s: not an Ed25519 key", path)
		}
		return ek, nil
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
	switch {
	case err != nil:
		return nil, fmt.Errorf("key file %s: neither PEM nor base64", path)
	case len(raw) == ed25519.SeedSize:
		return ed25519.NewKeyFromSeed(raw), nil
	case len(raw) == ed25519.PrivateKeySize:
		return ed25519.PrivateKey(raw), nil
	}
	return nil, errors.New("key file " + path + ": want a 32-byte seed or 64-byte key, got " + strconv.Itoa(len(raw)) + " bytes")
}
