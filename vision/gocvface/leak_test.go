//go:build matprofile

package gocvface

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"gocv.io/x/gocv"
)

// TestNoMatLeak runs 1,000 comparisons and checks that no gocv.Mat is left
// open (go test -tags matprofile -run NoMatLeak ./vision/gocvface).
func TestNoMatLeak(t *testing.T) {
	dir, pairs := lfw(t)
	p := openPipeline(t, DefaultConfig())
	defer p.Close()
	a, err := os.ReadFile(filepath.Join(dir, pairs[0].a))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, pairs[0].b))
	if err != nil {
		t.Fatal(err)
	}
	p.cfg.Live = p.cfg.Portrait
	before := gocv.MatProfile.Count()
	n := 1000
	if testing.Short() {
		n = 50
	}
	for i := 0; i < n; i++ {
		ma, err := DecodeImage(a)
		if err != nil {
			t.Fatal(err)
		}
		mb, err := DecodeImage(b)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.VerifyMat(context.Background(), ma, mb); err != nil {
			t.Fatal(err)
		}
		ma.Close()
		mb.Close()
		// Error paths too.
		bad, _ := DecodeImage([]byte("garbage"))
		bad.Close()
	}
	if after := gocv.MatProfile.Count(); after != before {
		var buf []byte
		w := &sliceWriter{&buf}
		gocv.MatProfile.WriteTo(w, 1)
		t.Errorf("%d Mats open after %d comparisons (was %d):\n%s", after, n, before, buf)
	}
}

type sliceWriter struct{ b *[]byte }

func (w *sliceWriter) Write(p []byte) (int, error) { *w.b = append(*w.b, p...); return len(p), nil }

// TestGateNoMatLeak runs the gate verifier (camera, tracker, synthetic
// frames, every outcome) and checks that every Mat is closed.
func TestGateNoMatLeak(t *testing.T) {
	dir, _ := lfw(t)
	portrait, err := os.ReadFile(filepath.Join(dir, "Aaron_Peirsol/0001.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	before := gocv.MatProfile.Count()
	p := openPipeline(t, DefaultConfig())
	scene := NewSceneCamera(640, 480)
	g, err := NewGateVerifierWith(p, scene, DefaultGateOpts())
	if err != nil {
		t.Fatal(err)
	}
	n := 30
	if testing.Short() {
		n = 5
	}
	for i := 0; i < n; i++ {
		k := seqKinds[i%len(seqKinds)]
		frames := sequence(t, filepath.Join(dir, "Aaron_Peirsol/0003.jpg"), k, 6, uint64(i))
		scene.Show(frames...)
		closeAll(frames)
		if _, err := g.Verify(context.Background(), portrait); err != nil {
			t.Fatal(err)
		}
		g.Verify(context.Background(), []byte("garbage"))
		scene.Clear()
		g.Verify(context.Background(), portrait)
	}
	g.Close()
	if after := gocv.MatProfile.Count(); after != before {
		var buf []byte
		gocv.MatProfile.WriteTo(&sliceWriter{&buf}, 1)
		t.Errorf("%d Mats open after %d verifications (was %d):\n%s", after, n, before, buf)
	}
}
