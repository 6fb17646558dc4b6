package mqtt

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/egate/egate/gate/store"
	"github.com/egate/egate/mqtt/mqtttest"
)

// needIntegration skips tests that need mosquitto and the cgo SQLite store.
func needIntegration(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test (mosquitto, SQLite): not in -short")
	}
	mqtttest.RequireMosquitto(t)
}

func openStore(t testing.TB, path string) *store.Store {
	t.Helper()
	st, err := store.Open(path)
	if err != nil && strings.Contains(err.Error(), "CGO_ENABLED=0") {
		t.Skip("SQLite store needs cgo")
	}
	if err != nil {
		t.Fatalf("store: %v", err)
	}
	return st
}

// testOpts are fast options for a lane on the given brokers.
func testOpts(brokers ...string) Opts {
	return Opts{
		Brokers: brokers, AllowPlaintext: true, Site: "site-1", Lane: "lane-01",
		KeepAlive: 2 * time.Second, ConnectTimeout: 2 * time.Second,
		BackoffMin: 50 * time.Millisecond, BackoffMax: 300 * time.Millisecond,
		Heartbeat: 150 * time.Millisecond, Metrics: 250 * time.Millisecond,
		Versions: map[string]string{"egated": "test"},
		Commands: CommandOpts{Keys: []CommandKey{{ID: "cr-1", PublicKey: base64.StdEncoding.EncodeToString(testPub)}}},
	}
}

func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("EGATE_MQTT_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// lane is one running Client with its store and fake lane.
type lane struct {
	t      testing.TB
	c      *Client
	st     *store.Store
	fake   *mqtttest.Lane
	cancel context.CancelFunc
	done   chan error
}

// startLane builds and runs a Client; it is stopped at the end of the test.
func startLane(t testing.TB, o Opts, st *store.Store) *lane {
	t.Helper()
	l := &lane{t: t, st: st, fake: &mqtttest.Lane{}, done: make(chan error, 1)}
	var err error
	l.c, err = New(o, st, l.fake, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	l.cancel = cancel
	go func() { l.done <- l.c.Run(ctx) }()
	t.Cleanup(l.stop)
	return l
}

// stop ends Run and waits for it (bounded).
func (l *lane) stop() {
	if l.cancel == nil {
		return
	}
	l.cancel()
	l.cancel = nil
	select {
	case err := <-l.done:
		if err != nil {
			l.t.Errorf("Run: %v", err)
		}
	case <-time.After(ShutdownBound + 2*time.Second):
		l.t.Errorf("Run did not return within %s of cancel", ShutdownBound+2*time.Second)
	}
}

// waitConnected waits until the client has a live connection.
func (l *lane) waitConnected(d time.Duration) {
	l.t.Helper()
	deadline := time.Now().Add(d)
	for l.c.current() == nil {
		if time.Now().After(deadline) {
			l.t.Fatalf("not connected after %s", d)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitDrained waits until the outbox is empty.
func waitDrained(t testing.TB, st *store.Store, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		s, err := st.OutboxStats(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if s.Depth == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("outbox still holds %d messages after %s", s.Depth, d)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// decoded is a received message parsed.
type decoded struct {
	mqtttest.Received
	Message
	raw map[string]any
}

func decode(t testing.TB, r mqtttest.Received) decoded {
	t.Helper()
	d := decoded{Received: r}
	if err := json.Unmarshal(r.Payload, &d.Message); err != nil {
		t.Fatalf("%s: %v: %s", r.Topic, err, r.Payload)
	}
	data, _ := json.Marshal(d.Data)
	json.Unmarshal(data, &d.raw)
	return d
}

// ofType keeps the messages of one type (and topic suffix, if given).
func ofType(t testing.TB, msgs []mqtttest.Received, typ string) []decoded {
	var out []decoded
	for _, r := range msgs {
		if strings.Contains(r.Topic, "/cmd/") && !strings.HasSuffix(r.Topic, "/cmd/ack") {
			continue // commands we sent
		}
		d := decode(t, r)
		if d.Type == typ {
			out = append(out, d)
		}
	}
	return out
}

func countType(typ string, n int) func([]mqtttest.Received) bool {
	return func(msgs []mqtttest.Received) bool {
		k := 0
		for _, r := range msgs {
			if strings.Contains(string(r.Payload), `"type":"`+typ+`"`) {
				k++
			}
		}
		return k >= n
	}
}

// checkStream checks the event stream: every id in want arrived, first
// deliveries in seq order, repeats only as identical re-deliveries. It
// returns the number of duplicates.
func checkStream(t testing.TB, got []decoded, want map[string]int64) int {
	t.Helper()
	first := map[string][]byte{}
	var lastSeq int64
	dups := 0
	for _, d := range got {
		if p, seen := first[d.ID]; seen {
			if string(p) != string(d.Payload) {
				t.Errorf("id %s delivered twice with different payloads", d.ID)
			}
			dups++
			continue
		}
		first[d.ID] = d.Payload
		if d.Seq <= lastSeq {
			t.Errorf("first delivery of seq %d after seq %d: out of order", d.Seq, lastSeq)
		}
		lastSeq = d.Seq
		if s, ok := want[d.ID]; ok && s != d.Seq {
			t.Errorf("id %s has seq %d, want %d", d.ID, d.Seq, s)
		}
	}
	missing := 0
	for id := range want {
		if _, ok := first[id]; !ok {
			missing++
		}
	}
	if missing > 0 {
		t.Errorf("%d of %d events never arrived", missing, len(want))
	}
	return dups
}

// queuedIDs lists id -> seq of the outbox rows of one topic suffix.
func queuedIDs(t testing.TB, st *store.Store, suffix string) map[string]int64 {
	t.Helper()
	msgs, err := st.OutboxPeek(context.Background(), 0, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, m := range msgs {
		if strings.HasSuffix(m.Topic, suffix) {
			out[m.ID] = m.Seq
		}
	}
	return out
}

func signedNow(t testing.TB, cmd string, args string) []byte {
	now := time.Now()
	b := CommandBody{Cmd: cmd, Site: "site-1", Lane: "lane-01", Nonce: NewNonce(), IAT: now.Unix(), Exp: now.Add(time.Minute).Unix()}
	if args != "" {
		b.Args = json.RawMessage(args)
	}
	return signed(t, testPriv, "cr-1", b)
}

// checkGoroutines fails if goroutines started since base linger.
func checkGoroutines(t testing.TB, base int) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
		n := runtime.NumGoroutine()
		if n <= base {
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("%d goroutines, %d before:\n%s", n, base, buf)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func tempDB(t testing.TB) string { return filepath.Join(t.TempDir(), "egate.db") }
