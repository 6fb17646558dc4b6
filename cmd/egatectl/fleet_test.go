package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/egate/egate/cmd/internal/api"
	"github.com/egate/egate/cmd/internal/api/apiclient"
	"github.com/egate/egate/cmd/internal/api/apitest"
	"github.com/egate/egate/cmd/internal/config"
	"github.com/egate/egate/cmd/internal/daemon"
	"github.com/egate/egate/gate"
	"github.com/egate/egate/gate/store"
	"github.com/egate/egate/mqtt"
	"github.com/egate/egate/mqtt/mqtttest"
)

// mqttLane starts a simulated lane whose daemon publishes through the real
// MQTT client (as egated wires it) to broker; stop ends the client (a
// clean shutdown: the retained "offline").
func mqttLane(t *testing.T, id, broker string, pub ed25519.PublicKey) (s *apitest.Sim, stop context.CancelFunc) {
	t.Helper()
	stopped := make(chan context.CancelFunc, 1)
	s = apitest.StartSim(t, apitest.SimOpts{LaneID: id, Wire: func(c config.Config, st *store.Store) (api.Telemetry, func(context.Context, *daemon.Daemon)) {
		o := mqtt.Opts{
			Brokers: []string{broker}, AllowPlaintext: true, Site: c.Lane.Site, Lane: c.Lane.ID,
			KeepAlive: 2 * time.Second, ConnectTimeout: 2 * time.Second, BackoffMin: 100 * time.Millisecond, BackoffMax: time.Second,
			Heartbeat: time.Second, Metrics: 5 * time.Second, Versions: map[string]string{"egated": "test"},
			Commands: mqtt.CommandOpts{Keys: []mqtt.CommandKey{{ID: "cr-1", PublicKey: base64.StdEncoding.EncodeToString(pub)}}},
		}
		mc, err := mqtt.New(o, st, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		return mc, func(ctx context.Context, d *daemon.Daemon) {
			if err := mc.SetLane(d); err != nil {
				t.Error(err)
				return
			}
			mctx, cancel := context.WithCancel(ctx)
			stopped <- cancel
			mc.Run(mctx)
		}
	}})
	select {
	case stop = <-stopped:
	case <-time.After(10 * time.Second):
		t.Fatal("mqtt client did not start")
	}
	return s, stop
}

// lastTable returns the last table egatectl fleet printed.
func lastTable(out string) string {
	i := strings.LastIndex(out, "egate fleet ·")
	if i < 0 {
		return out
	}
	return out[i:]
}

// row finds a lane's row and splits it into columns.
func row(t *testing.T, table, lane string) []string {
	t.Helper()
	for _, l := range strings.Split(table, "\n") {
		f := regexp.MustCompile(`\s{2,}`).Split(strings.TrimSpace(l), -1)
		if len(f) >= 10 && f[1] == lane {
			return f
		}
	}
	t.Fatalf("no row for %s in:\n%s", lane, table)
	return nil
}

// TestFleet shows two simulated lanes from a real mosquitto: online and
// offline from the retained connection topic and the last will, mode,
// alarms, passages; and a signed command from the control room.
func TestFleet(t *testing.T) {
	if testing.Short() {
		t.Skip("runs mosquitto and two simulated lanes")
	}
	b := mqtttest.StartBroker(t, mqtttest.BrokerOpts{})
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	pub := priv.Public().(ed25519.PublicKey)
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "cr-1.pem")
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)

	// Lane B reaches the broker through a proxy, so that its link can be cut.
	proxy := mqtttest.NewProxy(t, b.Addr())
	a, _ := mqttLane(t, "lane-a", b.URL(), pub)
	bl, _ := mqttLane(t, "lane-b", proxy.URL(), pub)

	// While the control room watches, a traveller goes through lane A and
	// lane B goes into maintenance.
	fleet := []string{"fleet", "--broker", b.URL(), "--interval", "200ms"}
	type result struct {
		out, errOut string
		code        int
	}
	watched := make(chan result, 1)
	go func() {
		out, errOut, code := ctl(t, append(fleet, "--for", "8s")...)
		watched <- result{out, errOut, code}
	}()
	time.Sleep(time.Second)
	a.Play(t, "Anna Eriksson")
	a.WaitState(t, gate.Ready, 20*time.Second)
	cb := &apiclient.Client{Base: bl.URL}
	cb.Token, _ = apiclient.ReadToken(bl.TokenFile)
	if r, err := cb.Command(context.Background(), apiclient.Command{Kind: "maintenance_on"}); err != nil || !r.OK {
		t.Fatalf("maintenance on: %+v %v", r, err)
	}
	res := <-watched
	out, errOut, code := res.out, res.errOut, res.code
	table := lastTable(out)
	t.Logf("egatectl fleet:\n%s%s", table, errOut)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	ra, rb := row(t, table, "lane-a"), row(t, table, "lane-b")
	// SITE LANE CONNECTION MODE STATE HEALTH ALARMS/1H LAST-ALARM PASSAGES/1H LAST-MESSAGE
	if ra[0] != "demo-airport" || ra[2] != "online" || ra[3] != "normal" || ra[4] != "ready" || ra[5] != "ok" || ra[8] != "1" {
		t.Errorf("lane-a: %q", ra)
	}
	if rb[2] != "online" || rb[3] != "maintenance" || rb[4] != "maintenance" {
		t.Errorf("lane-b: %q", rb)
	}
	if !strings.Contains(table, "2 lanes, 2 online") {
		t.Errorf("header: %s", table)
	}

	// A signed command from the control room locks lane A.
	send := []string{"fleet", "send", "--broker", b.URL(), "--site", "demo-airport", "--lane", "lane-a", "--key-file", keyFile, "--key-id", "cr-1"}
	out, errOut, code = ctl(t, append(send, "lock")...)
	if code != 0 || !strings.Contains(out, "demo-airport/lane-a: lock ok") {
		t.Fatalf("fleet send lock: %d\n%s%s", code, out, errOut)
	}
	a.WaitState(t, gate.Locked, 10*time.Second)
	// A key the lane does not know is rejected, and says so.
	bad := append([]string{}, send...)
	bad[len(bad)-1] = "cr-unknown"
	out, errOut, code = ctl(t, append(bad, "unlock")...)
	if code != 1 || !strings.Contains(out, "unknown_key") {
		t.Fatalf("fleet send with an unknown key: %d\n%s%s", code, out, errOut)
	}

	// Lane B's link fails: the broker publishes its last will.
	proxy.SetDown(true)
	proxy.Cut()
	out, _, _ = ctl(t, append(fleet, "--for", "6s")...)
	table = lastTable(out)
	t.Logf("egatectl fleet after lane-b's link failed:\n%s", table)
	ra, rb = row(t, table, "lane-a"), row(t, table, "lane-b")
	if rb[2] != "offline (connection lost)" || ra[2] != "online" || ra[3] != "locked" {
		t.Errorf("after the cut: lane-a %q, lane-b %q", ra, rb)
	}
}

// TestFleetTable checks the renderer on the bare layout of the issue
// (status {"state","mode"}) and on the mqtt envelope, without a broker.
func TestFleetTable(t *testing.T) {
	f := newFleet("egate/v1", 90*time.Second)
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	env := func(typ, ts, data string) []byte {
		return []byte(`{"schema":1,"id":"` + typ + ts + `","type":"` + typ + `","site":"s1","lane":"l1","ts":"` + ts + `","data":` + data + `}`)
	}
	f.handle("egate/v1/s1/l1/connection", env("birth", "2026-11-23T09:00:00.000Z", `{"online":true,"session":3}`), now)
	f.handle("egate/v1/s1/l1/status", env("status", "2026-11-23T09:00:01.000Z", `{"mode":"normal","state":"ready","faults":{"camera":"no frames"},"health":"fault"}`), now)
	f.handle("egate/v1/s1/l1/event", env("passage", "2026-11-23T09:30:00.000Z", `{"outcome":"accept"}`), now)
	f.handle("egate/v1/s1/l1/event", env("passage", "2026-11-23T09:30:00.000Z", `{"outcome":"accept"}`), now) // QoS 1 redelivery
	f.handle("egate/v1/s1/l1/event", env("passage", "2026-11-23T08:30:00.000Z", `{"outcome":"reject"}`), now) // over an hour ago
	f.handle("egate/v1/s1/l1/alarm", env("alarm", "2026-11-23T09:45:00.000Z", `{"kind":"tailgating"}`), now)
	// An old connection's will after the newer birth is ignored.
	f.handle("egate/v1/s1/l1/connection", env("offline", "2026-11-23T08:00:00.000Z", `{"online":false,"session":2,"reason":"connection_lost"}`), now)
	// The bare layout.
	f.handle("egate/v1/s2/gate-9/status", []byte(`{"state":"locked","mode":"locked"}`), now)
	f.handle("egate/v1/s2/gate-7/status", []byte(`{"state":"offline","mode":"normal"}`), now)
	f.handle("egate/v1/s1/l1/cmd/lock", []byte(`{}`), now) // commands are not lanes' telemetry

	table := f.table(now)
	t.Log("\n" + table)
	r := row(t, table, "l1")
	want := []string{"s1", "l1", "online", "normal", "ready", "fault: camera", "1", "tailgating", "1", "10:00:00"}
	for i := range want {
		if r[i] != want[i] {
			t.Errorf("l1 column %d: %q, want %q (row %q)", i, r[i], want[i], r)
		}
	}
	if r := row(t, table, "gate-9"); r[2] != "online" || r[3] != "locked" {
		t.Errorf("gate-9: %q", r)
	}
	if r := row(t, table, "gate-7"); r[2] != "offline" {
		t.Errorf("gate-7: %q", r)
	}
	// Silence makes an online lane stale; a cleared retained status retires it.
	if r := row(t, f.table(now.Add(2*time.Minute)), "l1"); r[2] != "stale" {
		t.Errorf("silent lane: %q", r)
	}
	f.handle("egate/v1/s2/gate-7/status", nil, now)
	if strings.Contains(f.table(now), "gate-7") {
		t.Error("retired lane still shown")
	}

	// The audit chain's head: kept per lane; a head that goes back, or
	// changes under the same number, flags the lane.
	h := func(c string) string { return strings.Repeat(c, 64) }
	f.handle("egate/v1/s1/l1/event", env("audit", "2026-11-23T09:00:02.000Z", `{"seq":40,"head":"`+h("a")+`"}`), now)
	f.handle("egate/v1/s1/l1/event", env("audit", "2026-11-23T09:59:00.000Z", `{"seq":52,"head":"`+h("b")+`"}`), now)
	f.handle("egate/v1/s1/l1/event", env("audit", "2026-11-23T09:30:00.000Z", `{"seq":45,"head":"`+h("c")+`"}`), now) // re-delivered late
	if r := f.rows(now)[0]; r.AuditSeq != 52 || r.AuditHead != h("b") || r.AuditWarning != "" || r.Health != "fault" {
		t.Fatalf("audit head: %+v", r)
	}
	f.handle("egate/v1/s1/l1/event", env("audit", "2026-11-23T10:59:00.000Z", `{"seq":3,"head":"`+h("d")+`"}`), now)
	table = f.table(now)
	if r := row(t, table, "l1"); r[5] != "AUDIT: camera" || !strings.Contains(table, "s1/l1: audit chain went back from entry 52 to 3") {
		t.Fatalf("rebuilt chain not flagged:\n%s", table)
	}
	g := newFleet("egate/v1", 0)
	g.handle("egate/v1/s1/l1/event", env("audit", "2026-11-23T09:00:02.000Z", `{"seq":7,"head":"`+h("a")+`"}`), now)
	g.handle("egate/v1/s1/l1/event", env("audit", "2026-11-23T10:00:02.000Z", `{"seq":7,"head":"`+h("e")+`"}`), now)
	if r := g.rows(now)[0]; !strings.Contains(r.AuditWarning, "audit entry 7 changed") {
		t.Fatalf("changed head not flagged: %+v", r)
	}
}
