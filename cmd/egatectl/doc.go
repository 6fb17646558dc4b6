package main

// egatectl doc read: the technician's check of a lane's chip reader and of
// one document. It reads the MRZ (from --mrz-file or stdin) or takes a CAN,
// derives the access key, reads the chip through pcscd (sensors/chip/pcsc,
// sensors/chip/emrtd: PACE, falling back to BAC; DG1, DG2, DG14, DG15...;
// chip, active and passive authentication) and prints DG1's fields, the
// access protocol (and why PACE was not used), the portrait's format and
// size, and every check with its result and reason. The portrait's bytes
// go to --portrait-out only, never to stdout.
//
// Exit codes:
//
//	0  the chip was read and no check failed (checks that could not run,
//	   such as revocation without a CRL, are reported but do not fail)
//	1  the chip was read and a check failed, or the chip refused the key
//	   (the MRZ was misread or does not belong to this chip)
//	2  usage, unreadable zone, no trust store, no pcscd or reader, no card
//	   within --wait, or a chip that could not be read (taken away,
//	   required file unreadable)
//
// The --json keys are documented in sensors/chip/README-section.md.

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/egate/egate/sensors/chip"
	"github.com/egate/egate/sensors/chip/emrtd"
	"github.com/egate/egate/sensors/chip/pa"
	"github.com/egate/egate/sensors/chip/pcsc"
	"github.com/egate/egate/sensors/mrz"
)

func init() {
	register("doc", "read a travel document's chip through pcscd (doc read) and report every check", runDoc)
}

func docUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: egatectl doc read [--reader NAME] [--mrz-file F | --can CAN] [--trust DIR] [--portrait-out FILE] [--json]")
}

func runDoc(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		docUsage(stderr)
		fmt.Fprintln(stderr, "\nsubcommands:\n  read   read the chip of the document on the reader; egatectl doc read --help")
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	if args[0] != "read" {
		fmt.Fprintf(stderr, "egatectl doc: unknown subcommand %q\n", args[0])
		docUsage(stderr)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return runDocRead(ctx, args[1:], stdin, stdout, stderr)
}

// docFail is a read that ended early: where, and with which exit code.
type docFail struct {
	code  int
	stage string // usage, mrz, trust, reader, card, access, read, output
	err   error
}

func runDocRead(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("doc read", flag.ContinueOnError)
	fs.SetOutput(stderr)
	reader := fs.String("reader", "", "PC/SC reader `name` (exact, or a prefix); default the first reader pcscd lists")
	socket := fs.String("socket", "", "pcscd `socket`; default $PCSCLITE_CSOCK_NAME or "+pcsc.DefaultSocket)
	mrzFile := fs.String("mrz-file", "", "read the zone from `file` instead of stdin")
	can := fs.String("can", "", "use the card access `number` as PACE password instead of the MRZ (no BAC fallback, no dg1_vs_mrz)")
	trust := fs.String("trust", "", "CSCA trust store `dir` (certificates, CRLs, *.ml master lists); without it ds_signature fails")
	portraitOut := fs.String("portrait-out", "", "write the portrait (DG2 face image) to `file` (mode 0600); it is never printed")
	asJSON := fs.Bool("json", false, "print one JSON object instead of a summary")
	noPACE := fs.Bool("no-pace", false, "skip PACE and use BAC")
	wait := fs.Duration("wait", 10*time.Second, "how long to wait for a card on the reader")
	timeout := fs.Duration("timeout", 60*time.Second, "bound on the whole chip read")
	fs.Usage = func() {
		docUsage(stderr)
		fmt.Fprintln(stderr)
		fmt.Fprintln(stderr, "Reads the MRZ (2 or 3 lines, from --mrz-file or stdin) or takes --can, reads the chip through pcscd,")
		fmt.Fprintln(stderr, "and reports DG1, the access protocol, the portrait's format and size, and each PA/CA/AA check.")
		fmt.Fprintln(stderr, "Exit 0 read and no check failed, 1 a check failed or the chip refused the key,")
		fmt.Fprintln(stderr, "2 usage, unreadable zone, no reader, no card, or unreadable chip.")
		fmt.Fprintln(stderr)
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "egatectl doc read: "+format+"\n", a...)
		fs.Usage()
		return 2
	}
	switch {
	case fs.NArg() > 0:
		return usageErr("unexpected argument %q", fs.Arg(0))
	case *mrzFile != "" && *can != "":
		return usageErr("give --mrz-file or --can, not both")
	case *portraitOut == "-":
		return usageErr("--portrait-out needs a file: the portrait is never written to stdout")
	case *wait <= 0 || *timeout <= 0:
		return usageErr("--wait and --timeout must be positive")
	}

	out := docReadJSON{Checks: map[string]checkJSON{}}
	fail := func(f docFail) int {
		out.Error = &errorJSON{Stage: f.stage, Message: f.err.Error()}
		if *asJSON {
			writeDocJSON(stdout, out)
		}
		fmt.Fprintf(stderr, "egatectl doc read: %s: %v\n", f.stage, f.err)
		return f.code
	}

	// The key. A CAN is a PACE password only (ICAO 9303 Part 11 §4.4.1).
	o := emrtd.Opts{DisablePACE: *noPACE}
	if *can != "" {
		if *noPACE {
			return usageErr("--can needs PACE; drop --no-pace")
		}
		o.CAN = chip.CAN(*can)
		out.Access.Password = "CAN"
	} else {
		zone, err := readDocZone(*mrzFile, stdin)
		if err != nil {
			return fail(docFail{2, "mrz", err})
		}
		out.Printed = &printedJSON{Format: zone.Format.String(), Valid: zone.Valid(), Errors: fieldsJSON(zone.Errors)}
		if o.Key, err = emrtd.KeyFromMRZ(zone); err != nil {
			return fail(docFail{2, "mrz", fmt.Errorf("the zone gives no chip access key: %w", err)})
		}
		o.PrintedMRZ = emrtd.PrintedMRZ(zone)
		out.Access.Password = "MRZ"
	}
	if *trust != "" {
		ts, err := pa.LoadTrustStore(*trust)
		if err != nil {
			return fail(docFail{2, "trust", err})
		}
		o.Trust = ts
		out.TrustAnchors = ts.Len()
	} else {
		fmt.Fprintln(stderr, "egatectl doc read: no --trust: the document signer cannot be traced to a CSCA, so ds_signature fails")
	}

	rd, err := pcsc.Open(&pcsc.Opts{Socket: *socket, Reader: *reader})
	if err != nil {
		return fail(docFail{2, "reader", err})
	}
	defer rd.Close()
	out.Reader = rd.Name()
	wctx, wcancel := context.WithTimeout(ctx, *wait)
	err = rd.WaitCard(wctx)
	wcancel()
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("%w: nothing on %q after %v", pcsc.ErrNoCard, rd.Name(), *wait)
		}
		return fail(docFail{2, "card", err})
	}
	rctx, rcancel := context.WithTimeout(ctx, *timeout)
	defer rcancel()
	res, err := emrtd.Read(rctx, rd, o)
	if err != nil {
		if errors.Is(err, emrtd.ErrAccessDenied) {
			return fail(docFail{1, "access", err})
		}
		stage := "read"
		if errors.Is(err, emrtd.ErrAccess) {
			stage = "access"
		}
		return fail(docFail{2, stage, err})
	}
	if err := rd.Disconnect(); err != nil {
		fmt.Fprintf(stderr, "egatectl doc read: %v\n", err)
	}

	fillDocJSON(&out, res)
	if *portraitOut != "" && len(res.Faces) > 0 {
		if err := writePortrait(*portraitOut, res.Faces[0].Data); err != nil {
			return fail(docFail{2, "output", err})
		}
		out.Portrait.File = portraitOut
	}
	if *asJSON {
		writeDocJSON(stdout, out)
	} else {
		writeDocSummary(stdout, out, res)
	}
	if !out.Passed {
		return 1
	}
	return 0
}

// readDocZone reads and parses the zone; a nil zone is an error.
func readDocZone(file string, stdin io.Reader) (*mrz.MRZ, error) {
	var src io.Reader = stdin
	if file != "" {
		f, err := os.Open(file)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		src = f
	}
	m, err := readZone(src, &mrz.Options{})
	if m == nil {
		return nil, fmt.Errorf("unreadable zone: %w", err)
	}
	return m, nil
}

// writePortrait writes the face image with owner-only permissions: it is
// biometric data.
func writePortrait(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// docReadJSON is the `egatectl doc read --json` object.
type docReadJSON struct {
	Reader string     `json:"reader"`
	Access accessJSON `json:"access"`
	// Printed is the optically read zone (nil with --can).
	Printed *printedJSON `json:"printed_mrz"`
	// DG1 is the chip's zone in the `egatectl mrz --json` shape.
	DG1          *mrzJSON             `json:"dg1"`
	DataGroups   []int                `json:"data_groups"`
	Skipped      map[string]string    `json:"skipped"`
	Portrait     portraitJSON         `json:"portrait"`
	Checks       map[string]checkJSON `json:"checks"`
	Failed       []string             `json:"failed"`
	Passed       bool                 `json:"passed"`
	TrustAnchors int                  `json:"trust_anchors"`
	TimingMS     map[string]float64   `json:"timing_ms"`
	Error        *errorJSON           `json:"error"`
}

type accessJSON struct {
	Protocol string  `json:"protocol"` // "BAC", "PACE-ECDH-GM-AES-128"...
	Kind     string  `json:"kind"`     // "PACE" or "BAC"
	Password string  `json:"password"` // "MRZ" or "CAN"
	Fallback *string `json:"pace_not_used"`
}

type printedJSON struct {
	Format string      `json:"format"`
	Valid  bool        `json:"valid"`
	Errors []fieldJSON `json:"errors"`
}

type portraitJSON struct {
	Faces  int     `json:"faces"`
	Format string  `json:"format"`
	Width  int     `json:"width"`
	Height int     `json:"height"`
	Bytes  int     `json:"bytes"`
	File   *string `json:"file"`
}

type checkJSON struct {
	Status pa.Status `json:"status"`
	Reason string    `json:"reason,omitempty"`
}

type errorJSON struct {
	Stage   string `json:"stage"`
	Message string `json:"message"`
}

// fillDocJSON maps the read onto the output. Passed follows the exit code:
// no check failed, passive authentication as a whole passed.
func fillDocJSON(out *docReadJSON, res *emrtd.Result) {
	out.Access.Protocol, out.Access.Kind = res.Access, emrtd.AccessKind(res.Access)
	if res.AccessNote != "" {
		out.Access.Fallback = &res.AccessNote
	}
	if res.MRZ != nil {
		j := zoneJSON(res.MRZ, time.Now())
		out.DG1 = &j
	} else {
		j := unreadableJSON(res.MRZErr)
		out.DG1 = &j
	}
	out.DataGroups = []int{}
	for n := range res.Files {
		out.DataGroups = append(out.DataGroups, n)
	}
	sort.Ints(out.DataGroups)
	out.Skipped = map[string]string{}
	for n, why := range res.Skipped {
		out.Skipped[fmt.Sprintf("DG%d", n)] = why
	}
	out.Portrait.Faces = len(res.Faces)
	if len(res.Faces) > 0 {
		f := res.Faces[0]
		out.Portrait.Format, out.Portrait.Width, out.Portrait.Height, out.Portrait.Bytes = f.Format, f.Width, f.Height, len(f.Data)
	}
	out.Failed = []string{}
	for _, c := range orderedChecks(res) {
		out.Checks[c.Name] = checkJSON{Status: c.Status, Reason: c.Reason}
		if c.Status == pa.Fail {
			out.Failed = append(out.Failed, c.Name)
		}
	}
	out.Passed = len(out.Failed) == 0
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	out.TimingMS = map[string]float64{"access": ms(res.Timing.Access), "read": ms(res.Timing.Read), "aa": ms(res.Timing.AA), "pa": ms(res.Timing.PA)}
}

// orderedChecks lists every check in report order: passive_auth, the PA
// checks, chip_auth, active_auth, under the names of
// sensors.ChipResult.Checks.
func orderedChecks(res *emrtd.Result) []pa.Check {
	overall := pa.Check{Name: emrtd.CheckPassiveAuth, Status: pa.Pass}
	if !res.PA.Passed() {
		overall.Status = pa.Fail
		var why []string
		for _, c := range res.PA.Checks {
			if c.Status == pa.Fail {
				why = append(why, c.Name)
			}
		}
		if len(why) == 0 {
			why = append(why, "a required check did not run")
		}
		overall.Reason = strings.Join(why, ", ")
	}
	out := append([]pa.Check{overall}, res.PA.Checks...)
	out = append(out, pa.Check{Name: emrtd.CheckChipAuth, Status: res.CA.Status, Reason: res.CA.Reason},
		pa.Check{Name: emrtd.CheckActiveAuth, Status: res.AA.Status, Reason: res.AA.Reason})
	return out
}

func writeDocJSON(w io.Writer, j docReadJSON) {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	_ = enc.Encode(j)
}

// writeDocSummary prints the read for a technician at the lane.
func writeDocSummary(w io.Writer, j docReadJSON, res *emrtd.Result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k, format string, args ...any) { fmt.Fprintf(tw, "%s\t%s\n", k, fmt.Sprintf(format, args...)) }
	row("reader", "%s", j.Reader)
	row("access", "%s with the %s", j.Access.Protocol, j.Access.Password)
	if j.Access.Fallback != nil {
		row("PACE not used", "%s", *j.Access.Fallback)
	}
	if j.Printed != nil && !j.Printed.Valid {
		row("printed zone", "INVALID (%d error(s)); the chip was read with its key", len(j.Printed.Errors))
	}
	if m := res.MRZ; m != nil {
		row("DG1", "%s, valid %v", m.Format, m.Valid())
		row("document", "%s %s %s", m.DocumentCode, m.IssuingState, m.DocumentNumber)
		row("name", "%s, %s", m.PrimaryIdentifier, m.SecondaryIdentifier)
		row("nationality", "%s", m.Nationality)
		row("birth date", "%s", dateText(m.BirthDate))
		row("sex", "%s", m.Sex)
		row("expiry date", "%s", dateText(m.ExpiryDate))
	} else {
		row("DG1", "zone does not parse: %v", res.MRZErr)
	}
	dgs := make([]string, len(j.DataGroups))
	for i, n := range j.DataGroups {
		dgs[i] = fmt.Sprintf("DG%d", n)
	}
	row("data groups", "%s", strings.Join(dgs, " "))
	for _, k := range sortedKeys(j.Skipped) {
		row("  "+k+" skipped", "%s", j.Skipped[k])
	}
	p := j.Portrait
	where := "not written (use --portrait-out FILE)"
	if p.File != nil {
		where = "written to " + *p.File
	}
	if p.Faces > 0 {
		row("portrait", "%s %dx%d, %d bytes, %s", p.Format, p.Width, p.Height, p.Bytes, where)
	}
	tw.Flush()
	fmt.Fprintln(w, "checks:")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, c := range orderedChecks(res) {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", c.Name, c.Status, c.Reason)
	}
	tw.Flush()
	if j.Passed {
		fmt.Fprintln(w, "result: no check failed")
	} else {
		fmt.Fprintf(w, "result: FAILED (%s)\n", strings.Join(j.Failed, ", "))
	}
}

func sortedKeys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
