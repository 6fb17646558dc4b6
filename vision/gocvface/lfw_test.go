package gocvface

import (
	"bufio"
	"errors"
	"flag"
	"image"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"github.com/egate/egate/vision"
	"github.com/egate/egate/vision/internal/visiontest"
	"github.com/egate/egate/vision/models"
)

// The LFW dev set lives in ../shared/testdata/faces (read in place, never
// copied). By default the tests use a sample; -lfw.full runs everything
// and prints the calibration and detector tables used in the README.
var lfwFull = flag.Bool("lfw.full", false, "run the LFW tests on the whole dev set")

type pair struct {
	a, b string
	same bool
}

func lfw(t testing.TB) (dir string, pairs []pair) {
	t.Helper()
	dir = filepath.Join(visiontest.SharedDir(t), "faces")
	f, err := os.Open(filepath.Join(dir, "pairs.tsv"))
	if err != nil {
		t.Skipf("LFW dev set absent: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		c := strings.Split(sc.Text(), "\t")
		if len(c) < 3 {
			continue
		}
		pairs = append(pairs, pair{c[0], c[1], c[2] == "1"})
	}
	return dir, pairs
}

func openPipeline(t testing.TB, cfg Config) *Pipeline {
	t.Helper()
	cfg.ModelDir = filepath.Join(visiontest.RepoRoot(t), ".cache", "models")
	for _, name := range []string{models.FaceRecognitionONNX, models.Landmark68ONNX, models.TinyFace416ONNX} {
		visiontest.Model(t, name) // skips when not built
	}
	p, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func readImage(t testing.TB, path string) gocv.Mat {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := DecodeImage(b)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

// describeAll computes one descriptor per image (nil when no usable face).
func describeAll(t *testing.T, p *Pipeline, dir string, names []string, g Gates) map[string][]float32 {
	out := map[string][]float32{}
	for _, n := range names {
		if _, ok := out[n]; ok {
			continue
		}
		m := readImage(t, filepath.Join(dir, n))
		f, err := p.Analyze(m, g)
		m.Close()
		switch {
		case err == nil:
			out[n] = f.Descriptor
		case errors.Is(err, vision.ErrNoUsableFace):
			out[n] = nil
		default:
			t.Fatalf("%s: %v", n, err)
		}
	}
	return out
}

func TestLFWPairs(t *testing.T) {
	dir, pairs := lfw(t)
	cfg := DefaultConfig()
	if d := os.Getenv("EGATE_DETECTOR"); d != "" {
		cfg.Detector = d
	}
	cfg.TinyLandmarks = os.Getenv("EGATE_TINY_LANDMARKS") != ""
	cfg.FlipAverage = os.Getenv("EGATE_FLIP") != ""
	p := openPipeline(t, cfg)
	defer p.Close()
	if testing.Short() {
		t.Skip("-short: LFW pairs skipped")
	}
	step := 32
	if *lfwFull {
		step = 1
	}
	var sample []pair
	var names []string
	for i := 0; i < len(pairs); i += step {
		sample = append(sample, pairs[i])
		names = append(names, pairs[i].a, pairs[i].b)
	}
	start := time.Now()
	desc := describeAll(t, p, dir, names, Gates{})
	t.Logf("%d images analysed in %v (%.0f ms/image)", len(desc), time.Since(start),
		float64(time.Since(start).Milliseconds())/float64(len(desc)))

	var gen, imp []float64
	noFace, noFaceGenuine := 0, 0
	for _, pr := range sample {
		da, db := desc[pr.a], desc[pr.b]
		d := math.Inf(1)
		if da == nil || db == nil {
			noFace++
			if pr.same {
				noFaceGenuine++
			}
		} else {
			d = distance(da, db)
		}
		if pr.same {
			gen = append(gen, d)
		} else {
			imp = append(imp, d)
		}
	}
	correct := 0
	for _, d := range gen {
		if d <= 0.6 {
			correct++
		}
	}
	for _, d := range imp {
		if d > 0.6 {
			correct++
		}
	}
	acc := float64(correct) / float64(len(sample))
	failed := 0
	for _, d := range desc {
		if d == nil {
			failed++
		}
	}
	t.Logf("%d pairs (%d genuine, %d impostor), %d without a usable face (%d genuine; %d images failed); accuracy at 0.6: %.4f; median genuine %.3f, median impostor %.3f",
		len(sample), len(gen), len(imp), noFace, noFaceGenuine, failed, acc, median(gen), median(imp))
	for _, pt := range vision.DET(gen, imp, []float64{0.01, 0.001, 0.0001}) {
		t.Logf("pairs.tsv: FMR<=%-6g threshold %.4f  FNMR %.4f (%d/%d)  FMR %.4f (%d/%d) resolved=%v",
			pt.TargetFMR, pt.Threshold, pt.FNMR, pt.FalseReject, pt.Genuine, pt.FMR, pt.FalseMatch, pt.Impostors, pt.Resolved)
	}
	if acc < 0.95 {
		t.Errorf("accuracy %.3f on LFW pairs, want >= 0.95", acc)
	}

	if !*lfwFull {
		return
	}
	// All cross-identity pairs as impostors, all same-identity pairs as
	// genuine: enough impostors to resolve FMR 0.01%.
	var all []string
	for n := range desc {
		all = append(all, n)
	}
	sort.Strings(all)
	gen, imp = nil, nil
	for i := range all {
		for j := i + 1; j < len(all); j++ {
			da, db := desc[all[i]], desc[all[j]]
			d := math.Inf(1)
			if da != nil && db != nil {
				d = distance(da, db)
			}
			if filepath.Dir(all[i]) == filepath.Dir(all[j]) {
				gen = append(gen, d)
			} else {
				imp = append(imp, d)
			}
		}
	}
	for _, pt := range vision.DET(gen, imp, []float64{0.01, 0.001, 0.0001}) {
		t.Logf("all pairs: FMR<=%-6g threshold %.4f  FNMR %.4f (%d/%d)  FMR %.5f (%d/%d) resolved=%v",
			pt.TargetFMR, pt.Threshold, pt.FNMR, pt.FalseReject, pt.Genuine, pt.FMR, pt.FalseMatch, pt.Impostors, pt.Resolved)
	}
}

func distance(a, b []float32) float64 {
	var s float64
	for i := range a {
		d := float64(a[i]) - float64(b[i])
		s += d * d
	}
	return math.Sqrt(s)
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	c := append([]float64(nil), v...)
	sort.Float64s(c)
	return c[len(c)/2]
}

// TestDetectorsLFW compares the detectors on LFW images placed in a
// 640x480 grey frame (the gate camera's size): a hit is a box whose centre
// is within 30 px of the LFW face's centre; other boxes are counted as
// extra (LFW pictures do show other people at times).
func TestDetectorsLFW(t *testing.T) {
	dir, pairs := lfw(t)
	var names []string
	seen := map[string]bool{}
	for _, pr := range pairs {
		for _, n := range []string{pr.a, pr.b} {
			if !seen[n] {
				seen[n] = true
				names = append(names, n)
			}
		}
	}
	sort.Strings(names)
	if testing.Short() {
		t.Skip("-short: LFW detector comparison skipped")
	}
	step := 40
	if *lfwFull {
		step = 1
	}
	var sample []string
	for i := 0; i < len(names); i += step {
		sample = append(sample, names[i])
	}
	frames := make([]gocv.Mat, len(sample))
	for i, n := range sample {
		img := readImage(t, filepath.Join(dir, n))
		frames[i] = gocv.NewMatWithSizeFromScalar(gocv.NewScalar(128, 128, 128, 0), 480, 640, gocv.MatTypeCV8UC3)
		roi := frames[i].Region(image.Rect(195, 115, 195+250, 115+250))
		img.CopyTo(&roi)
		roi.Close()
		img.Close()
	}
	defer func() {
		for _, f := range frames {
			f.Close()
		}
	}()
	root := filepath.Join(visiontest.RepoRoot(t), ".cache", "models")
	type named struct {
		name string
		open func() (Detector, error)
	}
	dets := []named{
		{"tinyface416", func() (Detector, error) {
			return LoadTinyFace(filepath.Join(root, models.TinyFace416ONNX), models.ONNXSum(models.TinyFace416ONNX), 416)
		}},
		{"tinyface320", func() (Detector, error) {
			return LoadTinyFace(filepath.Join(root, models.TinyFace320ONNX), models.ONNXSum(models.TinyFace320ONNX), 320)
		}},
	}
	for _, path := range []string{DefaultHaarCascade,
		"/usr/share/opencv4/haarcascades/haarcascade_frontalface_alt2.xml",
		"/usr/share/opencv4/lbpcascades/lbpcascade_frontalface_improved.xml"} {
		dets = append(dets, named{filepath.Base(path), func() (Detector, error) { return LoadCascade(path, CascadeSums[path]) }})
	}
	for _, nd := range dets {
		d, err := nd.open()
		if errors.Is(err, vision.ErrModelMissing) || errors.Is(err, os.ErrNotExist) {
			t.Logf("%s: skipped: %v", nd.name, err)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		hit, none, extra := 0, 0, 0
		var times []time.Duration
		for _, f := range frames {
			start := time.Now()
			found, err := d.Detect(f)
			times = append(times, time.Since(start))
			if err != nil {
				t.Fatal(err)
			}
			if len(found) == 0 {
				none++
			}
			got := false
			for _, f := range found {
				c := f.Box.Center()
				if !got && math.Hypot(c.X-320, c.Y-240) < 30 {
					got = true
				} else {
					extra++
				}
			}
			if got {
				hit++
			}
		}
		d.Close()
		sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
		t.Logf("%-38s hit %4d/%d (%.1f%%)  none %3d  extra boxes %3d  median %6.1f ms  p95 %6.1f ms",
			nd.name, hit, len(frames), 100*float64(hit)/float64(len(frames)), none, extra,
			ms(times[len(times)/2]), ms(times[len(times)*95/100]))
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
