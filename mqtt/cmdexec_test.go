package mqtt

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/egate/egate/gate"
	"github.com/egate/egate/gate/store"
	"github.com/egate/egate/mqtt/mqtttest"
)

type fakeWatchlist struct{ got []string }

func (w *fakeWatchlist) ApplyWatchlistDelta(_ context.Context, delta []byte) (string, error) {
	w.got = append(w.got, string(delta))
	if strings.Contains(string(delta), "stale") {
		return "", errors.New("delta base version 6, list is at 7")
	}
	return "version 8, 1 added", nil
}

// commandRig is a Client that is not running: commands are handed to
// handleCommand directly and acks read back from the outbox.
type commandRig struct {
	t    *testing.T
	c    *Client
	st   *store.Store
	fake *mqtttest.Lane
}

func newCommandRig(t *testing.T, st *store.Store, fake *mqtttest.Lane, wl WatchlistApplier) *commandRig {
	o := testOpts("tcp://127.0.0.1:1")
	o.Commands.Keys = append(o.Commands.Keys, CommandKey{ID: "viewer",
		PublicKey: base64.StdEncoding.EncodeToString(otherKey.Public().(ed25519.PublicKey)), Commands: []string{"status_request"}})
	o.Watchlist = wl
	c, err := New(o, st, fake, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	return &commandRig{t: t, c: c, st: st, fake: fake}
}

// send hands a command to the client and returns its ack, and the outbox
// class the ack was queued with.
func (r *commandRig) send(name string, payload []byte, retained bool) (map[string]any, store.OutboxClass) {
	r.t.Helper()
	before, _ := r.st.OutboxStats(context.Background())
	r.c.handleCommand(context.Background(), inbound{topic: r.c.prefix + "cmd/" + name, payload: payload, retained: retained})
	msgs, err := r.st.OutboxPeek(context.Background(), before.LastSeq, 100)
	if err != nil {
		r.t.Fatal(err)
	}
	for _, m := range msgs {
		if strings.HasSuffix(m.Topic, "/cmd/ack") {
			var msg struct{ Data map[string]any }
			if err := json.Unmarshal(m.Payload, &msg); err != nil {
				r.t.Fatal(err)
			}
			return msg.Data, m.Class
		}
	}
	return nil, -1
}

func TestCommandHandling(t *testing.T) {
	st := openStore(t, tempDB(t))
	defer st.Close()
	fake := &mqtttest.Lane{}
	wl := &fakeWatchlist{}
	r := newCommandRig(t, st, fake, wl)

	now := time.Now()
	mk := func(cmd, args string, mod ...func(*CommandBody)) []byte {
		b := CommandBody{Cmd: cmd, Site: "site-1", Lane: "lane-01", Nonce: NewNonce(), IAT: now.Unix(), Exp: now.Add(time.Minute).Unix()}
		if args != "" {
			b.Args = json.RawMessage(args)
		}
		for _, m := range mod {
			m(&b)
		}
		return signed(t, testPriv, "cr-1", b)
	}
	lock := mk("lock", "")
	refuse := func(c gate.Command) gate.CommandResult {
		return gate.CommandResult{Command: c, Reason: "passage in progress"}
	}

	for _, tc := range []struct {
		name     string
		cmd      string
		payload  []byte
		retained bool
		answer   func(gate.Command) gate.CommandResult
		code     string
		lane     []gate.CommandKind // commands that must reach the lane
		reason   string             // substring of the ack reason or detail
	}{
		{name: "lock", cmd: "lock", payload: lock, code: CodeOK, lane: []gate.CommandKind{gate.CmdLock}},
		{name: "replay", cmd: "lock", payload: lock, code: CodeReplay},
		{name: "unlock", cmd: "unlock", payload: mk("unlock", ""), code: CodeOK, lane: []gate.CommandKind{gate.CmdUnlock}},
		{name: "maintenance", cmd: "set_mode", payload: mk("set_mode", `{"mode":"maintenance"}`), code: CodeOK, lane: []gate.CommandKind{gate.CmdMaintenanceOn}},
		{name: "normal from maintenance", cmd: "set_mode", payload: mk("set_mode", `{"mode":"normal"}`), code: CodeOK, lane: []gate.CommandKind{gate.CmdMaintenanceOff}},
		{name: "normal when normal", cmd: "set_mode", payload: mk("set_mode", `{"mode":"normal"}`), code: CodeOK, reason: "already normal"},
		{name: "out of service", cmd: "set_mode", payload: mk("set_mode", `{"mode":"out_of_service"}`), code: CodeOK, lane: []gate.CommandKind{gate.CmdOutOfService}},
		{name: "normal from out of service", cmd: "set_mode", payload: mk("set_mode", `{"mode":"normal"}`), code: CodeOK, lane: []gate.CommandKind{gate.CmdInService}},
		{name: "emergency open", cmd: "emergency_open", payload: mk("emergency_open", ""), code: CodeOK, lane: []gate.CommandKind{gate.CmdEmergencyOpen}},
		{name: "normal in emergency", cmd: "set_mode", payload: mk("set_mode", `{"mode":"normal"}`), code: CodeRefused, reason: "emergency_clear"},
		{name: "emergency clear", cmd: "emergency_clear", payload: mk("emergency_clear", ""), code: CodeOK, lane: []gate.CommandKind{gate.CmdEmergencyClear}},
		{name: "lane refuses", cmd: "lock", payload: mk("lock", ""), answer: refuse, code: CodeRefused, lane: []gate.CommandKind{gate.CmdLock}, reason: "passage in progress"},
		{name: "watchlist delta", cmd: "watchlist_delta", payload: mk("watchlist_delta", `{"version":"8","add":["x"]}`), code: CodeOK, reason: "version 8"},
		{name: "watchlist delta refused", cmd: "watchlist_delta", payload: mk("watchlist_delta", `{"version":"stale"}`), code: CodeRefused, reason: "base version"},
		{name: "config reload unsupported", cmd: "config_reload", payload: mk("config_reload", ""), code: CodeUnsupported},
		{name: "status request", cmd: "status_request", payload: mk("status_request", ""), code: CodeOK},
		{name: "restricted key allowed", cmd: "status_request", payload: signed(t, otherKey, "viewer", CommandBody{Cmd: "status_request", Site: "site-1", Lane: "lane-01", Nonce: NewNonce(), IAT: now.Unix(), Exp: now.Add(time.Minute).Unix()}), code: CodeOK},
		{name: "restricted key refused", cmd: "lock", payload: signed(t, otherKey, "viewer", CommandBody{Cmd: "lock", Site: "site-1", Lane: "lane-01", Nonce: NewNonce(), IAT: now.Unix(), Exp: now.Add(time.Minute).Unix()}), code: CodeNotPermitted},
		{name: "bad signature", cmd: "unlock", payload: signed(t, otherKey, "cr-1", CommandBody{Cmd: "unlock", Site: "site-1", Lane: "lane-01", Nonce: NewNonce(), IAT: now.Unix(), Exp: now.Add(time.Minute).Unix()}), code: CodeBadSignature},
		{name: "expired", cmd: "unlock", payload: mk("unlock", "", func(b *CommandBody) { b.IAT, b.Exp = now.Add(-3*time.Minute).Unix(), now.Add(-time.Minute).Unix() }), code: CodeExpired},
		{name: "retained", cmd: "unlock", payload: mk("unlock", ""), retained: true, code: CodeMalformed, reason: "retained"},
		{name: "unknown command", cmd: "self_destruct", payload: mk("self_destruct", ""), code: CodeUnknownCommand},
		{name: "malformed", cmd: "unlock", payload: []byte(`{"v":1,"key":"cr-1"`), code: CodeMalformed},
		{name: "other lane", cmd: "unlock", payload: mk("unlock", "", func(b *CommandBody) { b.Lane = "lane-02" }), code: CodeWrongTarget},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake.Answer = tc.answer
			before := len(fake.Calls())
			ack, class := r.send(tc.cmd, tc.payload, tc.retained)
			if ack == nil {
				t.Fatal("no ack")
			}
			if ack["code"] != tc.code || ack["ok"] != (tc.code == CodeOK) {
				t.Fatalf("ack %v, want code %s", ack, tc.code)
			}
			if tc.reason != "" && !strings.Contains(fmt.Sprint(ack["reason"], ack["detail"]), tc.reason) {
				t.Fatalf("ack %v, want reason with %q", ack, tc.reason)
			}
			var got []gate.CommandKind
			for _, c := range fake.Calls()[before:] {
				got = append(got, c.Kind)
				if c.Origin != "mqtt:cr-1" {
					t.Errorf("origin %q", c.Origin)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.lane) {
				t.Fatalf("lane got %v, want %v", got, tc.lane)
			}
			rejected := !(tc.code == CodeOK || tc.code == CodeRefused || tc.code == CodeUnsupported)
			if want := map[bool]store.OutboxClass{true: store.OutboxEvent, false: store.OutboxKeep}[rejected]; class != want {
				t.Fatalf("ack queued as %v, want %v", class, want)
			}
		})
	}
	if len(wl.got) != 2 || wl.got[0] != `{"version":"8","add":["x"]}` {
		t.Errorf("watchlist got %q", wl.got)
	}

	// A restart does not reopen the replay window: the nonces are on disk.
	r2 := newCommandRig(t, st, fake, nil)
	if ack, _ := r2.send("lock", lock, false); ack["code"] != CodeReplay {
		t.Fatalf("after restart: %v", ack)
	}

	// Rejections are rate-limited: beyond the limit they are counted only.
	r3 := newCommandRig(t, st, fake, nil)
	acks := 0
	for i := 0; i < rejectionsPerMinute+10; i++ {
		if ack, _ := r3.send("lock", []byte("junk"), false); ack != nil {
			acks++
		}
	}
	if acks != rejectionsPerMinute || r3.c.m.cmdThrottled != 10 {
		t.Fatalf("%d acks, %d throttled; want %d and 10", acks, r3.c.m.cmdThrottled, rejectionsPerMinute)
	}
}

// TestOutboxBound checks the drop policy: telemetry first, then events,
// oldest first; decisions and alarms never; the near-full and full alarms.
func TestOutboxBound(t *testing.T) {
	st := openStore(t, tempDB(t))
	defer st.Close()
	o := testOpts("tcp://127.0.0.1:1")
	o.Outbox.Max = 10
	c, err := New(o, st, &mqtttest.Lane{}, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	metric := func(i int) {
		c.enqueue(ctx, store.OutboxTelemetry, "metrics", "metrics", time.Now(), map[string]any{"i": i})
	}
	state := func(i int) { c.Publish("state", time.Now(), map[string]any{"from": "ready", "to": fmt.Sprint(i)}) }
	pass := func(i int) { c.Publish("passage", time.Now(), map[string]any{"passage": i, "outcome": "accept"}) }
	type row struct {
		class store.OutboxClass
		typ   string
	}
	contents := func() (out []row, alarms []string) {
		msgs, _ := st.OutboxPeek(ctx, 0, 1000)
		for _, m := range msgs {
			var p struct {
				Type string
				Data map[string]any
			}
			json.Unmarshal(m.Payload, &p)
			out = append(out, row{m.Class, p.Type})
			if p.Type == "alarm" {
				alarms = append(alarms, fmt.Sprintf("%v %v", p.Data["kind"], p.Data["active"]))
			}
		}
		return out, alarms
	}
	for i := 0; i < 4; i++ {
		metric(i)
	}
	for i := 0; i < 3; i++ {
		state(i)
	}
	// 7 rows; the 8th (80%) raises outbox_near_full, which is itself a row.
	pass(1)
	rows, alarms := contents()
	if len(rows) != 9 || fmt.Sprint(alarms) != "[outbox_near_full true]" {
		t.Fatalf("rows %v, alarms %v", rows, alarms)
	}
	// At the bound: the third passage displaces the oldest metric; that
	// first drop raises outbox_full, which displaces the next one.
	pass(2)
	pass(3)
	rows, alarms = contents()
	metrics, states := 0, 0
	for _, r := range rows {
		switch r.typ {
		case "metrics":
			metrics++
		case "state":
			states++
		}
	}
	if len(rows) != 10 || metrics != 2 || states != 3 || fmt.Sprint(alarms) != "[outbox_near_full true outbox_full true]" {
		t.Fatalf("after 2 more passages: rows %v alarms %v", rows, alarms)
	}
	pass(4)
	pass(5) // the last two metrics go
	rows, _ = contents()
	for _, r := range rows {
		if r.typ == "metrics" {
			t.Fatalf("metrics left: %v", rows)
		}
	}
	// No telemetry left: a new metric is dropped itself; a state change
	// displaces the oldest state change.
	metric(99)
	state(99)
	rows, _ = contents()
	if rows[len(rows)-1].typ != "state" || len(rows) != 10 || slices.ContainsFunc(rows, func(r row) bool { return r.typ == "metrics" }) {
		t.Fatalf("rows %v", rows)
	}
	// Only keepers left: passages go beyond the bound, never dropped.
	for i := 10; i < 20; i++ {
		pass(i)
	}
	rows, _ = contents()
	kept := 0
	for _, r := range rows {
		if r.class == store.OutboxKeep {
			kept++
		} else {
			t.Errorf("droppable %v still queued when keepers exceed the bound", r)
		}
	}
	if kept != len(rows) || kept != 17 {
		t.Fatalf("%d keepers of %d rows, want 17", kept, len(rows))
	}
	s, _ := st.OutboxStats(ctx)
	if s.Dropped == 0 || c.m.dropped != s.Dropped {
		t.Errorf("dropped: store %d, client %d", s.Dropped, c.m.dropped)
	}
	// Draining below 60% clears the alarms.
	msgs, _ := st.OutboxPeek(ctx, 0, 1000)
	var seqs []int64
	for _, m := range msgs[:len(msgs)-4] {
		seqs = append(seqs, m.Seq)
	}
	st.OutboxDelete(ctx, seqs...)
	c.checkDepth(4)
	_, alarms = contents()
	if fmt.Sprint(alarms) != "[outbox_full false outbox_near_full false]" {
		t.Fatalf("after draining: alarms %v", alarms)
	}
}
