package main

// egatectl selftest: run egated's self-test and report pass/fail with a
// hint for each failure. See status.go for how egated is found.
//
// Exit codes: 0 every check passed or was skipped; 1 a check failed, or the
// lane refused to enter maintenance (a passage under way); 2 usage error,
// egated unreachable, or the token missing or refused.

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/egate/egate/cmd/internal/api/apiclient"
)

func init() {
	register("selftest", "check the lane: cycle doors, check sensors, pictograms, buzzer and devices (selftest [--json])", runSelfTest)
}

func runSelfTest(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("selftest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	target := apiFlags(fs)
	asJSON := fs.Bool("json", false, "print the report as JSON")
	noDoors := fs.Bool("no-doors", false, "do not move the doors")
	noSignals := fs.Bool("no-signals", false, "do not drive pictograms and buzzer")
	noEnter := fs.Bool("no-enter", false, "do not put a ready lane in maintenance: fail unless it already is (or use --no-doors --no-signals)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: egatectl selftest [--json] [--no-doors] [--no-signals] [--no-enter] [--api ADDR] [--token-file FILE | --state-dir DIR]")
		fmt.Fprintln(stderr)
		fmt.Fprintln(stderr, "Checks the emergency input, device faults and every beam (the lane must be empty), then,")
		fmt.Fprintln(stderr, "in maintenance mode, opens and closes each door and drives pictograms and buzzer; then the")
		fmt.Fprintln(stderr, "document reader, camera, broker and face models (skipped where not configured).")
		fmt.Fprintln(stderr, "A ready lane is put in maintenance for the test and back in service afterwards.")
		fmt.Fprintln(stderr, "Exit 0 all passed, 1 a check failed or the lane refused, 2 usage or egated unreachable.")
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "egatectl selftest: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	cl, err := target.client()
	if err != nil {
		return fail(stderr, "selftest", err)
	}
	ctx, stop := signalContext(3 * time.Minute)
	defer stop()
	if !*asJSON {
		fmt.Fprintln(stdout, "egate self-test: running (doors may move) ...")
	}
	rep, err := cl.SelfTest(ctx, apiclient.SelfTestRequest{EnterMaintenance: !*noEnter, SkipDoors: *noDoors, SkipSignals: *noSignals})
	if err != nil {
		return fail(stderr, "selftest", err)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(rep)
	} else {
		writeReport(stdout, "self-test", rep)
	}
	if !rep.OK {
		return 1
	}
	return 0
}

// writeReport prints a self-test or maintenance report for a person.
func writeReport(w io.Writer, what string, rep apiclient.Report) {
	fmt.Fprintf(w, "egate %s: lane %s (%s, %s)\n", what, rep.Lane.ID, rep.Lane.Site, rep.Lane.Type)
	width := 8
	for _, c := range rep.Checks {
		width = max(width, len(c.Name))
	}
	for _, c := range rep.Checks {
		fmt.Fprintf(w, "  %-4s  %-*s  %s\n", strings.ToUpper(c.Result), width, c.Name, c.Detail)
		if c.Result == apiclient.Fail && c.Hint != "" {
			fmt.Fprintf(w, "  %-4s  %-*s  hint: %s\n", "", width, "", c.Hint)
		}
	}
	for _, n := range rep.Notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
	var pass, skip int
	for _, c := range rep.Checks {
		switch c.Result {
		case apiclient.Pass:
			pass++
		case apiclient.Skip:
			skip++
		}
	}
	took := rep.Finished.Sub(rep.Started).Round(100 * time.Millisecond)
	if rep.OK {
		fmt.Fprintf(w, "result: PASS (%d passed, %d skipped, in %v)\n", pass, skip, took)
	} else {
		fmt.Fprintf(w, "result: FAIL (%d of %d checks failed, %d skipped, in %v)\n", rep.Failed(), len(rep.Checks), skip, took)
	}
}

// ctxTimeout is a short request context for one-shot commands.
func ctxTimeout(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}
