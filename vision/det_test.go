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
