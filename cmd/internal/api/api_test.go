package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/egate/egate/cmd/internal/api"
	"github.com/egate/egate/cmd/internal/api/apiclient"
	"github.com/egate/egate/cmd/internal/api/apitest"
	"github.com/egate/egate/gate"
	"github.com/egate/egate/gate/store"
)

type fixture struct {
	lane *apitest.FakeLane
	rec  *apitest.FakeRecords
	hub  *api.Hub
	srv  *api.Server
	ts   *httptest.Server
	cl   *apiclient.Client
}

func newFixture(t *testing.T, lane *apitest.FakeLane, adjust ...func(*api.Opts)) *fixture {
	t.Helper()
	o := api.DefaultOpts()
	o.TokenFile = filepath.Join(t.TempDir(), "api.token")
	o.Lane = apiclient.LaneInfo{ID: "lane-7", Site: "test-site", Type: "two-step"}
	o.Devices = map[string]string{"lane": "gpio", "document_reader": "none", "camera": "simulated"}
	o.SignalStep = 5 * time.Millisecond
	for _, a := range adjust {
		a(&o)
	}
	f := &fixture{lane: lane, rec: &apitest.FakeRecords{}}
	f.hub = api.NewHub(api.HubOpts{Version: "test", Lane: o.Lane})
	var err error
	f.srv, err = api.New(o, lane, f.rec, f.hub)
	if err != nil {
		t.Fatal(err)
	}
	f.ts = httptest.NewServer(f.srv.Handler())
	t.Cleanup(func() {
		f.srv.Shutdown(context.Background()) // ends long polls
		f.ts.Close()
	})
	f.cl = &apiclient.Client{Base: f.ts.URL, Token: f.srv.Token()}
	return f
}

func (f *fixture) get(t *testing.T, path string, hdr map[string]string) (int, string) {
	t.Helper()
	return f.do(t, http.MethodGet, path, "", hdr)
}

func (f *fixture) do(t *testing.T, method, path, body string, hdr map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, f.ts.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestAuth(t *testing.T) {
	f := newFixture(t, apitest.NewFakeLane(gate.Ready, gate.MsgPlaceDocument))
	tok := f.srv.Token()
	bearer := map[string]string{"Authorization": "Bearer " + tok}
	cookie := map[string]string{"Cookie": "egate_token=" + tok}
	cookieCSRF := map[string]string{"Cookie": "egate_token=" + tok, "X-Egate-Request": "1"}
	for _, tc := range []struct {
		name         string
		method, path string
		hdr          map[string]string
		want         int
	}{
		{"no token", "GET", "/api/v1/status", nil, 401},
		{"wrong token", "GET", "/api/v1/status", map[string]string{"Authorization": "Bearer " + strings.Repeat("0", 64)}, 401},
		{"not bearer", "GET", "/api/v1/status", map[string]string{"Authorization": "Basic " + tok}, 401},
		{"bearer", "GET", "/api/v1/status", bearer, 200},
		{"cookie read", "GET", "/api/v1/status", cookie, 200},
		{"cookie change without csrf header", "POST", "/api/v1/command", cookie, 403},
		{"cookie change with csrf header", "POST", "/api/v1/command", cookieCSRF, 200},
		{"metrics need the token", "GET", "/metrics", nil, 401},
		{"metrics", "GET", "/metrics", bearer, 200},
		{"kiosk state is open", "GET", "/kiosk/state", nil, 200},
		{"kiosk page is open", "GET", "/kiosk", nil, 200},
		{"status page redirects to login", "GET", "/status", nil, 200},
		{"foreign host (dns rebinding)", "GET", "/api/v1/status", map[string]string{"Authorization": "Bearer " + tok, "Host": "evil.example:8787"}, 421},
		{"localhost host", "GET", "/api/v1/status", map[string]string{"Authorization": "Bearer " + tok, "Host": "localhost:8787"}, 200},
		{"unknown endpoint", "GET", "/api/v1/nope", bearer, 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := ""
			if tc.method == "POST" {
				body = `{"kind":"lock"}`
			}
			code, out := f.do(t, tc.method, tc.path, body, tc.hdr)
			if code != tc.want {
				t.Fatalf("%s %s: got %d, want %d: %s", tc.method, tc.path, code, tc.want, out)
			}
		})
	}
	// The status page behind the redirect is the login form.
	_, out := f.get(t, "/status", nil)
	if !strings.Contains(out, `name="token"`) {
		t.Fatalf("no login form: %s", out)
	}
	// OpenMetrics serves /metrics without the token.
	g := newFixture(t, apitest.NewFakeLane(gate.Ready, gate.MsgPlaceDocument), func(o *api.Opts) { o.OpenMetrics = true })
	if code, _ := g.get(t, "/metrics", nil); code != 200 {
		t.Fatalf("open metrics: %d", code)
	}
}

func TestLoginSetsCookie(t *testing.T) {
	f := newFixture(t, apitest.NewFakeLane(gate.Ready, gate.MsgPlaceDocument))
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(f.ts.URL + "/status?token=" + f.srv.Token())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/status" {
		t.Fatalf("token link: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	c := resp.Cookies()
	if len(c) != 1 || c[0].Value != f.srv.Token() || !c[0].HttpOnly || c[0].SameSite != http.SameSiteStrictMode {
		t.Fatalf("cookie: %+v", c)
	}
	resp, err = client.PostForm(f.ts.URL+"/login", map[string][]string{"token": {"nope"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || len(resp.Cookies()) != 0 {
		t.Fatalf("bad login: %d %v", resp.StatusCode, resp.Cookies())
	}
}

// TestStatusHasNoPersonalData: the status view carries decisions without
// anything about the traveller.
func TestStatusHasNoPersonalData(t *testing.T) {
	lane := apitest.NewFakeLane(gate.Verifying, gate.MsgLookAtCamera)
	lane.Set(func(st *gate.Status) {
		st.Passage = 12
		st.Beams["presence"] = true
		st.Doors["entry"] = gate.DoorStatus{CommandedOpen: false, Pos: gate.PosMoving}
		st.Faults["camera"] = "no frames for 5s"
	})
	f := newFixture(t, lane)
	score := 0.93
	now := time.Now()
	f.rec.AddPassage(store.Passage{
		Lane: "lane-7", Passage: 11, Start: now.Add(-20 * time.Second), End: now, DecidedAt: now.Add(-5 * time.Second),
		Outcome: "accept", Reasons: nil, Exited: true, DocRef: "HMACDOCREF123", DocType: "P", IssuingState: "UTO",
		Nationality: "NATXYZ", AgeBand: "30-49", FaceScore: &score, Policy: "p1",
	})
	f.rec.Add(store.Event{At: now, Lane: "lane-7", Kind: "alarm", Detail: map[string]any{"kind": "tailgating", "detail": "second body", "passage": 11}})
	f.rec.Add(store.Event{At: now, Lane: "lane-7", Kind: "state", Detail: map[string]any{"from": "ready", "to": "doc_check"}})

	st, err := f.cl.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.State != "verifying" || st.Indicate.Message != "look_at_camera" || st.Passage != 12 {
		t.Fatalf("status: %+v", st)
	}
	if !st.Beams["presence"] || st.Doors["entry"].Position != "moving" || st.Doors["entry"].Commanded != "closed" {
		t.Fatalf("live states: %+v %+v", st.Beams, st.Doors)
	}
	if len(st.Decisions) != 1 || st.Decisions[0].Outcome != "accept" || st.Decisions[0].TimeInLane != 20000 {
		t.Fatalf("decisions: %+v", st.Decisions)
	}
	if len(st.Alarms) != 1 || st.Alarms[0].Detail["kind"] != "tailgating" {
		t.Fatalf("alarms: %+v", st.Alarms)
	}
	var camera apiclient.Device
	for _, d := range st.Devices {
		if d.Name == "camera" {
			camera = d
		}
	}
	if camera.Status != "fault" || camera.Detail != "no frames for 5s" {
		t.Fatalf("camera device: %+v (all %+v)", camera, st.Devices)
	}
	_, raw := f.get(t, "/api/v1/status", map[string]string{"Authorization": "Bearer " + f.srv.Token()})
	_, dec := f.get(t, "/api/v1/decisions", map[string]string{"Authorization": "Bearer " + f.srv.Token()})
	for _, secret := range []string{"HMACDOCREF123", "NATXYZ", "UTO", "30-49", "0.93", "doc_ref", "nationality"} {
		if strings.Contains(raw, secret) || strings.Contains(dec, secret) {
			t.Errorf("personal data %q in the API's answers", secret)
		}
	}
}

func TestStatusLongPoll(t *testing.T) {
	lane := apitest.NewFakeLane(gate.Ready, gate.MsgPlaceDocument)
	f := newFixture(t, lane)
	ctx := context.Background()
	st, err := f.cl.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Nothing changes: the poll waits its time out and returns the same key.
	t0 := time.Now()
	same, err := f.cl.WaitStatus(ctx, st.Key, 300*time.Millisecond)
	if err != nil || same.Key != st.Key || time.Since(t0) < 250*time.Millisecond {
		t.Fatalf("unchanged poll: %v %q %v", err, same.Key, time.Since(t0))
	}
	// A change ends the poll early.
	go func() {
		time.Sleep(150 * time.Millisecond)
		lane.Set(func(s *gate.Status) { s.State, s.Indicate.Msg = gate.DocCheck, gate.MsgReading })
		f.hub.Show(gate.Indicate{Msg: gate.MsgReading})
	}()
	t0 = time.Now()
	next, err := f.cl.WaitStatus(ctx, st.Key, 10*time.Second)
	if err != nil || next.State != "doc_check" || time.Since(t0) > 3*time.Second {
		t.Fatalf("changed poll: %v %q after %v", err, next.State, time.Since(t0))
	}
}

func TestEvents(t *testing.T) {
	f := newFixture(t, apitest.NewFakeLane(gate.Ready, gate.MsgPlaceDocument))
	for i := range 5 {
		f.rec.Add(store.Event{At: time.Now(), Lane: "lane-7", Kind: "state", Detail: map[string]any{"n": i}})
	}
	ctx := context.Background()
	ev, err := f.cl.Events(ctx, 0, 2, 0)
	if err != nil || len(ev.Events) != 2 || ev.Events[0].ID != 4 || ev.Last != 5 {
		t.Fatalf("tail 2: %v %+v", err, ev)
	}
	ev, err = f.cl.Events(ctx, 3, 0, 0)
	if err != nil || len(ev.Events) != 2 || ev.Events[0].ID != 4 {
		t.Fatalf("after 3: %v %+v", err, ev)
	}
	go func() {
		time.Sleep(200 * time.Millisecond)
		f.rec.Add(store.Event{At: time.Now(), Lane: "lane-7", Kind: "alarm", Detail: map[string]any{"kind": "intrusion"}})
		f.hub.Publish("alarm", time.Now(), map[string]any{"kind": "intrusion"})
	}()
	t0 := time.Now()
	ev, err = f.cl.Events(ctx, 5, 0, 10*time.Second)
	if err != nil || len(ev.Events) != 1 || ev.Events[0].Kind != "alarm" || time.Since(t0) > 3*time.Second {
		t.Fatalf("follow: %v %+v after %v", err, ev, time.Since(t0))
	}
	// An empty follow returns after its wait with Last unchanged.
	ev, err = f.cl.Events(ctx, 6, 0, 200*time.Millisecond)
	if err != nil || len(ev.Events) != 0 || ev.Last != 6 {
		t.Fatalf("empty follow: %v %+v", err, ev)
	}
	// Bad parameters are explained.
	code, body := f.get(t, "/api/v1/events?after=x", map[string]string{"Authorization": "Bearer " + f.srv.Token()})
	if code != 400 || !strings.Contains(body, "after=") {
		t.Fatalf("bad after: %d %s", code, body)
	}
}

func TestCommand(t *testing.T) {
	lane := apitest.NewFakeLane(gate.Ready, gate.MsgPlaceDocument)
	lane.Answer = func(st *gate.Status, c gate.Command) gate.CommandResult {
		if c.Kind == gate.CmdMaintenanceDoor && st.State != gate.Maintenance {
			return gate.CommandResult{Command: c, Reason: "door moves are allowed only in maintenance"}
		}
		return gate.CommandResult{Command: c, OK: true}
	}
	f := newFixture(t, lane)
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		cmd     apiclient.Command
		wantOK  bool
		wantErr string
	}{
		{"maintenance on", apiclient.Command{Kind: "maintenance_on"}, true, ""},
		{"door outside maintenance", apiclient.Command{Kind: "maintenance_door", Door: "exit", Open: true}, false, ""},
		{"unknown kind", apiclient.Command{Kind: "fly"}, false, "unknown command"},
		{"bad door", apiclient.Command{Kind: "maintenance_door", Door: "window"}, false, "want entry or exit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := f.cl.Command(ctx, tc.cmd)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errors.Is(err, apiclient.ErrRefused) {
					t.Fatalf("got %v, want error %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || res.OK != tc.wantOK {
				t.Fatalf("got %+v %v", res, err)
			}
		})
	}
	sent := lane.Sent()
	if len(sent) != 2 || sent[0].Kind != gate.CmdMaintenanceOn || sent[0].Origin != "local-api" ||
		sent[1].Door != gate.ExitDoor || !sent[1].Open {
		t.Fatalf("sent: %+v", sent)
	}
}

func TestMaintenanceActionsNeedMaintenance(t *testing.T) {
	lane := apitest.NewFakeLane(gate.Ready, gate.MsgPlaceDocument)
	f := newFixture(t, lane)
	for _, action := range []string{"door-cycle", "pictograms", "buzzer"} {
		door := ""
		if action == "door-cycle" {
			door = "exit"
		}
		_, err := f.cl.Maintenance(context.Background(), action, door)
		var ae *apiclient.Error
		if !errors.As(err, &ae) || ae.Status != http.StatusConflict || !strings.Contains(ae.Hint, "maintenance on") {
			t.Errorf("%s outside maintenance: %v", action, err)
		}
	}
	if n := len(lane.Sent()); n != 0 {
		t.Fatalf("commands sent outside maintenance: %d", n)
	}
	// The self-test refuses to move doors outside maintenance unless asked
	// to enter it, but runs its read-only checks with the moves skipped.
	_, err := f.cl.SelfTest(context.Background(), apiclient.SelfTestRequest{})
	if !errors.Is(err, apiclient.ErrRefused) || !strings.Contains(err.Error(), "maintenance") {
		t.Fatalf("selftest outside maintenance: %v", err)
	}
	rep, err := f.cl.SelfTest(context.Background(), apiclient.SelfTestRequest{SkipDoors: true, SkipSignals: true})
	if err != nil || !rep.OK {
		t.Fatalf("read-only selftest: %v %+v", err, rep)
	}
	results := map[string]string{}
	for _, c := range rep.Checks {
		results[c.Name] = c.Result + ": " + c.Detail
	}
	for name, want := range map[string]string{
		"emergency_input": "pass", "beam.presence": "pass", "camera": "skip: simulated",
		"document_reader": "skip: not configured", "broker": "skip: not configured", "models": "skip: not configured",
	} {
		if !strings.HasPrefix(results[name], want) {
			t.Errorf("%s: %q, want %q", name, results[name], want)
		}
	}
}

func TestSelfTestFailuresHaveHints(t *testing.T) {
	lane := apitest.NewFakeLane(gate.Maintenance, gate.MsgMaintenance)
	lane.Set(func(st *gate.Status) {
		st.Emergency = true
		st.Beams["exit"] = true
		st.Faults["door.exit"] = "exit door did not reach open within 4s"
	})
	f := newFixture(t, lane, func(o *api.Opts) {
		o.DoorTimeout = 200 * time.Millisecond
		o.Probes = map[string]api.Probe{
			"broker": {Check: func(ctx context.Context) error { return errors.New("connection refused") }, Hint: "check the broker address"},
			"models": {Check: func(ctx context.Context) error {
				return errors.Join(api.ErrSkipped, errors.New("no models on a dev machine"))
			}},
		}
	})
	rep, err := f.cl.SelfTest(context.Background(), apiclient.SelfTestRequest{SkipSignals: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK {
		t.Fatal("report OK with failures")
	}
	fails := map[string]apiclient.Check{}
	for _, c := range rep.Checks {
		if c.Result == apiclient.Fail {
			fails[c.Name] = c
			if c.Hint == "" {
				t.Errorf("%s failed without a hint", c.Name)
			}
		}
		if c.Name == "models" && c.Result != apiclient.Skip {
			t.Errorf("models: %+v", c)
		}
	}
	// The fake lane never moves its doors: both cycles time out.
	for _, name := range []string{"emergency_input", "beam.exit", "fault.door.exit", "door.entry", "door.exit", "broker"} {
		if _, ok := fails[name]; !ok {
			t.Errorf("%s did not fail; checks: %+v", name, rep.Checks)
		}
	}
	if h := fails["door.entry"].Hint; !strings.Contains(h, "did not move") {
		t.Errorf("door hint: %q", h)
	}
}

func TestToken(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "api.token")
	tok, err := api.LoadOrCreateToken(path)
	if err != nil || len(tok) != 64 {
		t.Fatalf("create: %q %v", tok, err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode: %v %v", fi.Mode(), err)
	}
	again, err := api.LoadOrCreateToken(path)
	if err != nil || again != tok {
		t.Fatalf("reload: %q %v", again, err)
	}
	read, err := apiclient.ReadToken(path)
	if err != nil || read != tok {
		t.Fatalf("client read: %q %v", read, err)
	}
	os.Chmod(path, 0o644)
	if _, err := api.LoadOrCreateToken(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("world-readable token accepted: %v", err)
	}
	os.Chmod(path, 0o600)
	os.WriteFile(path, []byte("not hex\n"), 0o600)
	if _, err := api.LoadOrCreateToken(path); err == nil {
		t.Fatal("garbage token accepted")
	}
}

func TestKioskState(t *testing.T) {
	f := newFixture(t, apitest.NewFakeLane(gate.Verifying, gate.MsgLookAtCamera))
	code, body := f.get(t, "/kiosk/state", nil)
	var k api.KioskState
	if code != 200 || json.Unmarshal([]byte(body), &k) != nil || k.Message != "look_at_camera" || k.State != "verifying" {
		t.Fatalf("kiosk state: %d %s", code, body)
	}
	for _, tc := range []struct{ lang, want string }{
		{"en", "Look at the camera"}, {"es", "Mire a la cámara"}, {"fr", "Regardez la caméra"}, {"xx", "Look at the camera"},
	} {
		code, page := f.get(t, "/kiosk?lang="+tc.lang, nil)
		if code != 200 || !strings.Contains(page, tc.want) {
			t.Errorf("kiosk %s: %d, no %q", tc.lang, code, tc.want)
		}
	}
}
