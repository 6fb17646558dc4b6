package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/egate/egate/cmd/internal/api/apiclient"
	"github.com/egate/egate/gate"
)

// precondition is a refusal to start a maintenance action or self-test.
type precondition struct {
	msg, hint string
}

func (p *precondition) Error() string { return p.msg }

func (s *Server) handleMaintenance(w http.ResponseWriter, r *http.Request) {
	action := r.PathValue("action")
	var req apiclient.DoorRequest
	if err := readJSON(w, r, &req); err != nil {
		problem(w, http.StatusBadRequest, err.Error(), "")
		return
	}
	var run func(ctx context.Context) []apiclient.Check
	switch action {
	case "door-cycle":
		d, err := parseDoor(req.Door)
		if err != nil {
			problem(w, http.StatusBadRequest, err.Error(), `send {"door":"exit"}`)
			return
		}
		if _, fitted := s.lane.Status().Doors[d.String()]; !fitted {
			problem(w, http.StatusBadRequest, "this "+s.o.Lane.Type+" lane has no "+d.String()+" door", "")
			return
		}
		run = func(ctx context.Context) []apiclient.Check { return []apiclient.Check{s.cycleDoor(ctx, d)} }
	case "pictograms":
		run = func(ctx context.Context) []apiclient.Check { return []apiclient.Check{s.testPictograms(ctx)} }
	case "buzzer":
		run = func(ctx context.Context) []apiclient.Check { return []apiclient.Check{s.testBuzzer(ctx)} }
	default:
		problem(w, http.StatusNotFound, "no maintenance action "+action, "one of: door-cycle, pictograms, buzzer")
		return
	}
	if !s.busy.TryLock() {
		problem(w, http.StatusConflict, "another maintenance action or self-test is running", "wait for it to finish")
		return
	}
	defer s.busy.Unlock()
	if st := s.lane.Status().State; st != gate.Maintenance {
		problem(w, http.StatusConflict, fmt.Sprintf("the lane is %s: maintenance actions are allowed only in maintenance mode", st),
			"put the lane in maintenance first: egatectl maintenance on")
		return
	}
	rep := apiclient.Report{Lane: s.o.Lane, Started: time.Now().UTC()}
	rep.Checks = run(r.Context())
	rep.Finished = time.Now().UTC()
	rep.OK = rep.Failed() == 0
	writeJSON(w, http.StatusOK, rep)
}

func (s *Server) handleSelfTest(w http.ResponseWriter, r *http.Request) {
	var req apiclient.SelfTestRequest
	if err := readJSON(w, r, &req); err != nil {
		problem(w, http.StatusBadRequest, err.Error(), "")
		return
	}
	if !s.busy.TryLock() {
		problem(w, http.StatusConflict, "another maintenance action or self-test is running", "wait for it to finish")
		return
	}
	defer s.busy.Unlock()
	rep, err := s.SelfTest(r.Context(), req)
	var pe *precondition
	if errors.As(err, &pe) {
		problem(w, http.StatusConflict, pe.msg, pe.hint)
		return
	}
	if err != nil {
		problem(w, http.StatusInternalServerError, err.Error(), "")
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

// timed runs f and stamps the check with its duration.
func timed(f func() apiclient.Check) apiclient.Check {
	t0 := time.Now()
	c := f()
	c.Millis = time.Since(t0).Milliseconds()
	return c
}

// SelfTest checks the lane: emergency input, faults, every beam; in
// maintenance mode it cycles every door and drives pictograms and buzzer;
// then the configured devices (document reader, camera, broker, models),
// each skipped when it has no probe.
func (s *Server) SelfTest(ctx context.Context, req apiclient.SelfTestRequest) (apiclient.Report, error) {
	rep := apiclient.Report{Lane: s.o.Lane, Started: time.Now().UTC()}
	add := func(c apiclient.Check) { rep.Checks = append(rep.Checks, c) }
	st := s.lane.Status()

	add(apiclient.Check{Name: "daemon", Result: apiclient.Pass, Detail: fmt.Sprintf("answering; lane %s, state %s", st.Lane, st.State)})
	if st.Emergency {
		add(apiclient.Check{Name: "emergency_input", Result: apiclient.Fail, Detail: "active: every door is held open",
			Hint: "check the fire panel and the emergency loop wiring (a broken loop reads as active); once the input is clear, clear the emergency from the control room"})
	} else {
		add(apiclient.Check{Name: "emergency_input", Result: apiclient.Pass, Detail: "loop closed, no alarm"})
	}
	if len(st.Faults) == 0 {
		add(apiclient.Check{Name: "faults", Result: apiclient.Pass, Detail: "no device in fault"})
	} else {
		names := make([]string, 0, len(st.Faults))
		for n := range st.Faults {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			add(apiclient.Check{Name: "fault." + n, Result: apiclient.Fail, Detail: st.Faults[n], Hint: faultHint(n)})
		}
	}
	beams := make([]string, 0, len(st.Beams))
	for b := range st.Beams {
		beams = append(beams, b)
	}
	sort.Slice(beams, func(i, j int) bool { return beamRank(beams[i]) < beamRank(beams[j]) })
	for _, b := range beams {
		c := apiclient.Check{Name: "beam." + b}
		switch {
		case b == gate.BeamEntry.String() && st.Lane == gate.OneStep.String():
			continue
		case st.Beams[b]:
			c.Result, c.Detail = apiclient.Fail, "reads broken with the lane expected empty"
			c.Hint = "make sure nobody and nothing is in the lane; clean the lenses, check the alignment and the sensor's wiring and supply"
		default:
			c.Result, c.Detail = apiclient.Pass, "clear"
		}
		add(c)
	}

	moves := !req.SkipDoors || !req.SkipSignals
	entered := false
	if moves && st.State != gate.Maintenance {
		if !req.EnterMaintenance {
			return rep, &precondition{
				msg:  fmt.Sprintf("the lane is %s: the self-test moves the doors, so it runs only in maintenance mode", st.State),
				hint: "run egatectl maintenance on first, ask the self-test to enter maintenance itself, or skip the doors and signals",
			}
		}
		res, err := s.command(ctx, gate.Command{Kind: gate.CmdMaintenanceOn, Origin: origin + "(selftest)"})
		if err != nil {
			return rep, err
		}
		if !res.OK {
			return rep, &precondition{msg: "the lane refused maintenance mode: " + res.Reason, hint: "wait for the lane to finish the passage and try again"}
		}
		entered = true
		rep.Notes = append(rep.Notes, "the lane was put in maintenance mode for the test")
	}
	if !req.SkipDoors {
		for _, d := range []gate.DoorID{gate.EntryDoor, gate.ExitDoor} {
			if _, fitted := st.Doors[d.String()]; !fitted {
				continue
			}
			if now := s.lane.Status().State; now != gate.Maintenance {
				add(apiclient.Check{Name: "door." + d.String(), Result: apiclient.Skip, Detail: "not tried: the lane left maintenance mode (" + now.String() + ")"})
				continue
			}
			add(s.cycleDoor(ctx, d))
		}
	}
	if !req.SkipSignals {
		add(s.testPictograms(ctx))
		add(s.testBuzzer(ctx))
	}
	for _, name := range []string{"document_reader", "camera", "broker", "models"} {
		add(s.probe(ctx, name))
	}
	if entered {
		res, err := s.command(context.WithoutCancel(ctx), gate.Command{Kind: gate.CmdMaintenanceOff, Origin: origin + "(selftest)"})
		switch {
		case err != nil:
			rep.Notes = append(rep.Notes, "could not leave maintenance mode: "+err.Error())
		case !res.OK:
			rep.Notes = append(rep.Notes, fmt.Sprintf("the lane did not leave maintenance mode (%s); it is %s", res.Reason, s.lane.Status().State))
		default:
			rep.Notes = append(rep.Notes, "the lane left maintenance mode and is resetting")
		}
	}
	rep.Finished = time.Now().UTC()
	rep.OK = rep.Failed() == 0
	return rep, nil
}

func beamRank(b string) int {
	for i := gate.Beam(0); i <= gate.BeamExitOuter; i++ {
		if i.String() == b {
			return int(i)
		}
	}
	return 99
}

func faultHint(dev string) string {
	switch {
	case strings.HasPrefix(dev, "door."):
		return "the door did not reach its position in time: check for an obstruction, the drive's power and fuse and the position switches; the fault clears when the door reaches its commanded position"
	case dev == "lane":
		return "the lane's GPIO driver stopped: check the egated log and the board's GPIO access"
	}
	return "see the alarms and the egated log for " + dev
}

// probe runs a configured device probe, or reports the device skipped.
func (s *Server) probe(ctx context.Context, name string) apiclient.Check {
	p, ok := s.o.Probes[name]
	if !ok || p.Check == nil {
		c := apiclient.Check{Name: name, Result: apiclient.Skip}
		switch conf := s.o.Devices[name]; conf {
		case "", "none":
			c.Detail = "not configured"
		case "simulated":
			c.Detail = "simulated; nothing to probe"
		default:
			c.Detail = "configured (" + conf + ") but no probe is wired for it"
		}
		return c
	}
	return timed(func() apiclient.Check {
		pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		err := p.Check(pctx)
		switch {
		case err == nil:
			return apiclient.Check{Name: name, Result: apiclient.Pass, Detail: "answering"}
		case errors.Is(err, ErrSkipped):
			return apiclient.Check{Name: name, Result: apiclient.Skip, Detail: err.Error()}
		}
		return apiclient.Check{Name: name, Result: apiclient.Fail, Detail: err.Error(), Hint: p.Hint}
	})
}

// cycleDoor moves a door to the other position and back, in maintenance
// mode, and times both halves.
func (s *Server) cycleDoor(ctx context.Context, d gate.DoorID) apiclient.Check {
	return timed(func() apiclient.Check {
		c := apiclient.Check{Name: "door." + d.String()}
		st := s.lane.Status()
		ds, ok := st.Doors[d.String()]
		if !ok {
			c.Result, c.Detail = apiclient.Skip, "not fitted on a "+st.Lane+" lane"
			return c
		}
		first := !ds.CommandedOpen
		var took []string
		for _, open := range []bool{first, !first} {
			t0 := time.Now()
			res, err := s.command(ctx, gate.Command{Kind: gate.CmdMaintenanceDoor, Door: d, Open: open, Origin: origin})
			if err != nil {
				c.Result, c.Detail = apiclient.Fail, "the lane did not take the command: "+err.Error()
				return c
			}
			if !res.OK {
				c.Result, c.Detail = apiclient.Fail, "refused: "+res.Reason
				c.Hint = "door moves are allowed only in maintenance mode"
				return c
			}
			if f := s.waitDoor(ctx, d, open); f != nil {
				f.Name, f.Result = c.Name, apiclient.Fail
				return *f
			}
			took = append(took, fmt.Sprintf("%s in %.2fs", verb(open), time.Since(t0).Seconds()))
		}
		c.Result, c.Detail = apiclient.Pass, strings.Join(took, ", ")
		return c
	})
}

func verb(open bool) string {
	if open {
		return "opened"
	}
	return "closed"
}

// waitDoor waits for a door to report its commanded position. It returns
// nil on success, or a failed check's detail and hint.
func (s *Server) waitDoor(ctx context.Context, d gate.DoorID, open bool) *apiclient.Check {
	want := gate.PosClosed
	if open {
		want = gate.PosOpen
	}
	deadline := time.Now().Add(s.o.DoorTimeout)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		st := s.lane.Status()
		ds := st.Doors[d.String()]
		if ds.Pos == want && ds.Reached {
			return nil
		}
		fault, faulted := st.Faults["door."+d.String()]
		late := !time.Now().Before(deadline)
		if faulted || late || st.State != gate.Maintenance {
			f := &apiclient.Check{}
			switch {
			case faulted:
				f.Detail = fault
			case late:
				f.Detail = fmt.Sprintf("did not report %s within %v", want, s.o.DoorTimeout)
			default:
				f.Detail = "the lane left maintenance mode (" + st.State.String() + ")"
			}
			f.Detail += fmt.Sprintf("; position now %s", ds.Pos)
			switch {
			case ds.Pos == gate.PosUnknown:
				f.Hint = "both position switches are active at once: check the switch wiring"
			case ds.Pos == gate.PosMoving:
				f.Hint = "the door left its position but never reached " + want.String() + ": check for an obstruction, then the " + want.String() + " position switch and its wiring"
			default:
				f.Hint = "the door did not move: check the drive's power and fuse, the drive output wiring and the motor"
			}
			if st.State != gate.Maintenance {
				f.Hint += "; the lane is now " + st.State.String() + " (after the repair: egatectl maintenance in-service)"
			}
			return f
		}
		select {
		case <-ctx.Done():
			return &apiclient.Check{Detail: "interrupted: " + ctx.Err().Error()}
		case <-tick.C:
		}
	}
}

func (s *Server) testPictograms(ctx context.Context) apiclient.Check {
	steps := []gate.Indicate{
		{Entry: gate.LightRed}, {Entry: gate.LightGreen},
		{Exit: gate.LightRed}, {Exit: gate.LightGreen},
	}
	if s.o.Lane.Type == "one-step" {
		steps = steps[2:]
	}
	c := s.signals(ctx, "pictograms", steps)
	if c.Result == apiclient.Pass {
		c.Detail = "showed " + map[bool]string{true: "exit red, exit green", false: "entry red, entry green, exit red, exit green"}[s.o.Lane.Type == "one-step"] + "; confirm by eye"
	}
	return c
}

func (s *Server) testBuzzer(ctx context.Context) apiclient.Check {
	c := s.signals(ctx, "buzzer", []gate.Indicate{{Buzzer: true}})
	if c.Result == apiclient.Pass {
		c.Detail = "sounded; confirm by ear"
	}
	return c
}

func (s *Server) signals(ctx context.Context, name string, steps []gate.Indicate) apiclient.Check {
	return timed(func() apiclient.Check {
		c := apiclient.Check{Name: name}
		tap := s.hub.signals()
		if tap == nil {
			c.Result, c.Detail = apiclient.Skip, "no access to the outputs (the lane is not wired through the hub's Tap)"
			return c
		}
		if st := s.lane.Status().State; st != gate.Maintenance {
			c.Result, c.Detail = apiclient.Skip, "not tried: the lane is "+st.String()+", not in maintenance mode"
			return c
		}
		err := tap.TestSignals(ctx, steps, s.o.SignalStep)
		var ie errInterrupted
		switch {
		case errors.As(err, &ie):
			c.Result, c.Detail = apiclient.Fail, err.Error()
			c.Hint = "the lane left maintenance mode during the test (state " + s.lane.Status().State.String() + ")"
		case err != nil:
			c.Result, c.Detail = apiclient.Fail, err.Error()
			c.Hint = "check the output wiring of the pictograms and buzzer and their supply"
		default:
			c.Result = apiclient.Pass
		}
		return c
	})
}
