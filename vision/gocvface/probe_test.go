package gocvface

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gocv.io/x/gocv"
)

func writeJPEG(t *testing.T, w, h int, pix func(x, y int) uint8) string {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetGray(x, y, color.Gray{Y: pix(x, y)})
		}
	}
	p := filepath.Join(t.TempDir(), "frame.jpg")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := jpeg.Encode(f, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestProbe: the self-test's camera check on frames from image files: a
// real scene passes; a black picture, a too small one and a camera that
// stops delivering fail with a reason.
func TestProbe(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	scene := writeJPEG(t, 320, 240, func(x, y int) uint8 { return uint8(rnd.IntN(256)) })
	black := writeJPEG(t, 320, 240, func(x, y int) uint8 { return 3 })
	small := writeJPEG(t, 100, 80, func(x, y int) uint8 { return uint8(x * y) })
	for _, tc := range []struct {
		name, file, want string
	}{
		{"scene", scene, ""},
		{"black", black, "uniform"},
		{"small", small, "100x80"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cam, err := OpenCamera(CameraOpts{Source: SourceImages, Files: []string{tc.file}})
			if err != nil {
				t.Fatal(err)
			}
			g := &GateVerifier{cam: cam}
			defer cam.Close()
			err = g.Probe(context.Background())
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("probe failed: %v", err)
			case tc.want != "" && (!errors.Is(err, ErrCamera) || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("err = %v, want one saying %q", err, tc.want)
			}
		})
	}
	t.Run("camera gone", func(t *testing.T) {
		g := &GateVerifier{cam: goneCamera{}}
		if err := g.Probe(context.Background()); !errors.Is(err, ErrCamera) || !strings.Contains(err.Error(), "unplugged") {
			t.Fatalf("err = %v", err)
		}
	})
}

// goneCamera is a camera whose device went away.
type goneCamera struct{}

func (goneCamera) Read(context.Context) (gocv.Mat, error) {
	return gocv.NewMat(), fmt.Errorf("%w: device unplugged", ErrCamera)
}
func (goneCamera) Close() error   { return nil }
func (goneCamera) String() string { return "gone" }
