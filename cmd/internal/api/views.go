package api

import (
	"context"
	"encoding/json"
	"hash/fnv"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/egate/egate/cmd/internal/api/apiclient"
	"github.com/egate/egate/gate"
	"github.com/egate/egate/gate/store"
)

// Limits of what the status view carries.
const (
	statusAlarms    = 20
	statusDecisions = 10
)

// status builds the status view. force re-reads the records (alarms and
// decisions); otherwise the last ones read are used.
func (s *Server) status(ctx context.Context, force bool) apiclient.Status {
	st := s.lane.Status()
	v := apiclient.Status{
		Lane: s.o.Lane, Version: s.o.Version, Time: time.Now().UTC(),
		State: st.State.String(), Since: st.Since.UTC(),
		Doors: map[string]apiclient.Door{}, Beams: map[string]bool{},
		Emergency: st.Emergency, Faults: map[string]string{}, Passage: st.Passage,
		Indicate: indicateView(st.Indicate),
		Devices:  s.devices(st),
		Counters: s.hub.Counters(),
	}
	if !st.Deadline.IsZero() {
		d := st.Deadline.UTC()
		v.Deadline = &d
	}
	for name, d := range st.Doors {
		v.Doors[name] = apiclient.Door{Commanded: openClosed(d.CommandedOpen), Position: d.Pos.String(), Reached: d.Reached}
	}
	for name, b := range st.Beams {
		if name == gate.BeamEntry.String() && s.o.Lane.Type == "one-step" {
			continue // not fitted
		}
		v.Beams[name] = b
	}
	for k, d := range st.Faults {
		v.Faults[k] = d
	}
	v.Alarms, v.Decisions = s.records(ctx, force)
	v.Key = viewKey(v)
	return v
}

// viewKey hashes everything but the time of the view.
func viewKey(v apiclient.Status) string {
	v.Time, v.Key = time.Time{}, ""
	b, _ := json.Marshal(v)
	h := fnv.New64a()
	h.Write(b)
	return strconv.FormatUint(h.Sum64(), 36)
}

func openClosed(open bool) string {
	if open {
		return "open"
	}
	return "closed"
}

func indicateView(in gate.Indicate) apiclient.Indicate {
	return apiclient.Indicate{Entry: in.Entry.String(), Exit: in.Exit.String(), Message: string(in.Msg), Buzzer: in.Buzzer}
}

// deviceOrder is the order devices are listed in.
var deviceOrder = []string{"lane", "emergency_input", "door.entry", "door.exit", "document_reader", "camera", "broker", "models"}

// devices reports each device's health from the configuration and the
// lane's current faults.
func (s *Server) devices(st gate.Status) []apiclient.Device {
	seen := map[string]bool{}
	var out []apiclient.Device
	add := func(d apiclient.Device) {
		if !seen[d.Name] {
			seen[d.Name] = true
			out = append(out, d)
		}
	}
	for _, name := range deviceOrder {
		conf, configured := s.o.Devices[name]
		d := apiclient.Device{Name: name, Status: "ok", Detail: conf}
		switch {
		case name == "emergency_input":
			d.Detail = "loop closed"
			if st.Emergency {
				d.Status, d.Detail = "fault", "active: fire alarm, emergency command or broken loop"
			}
		case strings.HasPrefix(name, "door."):
			door := strings.TrimPrefix(name, "door.")
			ds, ok := st.Doors[door]
			if !ok {
				continue // not fitted
			}
			d.Detail = ds.Pos.String()
		case !configured:
			continue
		case conf == "none" || conf == "":
			d.Status, d.Detail = "skipped", "not configured"
		}
		if f, ok := st.Faults[name]; ok {
			d.Status, d.Detail = "fault", f
		}
		add(d)
	}
	var rest []string
	for name := range st.Faults {
		if !seen[name] {
			rest = append(rest, name)
		}
	}
	sort.Strings(rest)
	for _, name := range rest {
		add(apiclient.Device{Name: name, Status: "fault", Detail: st.Faults[name]})
	}
	return out
}

// records returns the recent alarms and decisions, newest first, reading
// the store again when force is set.
func (s *Server) records(ctx context.Context, force bool) ([]apiclient.Event, []apiclient.Decision) {
	s.recMu.Lock()
	defer s.recMu.Unlock()
	if s.rec == nil {
		return []apiclient.Event{}, []apiclient.Decision{}
	}
	if force || !s.alarmInit {
		s.refreshRecords(ctx)
	}
	alarms := slices.Clone(s.alarms)
	slices.Reverse(alarms)
	if alarms == nil {
		alarms = []apiclient.Event{}
	}
	ds := slices.Clone(s.lastDecisions)
	if ds == nil {
		ds = []apiclient.Decision{}
	}
	return alarms, ds
}

// refreshRecords must be called with recMu held.
func (s *Server) refreshRecords(ctx context.Context) {
	if !s.alarmInit {
		last, err := s.lastEventID(ctx)
		if err != nil {
			s.log.Warn("reading events", "err", err)
			return
		}
		// Alarms are a fraction of the events: look back a few hundred.
		s.alarmNext, s.alarmInit = max(0, last-500), true
	}
	for range 20 { // bounded: at most 10,000 new events per refresh
		evs, err := s.rec.Events(ctx, s.alarmNext, 500)
		if err != nil {
			s.log.Warn("reading events", "err", err)
			break
		}
		for _, e := range evs {
			s.alarmNext = e.ID
			if e.Kind == "alarm" {
				s.alarms = append(s.alarms, eventView(e))
			}
		}
		if n := len(s.alarms); n > statusAlarms {
			s.alarms = slices.Clone(s.alarms[n-statusAlarms:])
		}
		if len(evs) < 500 {
			break
		}
	}
	ds, err := s.decisions(ctx, statusDecisions)
	if err != nil {
		s.log.Warn("reading decisions", "err", err)
		return
	}
	s.lastDecisions = ds
}

func eventView(e store.Event) apiclient.Event {
	d := e.Detail
	if d == nil {
		d = map[string]any{}
	}
	return apiclient.Event{ID: e.ID, At: e.At.UTC(), Lane: e.Lane, Kind: e.Kind, Detail: d}
}

// decisionView keeps a passage's decision and drops everything about the
// traveller: document reference, type, issuing state, nationality, age
// band and face score.
func decisionView(p store.Passage) apiclient.Decision {
	d := apiclient.Decision{
		Passage: p.Passage, Start: p.Start.UTC(), End: p.End.UTC(), Outcome: p.Outcome,
		Reasons: p.Reasons, Alarms: p.Alarms, Exited: p.Exited,
		TimeInLane: p.End.Sub(p.Start).Milliseconds(), Policy: p.Policy,
	}
	if !p.DecidedAt.IsZero() {
		d.DecidedAt = p.DecidedAt.UTC()
	}
	if d.Reasons == nil {
		d.Reasons = []string{}
	}
	if d.Alarms == nil {
		d.Alarms = []string{}
	}
	return d
}

// laneCollector samples the lane's live state at each scrape.
type laneCollector struct{ lane Lane }

var (
	doorOpenDesc  = prometheus.NewDesc("egate_door_open", "1 when the door's switches report it open.", []string{"door"}, nil)
	doorMoveDesc  = prometheus.NewDesc("egate_door_commanded_open", "1 when the door is commanded open.", []string{"door"}, nil)
	beamDesc      = prometheus.NewDesc("egate_beam_broken", "1 when the beam or presence input is broken.", []string{"beam"}, nil)
	emergencyDesc = prometheus.NewDesc("egate_emergency_active", "1 while the emergency input or command holds the doors open.", nil, nil)
	faultsDesc    = prometheus.NewDesc("egate_faults_active", "Devices currently in fault.", nil, nil)
)

func (laneCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{doorOpenDesc, doorMoveDesc, beamDesc, emergencyDesc, faultsDesc} {
		ch <- d
	}
}

func (c laneCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.lane.Status()
	b := func(v bool) float64 {
		if v {
			return 1
		}
		return 0
	}
	for name, d := range st.Doors {
		ch <- prometheus.MustNewConstMetric(doorOpenDesc, prometheus.GaugeValue, b(d.Pos == gate.PosOpen), name)
		ch <- prometheus.MustNewConstMetric(doorMoveDesc, prometheus.GaugeValue, b(d.CommandedOpen), name)
	}
	for name, v := range st.Beams {
		if name == gate.BeamEntry.String() && st.Lane == gate.OneStep.String() {
			continue
		}
		ch <- prometheus.MustNewConstMetric(beamDesc, prometheus.GaugeValue, b(v), name)
	}
	ch <- prometheus.MustNewConstMetric(emergencyDesc, prometheus.GaugeValue, b(st.Emergency))
	ch <- prometheus.MustNewConstMetric(faultsDesc, prometheus.GaugeValue, float64(len(st.Faults)))
}
