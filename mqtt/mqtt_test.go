package mqtt

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/egate/egate/gate"
	"github.com/egate/egate/mqtt/mqtttest"
)

// TestEndToEnd runs a lane against a real mosquitto: birth, status,
// heartbeat, events of every kind, alarms, metrics, commands with acks and
// the offline message at shutdown; then checks every message against
// asyncapi.yaml, that no personal data went out, and that Run leaves no
// goroutine behind.
func TestEndToEnd(t *testing.T) {
	needIntegration(t)
	b := mqtttest.StartBroker(t, mqtttest.BrokerOpts{})
	rec := mqtttest.NewRecorder(t, b.URL(), "egate/v1/#", mqtttest.RecorderOpts{})
	st := openStore(t, tempDB(t))
	defer st.Close()
	base := runtime.NumGoroutine()

	l := startLane(t, testOpts(b.URL()), st)
	rec.WaitFor(t, 5*time.Second, "birth", countType("birth", 1))
	rec.WaitFor(t, 5*time.Second, "status", countType("status", 1))

	at := time.Now()
	l.c.Publish("passage", at, map[string]any{
		"passage": uint64(7), "outcome": "accept", "reasons": []string{}, "alarms": []string{}, "exited": true,
		"doc_type": "P", "issuing_state": "UTO", "nationality": "UTO", "age_band": "30-49", "policy": "2026-11-a",
		"time_in_lane_ms": int64(12000),
	})
	l.c.Publish("passage", at, map[string]any{
		"passage": uint64(8), "outcome": "refer", "reasons": []string{"watchlist.hit"}, "alarms": []string{"watchlist_hit"},
		"exited": false, "doc_type": "P", "policy": "2026-11-a", "time_in_lane_ms": int64(9000),
	})
	l.c.Publish("state", at, map[string]any{"from": "ready", "to": "doc_check", "cause": "document presented"})
	l.c.Publish("alarm", at, map[string]any{"kind": "watchlist_hit", "detail": "hit on " + strings.Repeat("ab", 32), "passage": uint64(8)})
	l.c.Publish("command", at, map[string]any{"kind": "lock", "origin": "local", "ok": true, "reason": ""})
	l.c.Publish("audit", at, map[string]any{"seq": int64(42), "head": strings.Repeat("0f", 32)})
	l.c.Publish("unknown-kind", at, map[string]any{"x": 1})

	prefix := l.c.Prefix()
	lock := signedNow(t, "lock", "")
	rec.Publish(t, prefix+"cmd/lock", false, lock)
	rec.Publish(t, prefix+"cmd/lock", false, lock) // replay
	rec.Publish(t, prefix+"cmd/status_request", false, signedNow(t, "status_request", ""))
	bad := signed(t, otherKey, "cr-1", CommandBody{Cmd: "unlock", Site: "site-1", Lane: "lane-01", Nonce: NewNonce(),
		IAT: time.Now().Unix(), Exp: time.Now().Add(time.Minute).Unix()})
	rec.Publish(t, prefix+"cmd/unlock", false, bad)
	rec.Publish(t, prefix+"cmd/open_sesame", false, []byte("{}"))
	rec.WaitFor(t, 5*time.Second, "acks", countType("cmd_ack", 5))
	rec.WaitFor(t, 5*time.Second, "metrics", countType("metrics", 1))
	rec.WaitFor(t, 5*time.Second, "heartbeat", countType("heartbeat", 1))
	rec.WaitFor(t, 5*time.Second, "locked status", func(msgs []mqtttest.Received) bool {
		for _, d := range ofType(t, msgs, "status") {
			if d.raw["mode"] == "locked" {
				return true
			}
		}
		return false
	})

	l.stop()
	msgs := rec.WaitFor(t, 5*time.Second, "offline", countType("offline", 1))
	checkGoroutines(t, base)

	// Every message against the AsyncAPI document, and every documented
	// message seen at least once.
	doc := loadAsyncAPI(t)
	seen := map[string]int{}
	for _, m := range msgs {
		inbound := strings.Contains(m.Topic, "/cmd/") && !strings.HasSuffix(m.Topic, "/cmd/ack")
		if inbound && !strings.HasPrefix(string(m.Payload), `{"v"`) {
			continue // the junk we sent on purpose
		}
		name, err := doc.checkMessage(m.Topic, m.Payload, inbound)
		if err != nil {
			t.Errorf("%s: %v\npayload: %s", m.Topic, err, m.Payload)
		}
		seen[name]++
	}
	for name := range doc.root["components"].(map[string]any)["messages"].(map[string]any) {
		if seen[name] == 0 {
			t.Errorf("message %s is documented but was never published in this test", name)
		}
	}

	// No personal data, not even the HMAC in the alarm detail.
	for _, m := range msgs {
		for _, bad := range []string{"UTO", "nationality", "issuing_state", "age_band", "30-49", strings.Repeat("ab", 32)} {
			if strings.Contains(string(m.Payload), bad) && !strings.Contains(m.Topic, "/cmd/") {
				t.Errorf("%s carries %q: %s", m.Topic, bad, m.Payload)
			}
		}
	}

	// Acks say why.
	codes := map[string][]string{}
	for _, a := range ofType(t, msgs, "cmd_ack") {
		codes[a.raw["cmd"].(string)] = append(codes[a.raw["cmd"].(string)], a.raw["code"].(string))
	}
	want := map[string][]string{"lock": {"ok", "replay"}, "status_request": {"ok"}, "unlock": {"bad_signature"}, "open_sesame": {"malformed"}}
	for cmd, w := range want {
		if fmt.Sprint(codes[cmd]) != fmt.Sprint(w) {
			t.Errorf("acks for %s: %v, want %v", cmd, codes[cmd], w)
		}
	}
	if calls := l.fake.Calls(); len(calls) != 1 || calls[0].Kind != gate.CmdLock || calls[0].Origin != "mqtt:cr-1" {
		t.Errorf("lane got %+v, want one lock from mqtt:cr-1", calls)
	}

	// Outbox messages arrive in seq order on one connection.
	var last int64
	for _, m := range msgs {
		d := decode(t, m)
		if d.Seq == 0 {
			continue
		}
		if d.Seq <= last {
			t.Errorf("seq %d after %d", d.Seq, last)
		}
		last = d.Seq
	}

	// Every command is in the audit log.
	evs, err := st.Events(context.Background(), 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	audited := 0
	for _, e := range evs {
		if e.Kind == "command" && e.Detail["source"] == "mqtt" {
			audited++
		}
	}
	if audited != 5 {
		t.Errorf("%d commands audited, want 5", audited)
	}
}

// TestHelperLane is not a test: TestLastWillOnKill runs the test binary as
// a lane process with it, then kills it.
func TestHelperLane(t *testing.T) {
	url, db := os.Getenv("EGATE_MQTT_HELPER_BROKER"), os.Getenv("EGATE_MQTT_HELPER_DB")
	if url == "" {
		t.Skip("helper process for TestLastWillOnKill")
	}
	st := openStore(t, db)
	l := startLane(t, testOpts(url), st)
	l.waitConnected(10 * time.Second)
	fmt.Println("HELPER READY")
	select {} // until killed
}

// TestLastWillOnKill: a subscriber sees the retained offline message when
// the lane process is killed (SIGKILL: no DISCONNECT, the broker sends the
// will), and a subscriber that comes later gets it retained.
func TestLastWillOnKill(t *testing.T) {
	needIntegration(t)
	b := mqtttest.StartBroker(t, mqtttest.BrokerOpts{})
	rec := mqtttest.NewRecorder(t, b.URL(), "egate/v1/+/+/connection", mqtttest.RecorderOpts{})

	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperLane$", "-test.v")
	cmd.Env = append(os.Environ(), "EGATE_MQTT_HELPER_BROKER="+b.URL(), "EGATE_MQTT_HELPER_DB="+tempDB(t))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "HELPER READY") {
				ready <- true
			}
		}
		close(ready)
	}()
	select {
	case ok := <-ready:
		if !ok {
			t.Fatal("helper lane exited before connecting")
		}
	case <-time.After(20 * time.Second):
		t.Fatal("helper lane did not connect")
	}
	msgs := rec.WaitFor(t, 5*time.Second, "birth", countType("birth", 1))
	birth := decode(t, msgs[len(msgs)-1])

	cmd.Process.Kill()
	cmd.Wait()
	msgs = rec.WaitFor(t, 5*time.Second, "last will", countType("offline", 1))
	will := ofType(t, msgs, "offline")[0]
	if will.raw["reason"] != "connection_lost" || will.raw["session"] != birth.raw["session"] || will.raw["online"] != false {
		t.Fatalf("will %s, birth %s", will.Payload, birth.Payload)
	}
	late := mqtttest.NewRecorder(t, b.URL(), "egate/v1/+/+/connection", mqtttest.RecorderOpts{})
	got := late.WaitFor(t, 5*time.Second, "retained will", countType("offline", 1))
	if !got[0].Retained {
		t.Fatalf("offline not retained: %+v", got[0])
	}
}

// passages publishes passage events numbered from..to.
func passages(l *lane, from, to int) {
	for i := from; i <= to; i++ {
		l.c.Publish("passage", time.Now(), map[string]any{"passage": uint64(i), "outcome": "accept", "exited": true})
	}
}

// byPassage checks the passage events: every number from 1 to n arrived,
// each number under one id only, first deliveries in seq order. It returns
// the number of re-deliveries.
func byPassage(t *testing.T, got []decoded, n int) int {
	t.Helper()
	ids := map[int]string{}
	want := map[string]int64{}
	for _, d := range got {
		p := int(d.raw["passage"].(float64))
		if id, ok := ids[p]; ok && id != d.ID {
			t.Errorf("passage %d published under two ids (%s, %s)", p, id, d.ID)
		}
		ids[p] = d.ID
		want[d.ID] = d.Seq
	}
	for i := 1; i <= n; i++ {
		if _, ok := ids[i]; !ok {
			t.Errorf("passage %d never arrived", i)
		}
	}
	return checkStream(t, got, want)
}

func allPassages(t *testing.T, n int) func([]mqtttest.Received) bool {
	return func(msgs []mqtttest.Received) bool {
		seen := map[float64]bool{}
		for _, d := range ofType(t, msgs, "passage") {
			seen[d.raw["passage"].(float64)] = true
		}
		return len(seen) >= n
	}
}

// TestOutboxSurvivesBrokerDown: events produced while the broker is down,
// across a restart of the lane process (store closed and reopened), all
// arrive after the broker is back, in order, exactly once.
func TestOutboxSurvivesBrokerDown(t *testing.T) {
	needIntegration(t)
	b := mqtttest.StartBroker(t, mqtttest.BrokerOpts{Persistence: true})
	rec := mqtttest.NewRecorder(t, b.URL(), "egate/v1/site-1/lane-01/event", mqtttest.RecorderOpts{ClientID: "control-room", Persistent: true})
	db := tempDB(t)
	st := openStore(t, db)
	l := startLane(t, testOpts(b.URL()), st)
	l.waitConnected(5 * time.Second)

	passages(l, 1, 10)
	rec.WaitFor(t, 5*time.Second, "first 10", allPassages(t, 10))
	waitDrained(t, st, 5*time.Second)

	b.Stop()
	passages(l, 11, 40)
	if n := len(queuedIDs(t, st, "/event")); n != 30 {
		t.Fatalf("outbox holds %d events while the broker is down, want 30", n)
	}
	// The lane process restarts while the broker is still down.
	l.stop()
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st = openStore(t, db)
	defer st.Close()
	l = startLane(t, testOpts(b.URL()), st)
	passages(l, 41, 50)
	time.Sleep(300 * time.Millisecond) // a few failed reconnects

	b.Start()
	rec.WaitFor(t, 15*time.Second, "all 50", allPassages(t, 50))
	waitDrained(t, st, 5*time.Second)
	time.Sleep(200 * time.Millisecond) // any late duplicate
	if dups := byPassage(t, ofType(t, rec.Messages(), "passage"), 50); dups != 0 {
		t.Errorf("%d duplicates; none expected when nothing was in flight at the outage", dups)
	}
}

// streamThroughOutage publishes a stream of n passages while disrupt runs
// at four points (k = 1..4), and checks that all arrive, first deliveries in order,
// duplicates only as re-deliveries of the same id.
func streamThroughOutage(t *testing.T, l *lane, rec *mqtttest.Recorder, n int, disrupt func(k int)) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 1; i <= n; i++ {
			passages(l, i, i)
			if k := i / (n / 5); i%(n/5) == 0 && k < 5 {
				disrupt(k) // k = 1..4, never after the last event
			}
			time.Sleep(time.Millisecond)
		}
	}()
	wg.Wait()
	rec.WaitFor(t, 30*time.Second, fmt.Sprintf("all %d", n), allPassages(t, n))
	time.Sleep(200 * time.Millisecond)
	dups := byPassage(t, ofType(t, rec.Messages(), "passage"), n)
	t.Logf("%d passages, %d re-deliveries", n, dups)
}

// TestLinkCutMidStream: the link drops (RST, PUBACKs in flight lost) four
// times during a stream of events.
func TestLinkCutMidStream(t *testing.T) {
	needIntegration(t)
	b := mqtttest.StartBroker(t, mqtttest.BrokerOpts{})
	rec := mqtttest.NewRecorder(t, b.URL(), "egate/v1/site-1/lane-01/event", mqtttest.RecorderOpts{})
	p := mqtttest.NewProxy(t, b.Addr())
	st := openStore(t, tempDB(t))
	defer st.Close()
	l := startLane(t, testOpts(p.URL()), st)
	l.waitConnected(5 * time.Second)
	streamThroughOutage(t, l, rec, 400, func(int) {
		// Cut a live connection: while the lane backs off there is
		// nothing to cut.
		for deadline := time.Now().Add(5 * time.Second); l.c.current() == nil && time.Now().Before(deadline); {
			time.Sleep(5 * time.Millisecond)
		}
		p.Cut()
	})
	waitDrained(t, st, 10*time.Second)
	l.c.mu.Lock()
	connects := l.c.m.connects
	l.c.mu.Unlock()
	if connects < 5 {
		t.Errorf("%d connects, want at least 5 (4 cuts)", connects)
	}
}

// TestBrokerRestartMidStream: the broker is stopped and started again
// (with persistence) twice during a stream of events.
func TestBrokerRestartMidStream(t *testing.T) {
	needIntegration(t)
	b := mqtttest.StartBroker(t, mqtttest.BrokerOpts{Persistence: true})
	rec := mqtttest.NewRecorder(t, b.URL(), "egate/v1/site-1/lane-01/event", mqtttest.RecorderOpts{ClientID: "control-room", Persistent: true})
	st := openStore(t, tempDB(t))
	defer st.Close()
	l := startLane(t, testOpts(b.URL()), st)
	l.waitConnected(5 * time.Second)
	streamThroughOutage(t, l, rec, 200, func(k int) {
		if k%2 == 1 {
			b.Stop()
		} else {
			b.Start()
		}
	})
	waitDrained(t, st, 10*time.Second)
}

// TestFailover: with the first broker down the lane uses the second; when
// the second dies and the first is back, it returns to the first.
func TestFailover(t *testing.T) {
	needIntegration(t)
	a := mqtttest.StartBroker(t, mqtttest.BrokerOpts{})
	bb := mqtttest.StartBroker(t, mqtttest.BrokerOpts{})
	recB := mqtttest.NewRecorder(t, bb.URL(), "egate/v1/#", mqtttest.RecorderOpts{})
	a.Stop()
	st := openStore(t, tempDB(t))
	defer st.Close()
	l := startLane(t, testOpts(a.URL(), bb.URL()), st)
	msgs := recB.WaitFor(t, 10*time.Second, "birth on the second broker", countType("birth", 1))
	sessB := decode(t, msgs[0]).raw["session"].(float64)
	passages(l, 1, 1)
	recB.WaitFor(t, 5*time.Second, "passage 1 on the second broker", allPassages(t, 1))
	if u := l.c.current().brokerURL(); u != bb.URL() {
		t.Errorf("connected to %s, want %s", u, bb.URL())
	}

	a.Start()
	recA := mqtttest.NewRecorder(t, a.URL(), "egate/v1/#", mqtttest.RecorderOpts{})
	bb.Kill()
	msgs = recA.WaitFor(t, 10*time.Second, "birth on the first broker", countType("birth", 1))
	if s := decode(t, msgs[0]).raw["session"].(float64); s <= sessB {
		t.Errorf("session %v on A not after %v on B", s, sessB)
	}
	passages(l, 2, 2)
	recA.WaitFor(t, 5*time.Second, "passage 2 on the first broker", func(m []mqtttest.Received) bool {
		return len(ofType(t, m, "passage")) >= 1
	})
	waitDrained(t, st, 5*time.Second)
}

// TestTLSClientCertsAndACL: TLS with client certificates required, the
// certificate's CN as the username, and an ACL that confines the lane to
// its own topics; the control room (another certificate) commands it. A
// client with a certificate from another CA is refused.
func TestTLSClientCertsAndACL(t *testing.T) {
	needIntegration(t)
	pki := mqtttest.NewPKI(t)
	const laneCN, opsCN = "egate-site-1-lane-01", "control-room"
	acl := "user " + laneCN + "\n" +
		"topic write egate/v1/site-1/lane-01/#\n" +
		"topic read egate/v1/site-1/lane-01/cmd/#\n\n" +
		"user " + opsCN + "\n" +
		"topic read egate/v1/#\n" +
		"topic write egate/v1/+/+/cmd/#\n"
	b := mqtttest.StartBroker(t, mqtttest.BrokerOpts{TLS: pki, ACL: acl})

	opsCert, opsKey := pki.Client(opsCN)
	rec := mqtttest.NewRecorder(t, b.URL(), "egate/v1/#", mqtttest.RecorderOpts{TLS: tlsConf(t, pki.CAFile, opsCert, opsKey)})

	laneCert, laneKey := pki.Client(laneCN)
	o := testOpts(b.URL())
	o.AllowPlaintext = false
	o.TLS = TLSOpts{CAFile: pki.CAFile, CertFile: laneCert, KeyFile: laneKey}
	st := openStore(t, tempDB(t))
	defer st.Close()
	l := startLane(t, o, st)
	rec.WaitFor(t, 10*time.Second, "birth over TLS", countType("birth", 1))
	passages(l, 1, 1)
	rec.WaitFor(t, 5*time.Second, "passage over TLS", allPassages(t, 1))
	rec.Publish(t, l.c.Prefix()+"cmd/lock", false, signedNow(t, "lock", ""))
	msgs := rec.WaitFor(t, 5*time.Second, "ack over TLS", countType("cmd_ack", 1))
	if a := ofType(t, msgs, "cmd_ack")[0]; a.raw["code"] != "ok" {
		t.Fatalf("ack %s", a.Payload)
	}

	// A certificate from another CA does not get in.
	otherCert, otherKey := pki.Other(laneCN)
	po := paho.NewClientOptions().AddBroker(b.URL()).SetClientID("intruder").SetAutoReconnect(false).
		SetConnectTimeout(2 * time.Second).SetTLSConfig(tlsConf(t, pki.CAFile, otherCert, otherKey))
	if err := mqtttest.Wait(paho.NewClient(po).Connect(), 5*time.Second); err == nil {
		t.Fatal("client with a foreign certificate connected")
	}
	// New refuses a certificate file that is not there.
	o.TLS.CertFile = o.TLS.CertFile + ".missing"
	if _, err := New(o, st, l.fake, nil); err == nil || !strings.Contains(err.Error(), "client certificate") {
		t.Fatalf("New with a missing certificate: %v", err)
	}
}

func tlsConf(t testing.TB, caFile, certFile, keyFile string) *tls.Config {
	ca, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
}

// TestBrokerKilledMidStream: the broker is killed (SIGKILL, no persistence
// save) during a stream and started again. What the lane controls is
// checked: it reconnects, drains its whole outbox, and what arrives arrives
// with first deliveries in seq order. A message the broker acknowledged and
// then lost in its own crash cannot be recovered by any client; that loss
// is logged, not failed (TestLinkCutMidStream covers abrupt drops with the
// broker alive, where nothing may be lost).
func TestBrokerKilledMidStream(t *testing.T) {
	needIntegration(t)
	b := mqtttest.StartBroker(t, mqtttest.BrokerOpts{Persistence: true})
	rec := mqtttest.NewRecorder(t, b.URL(), "egate/v1/site-1/lane-01/event", mqtttest.RecorderOpts{ClientID: "control-room", Persistent: true})
	st := openStore(t, tempDB(t))
	defer st.Close()
	l := startLane(t, testOpts(b.URL()), st)
	l.waitConnected(5 * time.Second)
	for i := 1; i <= 200; i++ {
		passages(l, i, i)
		switch i {
		case 60:
			b.Kill()
		case 120:
			b.Start()
		}
		time.Sleep(time.Millisecond)
	}
	waitDrained(t, st, 15*time.Second)
	// The last passages were published after the restart, on a live
	// connection: they must arrive.
	rec.WaitFor(t, 10*time.Second, "passage 200", func(msgs []mqtttest.Received) bool {
		for _, d := range ofType(t, msgs, "passage") {
			if d.raw["passage"].(float64) == 200 {
				return true
			}
		}
		return false
	})
	got := ofType(t, rec.Messages(), "passage")
	seen := map[string]bool{}
	var last int64
	for _, d := range got {
		if seen[d.ID] {
			continue
		}
		seen[d.ID] = true
		if d.Seq <= last {
			t.Errorf("first delivery of seq %d after %d", d.Seq, last)
		}
		last = d.Seq
	}
	t.Logf("%d of 200 passages arrived through a broker crash (%d deliveries)", len(seen), len(got))
}
