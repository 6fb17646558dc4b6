package vision

import (
	"math"
	"sort"
)

// DETPoint is one operating point of a distance-based comparator:
// a comparison matches when its distance is <= Threshold.
type DETPoint struct {
	TargetFMR   float64 `json:"target_fmr"`
	Threshold   float64 `json:"threshold"`
	FMR         float64 `json:"fmr"`  // impostor comparisons that match
	FNMR        float64 `json:"fnmr"` // genuine comparisons that do not
	FalseMatch  int     `json:"false_matches"`
	Impostors   int     `json:"impostors"`
	FalseReject int     `json:"false_non_matches"`
	Genuine     int     `json:"genuine"`
	// Resolved is false when there are too few impostor comparisons to
	// measure TargetFMR (fewer than 3/TargetFMR, the "rule of 3").
	Resolved bool `json:"resolved"`
}

// DET returns, for each target FMR, the largest threshold whose measured
// FMR does not exceed it, and the FNMR there (ISO/IEC 19795-1 terms).
// Failed comparisons (no usable face) must be passed as +Inf distances so
// that they count as non-matches. The inputs are not modified.
func DET(genuine, impostor []float64, targets []float64) []DETPoint {
	g := sortedCopy(genuine)
	im := sortedCopy(impostor)
	out := make([]DETPoint, 0, len(targets))
	for _, target := range targets {
		p := DETPoint{TargetFMR: target, Impostors: len(im), Genuine: len(g)}
		p.Resolved = float64(len(im)) >= 3/target
		// Allowed false matches k = floor(target * N); the threshold sits
		// just below the (k+1)-th smallest impostor distance.
		k := int(math.Floor(target * float64(len(im))))
		switch {
		case len(im) == 0:
			p.Threshold = math.Inf(1)
		case k >= len(im):
			p.Threshold = im[len(im)-1]
		default:
			p.Threshold = math.Nextafter(im[k], math.Inf(-1))
			if k > 0 && p.Threshold < im[k-1] {
				p.Threshold = im[k-1]
			}
		}
		p.FalseMatch = sort.Search(len(im), func(i int) bool { return im[i] > p.Threshold })
		p.FalseReject = len(g) - sort.Search(len(g), func(i int) bool { return g[i] > p.Threshold })
		if len(im) > 0 {
			p.FMR = float64(p.FalseMatch) / float64(len(im))
		}
		if len(g) > 0 {
			p.FNMR = float64(p.FalseReject) / float64(len(g))
		}
		out = append(out, p)
	}
	return out
}

func sortedCopy(v []float64) []float64 {
	c := append([]float64(nil), v...)
	sort.Float64s(c)
	return c
}
