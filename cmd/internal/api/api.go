package api

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/egate/egate/cmd/internal/api/apiclient"
	"github.com/egate/egate/cmd/internal/config"
	"github.com/egate/egate/gate"
	"github.com/egate/egate/gate/store"
)

// Lane is what the API needs from the running daemon (*daemon.Daemon).
type Lane interface {
	Status() gate.Status
	Command(ctx context.Context, c gate.Command) (gate.CommandResult, error)
}

// Records is what the API reads from the lane's records (*store.Store).
type Records interface {
	Events(ctx context.Context, after int64, limit int) ([]store.Event, error)
	Passages(ctx context.Context, limit int) ([]store.Passage, error)
}

// ErrSkipped, returned (wrapped) by a Probe, reports the check as skipped.
var ErrSkipped = errors.New("skipped")

// Probe checks one device or service for the self-test (document reader,
// camera, broker, face models). An error fails the check; a wrapped
// ErrSkipped skips it. Hint says what a technician should look at when it
// fails.
type Probe struct {
	Check func(ctx context.Context) error
	Hint  string
}

// Opts configures the Server. Lane identity, devices and door timing come
// from the lane configuration: see FromConfig.
type Opts struct {
	// Addr is the listen address; DefaultOpts gives apiclient.DefaultAddr
	// (loopback). Anything but loopback is logged as a warning: the API
	// is plain HTTP.
	Addr string
	// TokenFile holds the bearer token; created (0600) if missing.
	TokenFile string
	Lane      apiclient.LaneInfo
	Version   string
	// Devices names each device's configuration ("simulated", "none",
	// "gpio"...) for the status page and the self-test's skip reasons.
	Devices map[string]string
	// Probes are the self-test's device checks by name. The self-test
	// reports document_reader, camera, broker and models; one without a
	// probe is skipped.
	Probes map[string]Probe
	// DoorTimeout bounds, in wall time, each half of a door cycle. The
	// state machine's own door_move timeout raises a fault earlier.
	DoorTimeout time.Duration
	// SignalStep is how long each pictogram or buzzer step is shown.
	SignalStep time.Duration
	// Hosts are extra host names accepted in the Host header (IP literals
	// and localhost are always accepted; anything else is refused, which
	// stops DNS rebinding).
	Hosts []string
	// OpenMetrics serves /metrics without the token.
	OpenMetrics bool
	Log         *slog.Logger
}

// DefaultOpts returns the defaults.
func DefaultOpts() Opts {
	return Opts{
		Addr:        apiclient.DefaultAddr,
		Lane:        apiclient.LaneInfo{ID: "lane", Type: "two-step"},
		Version:     "dev",
		DoorTimeout: 10 * time.Second,
		SignalStep:  700 * time.Millisecond,
	}
}

// FromConfig returns DefaultOpts filled from the lane configuration: lane
// identity, devices and the token file in the state directory.
func FromConfig(c config.Config) Opts {
	o := DefaultOpts()
	o.Lane = apiclient.LaneInfo{ID: c.Lane.ID, Site: c.Lane.Site, Type: c.Lane.Type}
	o.TokenFile = filepath.Join(c.StateDir, apiclient.TokenFileName)
	o.Devices = map[string]string{
		"lane": c.Devices.Lane, "document_reader": c.Devices.DocumentReader, "camera": c.Devices.Camera,
	}
	if d := 2 * c.Timeouts.DoorMove.D(); d > o.DoorTimeout {
		o.DoorTimeout = d
	}
	return o
}

// Server is egated's local API, status page, kiosk page and /metrics.
type Server struct {
	o     Opts
	lane  Lane
	rec   Records
	hub   *Hub
	token string
	log   *slog.Logger
	mux   *http.ServeMux

	busy sync.Mutex // one maintenance action or self-test at a time

	recMu         sync.Mutex
	alarms        []apiclient.Event // most recent last
	alarmNext     int64             // events after this id not yet looked at
	alarmInit     bool
	lastDecisions []apiclient.Decision

	srv      *http.Server
	ln       net.Listener
	done     chan struct{}
	quit     chan struct{} // closed by Shutdown: long polls answer at once
	quitOnce sync.Once
}

// New builds the server. lane and hub are required (hub may be nil, in
// which case decisions, alarms and commands are not counted); rec may be
// nil, in which case events and decisions answer 503. The token file is
// read or created now.
func New(o Opts, lane Lane, rec Records, hub *Hub) (*Server, error) {
	d := DefaultOpts()
	if o.Addr == "" {
		o.Addr = d.Addr
	}
	if o.DoorTimeout <= 0 {
		o.DoorTimeout = d.DoorTimeout
	}
	if o.SignalStep <= 0 {
		o.SignalStep = d.SignalStep
	}
	if o.Lane.ID == "" {
		o.Lane = d.Lane
	}
	if o.Version == "" {
		o.Version = d.Version
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if lane == nil {
		return nil, errors.New("api: a lane is required")
	}
	if o.TokenFile == "" {
		return nil, errors.New("api: TokenFile is required (FromConfig puts it in the state directory)")
	}
	tok, err := LoadOrCreateToken(o.TokenFile)
	if err != nil {
		return nil, err
	}
	if hub == nil {
		hub = NewHub(HubOpts{Version: o.Version, Lane: o.Lane})
	}
	s := &Server{o: o, lane: lane, rec: rec, hub: hub, token: tok, log: o.Log.With("component", "api"), done: make(chan struct{}), quit: make(chan struct{})}
	if err := hub.reg.Register(laneCollector{lane}); err != nil {
		return nil, fmt.Errorf("api: registering lane metrics: %w", err)
	}
	s.routes()
	return s, nil
}

// Handler serves everything (for tests; Start serves it on Addr).
func (s *Server) Handler() http.Handler { return s.guard(s.mux) }

// Start listens on Addr and serves until ctx ends or Shutdown is called.
// It returns once listening, or the listen error.
func (s *Server) Start(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.o.Addr)
	if err != nil {
		return fmt.Errorf("api: %w", err)
	}
	if ta, ok := ln.Addr().(*net.TCPAddr); ok && !ta.IP.IsLoopback() {
		s.log.Warn("local API listens beyond loopback over plain HTTP; keep the token secret", "addr", ln.Addr().String())
	}
	s.ln = ln
	s.srv = &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	s.log.Info("local API listening", "addr", ln.Addr().String(), "token_file", s.o.TokenFile)
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("local API stopped", "err", err)
		}
	}()
	go func() {
		select {
		case <-ctx.Done():
			sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			_ = s.Shutdown(sctx)
		case <-s.done:
		}
	}()
	return nil
}

// Addr is the address listened on (after Start).
func (s *Server) Addr() net.Addr {
	if s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

// URL is the base URL listened on (after Start).
func (s *Server) URL() string { return "http://" + s.Addr().String() }

// Token is the bearer token.
func (s *Server) Token() string { return s.token }

// Done is closed when the server has stopped.
func (s *Server) Done() <-chan struct{} { return s.done }

// Shutdown stops the server, waiting for requests (long polls end at once)
// until ctx ends, then closing what is left.
func (s *Server) Shutdown(ctx context.Context) error {
	s.quitOnce.Do(func() { close(s.quit) })
	if s.srv == nil {
		return nil
	}
	err := s.srv.Shutdown(ctx)
	if err != nil {
		s.srv.Close()
	}
	select {
	case <-s.done:
	case <-ctx.Done():
	}
	return err
}

func (s *Server) routes() {
	m := http.NewServeMux()
	api := func(pattern string, h http.HandlerFunc) { m.Handle(pattern, s.authAPI(h)) }
	api("GET /api/v1/status", s.handleStatus)
	api("GET /api/v1/events", s.handleEvents)
	api("GET /api/v1/decisions", s.handleDecisions)
	api("POST /api/v1/command", s.handleCommand)
	api("POST /api/v1/selftest", s.handleSelfTest)
	api("POST /api/v1/maintenance/{action}", s.handleMaintenance)
	m.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		problem(w, http.StatusNotFound, "no such endpoint: "+r.Method+" "+r.URL.Path, "see GET /api/v1/status")
	})
	metrics := promhttp.HandlerFor(s.hub.reg, promhttp.HandlerOpts{ErrorLog: nil})
	if s.o.OpenMetrics {
		m.Handle("GET /metrics", metrics)
	} else {
		m.Handle("GET /metrics", s.authAPI(metrics.ServeHTTP))
	}
	m.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok", s.lane.Status().State)
	})
	s.pageRoutes(m)
	s.mux = m
}

// guard applies to every request: Host check (DNS rebinding) and headers.
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		host = strings.Trim(host, "[]")
		if net.ParseIP(host) == nil && host != "localhost" && !slices.Contains(s.o.Hosts, host) {
			problem(w, http.StatusMisdirectedRequest, "unknown host "+strconv.Quote(host), "use the lane's IP address or localhost")
			return
		}
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		next.ServeHTTP(w, r)
	})
}

const cookieName = "egate_token"

// authorized reports whether r carries the token, and whether it came in
// the page cookie (which then needs the CSRF header for changes).
func (s *Server) authorized(r *http.Request) (ok, cookie bool) {
	if a := r.Header.Get("Authorization"); a != "" {
		tok, found := strings.CutPrefix(a, "Bearer ")
		return found && s.tokenOK(strings.TrimSpace(tok)), false
	}
	if c, err := r.Cookie(cookieName); err == nil {
		return s.tokenOK(c.Value), true
	}
	return false, false
}

func (s *Server) tokenOK(t string) bool {
	return subtle.ConstantTimeCompare([]byte(t), []byte(s.token)) == 1
}

// csrfHeader must accompany changes made with the page cookie: a browser
// sends it only from our own pages (a cross-site request with it needs a
// CORS preflight, which is never granted).
const csrfHeader = "X-Egate-Request"

func (s *Server) authAPI(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ok, cookie := s.authorized(r)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="egated"`)
			problem(w, http.StatusUnauthorized, "missing or wrong API token",
				"send Authorization: Bearer <token>; the token is in "+s.o.TokenFile)
			return
		}
		if cookie && r.Method != http.MethodGet && r.Header.Get(csrfHeader) == "" {
			problem(w, http.StatusForbidden, "missing "+csrfHeader+" header", "")
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		h(w, r)
	})
}

func problem(w http.ResponseWriter, code int, msg, hint string) {
	writeJSON(w, code, apiclient.Problem{Error: msg, Hint: hint})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func readJSON(w http.ResponseWriter, r *http.Request, v any) error {
	if r.ContentLength == 0 {
		return nil
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("bad JSON body: %w", err)
	}
	return nil
}

// waitParam reads the long-poll wait (bounded to a minute).
func waitParam(r *http.Request) (time.Duration, error) {
	v := r.URL.Query().Get("wait")
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		if n, err2 := strconv.Atoi(v); err2 == nil {
			d, err = time.Duration(n)*time.Second, nil
		}
	}
	if err != nil || d < 0 {
		return 0, fmt.Errorf("wait=%q is not a duration such as 20s", v)
	}
	return min(d, time.Minute), nil
}

func intParam(r *http.Request, name string, def, lo, hi int) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("%s=%q must be a number from %d to %d", name, v, lo, hi)
	}
	return n, nil
}

func (s *Server) handleStatus(w http.ResponseWriter, r *http.Request) {
	wait, err := waitParam(r)
	if err != nil {
		problem(w, http.StatusBadRequest, err.Error(), "")
		return
	}
	have := r.URL.Query().Get("have")
	st := s.waitFor(r.Context(), wait, func(force bool) (string, any) {
		v := s.status(r.Context(), force)
		return v.Key, v
	}, have)
	writeJSON(w, http.StatusOK, st)
}

// waitFor long-polls: it returns view() once its key differs from have, or
// when wait is over. Lane state is sampled every 100ms; records are read
// again when the hub reports a change (force) or every second.
func (s *Server) waitFor(ctx context.Context, wait time.Duration, view func(force bool) (string, any), have string) any {
	key, v := view(true)
	if wait <= 0 || have == "" || key != have {
		return v
	}
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	lastForce := time.Now()
	for {
		force := false
		select {
		case <-ctx.Done():
			return v
		case <-s.quit:
			return v
		case <-deadline.C:
			return v
		case <-s.hub.Changed():
			// The daemon publishes before it snapshots its status and
			// records the event: look again a moment later too.
			force = true
			time.Sleep(20 * time.Millisecond)
		case <-tick.C:
		}
		if time.Since(lastForce) >= time.Second {
			force = true
		}
		if force {
			lastForce = time.Now()
		}
		if key, v = view(force); key != have {
			return v
		}
	}
}

func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	if s.rec == nil {
		problem(w, http.StatusServiceUnavailable, "no records store wired", "")
		return
	}
	q := r.URL.Query()
	limit, err := intParam(r, "limit", 100, 1, 1000)
	if err == nil {
		var tail int
		if tail, err = intParam(r, "tail", 0, 0, 1000); err == nil && tail > 0 {
			var last int64
			if last, err = s.lastEventID(r.Context()); err == nil {
				q.Set("after", strconv.FormatInt(max(0, last-int64(tail)), 10))
				limit = tail
			}
		}
	}
	var after int64
	if err == nil && q.Get("after") != "" {
		after, err = strconv.ParseInt(q.Get("after"), 10, 64)
		if err != nil || after < 0 {
			err = fmt.Errorf("after=%q must be an event id", q.Get("after"))
		}
	}
	var wait time.Duration
	if err == nil {
		wait, err = waitParam(r)
	}
	if err != nil {
		problem(w, http.StatusBadRequest, err.Error(), "")
		return
	}
	ctx := r.Context()
	deadline := time.Now().Add(wait)
	for {
		evs, err := s.rec.Events(ctx, after, limit)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			problem(w, http.StatusInternalServerError, err.Error(), "")
			return
		}
		if len(evs) > 0 || !time.Now().Before(deadline) {
			out := apiclient.Events{Events: make([]apiclient.Event, 0, len(evs)), Last: after}
			for _, e := range evs {
				out.Events = append(out.Events, eventView(e))
				out.Last = e.ID
			}
			writeJSON(w, http.StatusOK, out)
			return
		}
		t := time.NewTimer(min(500*time.Millisecond, time.Until(deadline)))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-s.quit:
			t.Stop()
			writeJSON(w, http.StatusOK, apiclient.Events{Events: []apiclient.Event{}, Last: after})
			return
		case <-s.hub.Changed():
			t.Stop()
			time.Sleep(20 * time.Millisecond) // the daemon records after it publishes
		case <-t.C:
		}
	}
}

// lastEventID finds the newest event id with a handful of indexed lookups
// (the store has no "latest" query).
func (s *Server) lastEventID(ctx context.Context) (int64, error) {
	has := func(k int64) (bool, error) {
		evs, err := s.rec.Events(ctx, k, 1)
		return len(evs) > 0, err
	}
	ok, err := has(0)
	if err != nil || !ok {
		return 0, err
	}
	lo, hi := int64(0), int64(1) // has(lo) is true; find hi with has(hi) false
	for {
		ok, err := has(hi)
		if err != nil {
			return 0, err
		}
		if !ok {
			break
		}
		lo, hi = hi, hi*2
	}
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		ok, err := has(mid)
		if err != nil {
			return 0, err
		}
		if ok {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi, nil
}

func (s *Server) handleDecisions(w http.ResponseWriter, r *http.Request) {
	if s.rec == nil {
		problem(w, http.StatusServiceUnavailable, "no records store wired", "")
		return
	}
	limit, err := intParam(r, "limit", 20, 1, 500)
	if err != nil {
		problem(w, http.StatusBadRequest, err.Error(), "")
		return
	}
	ds, err := s.decisions(r.Context(), limit)
	if err != nil {
		problem(w, http.StatusInternalServerError, err.Error(), "")
		return
	}
	writeJSON(w, http.StatusOK, ds)
}

func (s *Server) decisions(ctx context.Context, limit int) ([]apiclient.Decision, error) {
	ps, err := s.rec.Passages(ctx, limit)
	if err != nil {
		return nil, err
	}
	out := make([]apiclient.Decision, 0, len(ps))
	for _, p := range ps {
		out = append(out, decisionView(p))
	}
	return out, nil
}

// origin names the local API in command records.
const origin = "local-api"

func (s *Server) handleCommand(w http.ResponseWriter, r *http.Request) {
	var c apiclient.Command
	if err := readJSON(w, r, &c); err != nil {
		problem(w, http.StatusBadRequest, err.Error(), `send {"kind":"maintenance_on"}`)
		return
	}
	kind, ok := gate.ParseCommandKind(c.Kind)
	if !ok {
		problem(w, http.StatusBadRequest, fmt.Sprintf("unknown command %q", c.Kind), "one of: "+strings.Join(commandNames(), ", "))
		return
	}
	cmd := gate.Command{Kind: kind, Open: c.Open, Origin: origin}
	if kind == gate.CmdMaintenanceDoor {
		d, err := parseDoor(c.Door)
		if err != nil {
			problem(w, http.StatusBadRequest, err.Error(), `send {"kind":"maintenance_door","door":"exit","open":true}`)
			return
		}
		cmd.Door = d
	}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	res, err := s.command(ctx, cmd)
	if err != nil {
		problem(w, http.StatusServiceUnavailable, "the lane did not take the command: "+err.Error(), "is the daemon's lane loop running? see the egated log")
		return
	}
	writeJSON(w, http.StatusOK, apiclient.CommandResult{Kind: kind.String(), OK: res.OK, Reason: res.Reason})
}

func commandNames() []string {
	var out []string
	for k := gate.CommandKind(0); k.String() != "unknown"; k++ {
		out = append(out, k.String())
	}
	return out
}

func parseDoor(s string) (gate.DoorID, error) {
	switch s {
	case "entry":
		return gate.EntryDoor, nil
	case "exit":
		return gate.ExitDoor, nil
	}
	return 0, fmt.Errorf("door %q: want entry or exit", s)
}

// command sends c to the lane and, when the lane obeys, waits (briefly) for
// its status snapshot to show the effect: the daemon answers a command
// before it refreshes the snapshot, and the next request must not see the
// lane as it was.
func (s *Server) command(ctx context.Context, c gate.Command) (gate.CommandResult, error) {
	before := s.lane.Status()
	res, err := s.lane.Command(ctx, c)
	if err != nil || !res.OK {
		return res, err
	}
	deadline := time.Now().Add(250 * time.Millisecond)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		after := s.lane.Status()
		if after.State != before.State || !after.Since.Equal(before.Since) || doorsCommanded(after) != doorsCommanded(before) {
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	return res, nil
}

func doorsCommanded(st gate.Status) string {
	var b strings.Builder
	for _, d := range []gate.DoorID{gate.EntryDoor, gate.ExitDoor} {
		ds := st.Doors[d.String()]
		fmt.Fprintf(&b, "%v,", ds.CommandedOpen)
	}
	return b.String()
}
