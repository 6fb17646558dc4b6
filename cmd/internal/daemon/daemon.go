// Package daemon wires one lane: the gate state machine in the middle, the
// lane mechanism, document reader and face step feeding it events, and the
// store, the display and the logs taking its actions. Data flows one way:
// device events in, decisions out.
//
// One goroutine (Run) owns the state machine. Devices run in their own
// goroutines and talk to it through channels; slow steps (the document check
// and the face comparison) run in goroutines of their own and answer with
// events carrying the passage number, so a late answer can never apply to
// the next traveller.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	sd "github.com/coreos/go-systemd/v22/daemon"

	"github.com/egate/egate/cmd/internal/config"
	"github.com/egate/egate/gate"
	"github.com/egate/egate/gate/clock"
	"github.com/egate/egate/gate/policy"
	"github.com/egate/egate/gate/store"
	"github.com/egate/egate/sensors"
	"github.com/egate/egate/sensors/mrz"
)

// FaceVerifier compares the live face with the document portrait. The
// vision package provides the real one; the simulated lane has its own.
type FaceVerifier interface {
	Verify(ctx context.Context, portrait []byte) (gate.FaceResult, error)
}

// Display shows the traveller's instructions (the kiosk screen).
type Display interface {
	Show(in gate.Indicate)
}

// Telemetry receives what the control room should see: passages, alarms,
// state changes and command results, without personal data (no names, no
// document numbers, not even their HMACs). kind is "passage", "alarm",
// "state" or "command". Implementations must not block the lane for long:
// the MQTT outbox commits to SQLite and returns.
type Telemetry interface {
	Publish(kind string, at time.Time, fields map[string]any)
}

// Deps are the daemon's parts. Lane, Store and Key are required.
type Deps struct {
	Config    config.Config
	Log       *slog.Logger
	Clock     clock.Clock
	Lane      sensors.Lane
	Reader    sensors.DocumentReader // may be nil
	Face      FaceVerifier           // may be nil: the face step then fails closed
	Display   Display                // may be nil
	Store     *store.Store
	Key       []byte
	Telemetry Telemetry // may be nil
	// ClockSynced reports whether the wall clock is synchronised (a Pi has
	// no real-time clock). Records stamped while it is not are marked:
	// passages get the reason "clock.unsynced", events clock_synced=false.
	// Nil: the clock is trusted.
	ClockSynced func() bool
	// OnPassage, if set, is called after each passage is recorded.
	OnPassage func(p gate.Passage)
}

// Daemon runs one lane.
type Daemon struct {
	d        Deps
	log      *slog.Logger
	m        *gate.Machine
	events   chan gate.Event
	cmds     chan cmdReq
	mu       sync.Mutex
	status   gate.Status
	docs     map[uint64]sensors.Document // documents awaiting the face step, by passage; cleared at passage end
	lastLoop time.Time
	// watchlistFault: a stale-list fault has been reported (loop only).
	watchlistFault bool
	ready          chan struct{}
}

type cmdReq struct {
	c     gate.Command
	reply chan gate.CommandResult
}

// New checks the parts and builds the state machine.
func New(d Deps) (*Daemon, error) {
	if d.Lane == nil || d.Store == nil || len(d.Key) == 0 {
		return nil, errors.New("daemon: lane, store and key are required")
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Clock == nil {
		d.Clock = clock.Real{}
	}
	m, err := gate.New(d.Config.GateConfig())
	if err != nil {
		return nil, err
	}
	return &Daemon{
		d: d, log: d.Log.With("component", "lane"), m: m,
		events: make(chan gate.Event, 64), cmds: make(chan cmdReq),
		docs: map[uint64]sensors.Document{}, ready: make(chan struct{}),
	}, nil
}

// Status returns the latest lane snapshot.
func (dm *Daemon) Status() gate.Status {
	dm.mu.Lock()
	defer dm.mu.Unlock()
	return dm.status
}

// Ready is closed once the lane has started.
func (dm *Daemon) Ready() <-chan struct{} { return dm.ready }

// Command submits an authorised command and waits for its result.
func (dm *Daemon) Command(ctx context.Context, c gate.Command) (gate.CommandResult, error) {
	r := cmdReq{c: c, reply: make(chan gate.CommandResult, 1)}
	select {
	case dm.cmds <- r:
	case <-ctx.Done():
		return gate.CommandResult{}, ctx.Err()
	}
	select {
	case res := <-r.reply:
		return res, nil
	case <-ctx.Done():
		return gate.CommandResult{}, ctx.Err()
	}
}

// ShutdownBound is how long Run may take, after ctx ends, to put the doors
// in their safe state and flush the records.
const ShutdownBound = 3 * time.Second

// Run runs the lane until ctx ends, then puts the doors in their safe state.
func (dm *Daemon) Run(ctx context.Context) error {
	devCtx, stopDevices := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	laneErr := make(chan error, 1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := dm.d.Lane.Run(devCtx, dm.events); err != nil && !errors.Is(err, context.Canceled) {
			laneErr <- err
		}
	}()
	var reads <-chan sensors.DocumentRead
	if dm.d.Reader != nil {
		reads = dm.d.Reader.Documents()
	}
	faceCtx, cancelFaces := context.WithCancel(context.Background())
	defer cancelFaces()

	dm.apply(ctx, dm.m.Start(dm.d.Clock.Now()))
	dm.snapshot()
	close(dm.ready)
	sent, _ := sd.SdNotify(false, sd.SdNotifyReady)
	dm.log.Info("lane started", "lane", dm.d.Config.Lane.ID, "type", dm.d.Config.Lane.Type, "systemd", sent)
	wdStop := dm.watchdog()
	defer wdStop()

	tick := dm.d.Clock.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	freshness := dm.d.Clock.NewTicker(WatchlistCheckEvery)
	defer freshness.Stop()
	dm.checkWatchlist(faceCtx)
	audit := dm.d.Clock.NewTicker(AuditPublishEvery)
	defer audit.Stop()
	dm.publishAuditHead(faceCtx)
	var runErr error
loop:
	for {
		var ev gate.Event
		select {
		case <-ctx.Done():
			break loop
		case err := <-laneErr:
			// The lane driver died: that is a device fault.
			dm.log.Error("lane driver stopped", "err", err)
			ev = gate.DeviceFault{Device: "lane", Detail: err.Error()}
			runErr = err
		case ev = <-dm.events:
		case r, ok := <-reads:
			if !ok {
				// The reader stopped for good (halted, or end of its input).
				dm.log.Warn("document reader stopped")
				reads = nil
				dm.apply(faceCtx, dm.m.Handle(dm.d.Clock.Now(), gate.DeviceFault{Device: "document_reader", Detail: "reader stopped"}))
				dm.snapshot()
				continue
			}
			dm.onRead(faceCtx, r)
			continue
		case req := <-dm.cmds:
			acts := dm.m.Handle(dm.d.Clock.Now(), req.c)
			dm.apply(faceCtx, acts)
			dm.snapshot() // before the reply: a caller reading Status sees the result
			for _, a := range acts {
				if res, ok := a.(gate.CommandResult); ok {
					req.reply <- res
				}
			}
			continue
		case <-freshness.C:
			dm.checkWatchlist(faceCtx)
			continue
		case <-audit.C:
			dm.publishAuditHead(faceCtx)
			continue
		case <-tick.C:
			// Device events that are already waiting happened before this
			// tick: handle them first, so that a busy moment cannot turn a
			// door that arrived in time into a late one.
			dm.drainEvents(faceCtx)
			ev = gate.Tick{}
		}
		dm.apply(faceCtx, dm.m.Handle(dm.d.Clock.Now(), ev))
		dm.snapshot()
		if runErr != nil {
			break
		}
	}

	// Shutdown: doors to the safe state within the bound, then records.
	dm.log.Info("stopping: doors to safe state")
	_, _ = sd.SdNotify(false, sd.SdNotifyStopping)
	halted := make(chan error, 1)
	go func() { halted <- dm.d.Lane.Halt() }()
	select {
	case err := <-halted:
		if err != nil {
			dm.log.Error("safe state not confirmed", "err", err)
		}
	case <-time.After(ShutdownBound):
		dm.log.Error("safe state not reached within bound", "bound", ShutdownBound)
	}
	cancelFaces()
	stopDevices()
	wg.Wait()
	return runErr
}

func (dm *Daemon) drainEvents(ctx context.Context) {
	for {
		select {
		case ev := <-dm.events:
			dm.apply(ctx, dm.m.Handle(dm.d.Clock.Now(), ev))
		default:
			return
		}
	}
}

// WatchlistCheckEvery is how often the daemon checks that the watchlist is
// fresh enough for the policy.
const WatchlistCheckEvery = 30 * time.Second

// AuditPublishEvery is how often the audit chain's head goes to the control
// room (and once at start).
const AuditPublishEvery = time.Hour

// publishAuditHead sends the audit chain's head to the control room, which
// keeps it: a chain rebuilt wholesale on the device would no longer contain
// it (egatectl audit verify shows the chain).
func (dm *Daemon) publishAuditHead(ctx context.Context) {
	if dm.d.Telemetry == nil {
		return
	}
	seq, head, err := dm.d.Store.AuditHead(ctx)
	if err != nil {
		dm.log.Error("audit head", "err", err)
		return
	}
	dm.d.Telemetry.Publish("audit", dm.d.Clock.Now(), map[string]any{"seq": seq, "head": head})
}

// checkWatchlist applies the stale-list rule to the lane itself: under
// when_stale: out_of_service a missing or stale list is a "watchlist"
// device fault (the lane goes out of service), and a fresh list recovers
// the fault, so after a delta or a bulk load the control room can put the
// lane back in service without a restart.
func (dm *Daemon) checkWatchlist(ctx context.Context) {
	rules := dm.d.Config.Policy.Rules()
	if !rules.Watchlist.Enabled || rules.Watchlist.WhenStale != policy.StaleOutOfService {
		return
	}
	st, err := dm.d.Store.WatchlistStatus(ctx)
	if err != nil {
		dm.log.Error("watchlist status", "err", err)
		return
	}
	now := dm.d.Clock.Now()
	stale, why := policy.Stale(rules, st, now)
	var ev gate.Event
	switch {
	case stale && !dm.watchlistFault:
		ev = gate.DeviceFault{Device: "watchlist", Detail: why}
	case !stale && dm.watchlistFault:
		ev = gate.DeviceRecovered{Device: "watchlist"}
	default:
		return
	}
	dm.watchlistFault = stale
	dm.apply(ctx, dm.m.Handle(now, ev))
	dm.snapshot()
}

// watchdog pets systemd's watchdog while the main loop is turning.
func (dm *Daemon) watchdog() func() {
	interval, err := sd.SdWatchdogEnabled(false)
	if err != nil || interval == 0 {
		return func() {}
	}
	stop := make(chan struct{})
	go func() {
		t := time.NewTicker(interval / 3)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				dm.mu.Lock()
				healthy := time.Since(dm.lastLoop) < interval/2
				dm.mu.Unlock()
				if healthy {
					_, _ = sd.SdNotify(false, sd.SdNotifyWatchdog)
				}
			}
		}
	}()
	return func() { close(stop) }
}

func (dm *Daemon) snapshot() {
	st := dm.m.Status()
	dm.mu.Lock()
	dm.status = st
	dm.lastLoop = time.Now()
	dm.mu.Unlock()
}

// onRead handles a document placed on the reader.
func (dm *Daemon) onRead(ctx context.Context, r sensors.DocumentRead) {
	now := dm.d.Clock.Now()
	acts := dm.m.Handle(now, gate.DocumentPresented{})
	var pid uint64
	for _, a := range acts {
		if c, ok := a.(gate.CheckDocument); ok {
			pid = c.Passage
		}
	}
	dm.apply(ctx, acts)
	if pid == 0 {
		dm.log.Info("document presented while the lane is busy; ignored", "state", dm.m.State())
		return
	}
	var res gate.DocResult
	switch {
	case r.Err != nil && r.Doc.Type == "":
		// Nothing usable: the error never holds zone content.
		dm.log.Warn("document unreadable", "passage", pid, "err", r.Err)
		res = gate.DocResult{Reasons: []string{"document.unreadable"}}
	case r.Err != nil && !errors.Is(r.Err, mrz.ErrCheckDigit) && !errors.Is(r.Err, mrz.ErrDate) && !errors.Is(r.Err, mrz.ErrField) && !errors.Is(r.Err, mrz.ErrCharset):
		dm.log.Warn("document read failed", "passage", pid, "err", r.Err)
		res = gate.DocResult{Reasons: []string{"document.unreadable"}}
	default:
		// A zone that broke a rule is checked too: the policy refuses it
		// with its reason (document.mrz_invalid).
		if r.Err != nil {
			r.Doc.MRZValid = false
		}
		res = dm.checkDocument(pid, r.Doc, now)
		if res.OK {
			dm.docs[pid] = r.Doc
		}
	}
	dm.apply(ctx, dm.m.Handle(dm.d.Clock.Now(), gate.DocumentChecked{Passage: pid, Result: res}))
	dm.snapshot()
}

// apply carries out the state machine's actions. The doors, pictograms and
// screen come first, each in the order given: the records that follow wait
// on the disk (a commit is an fsync, slow on an SD card), and a door that
// must open for an emergency or close behind a traveller must not wait for
// them.
func (dm *Daemon) apply(ctx context.Context, acts []gate.Action) {
	now := dm.d.Clock.Now()
	for _, a := range acts {
		switch a := a.(type) {
		case gate.DoorCommand:
			if err := dm.d.Lane.SetDoor(a.Door, a.Open); err != nil {
				dm.log.Error("door drive", "door", a.Door.String(), "err", err)
				dm.enqueue(gate.DeviceFault{Device: "door." + a.Door.String(), Detail: err.Error()})
			}
		case gate.Indicate:
			if err := dm.d.Lane.Indicate(a); err != nil {
				dm.log.Warn("pictograms", "err", err)
			}
			if dm.d.Display != nil {
				dm.d.Display.Show(a)
			}
		}
	}
	for _, a := range acts {
		switch a := a.(type) {
		case gate.StateChanged:
			dm.log.Debug("state", "from", a.From.String(), "to", a.To.String(), "cause", a.Cause)
			dm.record(ctx, now, "state", map[string]any{"from": a.From.String(), "to": a.To.String(), "cause": a.Cause})
		case gate.Alarm:
			dm.log.Warn("alarm", "kind", string(a.Kind), "detail", a.Detail, "passage", a.Passage)
			dm.record(ctx, now, "alarm", map[string]any{"kind": string(a.Kind), "detail": a.Detail, "passage": a.Passage})
		case gate.CommandResult:
			dm.log.Info("command", "kind", a.Command.Kind.String(), "origin", a.Command.Origin, "ok", a.OK, "reason", a.Reason)
			dm.record(ctx, now, "command", map[string]any{"kind": a.Command.Kind.String(), "origin": a.Command.Origin, "ok": a.OK, "reason": a.Reason})
		case gate.VerifyFace:
			dm.startFace(ctx, a.Passage)
		case gate.PassageDone:
			delete(dm.docs, a.Passage.ID)
			dm.recordPassage(a.Passage)
		case gate.CheckDocument:
			// Handled by onRead, which asked for it.
		}
	}
}

// Inject hands a device event to the lane from any goroutine without
// blocking (device health callbacks use it).
func (dm *Daemon) Inject(ev gate.Event) { dm.enqueue(ev) }

// enqueue feeds an event back without blocking the loop.
func (dm *Daemon) enqueue(ev gate.Event) {
	select {
	case dm.events <- ev:
	default:
		go func() { dm.events <- ev }()
	}
}

func (dm *Daemon) startFace(ctx context.Context, pid uint64) {
	doc, ok := dm.docs[pid]
	face := dm.d.Face
	go func() {
		var res gate.FaceResult
		switch {
		case !ok || doc.Chip == nil || len(doc.Chip.Portrait) == 0:
			res = gate.FaceResult{Reasons: []string{"face.no_portrait"}}
		case face == nil:
			res = gate.FaceResult{Reasons: []string{"face.step_unavailable"}}
		default:
			fctx, cancel := context.WithTimeout(ctx, dm.d.Config.Timeouts.Verifying.D())
			r, err := face.Verify(fctx, doc.Chip.Portrait)
			cancel()
			if err != nil {
				dm.log.Warn("face step failed", "passage", pid, "err", err)
				r = gate.FaceResult{Reasons: []string{"face.error"}}
			}
			res = r
		}
		// The policy's face threshold has the last word.
		res = policy.Face(dm.d.Config.Policy.Rules(), res)
		select {
		case dm.events <- gate.FaceVerified{Passage: pid, Result: res}:
		case <-ctx.Done():
		}
	}()
}

func (dm *Daemon) clockUnsynced() bool {
	return dm.d.ClockSynced != nil && !dm.d.ClockSynced()
}

func (dm *Daemon) record(ctx context.Context, at time.Time, kind string, detail map[string]any) {
	if dm.clockUnsynced() {
		detail["clock_synced"] = false
	}
	if dm.d.Telemetry != nil {
		dm.d.Telemetry.Publish(kind, at, detail)
	}
	if err := dm.d.Store.RecordEventChained(context.WithoutCancel(ctx), store.Event{At: at, Lane: dm.d.Config.Lane.ID, Kind: kind, Detail: detail}); err != nil {
		dm.log.Error("recording event", "err", err)
	}
}

func (dm *Daemon) recordPassage(p gate.Passage) {
	if dm.clockUnsynced() {
		p.Reasons = append(p.Reasons, "clock.unsynced")
	}
	rec := store.Passage{
		Lane: dm.d.Config.Lane.ID, Passage: p.ID, Start: p.Start, End: p.End, DecidedAt: p.DecidedAt,
		Outcome: string(p.Decision), Reasons: p.Reasons, Exited: p.Exited, Policy: dm.d.Config.Policy.Version,
	}
	for _, a := range p.Alarms {
		rec.Alarms = append(rec.Alarms, string(a))
	}
	if p.Doc != nil {
		rec.DocRef, rec.DocType, rec.IssuingState = p.Doc.DocRef, p.Doc.DocType, p.Doc.IssuingState
		rec.Nationality, rec.AgeBand = p.Doc.Nationality, p.Doc.AgeBand
	}
	if p.Face != nil && p.Face.Score != 0 {
		s := p.Face.Score
		rec.FaceScore = &s
	}
	// The decision, its audit entry and the document use's closing commit together.
	dec := store.Decision{Passage: rec, Direction: dm.d.Config.Policy.Records.Direction}
	if _, err := dm.d.Store.RecordDecision(context.Background(), dec); err != nil {
		dm.log.Error("recording passage", "passage", p.ID, "err", err)
	}
	if dm.d.Telemetry != nil {
		dm.d.Telemetry.Publish("passage", p.End, map[string]any{
			"passage": p.ID, "outcome": rec.Outcome, "reasons": nonNil(rec.Reasons), "alarms": nonNil(rec.Alarms),
			"exited": p.Exited, "doc_type": rec.DocType, "issuing_state": rec.IssuingState,
			"nationality": rec.Nationality, "age_band": rec.AgeBand, "policy": rec.Policy,
			"time_in_lane_ms": p.End.Sub(p.Start).Milliseconds(),
		})
	}
	dm.log.Info("passage", "passage", p.ID, "outcome", string(p.Decision), "reasons", strings.Join(p.Reasons, ","),
		"exited", p.Exited, "time_in_lane", p.End.Sub(p.Start).Round(time.Millisecond).String())
	if dm.d.OnPassage != nil {
		dm.d.OnPassage(p)
	}
}

// checkDocument gathers what the policy needs beyond the document itself
// (the watchlist look-up, earlier uses of the document on this lane), opens
// this passage's use of the document, and applies the policy. A failed
// look-up is reported to the policy, which refers (fail closed). A stale
// watchlist under when_stale: out_of_service also reports a watchlist
// fault, which takes the lane out of service.
func (dm *Daemon) checkDocument(pid uint64, doc sensors.Document, now time.Time) gate.DocResult {
	ctx := context.Background()
	rules := dm.d.Config.Policy.Rules()
	ref := gate.DocRef(dm.d.Key, doc.IssuingState, doc.Type, doc.Number)
	var f policy.Facts
	if rules.Watchlist.Enabled {
		hit, st, err := dm.d.Store.WatchlistLookup(ctx, ref)
		if err != nil {
			dm.log.Error("watchlist look-up failed", "passage", pid, "err", err)
			f.Watchlist.Unavailable = true
		}
		f.Watchlist.Hit, f.Watchlist.Status = hit, st
		if stale, why := policy.Stale(rules, st, now); err == nil && stale && rules.Watchlist.WhenStale == policy.StaleOutOfService {
			dm.log.Error("watchlist stale: lane out of service", "reason", why, "version", st.Version, "issued", st.IssuedAt)
			dm.watchlistFault = true
			dm.enqueue(gate.DeviceFault{Device: "watchlist", Detail: why})
		}
	}
	prior, err := dm.d.Store.OpenDocUse(ctx, dm.d.Config.Lane.ID, pid, ref, now)
	if err != nil {
		dm.log.Error("recording document use failed", "passage", pid, "err", err)
		prior.Unavailable = true
	}
	f.Prior = prior
	return CheckDocument(dm.d.Config.Policy, dm.d.Key, doc, now, f)
}

// CheckDocument applies the decision policy (gate/policy) to a document
// and what is known about it. The result holds the keyed HMAC of the
// document, never its number, and an age band, never the birth date.
func CheckDocument(p config.Policy, key []byte, doc sensors.Document, now time.Time, f policy.Facts) gate.DocResult {
	pd := policy.Document{
		Type: doc.Type, IssuingState: doc.IssuingState, Nationality: doc.Nationality,
		BirthDate: doc.BirthDate, ExpiryDate: doc.ExpiryDate, MRZValid: doc.MRZValid, ChipRead: doc.Chip != nil,
	}
	if doc.Chip != nil {
		pd.ChipChecks = doc.Chip.Checks
	}
	r := policy.Evaluate(p.Rules(), pd, f, now).DocResult()
	r.DocRef = gate.DocRef(key, doc.IssuingState, doc.Type, doc.Number)
	r.DocType, r.IssuingState, r.Nationality = doc.Type, doc.IssuingState, doc.Nationality
	r.AgeBand = policy.AgeBand(doc.BirthDate, now)
	return r
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// String describes a daemon for logs.
func (dm *Daemon) String() string { return fmt.Sprintf("egated(%s)", dm.d.Config.Lane.ID) }
