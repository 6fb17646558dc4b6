package daemon

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/egate/egate/cmd/internal/config"
	"github.com/egate/egate/cmd/internal/lanes"
	"github.com/egate/egate/cmd/internal/sim"
	"github.com/egate/egate/gate"
	"github.com/egate/egate/gate/clock"
	"github.com/egate/egate/gate/policy"
	"github.com/egate/egate/gate/store"
	"github.com/egate/egate/sensors"
	"github.com/egate/egate/sensors/simlane"
)

type rig struct {
	d    *Daemon
	mech *simlane.Mechanics
	st   *store.Store
	stop context.CancelFunc
	done chan error
	clk  clock.Clock
}

func newRig(t *testing.T, opts ...func(*Deps)) *rig {
	t.Helper()
	c, err := config.Load("../../../deploy/sim/egate.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c.StateDir = t.TempDir()
	clk := clock.NewScaled(5)
	mech, l, err := lanes.Simulated(c, clk)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(filepath.Join(c.StateDir, "egate.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	deps := Deps{Config: c, Clock: clk, Lane: l, Store: st, Key: make([]byte, 32)}
	for _, o := range opts {
		o(&deps)
	}
	d, err := New(deps)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	mctx, mcancel := context.WithCancel(context.Background())
	t.Cleanup(mcancel)
	go mech.Run(mctx)
	r := &rig{d: d, mech: mech, st: st, stop: cancel, done: make(chan error, 1), clk: clk}
	go func() { r.done <- d.Run(ctx) }()
	<-d.Ready()
	r.waitState(t, gate.Ready)
	return r
}

func (r *rig) waitState(t *testing.T, want gate.State) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for r.d.Status().State != want {
		if time.Now().After(deadline) {
			t.Fatalf("state %s, want %s", r.d.Status().State, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestShutdownPutsDoorsInSafeState(t *testing.T) {
	r := newRig(t)
	start := time.Now()
	r.stop()
	select {
	case err := <-r.done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(ShutdownBound + 2*time.Second):
		t.Fatal("Run did not return within the shutdown bound")
	}
	t.Logf("stopped in %v", time.Since(start))
	// deploy/sim/egate.yaml: safe_state entry open, exit closed.
	if !r.mech.Driven(gate.EntryDoor) || r.mech.Driven(gate.ExitDoor) {
		t.Fatalf("after shutdown entry driven=%v exit driven=%v, want open/closed", r.mech.Driven(gate.EntryDoor), r.mech.Driven(gate.ExitDoor))
	}
}

func TestCutEmergencyWireOpensEveryDoor(t *testing.T) {
	r := newRig(t)
	defer r.stop()
	r.mech.CutEmergencyWire(true)
	r.waitState(t, gate.Emergency)
	deadline := time.Now().Add(10 * time.Second)
	for !(r.mech.DoorOpen(gate.EntryDoor) && r.mech.DoorOpen(gate.ExitDoor)) {
		if time.Now().After(deadline) {
			t.Fatal("doors not open during emergency")
		}
		time.Sleep(5 * time.Millisecond)
	}
	// Clearing needs the loop restored and an authorised command.
	ctx := context.Background()
	if res, _ := r.d.Command(ctx, gate.Command{Kind: gate.CmdEmergencyClear, Origin: "test"}); res.OK {
		t.Fatal("emergency cleared while the loop is cut")
	}
	r.mech.CutEmergencyWire(false)
	deadline = time.Now().Add(10 * time.Second)
	for {
		res, err := r.d.Command(ctx, gate.Command{Kind: gate.CmdEmergencyClear, Origin: "test"})
		if err == nil && res.OK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("emergency clear refused: %+v %v", res, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	r.waitState(t, gate.Ready)
}

func TestJammedDoorGoesOutOfService(t *testing.T) {
	r := newRig(t)
	defer r.stop()
	ctx := context.Background()
	if res, _ := r.d.Command(ctx, gate.Command{Kind: gate.CmdMaintenanceOn, Origin: "test"}); !res.OK {
		t.Fatal(res)
	}
	r.d.Command(ctx, gate.Command{Kind: gate.CmdMaintenanceDoor, Door: gate.ExitDoor, Open: true, Origin: "test"})
	deadline := time.Now().Add(10 * time.Second)
	for !r.mech.DoorOpen(gate.ExitDoor) {
		if time.Now().After(deadline) {
			t.Fatal("exit door did not open in maintenance")
		}
		time.Sleep(5 * time.Millisecond)
	}
	// The motor fails with the door open: leaving maintenance cannot close it.
	r.mech.Jam(gate.ExitDoor, true)
	r.d.Command(ctx, gate.Command{Kind: gate.CmdMaintenanceOff, Origin: "test"})
	r.waitState(t, gate.OutOfService)
	if res, _ := r.d.Command(ctx, gate.Command{Kind: gate.CmdInService, Origin: "test"}); res.OK {
		t.Fatal("back in service with a jammed door")
	}
	evs, err := r.st.Events(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range evs {
		found = found || e.Kind == "alarm" && e.Detail["kind"] == "door_timeout"
	}
	if !found {
		t.Fatal("door timeout alarm not recorded")
	}
}

func TestCheckDocument(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	pol := config.Default().Policy
	pol.RequireChip = true
	key := []byte("k")
	base := sensors.Document{Type: "P", IssuingState: "UTO", Number: "L898902C3", Nationality: "UTO",
		BirthDate: time.Date(1974, 8, 12, 0, 0, 0, 0, time.UTC), ExpiryDate: time.Date(2031, 4, 15, 0, 0, 0, 0, time.UTC),
		MRZValid: true, Chip: &sensors.ChipResult{Checks: map[string]bool{"passive_auth": true}}}
	tests := []struct {
		name   string
		mod    func(d *sensors.Document)
		ok     bool
		refer  bool
		reason string
	}{
		{"eligible", func(d *sensors.Document) {}, true, false, ""},
		{"expired", func(d *sensors.Document) { d.ExpiryDate = now.AddDate(0, 0, -2) }, false, false, "document.expired"},
		{"expires today is still valid", func(d *sensors.Document) { d.ExpiryDate = time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC) }, true, false, ""},
		{"identity card not eligible", func(d *sensors.Document) { d.Type = "ID" }, false, false, "document.type_not_eligible"},
		{"bad MRZ", func(d *sensors.Document) { d.MRZValid = false }, false, false, "document.mrz_invalid"},
		{"no chip", func(d *sensors.Document) { d.Chip = nil }, false, false, "chip.not_read"},
		{"passive auth failed", func(d *sensors.Document) {
			d.Chip = &sensors.ChipResult{Checks: map[string]bool{"passive_auth": false}}
		}, false, false, "chip.passive_auth_failed"},
		{"minor referred", func(d *sensors.Document) { d.BirthDate = time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC) }, false, true, "traveller.minor"},
		{"18th birthday today", func(d *sensors.Document) { d.BirthDate = time.Date(2008, 11, 23, 0, 0, 0, 0, time.UTC) }, true, false, ""},
		{"18th birthday tomorrow", func(d *sensors.Document) { d.BirthDate = time.Date(2008, 11, 24, 0, 0, 0, 0, time.UTC) }, false, true, "traveller.minor"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := base
			tc.mod(&d)
			r := CheckDocument(pol, key, d, now, policy.Facts{})
			if r.OK != tc.ok || r.Refer != tc.refer {
				t.Fatalf("ok=%v refer=%v reasons=%v", r.OK, r.Refer, r.Reasons)
			}
			if tc.reason != "" && (len(r.Reasons) == 0 || r.Reasons[0] != tc.reason) {
				t.Fatalf("reasons %v, want %s", r.Reasons, tc.reason)
			}
			if r.DocRef == "" || r.DocRef == d.Number {
				t.Fatal("document reference missing or not pseudonymised")
			}
		})
	}
}

// TestUnsyncedClockMarksRecords: records stamped before the clock is
// synchronised say so.
func TestUnsyncedClockMarksRecords(t *testing.T) {
	reader := sim.NewReader()
	r := newRig(t, func(d *Deps) {
		d.Reader = reader
		d.ClockSynced = func() bool { return false }
	})
	defer r.stop()
	reader.Present(sensors.DocumentRead{Doc: sensors.Document{Type: "P", IssuingState: "UTO", Number: "X1", MRZValid: true,
		BirthDate: time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC), ExpiryDate: time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)}})
	ctx := context.Background()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ps, err := r.st.Passages(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(ps) == 1 {
			if !slices.Contains(ps[0].Reasons, "clock.unsynced") || !slices.Contains(ps[0].Reasons, "document.expired") {
				t.Fatalf("reasons %v", ps[0].Reasons)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no passage recorded")
		}
		time.Sleep(10 * time.Millisecond)
	}
	evs, _ := r.st.Events(ctx, 0, 100)
	if len(evs) == 0 || evs[0].Detail["clock_synced"] != false {
		t.Fatalf("event not marked unsynced: %+v", evs)
	}
}

// orderLog notes the order in which doors are driven and records published.
type orderLog struct {
	mu  sync.Mutex
	ops []string
}

func (o *orderLog) add(op string) { o.mu.Lock(); o.ops = append(o.ops, op); o.mu.Unlock() }

func (o *orderLog) list() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.ops)
}

type loggedLane struct {
	sensors.Lane
	log *orderLog
}

func (l loggedLane) SetDoor(d gate.DoorID, open bool) error {
	l.log.add(fmt.Sprintf("door %s open=%v", d, open))
	return l.Lane.SetDoor(d, open)
}

type loggedTelemetry struct{ log *orderLog }

func (t loggedTelemetry) Publish(kind string, _ time.Time, f map[string]any) {
	switch kind {
	case "state":
		t.log.add(fmt.Sprintf("record state %v", f["to"]))
	case "audit":
		t.log.add(fmt.Sprintf("audit %v %v", f["seq"], f["head"]))
	}
}

// TestAuditHeadPublished: at start the daemon sends the audit chain's head,
// an entry of the chain, to the control room.
func TestAuditHeadPublished(t *testing.T) {
	ol := &orderLog{}
	r := newRig(t, func(d *Deps) {
		d.Telemetry = loggedTelemetry{ol}
		// An operator action recorded before this start: the chain is not
		// empty (an empty one has head 0).
		if _, err := d.Store.AppendAudit(context.Background(), time.Now(), d.Config.Lane.ID, "watchlist_load", map[string]any{"entries": 3}); err != nil {
			t.Fatal(err)
		}
	})
	defer r.stop()
	var seq int64
	var head string
	for _, op := range ol.list() {
		if _, err := fmt.Sscanf(op, "audit %d %s", &seq, &head); err == nil {
			break
		}
	}
	if seq == 0 || len(head) != 64 {
		t.Fatalf("no audit head published: %q", ol.list())
	}
	es, err := r.st.AuditEntries(context.Background(), seq-1, 1)
	if err != nil || len(es) != 1 || es[0].Seq != seq || es[0].Hash != head {
		t.Fatalf("published head %d %s is not the chain's entry: %+v %v", seq, head, es, err)
	}
}

// TestDoorsBeforeRecords: on an emergency the doors are driven open before
// the state change is written down (a commit waits on the disk).
func TestDoorsBeforeRecords(t *testing.T) {
	ol := &orderLog{}
	r := newRig(t, func(d *Deps) {
		d.Lane = loggedLane{Lane: d.Lane, log: ol}
		d.Telemetry = loggedTelemetry{ol}
	})
	defer r.stop()
	r.mech.CutEmergencyWire(true)
	r.waitState(t, gate.Emergency)
	ops := ol.list()
	rec := slices.Index(ops, "record state emergency")
	open := slices.Index(ops, "door entry open=true")
	if rec < 0 || open < 0 || open > rec || slices.Index(ops[rec:], "door exit open=true") >= 0 {
		t.Fatalf("doors and records in this order: %q", ops)
	}
}
