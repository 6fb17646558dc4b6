package main

// egatectl status and egatectl events: the technician's view of the lane
// through egated's local API (cmd/internal/api). Both find the API and its
// token the same way (apiTarget):
//
//	--api ADDR         host:port or URL (default $EGATE_API, else 127.0.0.1:8787)
//	--token-file FILE  the bearer token (default $EGATE_TOKEN_FILE, else STATE_DIR/api.token)
//	--state-dir DIR    egated's state directory (default: state_dir of --config, else /var/lib/egate)
//	--config FILE      read state_dir from this lane configuration
//
// Exit codes: 0 ok; 1 the lane is not healthy (status: fault, emergency,
// out of service) or refused; 2 usage error, egated unreachable, or the
// token missing or refused.

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/egate/egate/cmd/internal/api/apiclient"
	"github.com/egate/egate/cmd/internal/config"
)

func init() {
	register("status", "show the lane: state, doors, beams, devices, alarms, last decisions (status [--json] [--url])", runStatus)
	register("events", "show the lane's recent events, or follow them (events [--follow] [--tail N] [--json])", runEvents)
}

// defaultStateDir is egated's state directory when nothing says otherwise.
const defaultStateDir = "/var/lib/egate"

// apiTarget locates egated's local API and its token.
type apiTarget struct {
	addr, tokenFile, stateDir, config string
}

func apiFlags(fs *flag.FlagSet) *apiTarget {
	a := &apiTarget{}
	fs.StringVar(&a.addr, "api", os.Getenv("EGATE_API"), "egated's API `address` (host:port or URL; default "+apiclient.DefaultAddr+")")
	fs.StringVar(&a.tokenFile, "token-file", os.Getenv("EGATE_TOKEN_FILE"), "API token `file` (default STATE_DIR/"+apiclient.TokenFileName+")")
	fs.StringVar(&a.stateDir, "state-dir", "", "egated's state `directory` (default: state_dir of --config, else "+defaultStateDir+")")
	fs.StringVar(&a.config, "config", "", "lane configuration `file` to read state_dir from")
	return a
}

// cliError is a message for the technician and the exit code that goes
// with it.
type cliError struct {
	code int
	msg  string
}

func (e *cliError) Error() string { return e.msg }

func usageErr(format string, args ...any) *cliError {
	return &cliError{2, fmt.Sprintf(format, args...)}
}

// client builds the API client, or explains what is missing.
func (a *apiTarget) client() (*apiclient.Client, error) {
	base, err := apiclient.BaseURL(a.addr)
	if err != nil {
		return nil, usageErr("--api: %v", err)
	}
	tf := a.tokenFile
	if tf == "" {
		dir := a.stateDir
		if dir == "" && a.config != "" {
			c, err := config.Load(a.config)
			if err != nil {
				return nil, usageErr("%v", err)
			}
			dir = c.StateDir
		}
		if dir == "" {
			dir = defaultStateDir
		}
		tf = filepath.Join(dir, apiclient.TokenFileName)
	}
	tok, err := apiclient.ReadToken(tf)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil, usageErr("no API token at %s: is egated running with that state directory? (pass --state-dir, --config or --token-file)", tf)
	case errors.Is(err, os.ErrPermission):
		return nil, usageErr("cannot read the API token at %s: permission denied; run as the user egated runs as (e.g. sudo egatectl ...)", tf)
	case err != nil:
		return nil, usageErr("%v", err)
	}
	return &apiclient.Client{Base: base, Token: tok}, nil
}

// explain turns an API error into a message and an exit code.
func explain(err error) *cliError {
	var ce *cliError
	var ae *apiclient.Error
	switch {
	case errors.As(err, &ce):
		return ce
	case errors.Is(err, context.Canceled):
		return &cliError{0, ""}
	case errors.Is(err, apiclient.ErrUnreachable):
		msg := strings.TrimPrefix(err.Error(), apiclient.ErrUnreachable.Error()+" ")
		return &cliError{2, "cannot reach egated " + msg + "\n  is egated running (systemctl status egated), and is --api right?"}
	case errors.Is(err, apiclient.ErrUnauthorized):
		return &cliError{2, "egated refused the API token: the token file is not this daemon's (egated writes it in its state directory at start)"}
	case errors.As(err, &ae):
		msg := ae.Problem.Error
		if ae.Hint != "" {
			msg += "\n  hint: " + ae.Hint
		}
		return &cliError{1, msg}
	}
	return &cliError{2, err.Error()}
}

// fail prints an error for command name and returns its exit code.
func fail(stderr io.Writer, name string, err error) int {
	e := explain(err)
	if e.msg != "" {
		fmt.Fprintf(stderr, "egatectl %s: %s\n", name, e.msg)
	}
	return e.code
}

// parseFlags parses args, printing usage on error; ok false means return code.
func parseFlags(fs *flag.FlagSet, args []string) (code int, ok bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, false
		}
		return 2, false
	}
	return 0, true
}

// signalContext ends on SIGINT or SIGTERM, or after d if d > 0.
func signalContext(d time.Duration) (context.Context, context.CancelFunc) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	if d <= 0 {
		return ctx, stop
	}
	tctx, cancel := context.WithTimeout(ctx, d)
	return tctx, func() { cancel(); stop() }
}

func runStatus(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	target := apiFlags(fs)
	asJSON := fs.Bool("json", false, "print the API's JSON status (no personal data)")
	showURL := fs.Bool("url", false, "print a sign-in link to the status page (it carries the token: do not share it)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: egatectl status [--json] [--url] [--api ADDR] [--token-file FILE | --state-dir DIR | --config FILE]")
		fmt.Fprintln(stderr, "Exit 0 lane healthy, 1 lane in fault, emergency or out of service, 2 usage or egated unreachable.")
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "egatectl status: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	cl, err := target.client()
	if err != nil {
		return fail(stderr, "status", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	st, err := cl.Status(ctx)
	if err != nil {
		return fail(stderr, "status", err)
	}
	switch {
	case *showURL:
		fmt.Fprintf(stdout, "%s/status?token=%s\n", cl.Base, cl.Token)
		fmt.Fprintf(stdout, "traveller display: %s/kiosk\n", cl.Base)
	case *asJSON:
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(st)
	default:
		writeLaneStatus(stdout, st)
	}
	if len(st.Faults) > 0 || st.Emergency || st.State == "out_of_service" || st.State == "emergency" {
		return 1
	}
	return 0
}

// writeLaneStatus prints the status for a person.
func writeLaneStatus(w io.Writer, st apiclient.Status) {
	line := func(k, format string, args ...any) { fmt.Fprintf(w, "%-10s %s\n", k, fmt.Sprintf(format, args...)) }
	fmt.Fprintf(w, "lane %s (%s, %s)   egated %s\n", st.Lane.ID, st.Lane.Site, st.Lane.Type, st.Version)
	state := st.State
	if d := st.Time.Sub(st.Since); !st.Since.IsZero() && d > 0 {
		state += " for " + d.Round(time.Second).String()
	}
	if st.Passage != 0 {
		state += fmt.Sprintf(" (passage #%d)", st.Passage)
	}
	line("state", "%s", state)
	var doors []string
	for _, n := range []string{"entry", "exit"} {
		if d, ok := st.Doors[n]; ok {
			s := n + " " + d.Position
			if !d.Reached {
				s += " (commanded " + d.Commanded + ")"
			}
			doors = append(doors, s)
		}
	}
	line("doors", "%s", strings.Join(doors, " · "))
	var broken []string
	names := make([]string, 0, len(st.Beams))
	for n, b := range st.Beams {
		names = append(names, n)
		if b {
			broken = append(broken, n)
		}
	}
	sort.Strings(broken)
	if len(broken) == 0 {
		line("beams", "all %d clear", len(names))
	} else {
		line("beams", "BROKEN: %s", strings.Join(broken, ", "))
	}
	line("screen", "%s · pictograms entry %s, exit %s%s", orDash(st.Indicate.Message), st.Indicate.Entry, st.Indicate.Exit,
		map[bool]string{true: " · buzzer on"}[st.Indicate.Buzzer])
	if st.Emergency {
		line("emergency", "ACTIVE: every door held open")
	}
	if len(st.Faults) == 0 {
		line("faults", "none")
	} else {
		keys := make([]string, 0, len(st.Faults))
		for k := range st.Faults {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for i, k := range keys {
			line(map[bool]string{true: "faults"}[i == 0], "%s: %s", k, st.Faults[k])
		}
	}
	var devs []string
	for _, d := range st.Devices {
		s := d.Name + " " + d.Status
		if d.Detail != "" && d.Status != "ok" {
			s += " (" + d.Detail + ")"
		}
		devs = append(devs, s)
	}
	line("devices", "%s", strings.Join(devs, " · "))
	c := st.Counters
	var total uint64
	var outs []string
	for _, k := range []string{"accept", "reject", "refer", "abandoned", "aborted"} {
		total += c.Decisions[k]
		if c.Decisions[k] > 0 {
			outs = append(outs, fmt.Sprintf("%s %d", k, c.Decisions[k]))
		}
	}
	var alarms uint64
	for _, n := range c.Alarms {
		alarms += n
	}
	var cycles []string
	for _, n := range []string{"entry", "exit"} {
		if v, ok := c.DoorCycles[n]; ok {
			cycles = append(cycles, fmt.Sprintf("%s %d", n, v))
		}
	}
	dec := fmt.Sprintf("decisions %d", total)
	if len(outs) > 0 {
		dec += " (" + strings.Join(outs, ", ") + ")"
	}
	line("counters", "%s · alarms %d · door cycles %s · since %s", dec, alarms, strings.Join(cycles, ", "), c.Since.Local().Format("2006-01-02 15:04"))
	if len(st.Alarms) == 0 {
		line("alarms", "none recorded recently")
	}
	for i, a := range st.Alarms {
		if i == 5 {
			break
		}
		line(map[bool]string{true: "alarms"}[i == 0], "%s %s: %s", a.At.Local().Format("15:04:05"), a.Detail["kind"], a.Detail["detail"])
	}
	if len(st.Decisions) == 0 {
		line("decisions", "none yet")
	}
	for i, d := range st.Decisions {
		if i == 5 {
			break
		}
		line(map[bool]string{true: "decisions"}[i == 0], "%s #%d %-9s %5.1fs %s", d.End.Local().Format("15:04:05"), d.Passage, d.Outcome,
			float64(d.TimeInLane)/1000, strings.Join(append(slices.Clone(d.Reasons), d.Alarms...), ", "))
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func runEvents(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("events", flag.ContinueOnError)
	fs.SetOutput(stderr)
	target := apiFlags(fs)
	follow := fs.Bool("follow", false, "keep printing new events as they happen (until Ctrl-C)")
	fs.BoolVar(follow, "f", false, "short for --follow")
	tail := fs.Int("tail", 20, "start with the last `N` events (0: none)")
	after := fs.Int64("after", -1, "start after event `ID` instead of the last N")
	asJSON := fs.Bool("json", false, "print one JSON object per event")
	forDur := fs.Duration("for", 0, "with --follow, stop after this `duration`")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: egatectl events [--follow] [--tail N | --after ID] [--json] [--api ADDR] [--token-file FILE | --state-dir DIR]")
		fmt.Fprintln(stderr, "Events are state changes, alarms and commands; they carry no personal data.")
		fmt.Fprintln(stderr, "Exit 0 ok, 2 usage or egated unreachable.")
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 || *tail < 0 || *tail > 1000 {
		fmt.Fprintln(stderr, "egatectl events: --tail is 0..1000 and there are no arguments")
		return 2
	}
	cl, err := target.client()
	if err != nil {
		return fail(stderr, "events", err)
	}
	ctx, stop := signalContext(*forDur)
	defer stop()
	show := func(e apiclient.Event) {
		if *asJSON {
			b, _ := json.Marshal(e)
			fmt.Fprintln(stdout, string(b))
			return
		}
		fmt.Fprintln(stdout, eventLine(e))
	}
	// The first page: the last N events, or those after an id.
	var ev apiclient.Events
	qctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	switch {
	case *after >= 0:
		ev, err = cl.Events(qctx, *after, 0, 0)
	case *tail > 0:
		ev, err = cl.Events(qctx, 0, *tail, 0)
	default:
		ev, err = cl.Events(qctx, 0, 1, 0)
		ev.Events = nil // only to learn the last id
	}
	cancel()
	if err != nil {
		return fail(stderr, "events", err)
	}
	for _, e := range ev.Events {
		show(e)
	}
	last := ev.Last
	if !*follow {
		return 0
	}
	down := false
	for ctx.Err() == nil {
		ev, err := cl.Events(ctx, last, 0, 25*time.Second)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			if !down {
				fmt.Fprintf(stderr, "egatectl events: %s; retrying\n", explain(err).msg)
				down = true
			}
			select {
			case <-ctx.Done():
			case <-time.After(2 * time.Second):
			}
			continue
		}
		if down {
			fmt.Fprintln(stderr, "egatectl events: egated answers again")
			down = false
		}
		for _, e := range ev.Events {
			show(e)
		}
		last = ev.Last
	}
	return 0
}

// eventLine is one event for a person.
func eventLine(e apiclient.Event) string {
	d := e.Detail
	s := func(k string) string { v, _ := d[k].(string); return v }
	head := fmt.Sprintf("%6d %s %-7s", e.ID, e.At.Local().Format("2006-01-02 15:04:05.000"), e.Kind)
	switch e.Kind {
	case "state":
		out := s("from") + " → " + s("to")
		if c := s("cause"); c != "" {
			out += " (" + c + ")"
		}
		return head + " " + out
	case "alarm":
		out := s("kind") + ": " + s("detail")
		if p, ok := d["passage"].(float64); ok && p > 0 {
			out += fmt.Sprintf(" (passage #%d)", int64(p))
		}
		return head + " " + out
	case "command":
		res := "ok"
		if ok, _ := d["ok"].(bool); !ok {
			res = "refused: " + s("reason")
		} else if r := s("reason"); r != "" {
			res += " (" + r + ")"
		}
		return head + " " + s("kind") + " by " + orDash(s("origin")) + ": " + res
	}
	b, _ := json.Marshal(d)
	return head + " " + string(b)
}
