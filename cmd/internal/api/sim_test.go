package api_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/egate/egate/cmd/internal/api/apiclient"
	"github.com/egate/egate/cmd/internal/api/apitest"
	"github.com/egate/egate/gate"
)

func simClient(t *testing.T, s *apitest.Sim) *apiclient.Client {
	t.Helper()
	tok, err := apiclient.ReadToken(s.TokenFile)
	if err != nil {
		t.Fatal(err)
	}
	return &apiclient.Client{Base: s.URL, Token: tok}
}

// TestSimSelfTest runs the self-test on a real daemon driving the simulated
// lane: it enters maintenance, cycles both doors, drives pictograms and
// buzzer (seen on the simulated output pins), and puts the lane back.
func TestSimSelfTest(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a simulated lane")
	}
	s := apitest.StartSim(t, apitest.SimOpts{})
	cl := simClient(t, s)
	ctx := context.Background()

	var buzzed, entryGreen atomic.Bool
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
			if s.Mech.Light("buzzer") {
				buzzed.Store(true)
			}
			if s.Mech.Light("entry_green") && s.Daemon.Status().State == gate.Maintenance {
				entryGreen.Store(true)
			}
		}
	}()
	rep, err := cl.SelfTest(ctx, apiclient.SelfTestRequest{EnterMaintenance: true})
	close(stop)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range rep.Checks {
		t.Logf("%-5s %-16s %s", c.Result, c.Name, c.Detail)
	}
	if !rep.OK {
		t.Fatalf("self-test failed on a healthy simulated lane: %+v", rep)
	}
	results := map[string]apiclient.Check{}
	for _, c := range rep.Checks {
		results[c.Name] = c
	}
	for name, want := range map[string]string{
		"door.entry": "pass", "door.exit": "pass", "pictograms": "pass", "buzzer": "pass",
		"beam.entry": "pass", "beam.presence": "pass", "beam.multi": "pass", "beam.exit": "pass", "beam.exit_outer": "pass",
		"camera": "skip", "document_reader": "skip", "broker": "skip", "models": "skip",
	} {
		if results[name].Result != want {
			t.Errorf("%s: %+v, want %s", name, results[name], want)
		}
	}
	if d := results["door.exit"].Detail; !strings.Contains(d, "opened in") || !strings.Contains(d, "closed in") {
		t.Errorf("door detail: %q", d)
	}
	if !buzzed.Load() || !entryGreen.Load() {
		t.Errorf("outputs not driven: buzzer %v, entry green %v", buzzed.Load(), entryGreen.Load())
	}
	s.WaitState(t, gate.Ready, 20*time.Second)

	// The records show the test's commands, and the metrics counted them.
	ev, err := cl.Events(ctx, 0, 200, 0)
	if err != nil {
		t.Fatal(err)
	}
	var cmds []string
	for _, e := range ev.Events {
		if e.Kind == "command" {
			cmds = append(cmds, e.Detail["kind"].(string))
		}
	}
	if len(cmds) != 6 || cmds[0] != "maintenance_on" || cmds[5] != "maintenance_off" {
		t.Errorf("commands recorded: %v", cmds)
	}
	c := s.Hub.Counters()
	if c.DoorCycles["entry"] != 1 || c.DoorCycles["exit"] != 1 {
		t.Errorf("door cycles: %+v", c.DoorCycles)
	}
	// The same, scraped by Prometheus from the running daemon.
	req, _ := http.NewRequest("GET", s.URL+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+cl.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`egate_door_cycles_total{door="entry"} 1`, `egate_door_cycles_total{door="exit"} 1`,
		`egate_commands_total{command="maintenance_door",result="ok"} 4`, `egate_lane_state{state="ready"} 1`,
		`egate_outbox_depth 0`, `egate_door_open{door="exit"} 0`, `egate_beam_broken{beam="presence"} 0`,
	} {
		if !strings.Contains(string(body), want+"\n") {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(string(body), "egate_watchlist_age_seconds ") {
		t.Error("watchlist age reported with no watchlist loaded")
	}
}

// TestSimJammedDoor: a jammed exit door fails the self-test with a hint,
// and the lane goes out of service as the state machine requires (R3).
func TestSimJammedDoor(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a simulated lane")
	}
	s := apitest.StartSim(t, apitest.SimOpts{})
	cl := simClient(t, s)
	ctx := context.Background()
	if res, err := cl.Command(ctx, apiclient.Command{Kind: "maintenance_on"}); err != nil || !res.OK {
		t.Fatalf("maintenance on: %+v %v", res, err)
	}
	s.Mech.Jam(gate.ExitDoor, true)
	rep, err := cl.SelfTest(ctx, apiclient.SelfTestRequest{SkipSignals: true})
	if err != nil {
		t.Fatal(err)
	}
	var exit apiclient.Check
	for _, c := range rep.Checks {
		if c.Name == "door.exit" {
			exit = c
		}
	}
	if rep.OK || exit.Result != apiclient.Fail || !strings.Contains(exit.Hint, "did not move") || !strings.Contains(exit.Hint, "out_of_service") {
		t.Fatalf("jammed exit door: %+v", exit)
	}
	s.WaitState(t, gate.OutOfService, 5*time.Second)
	st, err := cl.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Faults["door.exit"] == "" {
		t.Fatalf("no door fault in status: %+v", st.Faults)
	}
	// Door moves are refused outside maintenance, by the state machine.
	res, err := cl.Command(ctx, apiclient.Command{Kind: "maintenance_door", Door: "entry", Open: true})
	if err != nil || res.OK || !strings.Contains(res.Reason, "only in maintenance") {
		t.Fatalf("door move out of service: %+v %v", res, err)
	}
}
