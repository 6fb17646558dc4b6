// Command vision-bench measures the face pipeline per 640x480 frame and
// prints a table: model load time, detection, landmarks, descriptor, the
// whole frame, one gate verification, and the process's resident memory
// with the models loaded. `make vision-bench` runs it (part of `make
// bench`).
//
//	vision-bench [-models DIR] [-image FILE] [-n RUNS]
//
// The frame is a face picture placed in the middle of a grey 640x480
// frame at 1.8x (eyes about 75 px apart): by default the first face of
// the stock photographs `make models` installs, or -image. Nothing is
// written.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"sort"
	"strings"
	"time"

	"gocv.io/x/gocv"

	"github.com/egate/egate/vision/gocvface"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "vision-bench:", err)
		os.Exit(1)
	}
}

func run() error {
	models := flag.String("models", gocvface.DefaultConfig().ModelDir, "directory of the converted models")
	imagePath := flag.String("image", "", "face picture to use (default: the first face of "+gocvface.DefaultCastDir+")")
	castDir := flag.String("cast", gocvface.DefaultCastDir, "stock photographs to take the default face from")
	n := flag.Int("n", 100, "runs per step")
	loads := flag.Int("loads", 10, "model loads to time")
	flag.Parse()
	if *n < 2 || *loads < 1 {
		return errors.New("-n must be at least 2 and -loads at least 1")
	}
	rssStart := rss()
	cfg := gocvface.DefaultConfig()
	cfg.ModelDir = *models

	// Memory first, in a fresh process: the timed loads below leave
	// freed heap that malloc keeps.
	p, err := gocvface.Open(cfg)
	if err != nil {
		return fmt.Errorf("%w (run `make models`)", err)
	}
	defer p.Close()
	rssLoaded := rss()

	var src gocv.Mat
	var portrait []byte
	if *imagePath != "" {
		b, err := os.ReadFile(*imagePath)
		if err != nil {
			return err
		}
		if src, err = gocvface.DecodeImage(b); err != nil {
			return err
		}
		portrait = b
	} else {
		cast, err := gocvface.NewCast(p, *castDir)
		if err != nil {
			return err
		}
		portrait = cast.Portrait(0)
		if src, err = gocvface.DecodeImage(portrait); err != nil {
			return err
		}
	}
	defer src.Close()
	frame, err := gocvface.Place(src, 640, 480, gocvface.Placement{Scale: 1.8})
	if err != nil {
		return err
	}
	defer frame.Close()
	dets, err := p.Detect(frame)
	if err != nil || len(dets) == 0 {
		return fmt.Errorf("no face in the benchmark frame (%v)", err)
	}
	lm, err := p.Landmarks(frame, dets[0].Box)
	if err != nil {
		return err
	}
	if _, err := p.Analyze(frame, gocvface.Gates{}); err != nil {
		return err
	}
	rssWarm := rss()
	chip := make([]byte, 150*150*3)

	var loadTimes []time.Duration
	for i := 0; i < *loads; i++ {
		start := time.Now()
		lp, err := gocvface.Open(cfg)
		if err != nil {
			return err
		}
		loadTimes = append(loadTimes, time.Since(start))
		lp.Close()
	}

	type row struct {
		name     string
		p50, p95 float64
	}
	var rows []row
	timeIt := func(name string, runs int, fn func() error) error {
		ts := make([]time.Duration, 0, runs)
		for i := 0; i < runs; i++ {
			start := time.Now()
			if err := fn(); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			ts = append(ts, time.Since(start))
		}
		p50, p95 := pct(ts)
		rows = append(rows, row{name, p50, p95})
		return nil
	}
	lp50, lp95 := pct(loadTimes)
	rows = append(rows, row{fmt.Sprintf("model load, all default nets (%d loads)", *loads), lp50, lp95})
	steps := []struct {
		name string
		fn   func() error
	}{
		{"detection (" + cfg.Detector + ")", func() error { _, err := p.Detect(frame); return err }},
		{"68 landmarks", func() error { _, err := p.Landmarks(frame, dets[0].Box); return err }},
		{"descriptor, one 150x150 chip", func() error { _, err := p.DescriptorNet().ComputeRGB(chip); return err }},
		{"align + descriptor (chip and mirror)", func() error { _, err := p.Describe(frame, lm); return err }},
		{"whole frame (detect, landmarks, align, quality, descriptor)", func() error {
			_, err := p.Analyze(frame, gocvface.Gates{})
			return err
		}},
	}
	for _, s := range steps {
		if err := timeIt(s.name, *n, s.fn); err != nil {
			return err
		}
	}

	// One gate verification: portrait plus live-like frames from a scene
	// camera (unpaced), liveness on, early stop on a confident match.
	scene := gocvface.NewSceneCamera(640, 480)
	rng := rand.New(rand.NewPCG(1, 2))
	ph := gocvface.Phases(rng)
	var frames []gocv.Mat
	for i := 0; i < 15; i++ {
		f, err := gocvface.LiveLike(src, 640, 480, 1.8, i, ph, rng)
		if err != nil {
			return err
		}
		frames = append(frames, f)
	}
	if err := scene.Show(frames...); err != nil {
		return err
	}
	for _, f := range frames {
		f.Close()
	}
	gp, err := gocvface.Open(cfg)
	if err != nil {
		return err
	}
	g, err := gocvface.NewGateVerifierWith(gp, scene, gocvface.DefaultGateOpts())
	if err != nil {
		return err
	}
	defer g.Close()
	var framesRead []int
	var matched int
	if err := timeIt("gate verification (portrait + best of up to 15 frames, liveness)", max(5, *n/10), func() error {
		out, err := g.VerifyDetail(context.Background(), portrait)
		framesRead = append(framesRead, out.Frames)
		if out.Result.Match {
			matched++
		}
		return err
	}); err != nil {
		return err
	}
	sort.Ints(framesRead)

	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Printf("vision bench: %s/%s, %d CPUs, %s; load average %s; %d runs per step\n\n",
		runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), cpuModel(), strings.Join(strings.Fields(string(load))[:3], " "), *n)
	fmt.Printf("%-72s %9s %9s\n", "step (640x480 frame)", "p50 ms", "p95 ms")
	for _, r := range rows {
		fmt.Printf("%-72s %9.1f %9.1f\n", r.name, r.p50, r.p95)
	}
	fmt.Printf("  gate verification read %d frames (median) and matched %d/%d times\n\n", framesRead[len(framesRead)/2], matched, len(framesRead))
	fmt.Printf("RSS: process start %s, default models loaded %s, after the first analyses (the stock photographs and the frame) %s\n", mb(rssStart), mb(rssLoaded), mb(rssWarm))
	return nil
}

func pct(ts []time.Duration) (p50, p95 float64) {
	c := append([]time.Duration(nil), ts...)
	sort.Slice(c, func(i, j int) bool { return c[i] < c[j] })
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	return ms(c[len(c)/2]), ms(c[min(len(c)-1, len(c)*95/100)])
}

// rss returns the resident set size in kB from /proc/self/status (0 when
// unknown).
func rss() int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			var kb int
			fmt.Sscan(strings.TrimSuffix(strings.TrimSpace(v), " kB"), &kb)
			return kb
		}
	}
	return 0
}

func mb(kb int) string {
	if kb == 0 {
		return "?"
	}
	return fmt.Sprintf("%.0f MB", float64(kb)/1024)
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && (strings.TrimSpace(k) == "model name" || strings.TrimSpace(k) == "Model") {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}
