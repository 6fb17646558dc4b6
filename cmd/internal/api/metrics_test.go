package api_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/egate/egate/cmd/internal/api"
	"github.com/egate/egate/cmd/internal/api/apiclient"
	"github.com/egate/egate/cmd/internal/api/apitest"
	"github.com/egate/egate/gate"
)

// nullLane is a sensors.Lane that does nothing.
type nullLane struct{ indications []gate.Indicate }

func (*nullLane) Run(ctx context.Context, _ chan<- gate.Event) error { <-ctx.Done(); return ctx.Err() }
func (*nullLane) SetDoor(gate.DoorID, bool) error                    { return nil }
func (l *nullLane) Indicate(in gate.Indicate) error {
	l.indications = append(l.indications, in)
	return nil
}
func (*nullLane) Halt() error    { return nil }
func (*nullLane) String() string { return "null" }

// TestMetrics feeds the hub the daemon's telemetry stream and scrapes it.
func TestMetrics(t *testing.T) {
	f := newFixture(t, apitest.NewFakeLane(gate.Ready, gate.MsgPlaceDocument))
	h := f.hub
	t0 := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	for _, ev := range []struct {
		kind   string
		at     float64
		fields map[string]any
	}{
		{"state", 0, map[string]any{"from": "resetting", "to": "ready"}},
		{"state", 10, map[string]any{"from": "ready", "to": "doc_check"}},
		{"state", 11.5, map[string]any{"from": "doc_check", "to": "entering"}},
		{"state", 14, map[string]any{"from": "entering", "to": "verifying"}},
		{"state", 16, map[string]any{"from": "verifying", "to": "exiting"}},
		{"passage", 20, map[string]any{"passage": uint64(1), "outcome": "accept", "reasons": []string{}, "time_in_lane_ms": int64(10000)}},
		{"passage", 40, map[string]any{"passage": uint64(2), "outcome": "reject", "reasons": []string{"document.expired", "chip.not_read"}, "time_in_lane_ms": int64(3000)}},
		{"alarm", 41, map[string]any{"kind": "device_fault", "detail": "door.exit: exit door did not reach open within 4s"}},
		{"alarm", 42, map[string]any{"kind": "tailgating", "detail": "second body"}},
		{"command", 43, map[string]any{"kind": "maintenance_on", "ok": true}},
		{"command", 44, map[string]any{"kind": "maintenance_door", "ok": false}},
	} {
		h.Publish(ev.kind, at(ev.at), ev.fields)
	}
	h.SetOutboxDepth(func() (int, error) { return 7, nil })
	h.SetWatchlistAge(func() (time.Duration, error) { return time.Hour, nil })
	tap := h.Tap(&nullLane{})
	tap.SetDoor(gate.EntryDoor, true)
	tap.SetDoor(gate.EntryDoor, true) // no new cycle
	tap.SetDoor(gate.EntryDoor, false)
	tap.SetDoor(gate.EntryDoor, true)
	tap.SetDoor(gate.ExitDoor, false)

	_, out := f.get(t, "/metrics", map[string]string{"Authorization": "Bearer " + f.srv.Token()})
	for _, want := range []string{
		`egate_decisions_total{result="accept"} 1`,
		`egate_decisions_total{result="reject"} 1`,
		`egate_decisions_total{result="refer"} 0`,
		`egate_decision_reasons_total{reason="document.expired",result="reject"} 1`,
		`egate_decision_reasons_total{reason="chip.not_read",result="reject"} 1`,
		`egate_passage_duration_seconds_bucket{result="accept",le="10"} 1`,
		`egate_passage_duration_seconds_sum{result="reject"} 3`,
		`egate_step_duration_seconds_sum{step="doc_check"} 1.5`,
		`egate_step_duration_seconds_sum{step="entering"} 2.5`,
		`egate_step_duration_seconds_count{step="verifying"} 1`,
		`egate_alarms_total{kind="tailgating"} 1`,
		`egate_faults_total{device="door.exit"} 1`,
		`egate_commands_total{command="maintenance_on",result="ok"} 1`,
		`egate_commands_total{command="maintenance_door",result="refused"} 1`,
		`egate_door_cycles_total{door="entry"} 2`,
		`egate_door_cycles_total{door="exit"} 0`,
		`egate_lane_state{state="exiting"} 1`,
		`egate_lane_state{state="ready"} 0`,
		`egate_outbox_depth 7`,
		`egate_watchlist_age_seconds 3600`,
		`egate_door_open{door="entry"} 0`,
		`egate_beam_broken{beam="presence"} 0`,
		`egate_emergency_active 0`,
		`egate_faults_active 0`,
		`egate_build_info{lane="lane-7",lane_type="two-step",site="test-site",version="test"} 1`,
		`go_goroutines`,
	} {
		if !strings.Contains(out, want+"\n") && !strings.Contains(out, want+" ") && !(strings.HasPrefix(want, "go_") && strings.Contains(out, want)) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if t.Failed() {
		t.Log(out)
	}
	c := h.Counters()
	if c.Decisions["accept"] != 1 || c.Alarms["device_fault"] != 1 || c.Faults["door.exit"] != 1 || c.DoorCycles["entry"] != 2 || c.Commands != 2 {
		t.Fatalf("counters: %+v", c)
	}
}

// TestTapSignals: a pictogram test shows its steps and puts back the
// daemon's indication; a daemon indication during the test wins.
func TestTapSignals(t *testing.T) {
	h := api.NewHub(api.HubOpts{Lane: apiclient.LaneInfo{Type: "two-step"}})
	l := &nullLane{}
	tap := h.Tap(l)
	daemonShows := gate.Indicate{Msg: gate.MsgMaintenance}
	tap.Indicate(daemonShows)
	steps := []gate.Indicate{{Entry: gate.LightRed}, {Entry: gate.LightGreen}}
	if err := tap.TestSignals(context.Background(), steps, time.Millisecond); err != nil {
		t.Fatal(err)
	}
	got := l.indications
	if len(got) != 4 || got[1] != steps[0] || got[2] != steps[1] || got[3] != daemonShows {
		t.Fatalf("indications: %+v", got)
	}
	l.indications = nil
	emergency := gate.Indicate{Entry: gate.LightGreen, Exit: gate.LightGreen, Msg: gate.MsgEmergency, Buzzer: true}
	go func() {
		time.Sleep(30 * time.Millisecond)
		tap.Indicate(emergency)
	}()
	err := tap.TestSignals(context.Background(), []gate.Indicate{{Buzzer: true}, {Buzzer: true}, {Buzzer: true}}, 25*time.Millisecond)
	if err == nil {
		t.Fatal("test not interrupted")
	}
	if last := l.indications[len(l.indications)-1]; last != emergency {
		t.Fatalf("after interruption the lane shows %+v", last)
	}
}
