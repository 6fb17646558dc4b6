package main

// egatectl face: offline face comparison and threshold calibration with
// the gate's own pipeline (vision/gocvface).
//
//	egatectl face compare A B [--json]
//	egatectl face compare --pairs FILE --root DIR [--json]
//	egatectl face calibrate --pairs FILE --root DIR [--plot FILE.png] [--impostors all]
//
// The --json output of compare is a contract other tools rely on:
//
//	compare A B --json: one object {"score", "match", "threshold", "quality"}
//	  score: descriptor distance (smaller is more alike), null when either
//	  image has no usable face; match: score <= threshold; quality: {"a": ...,
//	  "b": ...} measurements of each image (vision.Quality); "error" is
//	  added when there is no usable face.
//	compare --pairs FILE --root DIR --json: one line per pair
//	  {"img_a", "img_b", "score", "match", "error"}; error is null, or says
//	  why a pair has no score (no usable face, unreadable image), and such a
//	  pair is a non-match. The TSV has a header line; columns img_a, img_b,
//	  any further column is ignored; paths are relative to --root.
//
// Exit codes: compare A B: 0 match, 1 no match or no usable face, 2 usage,
// unreadable input or models missing. compare --pairs: 0 every line
// answered (matches or not), 2 usage, unreadable pairs file or models
// missing. calibrate: 0 the threshold in use meets FMR <= 0.1% on the set,
// 1 it does not, 2 usage or unreadable input.
//
// No face image or descriptor is written anywhere; descriptors stay in
// memory for the length of the run.

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/egate/egate/vision"
	"github.com/egate/egate/vision/facenet"
	"github.com/egate/egate/vision/gocvface"
)

func init() {
	register("face", "compare face images and calibrate the match threshold (compare, calibrate)", runFace)
}

func runFace(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		faceUsage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	switch args[0] {
	case "compare":
		return runFaceCompare(args[1:], stdout, stderr)
	case "calibrate":
		return runFaceCalibrate(args[1:], stdout, stderr)
	default:
		fmt.Fprintf(stderr, "egatectl face: unknown subcommand %q\n\n", args[0])
		faceUsage(stderr)
		return 2
	}
}

func faceUsage(w io.Writer) {
	fmt.Fprintln(w, "usage:")
	fmt.Fprintln(w, "  egatectl face compare A B [--json] [--models DIR] [--threshold T]")
	fmt.Fprintln(w, "  egatectl face compare --pairs FILE --root DIR [--json] [--models DIR] [--threshold T]")
	fmt.Fprintln(w, "  egatectl face calibrate --pairs FILE --root DIR [--plot FILE.png] [--impostors all] [--models DIR] [--threshold T]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "compare exits 0 match, 1 no match or no usable face, 2 usage, unreadable input or models missing;")
	fmt.Fprintln(w, "with --pairs, 0 once every pair is answered. calibrate exits 1 when the threshold misses FMR <= 0.1%.")
}

// faceFlags are the flags common to compare and calibrate.
type faceFlags struct {
	models    string
	threshold float64
	detector  string
	pairs     string
	root      string
}

func (f *faceFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.models, "models", gocvface.DefaultConfig().ModelDir, "directory of the converted models (`make models`)")
	fs.Float64Var(&f.threshold, "threshold", gocvface.DefaultThreshold, "match when the descriptor distance is at most this")
	fs.StringVar(&f.detector, "detector", gocvface.DetectorTinyFace416, "face detector: tinyface416, tinyface320 or haar")
	fs.StringVar(&f.pairs, "pairs", "", "TSV of image pairs (header line; columns img_a, img_b[, same])")
	fs.StringVar(&f.root, "root", "", "directory the pair paths are relative to")
}

// parseInterleaved parses flags placed before or after the positional
// arguments (egatectl face compare A B --json).
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// openFace loads the pipeline; errors are reported on stderr.
func openFace(f faceFlags, stderr io.Writer, name string) *gocvface.Pipeline {
	cfg := gocvface.DefaultConfig()
	cfg.ModelDir, cfg.Threshold, cfg.Detector = f.models, f.threshold, f.detector
	p, err := gocvface.Open(cfg)
	if err != nil {
		hint := ""
		if errors.Is(err, vision.ErrModelMissing) {
			hint = " (run `make models`, or give --models)"
		}
		fmt.Fprintf(stderr, "egatectl face %s: %v%s\n", name, err, hint)
		return nil
	}
	return p
}

// describer computes descriptors once per image path. The offline tools
// apply no quality gates: a detected face is a usable face, as in the
// calibration of the threshold.
type describer struct {
	p     *gocvface.Pipeline
	cache map[string]described
}

type described struct {
	desc    []float32
	quality vision.Quality
	err     error
	bad     bool // unreadable file or image, not just no face
}

func (d *describer) describe(path string) described {
	if r, ok := d.cache[path]; ok {
		return r
	}
	var r described
	b, err := readLimited(path)
	if err != nil {
		r.err, r.bad = err, true
	} else {
		f, err := d.p.AnalyzeEncoded(b, gocvface.Gates{})
		switch {
		case err == nil:
			r.desc, r.quality = f.Descriptor, f.Quality
		case errors.Is(err, vision.ErrNoUsableFace):
			r.quality, r.err = f.Quality, errors.New("no usable face")
		case errors.Is(err, vision.ErrBadImage):
			r.err, r.bad = err, true
		default:
			r.err = err
		}
	}
	if d.cache != nil {
		d.cache[path] = r
	}
	return r
}

func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, gocvface.MaxEncodedBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > gocvface.MaxEncodedBytes {
		return nil, fmt.Errorf("%s: %w: larger than %d bytes", path, vision.ErrBadImage, gocvface.MaxEncodedBytes)
	}
	return b, nil
}

type compareJSON struct {
	Score     *float64                  `json:"score"`
	Match     bool                      `json:"match"`
	Threshold float64                   `json:"threshold"`
	Quality   map[string]vision.Quality `json:"quality"`
	Error     string                    `json:"error,omitempty"`
}

type pairJSON struct {
	ImgA  string   `json:"img_a"`
	ImgB  string   `json:"img_b"`
	Score *float64 `json:"score"`
	Match bool     `json:"match"`
	Error *string  `json:"error"`
}

func runFaceCompare(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("face compare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var ff faceFlags
	ff.register(fs)
	asJSON := fs.Bool("json", false, "print JSON (the documented contract)")
	fs.Usage = func() { faceUsage(stderr); fmt.Fprintln(stderr); fs.PrintDefaults() }
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	switch {
	case ff.pairs != "" && len(pos) > 0:
		fmt.Fprintln(stderr, "egatectl face compare: give two images or --pairs, not both")
		return 2
	case ff.pairs == "" && len(pos) != 2:
		fmt.Fprintln(stderr, "egatectl face compare: want two images (or --pairs FILE --root DIR)")
		fs.Usage()
		return 2
	case ff.pairs == "" && ff.root != "":
		fmt.Fprintln(stderr, "egatectl face compare: --root goes with --pairs")
		return 2
	case !(ff.threshold > 0):
		fmt.Fprintln(stderr, "egatectl face compare: --threshold must be positive")
		return 2
	}
	if ff.pairs != "" {
		return comparePairs(ff, *asJSON, stdout, stderr)
	}
	// Check the inputs before the models load.
	for _, p := range pos {
		if _, err := os.Stat(p); err != nil {
			fmt.Fprintf(stderr, "egatectl face compare: %v\n", err)
			return 2
		}
	}
	p := openFace(ff, stderr, "compare")
	if p == nil {
		return 2
	}
	defer p.Close()
	d := &describer{p: p}
	a, b := d.describe(pos[0]), d.describe(pos[1])
	for i, r := range []described{a, b} {
		if r.bad {
			fmt.Fprintf(stderr, "egatectl face compare: %s: %v\n", pos[i], r.err)
			return 2
		}
	}
	out := compareJSON{Threshold: ff.threshold, Quality: map[string]vision.Quality{"a": a.quality, "b": b.quality}}
	var errs []string
	for i, r := range []described{a, b} {
		if r.err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", []string{"a", "b"}[i], r.err))
		}
	}
	if len(errs) == 0 {
		s := facenet.Distance(a.desc, b.desc)
		out.Score, out.Match = &s, s <= ff.threshold
	} else {
		out.Error = strings.Join(errs, "; ")
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(out)
	} else {
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		if out.Score != nil {
			fmt.Fprintf(tw, "score\t%.4f\t(threshold %.4f)\n", *out.Score, out.Threshold)
		} else {
			fmt.Fprintf(tw, "score\t-\t%s\n", out.Error)
		}
		fmt.Fprintf(tw, "match\t%v\n", out.Match)
		for i, r := range []described{a, b} {
			q := r.quality
			fmt.Fprintf(tw, "%s\tfaces %d, eyes %.0f px apart, yaw %.0f°, roll %.0f°, sharpness %.0f, brightness %.0f\t%s\n",
				[]string{"a", "b"}[i], q.Faces, q.FaceSize, q.Yaw, q.Roll, q.Sharpness, q.Brightness, pos[i])
		}
		tw.Flush()
	}
	if !out.Match {
		return 1
	}
	return 0
}

// readPairs reads a pairs TSV: a header line, then img_a, img_b and
// optional further columns (the third, when present, is "same": 1 or 0).
type pairLine struct {
	a, b    string
	same    bool
	hasSame bool
}

func readPairs(path string) ([]pairLine, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	if !sc.Scan() {
		if err := sc.Err(); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%s: empty (want a header line img_a<TAB>img_b)", path)
	}
	head := strings.Split(strings.TrimRight(sc.Text(), "\r"), "\t")
	if len(head) < 2 || strings.TrimSpace(head[0]) != "img_a" || strings.TrimSpace(head[1]) != "img_b" {
		return nil, fmt.Errorf("%s: header %q: want img_a<TAB>img_b", path, sc.Text())
	}
	var out []pairLine
	for n := 2; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		c := strings.Split(line, "\t")
		if len(c) < 2 || c[0] == "" || c[1] == "" {
			return nil, fmt.Errorf("%s:%d: want img_a<TAB>img_b", path, n)
		}
		pl := pairLine{a: c[0], b: c[1]}
		if len(c) >= 3 {
			switch strings.TrimSpace(c[2]) {
			case "1", "true", "same":
				pl.same, pl.hasSame = true, true
			case "0", "false", "different":
				pl.hasSame = true
			}
		}
		out = append(out, pl)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

func comparePairs(ff faceFlags, asJSON bool, stdout, stderr io.Writer) int {
	if ff.root == "" {
		ff.root = filepath.Dir(ff.pairs)
	}
	pairs, err := readPairs(ff.pairs)
	if err != nil {
		fmt.Fprintf(stderr, "egatectl face compare: %v\n", err)
		return 2
	}
	p := openFace(ff, stderr, "compare")
	if p == nil {
		return 2
	}
	defer p.Close()
	d := &describer{p: p, cache: map[string]described{}}
	bw := bufio.NewWriter(stdout)
	defer bw.Flush()
	enc := json.NewEncoder(bw)
	for _, pr := range pairs {
		a, b := d.describe(filepath.Join(ff.root, pr.a)), d.describe(filepath.Join(ff.root, pr.b))
		out := pairJSON{ImgA: pr.a, ImgB: pr.b}
		var errs []string
		if a.err != nil {
			errs = append(errs, "img_a: "+a.err.Error())
		}
		if b.err != nil {
			errs = append(errs, "img_b: "+b.err.Error())
		}
		if len(errs) == 0 {
			s := facenet.Distance(a.desc, b.desc)
			out.Score, out.Match = &s, s <= ff.threshold
		} else {
			e := strings.Join(errs, "; ")
			out.Error = &e
		}
		if asJSON {
			_ = enc.Encode(out)
		} else if out.Score != nil {
			fmt.Fprintf(bw, "%s\t%s\t%.4f\t%v\n", pr.a, pr.b, *out.Score, out.Match)
		} else {
			fmt.Fprintf(bw, "%s\t%s\t-\tfalse\t%s\n", pr.a, pr.b, *out.Error)
		}
	}
	return 0
}

// DET targets reported by calibrate.
var calibrateTargets = []float64{0.01, 0.001, 0.0001}

func runFaceCalibrate(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("face calibrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var ff faceFlags
	ff.register(fs)
	plot := fs.String("plot", "", "write the DET curve to this PNG file")
	impostors := fs.String("impostors", "pairs", "impostor comparisons: pairs (the file's different-person pairs) or all (every cross-identity pair of the file's images; identity = first directory)")
	asJSON := fs.Bool("json", false, "print the DET points as JSON")
	fs.Usage = func() { faceUsage(stderr); fmt.Fprintln(stderr); fs.PrintDefaults() }
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if len(pos) > 0 || ff.pairs == "" {
		fmt.Fprintln(stderr, "egatectl face calibrate: want --pairs FILE --root DIR")
		return 2
	}
	if *impostors != "pairs" && *impostors != "all" {
		fmt.Fprintf(stderr, "egatectl face calibrate: --impostors %q: want pairs or all\n", *impostors)
		return 2
	}
	if ff.root == "" {
		ff.root = filepath.Dir(ff.pairs)
	}
	pairs, err := readPairs(ff.pairs)
	if err != nil {
		fmt.Fprintf(stderr, "egatectl face calibrate: %v\n", err)
		return 2
	}
	for i, pr := range pairs {
		if !pr.hasSame {
			fmt.Fprintf(stderr, "egatectl face calibrate: %s: pair %d has no same column (1 or 0)\n", ff.pairs, i+1)
			return 2
		}
	}
	if *plot != "" {
		if st, err := os.Stat(filepath.Dir(*plot)); err != nil || !st.IsDir() {
			fmt.Fprintf(stderr, "egatectl face calibrate: --plot %s: no such directory\n", *plot)
			return 2
		}
	}
	p := openFace(ff, stderr, "calibrate")
	if p == nil {
		return 2
	}
	defer p.Close()
	d := &describer{p: p, cache: map[string]described{}}
	var images []string
	seen := map[string]bool{}
	for _, pr := range pairs {
		for _, n := range []string{pr.a, pr.b} {
			if !seen[n] {
				seen[n] = true
				images = append(images, n)
			}
		}
	}
	start := time.Now()
	failed, unreadable := 0, 0
	for i, n := range images {
		r := d.describe(filepath.Join(ff.root, n))
		if r.err != nil {
			failed++
			if r.bad {
				unreadable++
			}
		}
		if (i+1)%200 == 0 {
			fmt.Fprintf(stderr, "%d/%d images (%.0f s)\n", i+1, len(images), time.Since(start).Seconds())
		}
	}
	if unreadable == len(images) {
		fmt.Fprintf(stderr, "egatectl face calibrate: no image under %s could be read\n", ff.root)
		return 2
	}
	dist := func(a, b string) float64 {
		ra, rb := d.describe(filepath.Join(ff.root, a)), d.describe(filepath.Join(ff.root, b))
		if ra.err != nil || rb.err != nil {
			return math.Inf(1) // no usable face: a non-match
		}
		return facenet.Distance(ra.desc, rb.desc)
	}
	var gen, imp []float64
	if *impostors == "pairs" {
		for _, pr := range pairs {
			if pr.same {
				gen = append(gen, dist(pr.a, pr.b))
			} else {
				imp = append(imp, dist(pr.a, pr.b))
			}
		}
	} else {
		identity := func(n string) string { return strings.SplitN(filepath.ToSlash(n), "/", 2)[0] }
		for i := range images {
			for j := i + 1; j < len(images); j++ {
				if identity(images[i]) == identity(images[j]) {
					gen = append(gen, dist(images[i], images[j]))
				} else {
					imp = append(imp, dist(images[i], images[j]))
				}
			}
		}
	}
	pts := vision.DET(gen, imp, calibrateTargets)
	cur := operatingPoint(gen, imp, ff.threshold)
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(map[string]any{"images": len(images), "no_usable_face": failed, "impostors_mode": *impostors,
			"det": pts, "threshold": cur})
	} else {
		fmt.Fprintf(stdout, "%d images (%d without a usable face) in %.0f s; %d genuine and %d impostor comparisons (impostors: %s)\n\n",
			len(images), failed, time.Since(start).Seconds(), len(gen), len(imp), *impostors)
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "target FMR\tthreshold\tFNMR\tfalse non-matches\tFMR measured\tfalse matches\tresolved\t")
		for _, pt := range append(pts, cur) {
			target := percent(pt.TargetFMR)
			if pt.TargetFMR == 0 {
				target = "in use"
			}
			fmt.Fprintf(tw, "%s\t%.4f\t%.2f%%\t%d/%d\t%.4f%%\t%d/%d\t%v\t\n", target, pt.Threshold, 100*pt.FNMR,
				pt.FalseReject, pt.Genuine, 100*pt.FMR, pt.FalseMatch, pt.Impostors, pt.Resolved)
		}
		tw.Flush()
		fmt.Fprintln(stdout, "\nresolved: at least 3/FMR impostor comparisons (rule of 3); failed comparisons count as non-matches.")
	}
	if *plot != "" {
		if err := writePlot(*plot, gen, imp, append(pts, cur)); err != nil {
			fmt.Fprintf(stderr, "egatectl face calibrate: %v\n", err)
			return 2
		}
		fmt.Fprintf(stderr, "DET plot written to %s\n", *plot)
	}
	if cur.FMR > 0.001 {
		fmt.Fprintf(stderr, "egatectl face calibrate: threshold %.4f gives FMR %.4f%% > 0.1%% on this set\n", ff.threshold, 100*cur.FMR)
		return 1
	}
	return 0
}

// operatingPoint is the DET point of a fixed threshold (TargetFMR 0).
func operatingPoint(gen, imp []float64, threshold float64) vision.DETPoint {
	pt := vision.DETPoint{Threshold: threshold, Genuine: len(gen), Impostors: len(imp), Resolved: len(imp) >= 3000}
	for _, d := range gen {
		if d > threshold {
			pt.FalseReject++
		}
	}
	for _, d := range imp {
		if d <= threshold {
			pt.FalseMatch++
		}
	}
	if len(gen) > 0 {
		pt.FNMR = float64(pt.FalseReject) / float64(len(gen))
	}
	if len(imp) > 0 {
		pt.FMR = float64(pt.FalseMatch) / float64(len(imp))
	}
	return pt
}

func writePlot(path string, gen, imp []float64, marks []vision.DETPoint) error {
	img := vision.PlotDET(gen, imp, marks)
	tmp, err := os.CreateTemp(filepath.Dir(path), ".det-*.png")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := png.Encode(tmp, img); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func percent(v float64) string {
	s := fmt.Sprintf("%g%%", 100*v)
	return s
}
