package vision

import (
	"math"
	"testing"
)

func TestDET(t *testing.T) {
	// 10 impostors at 0.1 .. 1.0, 4 genuine.
	var im []float64
	for i := 1; i <= 10; i++ {
		im = append(im, float64(i)/10)
	}
	g := []float64{0.05, 0.15, 0.35, math.Inf(1)}
	pts := DET(g, im, []float64{0.1, 0.2, 0.01})
	for _, tc := range []struct {
		i         int
		fm, fr    int
		maxThresh float64
		minThresh float64
		resolved  bool
	}{
		{0, 1, 2, 0.2, 0.1, false}, // 1 false match allowed: threshold in [0.1, 0.2)
		{1, 2, 2, 0.3, 0.2, false},
		{2, 0, 3, 0.1, 0.0, false}, // none allowed: just below 0.1
	} {
		p := pts[tc.i]
		if p.FalseMatch != tc.fm || p.FalseReject != tc.fr || p.Threshold >= tc.maxThresh || p.Threshold < tc.minThresh || p.Resolved != tc.resolved {
			t.Errorf("target %v: %+v", p.TargetFMR, p)
		}
		if p.FMR > p.TargetFMR {
			t.Errorf("target %v: FMR %v exceeds it", p.TargetFMR, p.FMR)
		}
	}
	if pts := DET(g, nil, []float64{0.1}); !math.IsInf(pts[0].Threshold, 1) {
		t.Errorf("no impostors: %+v", pts[0])
	}
}

func TestPlotDET(t *testing.T) {
	var g, im []float64
	for i := 0; i < 200; i++ {
		g = append(g, 0.3+float64(i)/1000)
		im = append(im, 0.5+float64(i)/400)
	}
	g = append(g, math.Inf(1))
	pts := DET(g, im, []float64{0.01, 0.001})
	img := PlotDET(g, im, pts)
	if img.Bounds().Dx() != 800 || img.Bounds().Dy() != 600 {
		t.Fatalf("size %v", img.Bounds())
	}
	blue, red := 0, 0
	for y := 0; y < 600; y++ {
		for x := 0; x < 800; x++ {
			c := img.RGBAAt(x, y)
			if c.B == 200 && c.R == 20 {
				blue++
			}
			if c.R == 200 && c.G == 30 {
				red++
			}
		}
	}
	if blue < 100 || red < 50 {
		t.Errorf("curve %d px, marks %d px", blue, red)
	}
	// No comparisons: axes only, no panic.
	PlotDET(nil, nil, nil)
}
