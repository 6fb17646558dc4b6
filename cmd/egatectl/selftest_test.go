package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/egate/egate/cmd/internal/api/apiclient"
	"github.com/egate/egate/cmd/internal/api/apitest"
	"github.com/egate/egate/gate"
	"github.com/egate/egate/sensors/simlane"
)

// ctl runs egatectl in-process.
func ctl(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := dispatch(args, strings.NewReader(""), &out, &errb)
	return out.String(), errb.String(), code
}

func simArgs(s *apitest.Sim) []string {
	return []string{"--api", s.URL, "--token-file", s.TokenFile}
}

// TestSelfTestSimulatedLane runs egatectl selftest against a real daemon on
// the simulated lane, healthy and then with a jammed exit door.
func TestSelfTestSimulatedLane(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a simulated lane")
	}
	s := apitest.StartSim(t, apitest.SimOpts{})
	out, errOut, code := ctl(t, append([]string{"selftest"}, simArgs(s)...)...)
	t.Logf("egatectl selftest:\n%s%s", out, errOut)
	if code != 0 {
		t.Fatalf("healthy lane: exit %d", code)
	}
	for _, want := range []string{"PASS  door.entry", "PASS  door.exit", "PASS  beam.presence", "PASS  pictograms",
		"PASS  buzzer", "SKIP  camera", "SKIP  broker", "SKIP  models", "result: PASS", "put in maintenance mode"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	s.WaitState(t, gate.Ready, 20*time.Second)

	// JSON output is the API's report.
	out, _, code = ctl(t, append([]string{"selftest", "--json", "--no-doors", "--no-signals"}, simArgs(s)...)...)
	var rep apiclient.Report
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil || !rep.OK || len(rep.Checks) < 8 {
		t.Fatalf("--json: exit %d\n%s", code, out)
	}

	// Someone left in the lane, and a jammed exit door: exit 1, with hints.
	// Maintenance first: a body in the mantrap of a ready lane would be an
	// intrusion alarm instead.
	if _, errOut, code := ctl(t, append([]string{"maintenance", "on"}, simArgs(s)...)...); code != 0 {
		t.Fatalf("maintenance on: %d %s", code, errOut)
	}
	body := s.Mech.AddBody(simlane.Inside, false)
	defer s.Mech.Remove(body)
	s.Mech.Jam(gate.ExitDoor, true)
	// The lane must have seen the body (debounced input) before the test.
	for deadline := time.Now().Add(10 * time.Second); !s.Daemon.Status().Beams["presence"]; {
		if time.Now().After(deadline) {
			t.Fatal("the lane never saw the body in the mantrap")
		}
		time.Sleep(5 * time.Millisecond)
	}
	out, errOut, code = ctl(t, append([]string{"selftest", "--no-signals"}, simArgs(s)...)...)
	t.Logf("egatectl selftest (jammed):\n%s%s", out, errOut)
	if code != 1 {
		t.Fatalf("jammed door: exit %d", code)
	}
	for _, want := range []string{"FAIL  beam.presence", "hint: make sure nobody", "FAIL  door.exit", "hint: the door did not move", "result: FAIL"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
}

func TestStatusEventsMaintenance(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a simulated lane")
	}
	s := apitest.StartSim(t, apitest.SimOpts{})
	a := simArgs(s)
	out, errOut, code := ctl(t, append([]string{"status"}, a...)...)
	if code != 0 || !strings.Contains(out, "lane sim-lane-1 (demo-airport, two-step)") || !strings.Contains(out, "state      ready") ||
		!strings.Contains(out, "doors      entry closed · exit closed") || !strings.Contains(out, "beams      all 5 clear") {
		t.Fatalf("status: %d\n%s%s", code, out, errOut)
	}
	out, _, code = ctl(t, append([]string{"status", "--json"}, a...)...)
	var st apiclient.Status
	if code != 0 || json.Unmarshal([]byte(out), &st) != nil || st.State != "ready" || st.Lane.ID != "sim-lane-1" {
		t.Fatalf("status --json: %d\n%s", code, out)
	}
	out, _, _ = ctl(t, append([]string{"status", "--url"}, a...)...)
	if !strings.Contains(out, "/status?token=") {
		t.Fatalf("status --url: %s", out)
	}

	// Maintenance actions are refused outside maintenance mode.
	_, errOut, code = ctl(t, append([]string{"maintenance", "door", "exit", "open"}, a...)...)
	if code != 1 || !strings.Contains(errOut, "only in maintenance") || !strings.Contains(errOut, "maintenance on first") {
		t.Fatalf("door outside maintenance: %d %s", code, errOut)
	}
	_, errOut, code = ctl(t, append([]string{"maintenance", "buzzer"}, a...)...)
	if code != 1 || !strings.Contains(errOut, "only in maintenance mode") {
		t.Fatalf("buzzer outside maintenance: %d %s", code, errOut)
	}
	// In maintenance they work.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"maintenance", "on"}, "in maintenance mode"},
		{[]string{"maintenance", "cycle", "entry"}, "PASS  door.entry"},
		{[]string{"maintenance", "door", "exit", "open"}, "exit door commanded open"},
		{[]string{"maintenance", "door", "exit", "close"}, "exit door commanded closed"},
		{[]string{"maintenance", "pictograms"}, "PASS  pictograms"},
		{[]string{"maintenance", "off"}, "maintenance mode left"},
	} {
		out, errOut, code := ctl(t, append(tc.args, a...)...)
		if code != 0 || !strings.Contains(out, tc.want) {
			t.Fatalf("%v: %d\n%s%s", tc.args, code, out, errOut)
		}
	}
	s.WaitState(t, gate.Ready, 20*time.Second)

	// Events: the commands above, then --follow sees a new one.
	out, _, code = ctl(t, append([]string{"events", "--tail", "50"}, a...)...)
	if code != 0 || !strings.Contains(out, "command maintenance_on by local-api: ok") ||
		!strings.Contains(out, "command maintenance_door by local-api: refused: door moves are allowed only in maintenance") ||
		!strings.Contains(out, "state   ready → maintenance") {
		t.Fatalf("events: %d\n%s", code, out)
	}
	go func() {
		time.Sleep(500 * time.Millisecond)
		ctl(t, append([]string{"maintenance", "on"}, a...)...)
	}()
	out, _, code = ctl(t, append([]string{"events", "--follow", "--tail", "0", "--for", "3s"}, a...)...)
	if code != 0 || !strings.Contains(out, "ready → maintenance") || strings.Contains(out, "maintenance_door") {
		t.Fatalf("events --follow: %d\n%s", code, out)
	}
}

func TestAPIErrors(t *testing.T) {
	dir := t.TempDir()
	tok := filepath.Join(dir, "api.token")
	os.WriteFile(tok, []byte(strings.Repeat("ab", 32)+"\n"), 0o600)
	for _, tc := range []struct {
		name string
		args []string
		want string
		code int
	}{
		{"no token", []string{"status", "--state-dir", filepath.Join(dir, "nowhere")}, "no API token at", 2},
		{"unreachable", []string{"status", "--api", "127.0.0.1:1", "--token-file", tok}, "cannot reach egated", 2},
		{"bad api", []string{"status", "--api", "ftp://x", "--token-file", tok}, "--api", 2},
		{"bad flag", []string{"selftest", "--bogus"}, "flag provided but not defined", 2},
		{"maintenance without action", []string{"maintenance"}, "which action?", 2},
		{"maintenance bad door", []string{"maintenance", "cycle", "window"}, "cycle entry|exit", 2},
		{"events bad tail", []string{"events", "--tail", "-1"}, "--tail", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errOut, code := ctl(t, tc.args...)
			if code != tc.code || !strings.Contains(errOut, tc.want) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, errOut, tc.code, tc.want)
			}
			if strings.Contains(errOut, "goroutine ") || strings.Contains(errOut, "panic") {
				t.Fatalf("stack trace: %s", errOut)
			}
		})
	}
	// A token egated does not know.
	s := apitest.StartSim(t, apitest.SimOpts{})
	_, errOut, code := ctl(t, "status", "--api", s.URL, "--token-file", tok)
	if code != 2 || !strings.Contains(errOut, "refused the API token") {
		t.Fatalf("wrong token: %d %s", code, errOut)
	}
}
