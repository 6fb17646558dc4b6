package gocvface

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"github.com/egate/egate/vision"
	"github.com/egate/egate/vision/internal/visiontest"
)

func kind(t *testing.T, name string) seqKind {
	for _, k := range seqKinds {
		if k.name == name {
			return k
		}
	}
	t.Fatalf("no sequence kind %q", name)
	return seqKind{}
}

func TestGateVerifier(t *testing.T) {
	dir, _ := lfw(t)
	p := openPipeline(t, DefaultConfig())
	scene := NewSceneCamera(640, 480)
	o := DefaultGateOpts()
	g, err := NewGateVerifierWith(p, scene, o)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	portrait, err := os.ReadFile(filepath.Join(dir, "Aaron_Peirsol/0001.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	show := func(frames []gocv.Mat) {
		t.Helper()
		defer closeAll(frames)
		if err := scene.Show(frames...); err != nil {
			t.Fatal(err)
		}
	}
	small := func() []gocv.Mat {
		src := readImage(t, filepath.Join(dir, "Aaron_Peirsol/0003.jpg"))
		defer src.Close()
		f := must(t)(Place(src, 640, 480, Placement{Scale: 0.7}))
		return []gocv.Mat{f}
	}
	grey := must(t)(gocv.NewMatWithSizeFromScalar(gocv.NewScalar(128, 128, 128, 0), 300, 300, gocv.MatTypeCV8UC3), nil)
	blank, err := EncodeJPEG(grey)
	grey.Close()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		portrait []byte
		frames   func() []gocv.Mat
		match    bool
		reasons  []string
	}{
		{"same person, live-like", portrait, func() []gocv.Mat {
			return sequence(t, filepath.Join(dir, "Aaron_Peirsol/0003.jpg"), kind(t, "live (warped)"), 8, 1)
		}, true, nil},
		{"other person, live-like", portrait, func() []gocv.Mat {
			return sequence(t, filepath.Join(dir, "Adam_Sandler/0001.jpg"), kind(t, "live (warped)"), 8, 2)
		}, false, []string{vision.CodeNoMatch}},
		{"same person, print held still", portrait, func() []gocv.Mat {
			return sequence(t, filepath.Join(dir, "Aaron_Peirsol/0003.jpg"), kind(t, "print held still"), 8, 3)
		}, false, []string{vision.CodeAttackSuspected}},
		{"same person, screen replay", portrait, func() []gocv.Mat {
			return sequence(t, filepath.Join(dir, "Aaron_Peirsol/0003.jpg"), kind(t, "screen, video of the live face"), 8, 4)
		}, false, []string{vision.CodeAttackSuspected}},
		{"nobody in front of the camera", portrait, func() []gocv.Mat { return nil }, false, []string{"face.quality.no_face"}},
		{"face too far away", portrait, small, false, []string{"face.quality.too_small"}},
		{"garbage portrait", []byte("not a JPEG at all"), func() []gocv.Mat { return nil }, false, []string{vision.CodeNoPortraitFace}},
		{"portrait without a face", blank, func() []gocv.Mat { return nil }, false, []string{vision.CodeNoPortraitFace}},
		{"no portrait", nil, func() []gocv.Mat { return nil }, false, []string{vision.CodeNoPortraitFace}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			show(tc.frames())
			out, err := g.VerifyDetail(ctx, tc.portrait)
			if err != nil {
				t.Fatal(err)
			}
			r := out.Result
			t.Logf("match %v score %.3f reasons %v; frames %d (face %d, usable %d) in %v; liveness %+v",
				r.Match, r.Score, r.Reasons, out.Frames, out.FaceFrames, out.Usable, out.Elapsed.Round(time.Millisecond), out.Liveness)
			if r.Match != tc.match || !slices.Equal(r.Reasons, tc.reasons) {
				t.Errorf("match %v reasons %v, want %v %v", r.Match, r.Reasons, tc.match, tc.reasons)
			}
			if r.Match && !(r.Score > 0 && r.Score <= g.Threshold()) {
				t.Errorf("match with score %v", r.Score)
			}
			if r.Match && out.Frames >= o.Capture.MaxFrames {
				t.Errorf("a confident live match should stop early, read %d frames", out.Frames)
			}
		})
	}

	// Liveness off: one good frame is enough.
	g.o.Liveness = nil
	show(sequence(t, filepath.Join(dir, "Aaron_Peirsol/0003.jpg"), kind(t, "print held still"), 1, 5))
	if r, err := g.Verify(ctx, portrait); err != nil || !r.Match || r.Reasons != nil {
		t.Errorf("liveness off: %+v %v", r, err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := g.Verify(cctx, portrait); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

// A camera that fails after some frames, or at once.
type failingCamera struct {
	Camera
	left int
}

func (c *failingCamera) Read(ctx context.Context) (gocv.Mat, error) {
	if c.left == 0 {
		return gocv.NewMat(), ErrCamera
	}
	c.left--
	return c.Camera.Read(ctx)
}

func TestGateVerifierCameraFails(t *testing.T) {
	dir, _ := lfw(t)
	p := openPipeline(t, DefaultConfig())
	scene := NewSceneCamera(0, 0)
	cam := &failingCamera{Camera: scene}
	g, err := NewGateVerifierWith(p, cam, DefaultGateOpts())
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	portrait, _ := os.ReadFile(filepath.Join(dir, "Aaron_Peirsol/0001.jpg"))
	if _, err := g.Verify(context.Background(), portrait); !errors.Is(err, ErrCamera) {
		t.Errorf("dead camera: %v, want ErrCamera", err)
	}
	// Frames, then a failure: decide on what was captured.
	frames := sequence(t, filepath.Join(dir, "Aaron_Peirsol/0003.jpg"), kind(t, "live (warped)"), 6, 1)
	scene.Show(frames...)
	closeAll(frames)
	cam.left = 6
	r, err := g.Verify(context.Background(), portrait)
	if err != nil || !r.Match {
		t.Errorf("camera failing after 6 frames: %+v %v", r, err)
	}
}

func TestGateOpts(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*GateOpts)
	}{
		{"negative threshold", func(o *GateOpts) { o.Threshold = -1 }},
		{"no frames", func(o *GateOpts) { o.Capture.MaxFrames = 0 }},
		{"no budget", func(o *GateOpts) { o.Capture.Budget = 0 }},
		{"confident above threshold", func(o *GateOpts) { o.Capture.ConfidentDistance = 0.9 }},
		{"liveness needs more frames than captured", func(o *GateOpts) { o.Capture.MaxFrames = 2 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := DefaultGateOpts()
			tc.edit(&o)
			if err := o.check(); err == nil {
				t.Error("accepted")
			}
		})
	}
	o := DefaultGateOpts()
	if err := o.check(); err != nil || o.Threshold != DefaultThreshold || math.Abs(o.Capture.ConfidentDistance-(DefaultThreshold-0.1)) > 1e-9 {
		t.Errorf("defaults: %+v %v", o, err)
	}
}

func TestNewGateVerifierErrors(t *testing.T) {
	o := DefaultGateOpts()
	o.ModelDir = t.TempDir()
	if _, err := NewGateVerifier(o); !errors.Is(err, vision.ErrModelMissing) {
		t.Errorf("no models: %v, want ErrModelMissing", err)
	}
	o.ModelDir = filepath.Join(visiontest.RepoRoot(t), ".cache", "models")
	openPipeline(t, DefaultConfig()).Close() // skips when the models are not built
	o.Camera.Device = "/dev/egate-no-such-camera"
	if _, err := NewGateVerifier(o); !errors.Is(err, ErrCamera) {
		t.Errorf("no camera: %v, want ErrCamera", err)
	}
	o.Camera = CameraOpts{Source: SourceScene}
	g, err := NewGateVerifier(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Log(g)
	g.Close()
}
