// Package apitest holds the local API's test helpers: a hand-written fake
// lane and records, and a real daemon on the simulated lane wired to an API
// server the way egated wires it.
//
// # Who may import it
//
// Tests under cmd/ only.
package apitest

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/egate/egate/cmd/internal/api"
	"github.com/egate/egate/cmd/internal/config"
	"github.com/egate/egate/cmd/internal/daemon"
	"github.com/egate/egate/cmd/internal/lanes"
	"github.com/egate/egate/cmd/internal/sim"
	"github.com/egate/egate/gate"
	"github.com/egate/egate/gate/clock"
	"github.com/egate/egate/gate/store"
	"github.com/egate/egate/sensors/simlane"
)

// FakeLane is a lane whose status the test sets. Commands are recorded and
// answered by Answer (default: obeyed, with no effect on the status).
type FakeLane struct {
	mu       sync.Mutex
	St       gate.Status
	Commands []gate.Command
	Answer   func(st *gate.Status, c gate.Command) gate.CommandResult
	// Script, if set, replaces the status on each Status call in turn (the
	// last one stays): for testing that a page follows the lane.
	Script []gate.Status
}

// NewFakeLane returns a two-step lane in state with the indication msg,
// doors closed and beams clear.
func NewFakeLane(state gate.State, msg gate.Message) *FakeLane {
	return &FakeLane{St: Status(state, msg)}
}

// Status returns a two-step lane status in state showing msg.
func Status(state gate.State, msg gate.Message) gate.Status {
	closed := gate.DoorStatus{Pos: gate.PosClosed, Reached: true}
	st := gate.Status{
		Lane: "two-step", State: state, Since: time.Now().Add(-42 * time.Second),
		Doors: map[string]gate.DoorStatus{"entry": closed, "exit": closed},
		Beams: map[string]bool{}, Faults: map[string]string{},
		Indicate: gate.Indicate{Entry: gate.LightRed, Exit: gate.LightRed, Msg: msg},
	}
	for b := gate.Beam(0); b <= gate.BeamExitOuter; b++ {
		st.Beams[b.String()] = false
	}
	return st
}

// Status implements api.Lane.
func (f *FakeLane) Status() gate.Status {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.Script) > 0 {
		f.St = f.Script[0]
		if len(f.Script) > 1 {
			f.Script = f.Script[1:]
		}
	}
	return f.St
}

// Set changes the status.
func (f *FakeLane) Set(change func(st *gate.Status)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	change(&f.St)
}

// Command implements api.Lane.
func (f *FakeLane) Command(ctx context.Context, c gate.Command) (gate.CommandResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.Commands = append(f.Commands, c)
	if f.Answer != nil {
		return f.Answer(&f.St, c), nil
	}
	return gate.CommandResult{Command: c, OK: true}, nil
}

// Sent returns the commands received so far.
func (f *FakeLane) Sent() []gate.Command {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]gate.Command(nil), f.Commands...)
}

// FakeRecords holds events and passages in memory.
type FakeRecords struct {
	mu     sync.Mutex
	Evs    []store.Event
	Passes []store.Passage // oldest first
	nextID int64
	Err    error
}

// Add appends an event and returns its id.
func (r *FakeRecords) Add(e store.Event) int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.nextID++
	e.ID = r.nextID
	r.Evs = append(r.Evs, e)
	return e.ID
}

// AddPassage appends a passage.
func (r *FakeRecords) AddPassage(p store.Passage) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Passes = append(r.Passes, p)
}

// Events implements api.Records.
func (r *FakeRecords) Events(ctx context.Context, after int64, limit int) ([]store.Event, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.Err != nil {
		return nil, r.Err
	}
	var out []store.Event
	for _, e := range r.Evs {
		if e.ID > after && len(out) < limit {
			out = append(out, e)
		}
	}
	return out, nil
}

// Passages implements api.Records.
func (r *FakeRecords) Passages(ctx context.Context, limit int) ([]store.Passage, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []store.Passage
	for i := len(r.Passes) - 1; i >= 0 && len(out) < limit; i-- {
		out = append(out, r.Passes[i])
	}
	return out, nil
}

// RepoRoot finds the module root from the test's working directory.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("apitest: go.mod not found above the test directory")
		}
		dir = parent
	}
}

// Sim is a real daemon on the simulated lane with the local API in front,
// wired as egated wires them.
type Sim struct {
	Config config.Config
	Mech   *simlane.Mechanics
	Reader *sim.Reader
	Faces  *sim.Faces
	Player *sim.Player
	Daemon *daemon.Daemon
	Store  *store.Store
	Hub    *api.Hub
	Server *api.Server
	// URL and TokenFile reach the API.
	URL       string
	TokenFile string
}

// SimOpts adjusts StartSim.
type SimOpts struct {
	// Config is a file under deploy/sim (default egate.yaml).
	Config string
	// Speed overrides simulation.speed (default 6).
	Speed float64
	// Adjust, if set, changes the API options before the server is built.
	Adjust func(o *api.Opts)
	// LaneID overrides lane.id (two lanes on one broker need two ids).
	LaneID string
	// Wire, if set, is called before the daemon is built. The Telemetry it
	// returns joins the hub on the daemon's telemetry (an MQTT client, as
	// egated wires it); start, if not nil, runs once the daemon is ready,
	// until the test ends, and must return when its ctx ends.
	Wire func(c config.Config, st *store.Store) (tel api.Telemetry, start func(ctx context.Context, d *daemon.Daemon))
}

// StartSim starts a simulated lane, its daemon and the API on a free
// loopback port, all stopped when the test ends.
func StartSim(t testing.TB, so SimOpts) *Sim {
	t.Helper()
	if so.Config == "" {
		so.Config = "egate.yaml"
	}
	if so.Speed == 0 {
		so.Speed = 6
	}
	c, err := config.Load(filepath.Join(RepoRoot(t), "deploy", "sim", so.Config))
	if err != nil {
		t.Fatal(err)
	}
	c.StateDir = t.TempDir()
	c.Simulation.Speed = so.Speed
	if so.LaneID != "" {
		c.Lane.ID = so.LaneID
	}
	clk := clock.NewScaled(c.Simulation.Speed)
	st, err := store.Open(c.DBFile())
	if err != nil {
		t.Fatal(err)
	}
	key, err := store.LoadOrCreateKey(c.KeyFile())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	mech, l, err := lanes.Simulated(c, clk)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); mech.Run(ctx) }()

	s := &Sim{Config: c, Mech: mech, Store: st, Reader: sim.NewReader(), Faces: &sim.Faces{Clock: clk, Delay: 1500 * time.Millisecond}}
	display := &sim.Display{}
	s.Player = sim.NewPlayer(sim.Player{Clock: clk, Mech: mech, Reader: s.Reader, Faces: s.Faces, Display: display,
		LaneType: c.GateConfig().Lane, Out: io.Discard})
	// The wiring egated does (see README-section.md).
	o := api.FromConfig(c)
	o.Addr = "127.0.0.1:0"
	o.Version = "test"
	o.Log = slog.New(slog.DiscardHandler)
	s.Hub = api.NewHub(api.HubOpts{Version: o.Version, Lane: o.Lane})
	s.Hub.SetOutboxDepth(func() (int, error) {
		os, err := st.OutboxStats(context.Background())
		return os.Depth, err
	})
	s.Hub.SetWatchlistAge(func() (time.Duration, error) {
		ws, err := st.WatchlistStatus(context.Background())
		if err != nil || ws.Version == 0 {
			return 0, errors.Join(err, errors.New("no watchlist loaded"))
		}
		return time.Since(ws.IssuedAt), nil
	})
	deps := daemon.Deps{Config: c, Clock: clk, Store: st, Key: key, Reader: s.Reader, Face: s.Faces, OnPassage: s.Player.OnPassage}
	deps.Lane = s.Hub.Tap(l)
	deps.Telemetry = s.Hub
	var start func(ctx context.Context, d *daemon.Daemon)
	if so.Wire != nil {
		var tel api.Telemetry
		tel, start = so.Wire(c, st)
		deps.Telemetry = api.TeeTelemetry(s.Hub, tel)
	}
	deps.Display = api.TeeDisplay(display, s.Hub)
	if s.Daemon, err = daemon.New(deps); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Daemon.Run(ctx) }()
	<-s.Daemon.Ready()
	s.Player.Lane = s.Daemon
	if start != nil {
		wg.Add(1)
		go func() { defer wg.Done(); start(ctx, s.Daemon) }()
	}
	if so.Adjust != nil {
		so.Adjust(&o)
	}
	if s.Server, err = api.New(o, s.Daemon, st, s.Hub); err != nil {
		t.Fatal(err)
	}
	if err := s.Server.Start(ctx); err != nil {
		t.Fatal(err)
	}
	s.URL, s.TokenFile = s.Server.URL(), o.TokenFile
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("daemon: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("daemon did not stop")
		}
		<-s.Server.Done()
		wg.Wait()
		st.Close()
	})
	// Let the lane settle into ready (doors closed, lane clear).
	s.WaitState(t, gate.Ready, 20*time.Second)
	return s
}

// Play walks the named travellers of deploy/sim/scenario.yaml through the
// lane, one after the other.
func (s *Sim) Play(t testing.TB, names ...string) []sim.Result {
	t.Helper()
	sc, err := sim.LoadScenario(filepath.Join(RepoRoot(t), "deploy", "sim", "scenario.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var pick sim.Scenario
	pick.Version = sc.Version
	for _, n := range names {
		found := false
		for _, tr := range sc.Travellers {
			if tr.Name == n {
				pick.Travellers, found = append(pick.Travellers, tr), true
			}
		}
		if !found {
			t.Fatalf("apitest: no traveller %q in the scenario", n)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := s.Player.Play(ctx, &pick)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// WaitState waits until the lane is in state.
func (s *Sim) WaitState(t testing.TB, state gate.State, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for s.Daemon.Status().State != state {
		if time.Now().After(deadline) {
			t.Fatalf("lane is %s, not %s, after %v", s.Daemon.Status().State, state, within)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
