package gocvface

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"gocv.io/x/gocv"
)

// Synthetic camera sequences made from LFW pictures (see synth.go). The
// pictures are 250x250 with the face in the middle; placed at scale 1.8 in
// a 640x480 frame the eyes are about 75 px apart, a plausible gate capture.

const seqScale = 1.8

// identities returns the LFW identities (directories) with their images.
func identities(t testing.TB) (string, map[string][]string, []string) {
	dir, _ := lfw(t)
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string][]string{}
	var names []string
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		files, _ := filepath.Glob(filepath.Join(dir, e.Name(), "*.jpg"))
		if len(files) < 2 {
			continue
		}
		sort.Strings(files)
		for i := range files {
			files[i], _ = filepath.Rel(dir, files[i])
		}
		ids[e.Name()] = files
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return dir, ids, names
}

// seqKind is one kind of synthetic capture.
type seqKind struct {
	name   string
	attack bool
	// frame makes frame i from the source picture; ph are the sequence's
	// phases, so that motion is smooth from frame to frame.
	frame func(t testing.TB, src gocv.Mat, i int, rng *rand.Rand, ph [4]float64) gocv.Mat
}

func must(t testing.TB) func(gocv.Mat, error) gocv.Mat {
	return func(m gocv.Mat, err error) gocv.Mat {
		t.Helper()
		if err != nil {
			m.Close()
			t.Fatal(err)
		}
		return m
	}
}

func jitter(rng *rand.Rand, px, deg float64) Placement {
	return Placement{
		Scale: seqScale * (1 + (rng.Float64()-0.5)*0.02),
		Angle: (rng.Float64() - 0.5) * 2 * deg,
		DX:    (rng.Float64() - 0.5) * 2 * px,
		DY:    (rng.Float64() - 0.5) * 2 * px,
	}
}

func sway(amp float64, i int, speed, phase float64) float64 { return Sway(amp, i, speed, phase) }

// liveFrame: see LiveLike.
func liveFrame(t testing.TB, src gocv.Mat, i int, rng *rand.Rand, ph [4]float64) gocv.Mat {
	return must(t)(LiveLike(src, 640, 480, seqScale, i, ph, rng))
}

var seqKinds = []seqKind{
	{name: "live (warped)", frame: liveFrame},
	{name: "print held still", attack: true, frame: func(t testing.TB, src gocv.Mat, i int, rng *rand.Rand, ph [4]float64) gocv.Mat {
		f := must(t)(Place(src, 640, 480, jitter(rng, 1, 0.3)))
		defer f.Close()
		return must(t)(Recapture{Blur: 1.2, Gamma: 1.2, Noise: 2}.Apply(f, rng))
	}},
	{name: "print moved and tilted", attack: true, frame: func(t testing.TB, src gocv.Mat, i int, rng *rand.Rand, ph [4]float64) gocv.Mat {
		pl := Placement{Scale: seqScale, Angle: sway(5, i, 0.4, ph[0]), DX: sway(20, i, 0.6, ph[1]), DY: sway(10, i, 0.5, ph[2])}
		f := must(t)(Place(src, 640, 480, pl))
		defer f.Close()
		tl := must(t)(Tilt(f, sway(15, i, 0.7, ph[3]), sway(10, i, 0.5, ph[1])))
		defer tl.Close()
		return must(t)(Recapture{Blur: 1.0, Gamma: 1.1, Noise: 2}.Apply(tl, rng))
	}},
	{name: "screen, still picture", attack: true, frame: func(t testing.TB, src gocv.Mat, i int, rng *rand.Rand, ph [4]float64) gocv.Mat {
		f := must(t)(Place(src, 640, 480, jitter(rng, 2, 0.5)))
		defer f.Close()
		return must(t)(Recapture{Blur: 0.7, Gamma: 0.8, Noise: 2,
			MoireAmp: 0.08, MoirePeriod: 3 + 3*rng.Float64(), MoireAngle: rng.Float64() * 180}.Apply(f, rng))
	}},
	{name: "screen, video of the live face", attack: true, frame: func(t testing.TB, src gocv.Mat, i int, rng *rand.Rand, ph [4]float64) gocv.Mat {
		f := liveFrame(t, src, i, rng, ph)
		defer f.Close()
		return must(t)(Recapture{Blur: 0.7, Gamma: 0.8,
			MoireAmp: 0.08, MoirePeriod: 3 + 3*rng.Float64(), MoireAngle: rng.Float64() * 180}.Apply(f, rng))
	}},
}

// sequence makes n frames of kind k from the picture at path.
func sequence(t testing.TB, path string, k seqKind, n int, seed uint64) []gocv.Mat {
	t.Helper()
	src := readImage(t, path)
	defer src.Close()
	rng := rand.New(rand.NewPCG(seed, 7))
	var ph [4]float64
	for i := range ph {
		ph[i] = rng.Float64() * 2 * math.Pi
	}
	frames := make([]gocv.Mat, n)
	for i := range frames {
		frames[i] = k.frame(t, src, i, rng, ph)
	}
	return frames
}
