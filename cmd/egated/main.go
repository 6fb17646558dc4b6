// Command egated is the lane daemon: it runs one e-gate lane.
//
//	egated --config FILE                 run the lane
//	egated --config FILE --scenario FILE play scripted travellers through a simulated lane, then exit
//	egated --check-config FILE           validate a configuration and exit
//	egated --version
//
// Exit codes: 0 done, 1 runtime failure (or a scenario traveller got an
// unexpected decision), 2 bad flags or configuration.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/egate/egate/cmd/internal/api"
	"github.com/egate/egate/cmd/internal/config"
	"github.com/egate/egate/cmd/internal/daemon"
	"github.com/egate/egate/cmd/internal/lanes"
	"github.com/egate/egate/cmd/internal/sim"
	"github.com/egate/egate/cmd/internal/timesync"
	"github.com/egate/egate/gate"
	"github.com/egate/egate/gate/clock"
	"github.com/egate/egate/gate/store"
	"github.com/egate/egate/mqtt"
	"github.com/egate/egate/sensors"
	"github.com/egate/egate/sensors/docreader"
	"github.com/egate/egate/vision/gocvface"
)

// version is set by the Makefile with -ldflags.
var version = "dev"

type usageError struct{ error }

func main() {
	err := run(os.Args[1:], os.Stdout, os.Stderr)
	var ue usageError
	switch {
	case err == nil:
	case errors.As(err, &ue):
		fmt.Fprintln(os.Stderr, "egated:", err)
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "egated:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("egated", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "/etc/egate/egate.yaml", "configuration file")
	check := fs.String("check-config", "", "validate this configuration file and exit")
	scenario := fs.String("scenario", "", "play this scenario of travellers through the simulated lane, then exit")
	speed := fs.Float64("speed", 0, "simulation speed (overrides simulation.speed)")
	stateDir := fs.String("state-dir", "", "state directory (overrides state_dir)")
	logFile := fs.String("log-file", "", "write logs to this file instead of stderr")
	apiAddr := fs.String("api", "", "local API, pages and /metrics listen `address` (default 127.0.0.1:8787; off with --scenario unless given; \"off\" disables)")
	showVersion := fs.Bool("version", false, "print the version and exit")
	syncWait := fs.Duration("time-sync-wait", 30*time.Second, "on a real lane, how long to wait at start for the clock to be synchronised")
	safeState := fs.Bool("safe-state", false, "put the doors of the configured lane in their safe state and exit (systemd ExecStopPost)")
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if *showVersion {
		fmt.Fprintln(stdout, "egated", version, buildInfo())
		return nil
	}
	if *check != "" {
		c, err := config.Load(*check)
		if err != nil {
			return usageError{err}
		}
		fmt.Fprintf(stdout, "%s: ok (version %d, lane %s/%s, %s, lane devices %s)\n", *check, c.Version, c.Lane.Site, c.Lane.ID, c.Lane.Type, c.Devices.Lane)
		return nil
	}

	// Configuration first: nothing is touched before it validates.
	c, err := config.Load(*cfgPath)
	if err != nil {
		return usageError{err}
	}
	if *safeState {
		return haltLane(c)
	}
	if *speed > 0 {
		c.Simulation.Speed = *speed
	}
	if *stateDir != "" {
		c.StateDir = *stateDir
	}
	if *scenario != "" && (c.Devices.Lane != "simulated" || c.Devices.DocumentReader != "simulated" || c.Devices.Camera != "simulated") {
		return usageError{errors.New("--scenario needs devices.lane, devices.document_reader and devices.camera set to simulated")}
	}
	var sc *sim.Scenario
	if *scenario != "" {
		if sc, err = sim.LoadScenario(*scenario); err != nil {
			return usageError{err}
		}
	}

	logOut := stderr
	if *logFile != "" {
		if err := os.MkdirAll(filepath.Dir(*logFile), 0o700); err != nil {
			return err
		}
		f, err := os.OpenFile(*logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return err
		}
		defer f.Close()
		logOut = f
	}
	var level slog.Level
	_ = level.UnmarshalText([]byte(c.LogLevel))
	log := slog.New(slog.NewTextHandler(logOut, &slog.HandlerOptions{Level: level}))
	log.Info("egated starting", "version", version, "build", buildInfo(), "lane", c.Lane.ID, "site", c.Lane.Site)

	st, err := store.Open(c.DBFile())
	if err != nil {
		return err
	}
	defer st.Close()
	key, err := store.LoadOrCreateKey(c.KeyFile())
	if err != nil {
		return err
	}

	// A Pi has no real-time clock: on a real lane, wait a bounded time for
	// time synchronisation, then run, marking records stamped while the
	// clock is not synced (simulated lanes keep their own clock).
	var clockSynced func() bool
	if c.Devices.Lane == "gpio" {
		floor := time.Time{}
		if ps, err := st.Passages(context.Background(), 1); err == nil && len(ps) > 0 {
			floor = ps[0].End // the clock cannot be earlier than the last record
		}
		w := timesync.NewWatcher(&timesync.Checker{NotBefore: floor}, log)
		syncCtx, stopSync := context.WithCancel(context.Background())
		defer stopSync()
		tick := time.NewTicker(30 * time.Second)
		defer tick.Stop()
		go w.Run(syncCtx, tick.C)
		if s := w.Wait(syncCtx, time.After(*syncWait)); s.State != timesync.Synced {
			log.Warn("clock not synchronised: records are marked clock.unsynced until it is", "reason", s.Reason)
		}
		clockSynced = w.Synced
	}

	var clk clock.Clock = clock.Real{}
	if c.Devices.Lane == "simulated" && c.Simulation.Speed != 1 {
		clk = clock.NewScaled(c.Simulation.Speed)
	}
	deps := daemon.Deps{Config: c, Log: log, Clock: clk, Store: st, Key: key, ClockSynced: clockSynced}
	var player *sim.Player
	switch c.Devices.Lane {
	case "simulated":
		mech, l, err := lanes.Simulated(c, clk)
		if err != nil {
			return err
		}
		deps.Lane = l
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go mech.Run(ctx)
		reader, faces, display := sim.NewReader(), &sim.Faces{Clock: clk, Delay: 1500 * time.Millisecond}, &sim.Display{}
		deps.Display = display
		if c.Devices.DocumentReader == "simulated" {
			deps.Reader = reader
		}
		var real *gocvface.SimFaces
		if c.Devices.Camera == "simulated" {
			deps.Face = faces
			if c.Simulation.Faces == "real" {
				// The real gocv pipeline on faces cut from the model
				// package's stock photographs; scripted scores when the
				// models are not there (make models).
				sf, err := gocvface.OpenSimFaces(modelDir(c), gocvface.DefaultCastDir, log.With("component", "face"))
				if err != nil {
					log.Warn("real faces unavailable; using the scenario's scripted face scores", "err", err)
				} else {
					defer sf.Close()
					real, deps.Face = sf, sf
				}
			}
		}
		if sc != nil {
			player = sim.NewPlayer(sim.Player{Clock: clk, Mech: mech, Reader: reader, Faces: faces, Display: display,
				LaneType: c.GateConfig().Lane, Out: stdout})
			if real != nil {
				player.Real = simCast{real}
			}
			deps.OnPassage = player.OnPassage
			if c.Devices.ChipReader == "simulated" {
				// Simulated passports on a simulated antenna, read by the
				// lane's real document reader and chip stack.
				dr, err := simChipReader(ctx, sc, player, log)
				if err != nil {
					return err
				}
				defer dr.Halt()
				deps.Reader = dr
			}
		}
	case "gpio":
		l, err := lanes.GPIO(c)
		if err != nil {
			return err
		}
		deps.Lane = l
	}
	if c.Devices.Camera == "v4l2" {
		gv, err := openCamera(c, log)
		if err != nil {
			return err
		}
		defer gv.Close()
		deps.Face = gv
	}
	// Real document readers report their health to the lane once it runs.
	var lane atomic.Pointer[daemon.Daemon]
	readerCtx, stopReader := context.WithCancel(context.Background())
	defer stopReader()
	reader, haltReader, err := lanes.DocumentReader(readerCtx, c, log, func(ev gate.Event) {
		if d := lane.Load(); d != nil {
			d.Inject(ev)
		}
	})
	if err != nil {
		return err
	}
	if reader != nil {
		deps.Reader = reader
		defer haltReader()
	}
	var _ sensors.Lane = deps.Lane

	var mq *mqtt.Client
	if c.MQTT != nil {
		o := *c.MQTT
		o.Site, o.Lane = c.Lane.Site, c.Lane.ID
		o.Versions = map[string]string{"egated": version, "policy": c.Policy.Version}
		o.Watchlist = store.DeltaFeed{Store: st, Key: key}
		if mq, err = mqtt.New(o, st, nil, log); err != nil {
			return err
		}
		deps.Telemetry = mq
	}

	// Local API, status and kiosk pages, metrics (issue 8). The hub counts
	// from the daemon's own telemetry; the tap counts door cycles and lets
	// maintenance test pictograms and buzzer.
	apiOpts := api.FromConfig(c)
	apiOpts.Version, apiOpts.Log = version, log
	hub := api.NewHub(api.HubOpts{Version: version, Lane: apiOpts.Lane})
	hub.SetOutboxDepth(func() (int, error) {
		s, err := st.OutboxStats(context.Background())
		return s.Depth, err
	})
	hub.SetWatchlistAge(func() (time.Duration, error) {
		ws, err := st.WatchlistStatus(context.Background())
		if err != nil || ws.Version == 0 {
			return 0, errors.Join(err, errors.New("no watchlist loaded"))
		}
		return time.Since(ws.IssuedAt), nil
	})
	deps.Lane = hub.Tap(deps.Lane)
	deps.Display = api.TeeDisplay(deps.Display, hub)
	if mq != nil {
		deps.Telemetry = api.TeeTelemetry(hub, mq)
	} else {
		deps.Telemetry = hub
	}

	d, err := daemon.New(deps)
	if err != nil {
		return err
	}
	lane.Store(d)
	if mq != nil {
		if err := mq.SetLane(d); err != nil {
			return err
		}
		mqCtx, stopMQ := context.WithCancel(context.Background())
		go mq.Run(mqCtx)
		defer func() {
			// After the lane has stopped: its last events are queued, then
			// the broker hears the lane go offline.
			stopMQ()
			select {
			case <-mq.Done():
			case <-time.After(mqtt.ShutdownBound):
			}
		}()
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	runCtx, cancelRun := context.WithCancel(ctx)
	defer cancelRun()
	done := make(chan error, 1)
	go func() { done <- d.Run(runCtx) }()
	if *apiAddr != "off" && (sc == nil || *apiAddr != "") {
		if *apiAddr != "" {
			apiOpts.Addr = *apiAddr
		}
		apiOpts.Probes = probes(c, deps.Reader, deps.Face)
		log.Debug("self-test probes", "probes", probeNames(apiOpts.Probes))
		srv, err := api.New(apiOpts, d, st, hub)
		if err == nil {
			err = srv.Start(runCtx)
		}
		if err != nil {
			cancelRun()
			<-done
			return err
		}
		// Before the store closes: the server stops when runCtx ends.
		defer func() {
			select {
			case <-srv.Done():
			case <-time.After(3 * time.Second):
			}
		}()
	}

	if player == nil {
		return <-done
	}
	player.Lane = d
	<-d.Ready()
	fmt.Fprintf(stdout, "egated %s: playing %d travellers through a simulated %s lane at %gx speed\n",
		version, len(sc.Travellers), c.Lane.Type, c.Simulation.Speed)
	start := time.Now()
	_, playErr := player.Play(runCtx, sc)
	cancelRun()
	if err := <-done; err != nil {
		return err
	}
	fmt.Fprintf(stdout, "done in %.1fs; records in %s\n", time.Since(start).Seconds(), c.DBFile())
	return playErr
}

func modelDir(c config.Config) string {
	if c.Face.Models != "" {
		return c.Face.Models
	}
	return ".cache/models"
}

// openCamera builds the real face step: models checked before OpenCV sees
// them, the camera opened, capture bounded within the verifying timeout.
func openCamera(c config.Config, log *slog.Logger) (*gocvface.GateVerifier, error) {
	o := gocvface.DefaultGateOpts()
	o.ModelDir, o.Threshold, o.Log = modelDir(c), c.Face.Threshold, log.With("component", "face")
	if c.Face.Detector != "" {
		o.Detector = c.Face.Detector
	}
	cam := c.Face.Camera
	if cam.Source != "" {
		o.Camera.Source = cam.Source
	}
	if cam.Device != "" {
		o.Camera.Device = cam.Device
	}
	if cam.Width > 0 && cam.Height > 0 {
		o.Camera.Width, o.Camera.Height = cam.Width, cam.Height
	}
	if cam.FPS > 0 {
		o.Camera.FPS = cam.FPS
	}
	o.Camera.Files, o.Camera.Video = cam.Files, cam.Video
	if c.Face.Capture.MaxFrames > 0 {
		o.Capture.MaxFrames = c.Face.Capture.MaxFrames
	}
	if c.Face.Capture.Budget > 0 {
		o.Capture.Budget = c.Face.Capture.Budget.D()
	}
	if !c.Face.Liveness {
		o.Liveness = nil
	}
	gv, err := gocvface.NewGateVerifier(o)
	if err != nil {
		return nil, fmt.Errorf("face step: %w", err)
	}
	return gv, nil
}

// simChipReader starts the real document reader (sensors/docreader) on the
// player's zones and a simulated antenna, trusting the CSCAs of the
// scenario's issuing states.
func simChipReader(ctx context.Context, sc *sim.Scenario, player *sim.Player, log *slog.Logger) (*docreader.Reader, error) {
	var states []string
	for _, t := range sc.Travellers {
		states = append(states, t.Document.IssuingState)
	}
	chips, err := sim.NewChips(states)
	if err != nil {
		return nil, err
	}
	zones := make(chan docreader.Zone)
	antenna := sim.NewAntenna()
	player.Antenna, player.Chips, player.Zones = antenna, chips, zones
	o := docreader.DefaultOpts
	o.Chip = func() (docreader.ChipReader, error) { return antenna, nil }
	o.Name = antenna.String()
	o.Trust = chips.Trust()
	o.CountryAliases = chips.Aliases()
	o.CardWait = 500 * time.Millisecond // the passport lies on the antenna before the zone is read
	o.Logger = log.With("component", "chip")
	return docreader.New(ctx, zones, &o)
}

// simCast adapts the simulated camera's cast to the scenario player.
type simCast struct{ sf *gocvface.SimFaces }

func (s simCast) Portrait(i int) []byte { return s.sf.Cast.Portrait(i) }
func (s simCast) Clear()                { s.sf.Clear() }
func (s simCast) Present(i int, photo bool) error {
	pr := gocvface.PresentLive
	if photo {
		pr = gocvface.PresentPhoto
	}
	return s.sf.Present(i, pr)
}

// haltLane drives the doors of a real lane to their safe state, for
// systemd's ExecStopPost after a crash or a watchdog kill, when the daemon
// could not do it itself. A simulated lane has nothing to drive.
func haltLane(c config.Config) error {
	if c.Devices.Lane != "gpio" {
		return nil
	}
	l, err := lanes.GPIO(c)
	if err != nil {
		return err
	}
	return l.Halt()
}

func buildInfo() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	s := bi.GoVersion
	for _, kv := range bi.Settings {
		if kv.Key == "vcs.revision" && len(kv.Value) >= 12 {
			s += " " + kv.Value[:12]
		}
		if kv.Key == "vcs.modified" && kv.Value == "true" {
			s += "+dirty"
		}
	}
	return s
}
