package gocvface

import (
	"flag"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/egate/egate/vision"
)

var padFull = flag.Bool("pad.full", false, "run the presentation-attack evaluation on every LFW identity")

// TestPADSynthetic measures the liveness checks on the synthetic attack set
// (seq_test.go): APCER per attack kind and BPCER on the live-like
// sequences, with DefaultLivenessOpts. The set is synthetic: see the
// README for what that does and does not show.
func TestPADSynthetic(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: PAD evaluation skipped")
	}
	dir, ids, names := identities(t)
	p := openPipeline(t, DefaultConfig())
	defer p.Close()
	step := 10
	if *padFull {
		step = 1
	}
	const frames = 8
	opts := vision.DefaultLivenessOpts()
	type stat struct {
		n, live, noFace                int
		parallax, motion, blink, moire []float64
	}
	stats := make([]stat, len(seqKinds))
	for i := 0; i < len(names); i += step {
		img := ids[names[i]][0]
		for k, kind := range seqKinds {
			seq := sequence(t, filepath.Join(dir, img), kind, frames, uint64(i*100+k))
			var cues []vision.Cue
			tr := NewTracker()
			for _, f := range seq {
				face, err := p.Analyze(f, Gates{})
				if err != nil || face.Quality.Faces == 0 {
					f.Close()
					continue
				}
				par := tr.Next(f, face.Detection.Box, face.Quality.FaceSize)
				f.Close()
				cues = append(cues, vision.Cue{Landmarks: face.Landmarks, EyesOpen: face.Quality.EyesOpen, Moire: face.Moire, Parallax: par})
			}
			tr.Close()
			s := &stats[k]
			s.n++
			if len(cues) < opts.MinFrames {
				s.noFace++
			}
			l := vision.AssessLiveness(cues, opts)
			if l.Live {
				s.live++
			}
			s.motion = append(s.motion, l.Motion)
			s.parallax = append(s.parallax, l.Parallax)
			s.blink = append(s.blink, l.Blink)
			s.moire = append(s.moire, l.Moire)
		}
	}
	q := func(v []float64) string {
		c := append([]float64(nil), v...)
		sort.Float64s(c)
		at := func(f float64) float64 { return c[min(len(c)-1, int(f*float64(len(c))))] }
		return fmt.Sprintf("p5 %.4g p50 %.4g p95 %.4g", at(0.05), at(0.5), at(0.95))
	}
	var report strings.Builder
	for k, kind := range seqKinds {
		s := stats[k]
		rate, label := float64(s.live)/float64(s.n), "APCER"
		if !kind.attack {
			rate, label = float64(s.n-s.live)/float64(s.n), "BPCER"
		}
		fmt.Fprintf(&report, "\n%-32s n=%3d  %s %5.1f%%  (judged live %d, too few face frames %d)\n    parallax %s\n    motion   %s\n    blink    %s\n    moire    %s",
			kind.name, s.n, label, 100*rate, s.live, s.noFace, q(s.parallax), q(s.motion), q(s.blink), q(s.moire))
	}
	t.Log(report.String())
}
