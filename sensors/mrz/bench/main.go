// Command bench compares sensors/mrz with the npm package mrz in one run
// (make mrz-bench): parse throughput on the same corpus, and correctness
// of both against the corpus labels.
//
// It starts node on npm-mrz.mjs (beside this file) with the installed
// package, asks it to parse every zone of the corpus once, judges both
// parsers against the labels, then measures throughput in interleaved
// rounds (Go, node, node, Go, ...) after a warm-up, so that both sides see
// the same machine load, and prints the median zones/s of each side and
// their ratio. Zones are identified by their corpus id; no zone line is
// ever printed.
//
//	go run ./sensors/mrz/bench -npm-prefix .cache/npm-mrz
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/egate/egate/sensors/mrz"
	"github.com/egate/egate/sensors/mrz/internal/corpus"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "mrz-bench:", err)
		os.Exit(1)
	}
}

type config struct {
	corpus, prefix, node, script string
	rounds                       int
	seconds, warmup              float64
}

func run(args []string, out io.Writer) error {
	var c config
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.StringVar(&c.corpus, "corpus", "sensors/mrz/testdata/corpus.jsonl", "corpus `file` (JSON lines)")
	fs.StringVar(&c.prefix, "npm-prefix", ".cache/npm-mrz", "npm prefix `dir` holding node_modules/mrz")
	fs.StringVar(&c.node, "node", "node", "node `command`")
	fs.StringVar(&c.script, "script", "sensors/mrz/bench/npm-mrz.mjs", "node side `script`")
	fs.IntVar(&c.rounds, "rounds", 5, "measured rounds per side")
	fs.Float64Var(&c.seconds, "seconds", 1, "`seconds` per round and side")
	fs.Float64Var(&c.warmup, "warmup", 1, "warm-up `seconds` per side (JIT), not measured")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if c.rounds < 1 || c.seconds <= 0 {
		return errors.New("-rounds must be at least 1 and -seconds positive")
	}
	zones, err := corpus.Load(c.corpus)
	if err != nil {
		return err
	}
	if len(zones) == 0 {
		return errors.New("empty corpus")
	}
	peer, err := startNode(c)
	if err != nil {
		return err
	}
	defer peer.close()

	var check npmCheck
	if err := peer.call(map[string]any{"cmd": "check"}, &check); err != nil {
		return err
	}
	if len(check.Results) != len(zones) {
		return fmt.Errorf("node reported %d zones, the corpus has %d", len(check.Results), len(zones))
	}
	ours := make([]verdict, len(zones))
	theirs := make([]verdict, len(zones))
	for i, z := range zones {
		ours[i] = oursVerdict(z)
		if check.Results[i].ID != z.ID {
			return fmt.Errorf("node result %d is for another zone", i)
		}
		theirs[i] = check.Results[i].verdict()
	}

	// Throughput: warm-up, then interleaved rounds.
	lines := make([][]string, len(zones))
	for i, z := range zones {
		lines[i] = z.Lines
	}
	goRound := func(s float64) rate { return benchGo(lines, s) }
	nodeRound := func(s float64) (rate, error) {
		var r rate
		err := peer.call(map[string]any{"cmd": "bench", "seconds": s}, &r)
		return r, err
	}
	goRound(c.warmup)
	if _, err := nodeRound(c.warmup); err != nil {
		return err
	}
	var goRates, nodeRates []float64
	for i := range c.rounds {
		var g rate
		var n rate
		if i%2 == 0 {
			g = goRound(c.seconds)
			if n, err = nodeRound(c.seconds); err != nil {
				return err
			}
		} else {
			if n, err = nodeRound(c.seconds); err != nil {
				return err
			}
			g = goRound(c.seconds)
		}
		goRates, nodeRates = append(goRates, g.perSecond()), append(nodeRates, n.perSecond())
	}
	report(out, c, zones, ours, theirs, check, goRates, nodeRates)
	return nil
}

// rate is zones parsed in an interval (the node side's JSON too).
type rate struct {
	Zones   int     `json:"zones"`
	Seconds float64 `json:"seconds"`
}

func (r rate) perSecond() float64 { return float64(r.Zones) / r.Seconds }

// sink keeps the compiler from dropping parses whose results are unused.
var sink int

// benchGo parses the whole corpus over and over for at least s seconds,
// as the node side does.
func benchGo(lines [][]string, s float64) rate {
	opts := corpus.Options()
	limit := time.Duration(s * float64(time.Second))
	n, valid := 0, 0
	start := time.Now()
	var el time.Duration
	for el < limit {
		for _, ls := range lines {
			if m, _ := mrz.Parse(ls, opts); m.Valid() {
				valid++
			}
		}
		n += len(lines)
		el = time.Since(start)
	}
	sink += valid
	return rate{Zones: n, Seconds: el.Seconds()}
}

// verdict is what one parser said about one zone, in the labels' terms.
type verdict struct {
	threw   bool   // refused the input outright (npm throws on geometry)
	format  string // "" when none was recognised
	valid   bool
	flagged []string // fields with broken rules, as corpus field names
	fields  corpus.Fields
}

func oursVerdict(z corpus.Zone) verdict {
	r := corpus.Ours(z.Lines)
	v := verdict{format: r.Format, valid: r.Valid, flagged: r.Errors}
	if r.Fields != nil {
		v.fields = *r.Fields
	}
	return v
}

type npmCheck struct {
	Version string      `json:"version"`
	Node    string      `json:"node"`
	Results []npmResult `json:"results"`
}

type npmResult struct {
	ID      string             `json:"id"`
	Threw   bool               `json:"threw"`
	Kind    string             `json:"kind"`
	Format  string             `json:"format"`
	Valid   bool               `json:"valid"`
	Invalid []string           `json:"invalid"`
	Fields  map[string]*string `json:"fields"`
}

// npmLabels maps the npm package's detail labels to corpus field names.
var npmLabels = map[string]string{
	"Document code": "document_code", "Issuing state": "issuing_state",
	"Last name": "name", "First name": "name",
	"Document number": "document_number", "Document number check digit": "document_number",
	"Nationality": "nationality", "Birth date": "birth_date", "Birth date check digit": "birth_date",
	"Sex": "sex", "Expiration date": "expiry_date", "Expiration date check digit": "expiry_date",
	"Personal number": "optional_data", "Personal number check digit": "optional_data",
	"Optional field": "optional_data", "Optional field 1": "optional_data_1", "Optional field 2": "optional_data_2",
	"Composite check digit": "composite",
}

// null stands for a field the npm package returned as null; it equals no label.
const null = "(null)"

func (r npmResult) verdict() verdict {
	if r.Threw {
		return verdict{threw: true}
	}
	v := verdict{format: r.Format, valid: r.Valid}
	for _, l := range r.Invalid {
		f, ok := npmLabels[l]
		if !ok {
			f = strings.ToLower(strings.ReplaceAll(l, " ", "_"))
		}
		if !slices.Contains(v.flagged, f) {
			v.flagged = append(v.flagged, f)
		}
	}
	get := func(k string) string {
		if p := r.Fields[k]; p != nil {
			return *p
		}
		return null
	}
	v.fields = corpus.Fields{
		DocumentCode: get("document_code"), IssuingState: get("issuing_state"),
		Surname: get("surname"), GivenNames: get("given_names"), DocumentNumber: get("document_number"),
		Nationality: get("nationality"), BirthDate: get("birth_date"), Sex: get("sex"), ExpiryDate: get("expiry_date"),
	}
	return v
}

// Outcomes of judging a verdict against the labels.
const (
	right        = "right"
	falseReject  = "rejects a valid zone"
	falseAccept  = "accepts an invalid zone"
	missedRule   = "says invalid, but misses the broken rule"
	wrongFields  = "accepts a valid zone with wrong field values"
	wrongFormat  = "accepts a valid zone as another format"
	readsGarbage = "reads an unreadable zone as a zone"
)

// judge applies the same criteria to both parsers: the verdict, the
// format, the labelled fields with errors among those flagged (extra
// flags are noted, not counted), and the values of a valid zone.
func judge(z corpus.Zone, v verdict) (outcome string, notes []string) {
	switch {
	case z.Format == "":
		if v.threw || (!v.valid && v.format == "") {
			return right, nil
		}
		return readsGarbage, []string{"read as " + orNone(v.format)}
	case v.threw:
		if z.Valid {
			return falseReject, []string{"refused the input (format not recognised)"}
		}
		return missedRule, []string{"refused the input (format not recognised)"}
	case z.Valid && !v.valid:
		n := []string{"flagged " + strings.Join(v.flagged, ", ")}
		if v.format != z.Format {
			n = append(n, "read as "+orNone(v.format))
		}
		return falseReject, n
	case z.Valid && v.format != z.Format:
		return wrongFormat, []string{"read as " + orNone(v.format)}
	case z.Valid:
		if z.Fields != nil {
			if d := z.Fields.Diff(v.fields); len(d) > 0 {
				return wrongFields, []string{"differs in " + strings.Join(d, ", ")}
			}
		}
		return right, nil
	case v.valid:
		return falseAccept, []string{"misses " + strings.Join(z.Errors, ", ")}
	}
	var missed, extra []string
	for _, f := range z.Errors {
		if !slices.Contains(v.flagged, f) {
			missed = append(missed, f)
		}
	}
	for _, f := range v.flagged {
		if !slices.Contains(z.Errors, f) {
			extra = append(extra, f)
		}
	}
	var n []string
	if len(missed) > 0 {
		n = append(n, "misses "+strings.Join(missed, ", "))
	}
	if len(extra) > 0 {
		n = append(n, "also flags "+strings.Join(extra, ", "))
	}
	if v.format != z.Format {
		n = append(n, "read as "+orNone(v.format))
	}
	if len(missed) > 0 {
		return missedRule, n
	}
	return right, n
}

func orNone(s string) string {
	if s == "" {
		return "no format"
	}
	return s
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func report(w io.Writer, c config, zones []corpus.Zone, ours, theirs []verdict, check npmCheck, goRates, nodeRates []float64) {
	byFormat := map[string]int{}
	valid := 0
	for _, z := range zones {
		byFormat[orNone(z.Format)]++
		if z.Valid {
			valid++
		}
	}
	var kinds []string
	for _, f := range []string{"TD1", "TD2", "TD3", "MRVA", "MRVB", "no format"} {
		kinds = append(kinds, fmt.Sprintf("%s %d", f, byFormat[f]))
	}
	goName := "egate sensors/mrz (" + runtime.Version() + ")"
	npmName := "npm mrz " + check.Version + " (node " + check.Node + ")"
	fmt.Fprintf(w, "mrz-bench: %d zones from %s: %s; %d valid, %d invalid\n",
		len(zones), c.corpus, strings.Join(kinds, ", "), valid, len(zones)-valid)
	fmt.Fprintf(w, "mrz-bench: %d interleaved rounds of %.1f s per side after %.1f s of warm-up; one goroutine, one node thread\n\n",
		c.rounds, c.seconds, c.warmup)
	gm, nm := median(goRates), median(nodeRates)
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "parser\tzones/s (median)\tmin\tmax\t\n")
	fmt.Fprintf(tw, "%s\t%.0f\t%.0f\t%.0f\t\n", goName, gm, slices.Min(goRates), slices.Max(goRates))
	fmt.Fprintf(tw, "%s\t%.0f\t%.0f\t%.0f\t\n", npmName, nm, slices.Min(nodeRates), slices.Max(nodeRates))
	tw.Flush()
	fmt.Fprintf(w, "ratio egate/npm: %.1fx\n\n", gm/nm)

	type miss struct{ id, outcome, notes string }
	tally := func(vs []verdict) (ok int, misses []miss) {
		for i, z := range zones {
			o, n := judge(z, vs[i])
			if o == right {
				ok++
				continue
			}
			misses = append(misses, miss{z.ID, o, strings.Join(n, "; ")})
		}
		return ok, misses
	}
	goOK, goMiss := tally(ours)
	npmOK, npmMiss := tally(theirs)
	fmt.Fprintf(w, "correctness against the corpus labels (verdict, format, the broken rule, field values):\n")
	fmt.Fprintf(w, "  %s: %d/%d right\n", goName, goOK, len(zones))
	fmt.Fprintf(w, "  %s: %d/%d right\n", npmName, npmOK, len(zones))
	for _, side := range []struct {
		name   string
		misses []miss
	}{{goName, goMiss}, {npmName, npmMiss}} {
		if len(side.misses) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s gets %d zones wrong:\n", side.name, len(side.misses))
		tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
		for _, o := range []string{falseReject, wrongFormat, wrongFields, falseAccept, missedRule, readsGarbage} {
			for _, m := range side.misses {
				if m.outcome == o {
					fmt.Fprintf(tw, "  %s\t%s\t%s\n", m.id, m.outcome, m.notes)
				}
			}
		}
		tw.Flush()
	}
	// Causes of npm's false rejects, by the field it flagged.
	causes := map[string]int{}
	for i, z := range zones {
		if o, _ := judge(z, theirs[i]); o == falseReject {
			for _, f := range theirs[i].flagged {
				causes[f]++
			}
		}
	}
	if len(causes) > 0 {
		var cs []string
		for f, n := range causes {
			cs = append(cs, fmt.Sprintf("%s %d", f, n))
		}
		sort.Strings(cs)
		fmt.Fprintf(w, "\nnpm false rejects by flagged field: %s\n", strings.Join(cs, ", "))
	}
	fmt.Fprintf(w, "\nmrz-bench: result go_zones_per_s=%.0f npm_zones_per_s=%.0f ratio=%.2f zones=%d go_right=%d npm_right=%d\n",
		gm, nm, gm/nm, len(zones), goOK, npmOK)
}

// peer is the node process, spoken to in JSON lines.
type peer struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Reader
}

func startNode(c config) (*peer, error) {
	if _, err := os.Stat(c.prefix + "/node_modules/mrz/package.json"); err != nil {
		return nil, fmt.Errorf("npm package mrz not installed under %s (make mrz-bench installs it): %w", c.prefix, err)
	}
	cmd := exec.Command(c.node, c.script, c.prefix, c.corpus)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", c.node, err)
	}
	return &peer{cmd: cmd, in: in, out: bufio.NewReaderSize(out, 1<<20)}, nil
}

func (p *peer) call(req any, resp any) error {
	b, err := json.Marshal(req)
	if err != nil {
		return err
	}
	if _, err := p.in.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("node: %w", err)
	}
	line, err := p.out.ReadBytes('\n')
	if err != nil {
		return fmt.Errorf("node: no answer: %w", err)
	}
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(line, &e) == nil && e.Error != "" {
		return fmt.Errorf("node: %s", e.Error)
	}
	return json.Unmarshal(line, resp)
}

func (p *peer) close() {
	p.in.Close()
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		p.cmd.Process.Kill()
		<-done
	}
}
