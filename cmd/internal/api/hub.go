package api

import (
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/egate/egate/cmd/internal/api/apiclient"
	"github.com/egate/egate/gate"
	"github.com/egate/egate/sensors"
)

// Telemetry has the method set of daemon.Telemetry.
type Telemetry interface {
	Publish(kind string, at time.Time, fields map[string]any)
}

// Display has the method set of daemon.Display.
type Display interface {
	Show(in gate.Indicate)
}

// HubOpts configures a Hub.
type HubOpts struct {
	Version string
	Lane    apiclient.LaneInfo
}

// Hub takes the daemon's output stream: it is a daemon.Telemetry (passages,
// alarms, state changes, command results) and a daemon.Display. From that
// one stream it keeps the Prometheus metrics and the counters of the status
// page, and it wakes the pages' long polls when something changes. Its Tap
// wraps the lane mechanism to count door cycles and to test pictograms and
// buzzer in maintenance mode.
//
// Publish and Show never block for long: they update counters under a
// mutex and return.
type Hub struct {
	opts HubOpts
	reg  *prometheus.Registry

	decisions  *prometheus.CounterVec
	reasons    *prometheus.CounterVec
	passageDur *prometheus.HistogramVec
	stepDur    *prometheus.HistogramVec
	alarms     *prometheus.CounterVec
	faults     *prometheus.CounterVec
	commands   *prometheus.CounterVec
	doorCycles *prometheus.CounterVec
	laneState  *prometheus.GaugeVec

	mu           sync.Mutex
	notify       chan struct{} // closed and replaced on every change
	counters     apiclient.Counters
	state        string
	stateAt      time.Time
	tap          *Tap
	outboxDepth  func() (int, error)
	watchlistAge func() (time.Duration, error)
}

// stepStates are the states whose duration is a passage step.
var stepStates = map[string]bool{
	"doc_check": true, "entering": true, "verifying": true, "exiting": true,
	"rejecting": true, "referral": true, "resetting": true,
}

var outcomes = []gate.Outcome{gate.OutcomeAccept, gate.OutcomeReject, gate.OutcomeRefer, gate.OutcomeAbandoned, gate.OutcomeAborted}

// NewHub returns a Hub with its own Prometheus registry (Go and process
// collectors included).
func NewHub(o HubOpts) *Hub {
	h := &Hub{opts: o, reg: prometheus.NewRegistry(), notify: make(chan struct{})}
	h.counters = apiclient.Counters{
		Since: time.Now().UTC(), Decisions: map[string]uint64{}, Alarms: map[string]uint64{},
		Faults: map[string]uint64{}, DoorCycles: map[string]uint64{},
	}
	h.decisions = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "egate_decisions_total", Help: "Passages decided, by result (accept, reject, refer, abandoned, aborted).",
	}, []string{"result"})
	h.reasons = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "egate_decision_reasons_total", Help: "Reasons given for decisions, by result and machine-readable reason (a passage may have several).",
	}, []string{"result", "reason"})
	h.passageDur = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "egate_passage_duration_seconds", Help: "Time in lane from document to end of passage, by result.",
		Buckets: []float64{2, 5, 10, 15, 20, 30, 45, 60, 90, 120, 300},
	}, []string{"result"})
	h.stepDur = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "egate_step_duration_seconds", Help: "Time the lane spent in each passage step (state), measured on state changes.",
		Buckets: []float64{0.1, 0.25, 0.5, 1, 2, 3, 5, 8, 13, 20, 30, 60},
	}, []string{"step"})
	h.alarms = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "egate_alarms_total", Help: "Alarms raised, by kind.",
	}, []string{"kind"})
	h.faults = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "egate_faults_total", Help: "Device faults reported, by device.",
	}, []string{"device"})
	h.commands = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "egate_commands_total", Help: "Operator commands, by command and whether the lane obeyed.",
	}, []string{"command", "result"})
	h.doorCycles = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "egate_door_cycles_total", Help: "Door opening commands given to the drives, by door (one per open/close cycle).",
	}, []string{"door"})
	h.laneState = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "egate_lane_state", Help: "1 for the lane's current state, 0 for the others.",
	}, []string{"state"})
	build := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "egate_build_info", Help: "Build and lane identity; always 1.",
		ConstLabels: prometheus.Labels{"version": o.Version, "lane": o.Lane.ID, "site": o.Lane.Site, "lane_type": o.Lane.Type},
	})
	build.Set(1)
	for _, out := range outcomes {
		h.decisions.WithLabelValues(string(out))
	}
	for _, d := range h.doorNames() {
		h.doorCycles.WithLabelValues(d)
		h.counters.DoorCycles[d] = 0
	}
	for s := gate.State(0); !strings.HasPrefix(s.String(), "state("); s++ {
		h.laneState.WithLabelValues(s.String()).Set(0)
	}
	h.reg.MustRegister(h.decisions, h.reasons, h.passageDur, h.stepDur, h.alarms, h.faults, h.commands,
		h.doorCycles, h.laneState, build, funcCollector{h},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return h
}

func (h *Hub) doorNames() []string {
	if h.opts.Lane.Type == "one-step" {
		return []string{"exit"}
	}
	return []string{"entry", "exit"}
}

// Registry is the hub's Prometheus registry; /metrics serves it.
func (h *Hub) Registry() *prometheus.Registry { return h.reg }

// SetOutboxDepth feeds the egate_outbox_depth gauge: f is called on every
// scrape (the MQTT outbox's count of queued messages).
func (h *Hub) SetOutboxDepth(f func() (int, error)) {
	h.mu.Lock()
	h.outboxDepth = f
	h.mu.Unlock()
}

// SetWatchlistAge feeds the egate_watchlist_age_seconds gauge: f returns the
// age of the watchlist in use, and is called on every scrape.
func (h *Hub) SetWatchlistAge(f func() (time.Duration, error)) {
	h.mu.Lock()
	h.watchlistAge = f
	h.mu.Unlock()
}

// Changed returns a channel that is closed at the next change.
func (h *Hub) Changed() <-chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.notify
}

// wake must be called with h.mu held.
func (h *Hub) wake() {
	close(h.notify)
	h.notify = make(chan struct{})
}

// Counters returns a copy of the counters.
func (h *Hub) Counters() apiclient.Counters {
	h.mu.Lock()
	defer h.mu.Unlock()
	c := h.counters
	c.Decisions, c.Alarms, c.Faults, c.DoorCycles = clone(c.Decisions), clone(c.Alarms), clone(c.Faults), clone(c.DoorCycles)
	return c
}

func clone(m map[string]uint64) map[string]uint64 {
	out := make(map[string]uint64, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Show implements daemon.Display: it only wakes the live pages, which read
// the indication from the lane status.
func (h *Hub) Show(gate.Indicate) {
	h.mu.Lock()
	h.wake()
	h.mu.Unlock()
}

// Publish implements daemon.Telemetry.
func (h *Hub) Publish(kind string, at time.Time, f map[string]any) {
	h.mu.Lock()
	defer h.mu.Unlock()
	defer h.wake()
	switch kind {
	case "passage":
		out := str(f["outcome"])
		if out == "" {
			out = "none"
		}
		h.decisions.WithLabelValues(out).Inc()
		h.counters.Decisions[out]++
		for _, r := range strs(f["reasons"]) {
			h.reasons.WithLabelValues(out, label(r)).Inc()
		}
		if ms, ok := num(f["time_in_lane_ms"]); ok && ms >= 0 {
			h.passageDur.WithLabelValues(out).Observe(ms / 1000)
		}
	case "alarm":
		k := label(str(f["kind"]))
		h.alarms.WithLabelValues(k).Inc()
		h.counters.Alarms[k]++
		if k == string(gate.AlarmDeviceFault) {
			dev, _, _ := strings.Cut(str(f["detail"]), ":")
			dev = label(strings.TrimSpace(dev))
			h.faults.WithLabelValues(dev).Inc()
			h.counters.Faults[dev]++
		}
	case "state":
		from, to := str(f["from"]), str(f["to"])
		if stepStates[from] && from == h.state && !h.stateAt.IsZero() && !at.Before(h.stateAt) {
			h.stepDur.WithLabelValues(from).Observe(at.Sub(h.stateAt).Seconds())
		}
		if h.state != "" {
			h.laneState.WithLabelValues(h.state).Set(0)
		}
		h.state, h.stateAt = to, at
		h.laneState.WithLabelValues(to).Set(1)
	case "command":
		res := "refused"
		if b, _ := f["ok"].(bool); b {
			res = "ok"
		}
		h.commands.WithLabelValues(label(str(f["kind"])), res).Inc()
		h.counters.Commands++
	}
}

func (h *Hub) doorCycle(d gate.DoorID) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.doorCycles.WithLabelValues(d.String()).Inc()
	h.counters.DoorCycles[d.String()]++
}

// label bounds a label value taken from the stream.
func label(s string) string {
	if s == "" {
		return "none"
	}
	if len(s) > 64 {
		s = s[:64]
	}
	return s
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func strs(v any) []string {
	switch v := v.(type) {
	case []string:
		return v
	case []any:
		out := make([]string, 0, len(v))
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func num(v any) (float64, bool) {
	switch v := v.(type) {
	case int:
		return float64(v), true
	case int64:
		return float64(v), true
	case uint64:
		return float64(v), true
	case float64:
		return v, true
	}
	return 0, false
}

// funcCollector serves the gauges fed through functions. A gauge whose
// function is not set, or fails, is left out of the scrape.
type funcCollector struct{ h *Hub }

var (
	outboxDesc    = prometheus.NewDesc("egate_outbox_depth", "Telemetry messages queued on disk for the control room.", nil, nil)
	watchlistDesc = prometheus.NewDesc("egate_watchlist_age_seconds", "Age of the watchlist in use.", nil, nil)
)

func (c funcCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- outboxDesc
	ch <- watchlistDesc
}

func (c funcCollector) Collect(ch chan<- prometheus.Metric) {
	c.h.mu.Lock()
	od, wa := c.h.outboxDepth, c.h.watchlistAge
	c.h.mu.Unlock()
	if od != nil {
		if n, err := od(); err == nil {
			ch <- prometheus.MustNewConstMetric(outboxDesc, prometheus.GaugeValue, float64(n))
		}
	}
	if wa != nil {
		if d, err := wa(); err == nil {
			ch <- prometheus.MustNewConstMetric(watchlistDesc, prometheus.GaugeValue, d.Seconds())
		}
	}
}

// Tap wraps the lane mechanism for the hub: it counts door cycles and lets
// the maintenance actions drive pictograms and buzzer. Everything else
// passes through. Install it as daemon.Deps.Lane.
func (h *Hub) Tap(l sensors.Lane) *Tap {
	t := &Tap{Lane: l, hub: h}
	h.mu.Lock()
	h.tap = t
	h.mu.Unlock()
	return t
}

func (h *Hub) signals() *Tap {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.tap
}

// TeeTelemetry returns a Telemetry that publishes to each of ts in turn;
// nil entries are dropped.
func TeeTelemetry(ts ...Telemetry) Telemetry {
	var out teeT
	for _, t := range ts {
		if t != nil {
			out = append(out, t)
		}
	}
	return out
}

type teeT []Telemetry

func (t teeT) Publish(kind string, at time.Time, fields map[string]any) {
	for _, x := range t {
		x.Publish(kind, at, fields)
	}
}

// TeeDisplay returns a Display that shows on each of ds in turn; nil
// entries are dropped.
func TeeDisplay(ds ...Display) Display {
	var out teeD
	for _, d := range ds {
		if d != nil {
			out = append(out, d)
		}
	}
	return out
}

type teeD []Display

func (t teeD) Show(in gate.Indicate) {
	for _, x := range t {
		x.Show(in)
	}
}
