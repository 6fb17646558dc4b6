package gocvface

import (
	"image"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"github.com/egate/egate/vision/internal/visiontest"
	"github.com/egate/egate/vision/models"
)

// Benchmarks per 640x480 frame (an LFW picture pasted into a grey frame).
// Each reports the median and 95th percentile besides Go's mean:
//
//	go test -run X -bench . -benchtime 100x ./vision/gocvface

func frame640(b *testing.B) gocv.Mat {
	dir, pairs := lfw(b)
	img := readImage(b, filepath.Join(dir, pairs[0].a))
	defer img.Close()
	f := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(128, 128, 128, 0), 480, 640, gocv.MatTypeCV8UC3)
	roi := f.Region(image.Rect(195, 115, 195+250, 115+250))
	img.CopyTo(&roi)
	roi.Close()
	return f
}

// timed runs fn b.N times and reports p50 and p95 in milliseconds.
func timed(b *testing.B, fn func()) {
	times := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		fn()
		times = append(times, time.Since(start))
	}
	b.StopTimer()
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	b.ReportMetric(ms(times[len(times)/2]), "p50-ms")
	b.ReportMetric(ms(times[min(len(times)-1, len(times)*95/100)]), "p95-ms")
}

func BenchmarkDetect(b *testing.B) {
	f := frame640(b)
	defer f.Close()
	root := filepath.Join(visiontest.RepoRoot(b), ".cache", "models")
	for _, tc := range []struct {
		name string
		open func() (Detector, error)
	}{
		{"tinyface416", func() (Detector, error) {
			return loadDetector(LoadTinyFace(filepath.Join(root, models.TinyFace416ONNX), models.ONNXSum(models.TinyFace416ONNX), 416))
		}},
		{"tinyface320", func() (Detector, error) {
			return loadDetector(LoadTinyFace(filepath.Join(root, models.TinyFace320ONNX), models.ONNXSum(models.TinyFace320ONNX), 320))
		}},
		{"haar", func() (Detector, error) {
			return loadDetector(LoadCascade(DefaultHaarCascade, CascadeSums[DefaultHaarCascade]))
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			d, err := tc.open()
			if err != nil {
				b.Skip(err)
			}
			defer d.Close()
			timed(b, func() {
				if _, err := d.Detect(f); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

func BenchmarkLandmarks(b *testing.B) {
	f := frame640(b)
	defer f.Close()
	p := openPipeline(b, DefaultConfig())
	defer p.Close()
	dets, err := p.det.Detect(f)
	if err != nil || len(dets) == 0 {
		b.Fatal("no face", err)
	}
	timed(b, func() {
		if _, err := p.lm.Landmarks(f, dets[0].Box); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkAlignDescribe is alignment plus the descriptor (with the mirror
// image, as configured by default).
func BenchmarkAlignDescribe(b *testing.B) {
	f := frame640(b)
	defer f.Close()
	p := openPipeline(b, DefaultConfig())
	defer p.Close()
	dets, _ := p.det.Detect(f)
	if len(dets) == 0 {
		b.Fatal("no face")
	}
	lm, err := p.lm.Landmarks(f, dets[0].Box)
	if err != nil {
		b.Fatal(err)
	}
	timed(b, func() {
		chip, err := alignChip(f, lm)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := p.descriptor(chip); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkPipeline is one whole frame: detect, landmarks, align,
// quality, descriptor.
func BenchmarkPipeline(b *testing.B) {
	f := frame640(b)
	defer f.Close()
	p := openPipeline(b, DefaultConfig())
	defer p.Close()
	timed(b, func() {
		if _, err := p.Analyze(f, Gates{}); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkOpen is the model load time (read, checksum, validate, import,
// warm-up) of the default pipeline.
func BenchmarkOpen(b *testing.B) {
	cfg := DefaultConfig()
	p := openPipeline(b, cfg)
	cfg = p.Config()
	p.Close()
	timed(b, func() {
		p, err := Open(cfg)
		if err != nil {
			b.Fatal(err)
		}
		p.Close()
	})
}
