package main

// egatectl maintenance: put the lane in or out of maintenance mode and run
// the maintenance actions (door moves and cycles, pictogram and buzzer
// tests), which egated allows only in maintenance mode. See status.go for
// how egated is found.
//
// Exit codes: 0 done; 1 the lane refused (not in maintenance, passage
// under way, fault) or a test failed; 2 usage error, egated unreachable, or
// the token missing or refused.

import (
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/egate/egate/cmd/internal/api/apiclient"
)

func init() {
	register("maintenance", "maintenance on|off, door DOOR open|close, cycle DOOR, pictograms, buzzer, in-service", runMaintenance)
}

func maintenanceUsage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintln(w, "usage: egatectl maintenance ACTION [--api ADDR] [--token-file FILE | --state-dir DIR]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "actions:")
	fmt.Fprintln(w, "  on                    enter maintenance mode (refused while a passage is under way)")
	fmt.Fprintln(w, "  off                   leave maintenance mode: the lane closes its doors, checks it is empty, and opens")
	fmt.Fprintln(w, "  door entry|exit open|close   move one door")
	fmt.Fprintln(w, "  cycle entry|exit      open and close a door, timing both")
	fmt.Fprintln(w, "  pictograms            show red and green on each pictogram in turn")
	fmt.Fprintln(w, "  buzzer                sound the buzzer briefly")
	fmt.Fprintln(w, "  in-service            return an out-of-service lane to service (refused while faults remain)")
	fmt.Fprintln(w, "  out-of-service        take the lane out of service (doors to the safe state)")
	fmt.Fprintln(w, "Door moves and tests need maintenance mode.")
	fmt.Fprintln(w, "Exit 0 done, 1 refused by the lane or test failed, 2 usage or egated unreachable.")
	fs.PrintDefaults()
}

func runMaintenance(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("maintenance", flag.ContinueOnError)
	fs.SetOutput(stderr)
	target := apiFlags(fs)
	fs.Usage = func() { maintenanceUsage(stderr, fs) }
	// Flags may come before or after the action.
	var pos []string
	rest := args
	for {
		if code, ok := parseFlags(fs, rest); !ok {
			return code
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	bad := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "egatectl maintenance: "+format+"\n\n", a...)
		maintenanceUsage(stderr, fs)
		return 2
	}
	if len(pos) == 0 {
		return bad("which action?")
	}
	door := func(s string) bool { return s == "entry" || s == "exit" }
	var cmd *apiclient.Command
	var action, actDoor string
	switch pos[0] {
	case "on", "off":
		if len(pos) != 1 {
			return bad("%s takes no argument", pos[0])
		}
		cmd = &apiclient.Command{Kind: "maintenance_" + pos[0]}
	case "in-service", "out-of-service":
		if len(pos) != 1 {
			return bad("%s takes no argument", pos[0])
		}
		cmd = &apiclient.Command{Kind: map[string]string{"in-service": "in_service", "out-of-service": "out_of_service"}[pos[0]]}
	case "door":
		if len(pos) != 3 || !door(pos[1]) || (pos[2] != "open" && pos[2] != "close") {
			return bad("usage: door entry|exit open|close")
		}
		cmd = &apiclient.Command{Kind: "maintenance_door", Door: pos[1], Open: pos[2] == "open"}
	case "cycle":
		if len(pos) != 2 || !door(pos[1]) {
			return bad("usage: cycle entry|exit")
		}
		action, actDoor = "door-cycle", pos[1]
	case "pictograms", "buzzer":
		if len(pos) != 1 {
			return bad("%s takes no argument", pos[0])
		}
		action = pos[0]
	default:
		return bad("unknown action %q", pos[0])
	}
	cl, err := target.client()
	if err != nil {
		return fail(stderr, "maintenance", err)
	}
	ctx, cancel := ctxTimeout(time.Minute)
	defer cancel()
	if cmd != nil {
		res, err := cl.Command(ctx, *cmd)
		if err != nil {
			return fail(stderr, "maintenance", err)
		}
		if !res.OK {
			hint := ""
			switch {
			case cmd.Kind == "maintenance_door":
				hint = "\n  hint: egatectl maintenance on first"
			case cmd.Kind == "maintenance_on" && res.Reason == "passage in progress":
				hint = "\n  hint: wait for the traveller to finish, then try again"
			}
			fmt.Fprintf(stderr, "egatectl maintenance: the lane refused %s: %s%s\n", res.Kind, res.Reason, hint)
			return 1
		}
		msg := map[string]string{
			"maintenance_on":   "the lane is in maintenance mode; travellers see 'out of service'",
			"maintenance_off":  "maintenance mode left; the lane closes its doors, checks it is empty and returns to service",
			"in_service":       "the lane returns to service: it closes its doors and checks it is empty",
			"out_of_service":   "the lane is out of service; doors in the safe state",
			"maintenance_door": fmt.Sprintf("%s door commanded %s", cmd.Door, map[bool]string{true: "open", false: "closed"}[cmd.Open]),
		}[res.Kind]
		if res.Reason != "" {
			msg += " (" + res.Reason + ")"
		}
		fmt.Fprintln(stdout, msg)
		return 0
	}
	rep, err := cl.Maintenance(ctx, action, actDoor)
	if err != nil {
		return fail(stderr, "maintenance", err)
	}
	writeReport(stdout, "maintenance "+pos[0], rep)
	if !rep.OK {
		return 1
	}
	return 0
}
