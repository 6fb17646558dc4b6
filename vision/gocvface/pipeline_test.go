package gocvface

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"gocv.io/x/gocv"

	"github.com/egate/egate/vision"
	"github.com/egate/egate/vision/internal/visiontest"
)

func encodeJPEG(t testing.TB, img image.Image) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestDecodeImageRejects(t *testing.T) {
	dir, pairs := lfw(t)
	good, err := os.ReadFile(filepath.Join(dir, pairs[0].a))
	if err != nil {
		t.Fatal(err)
	}
	var huge bytes.Buffer
	if err := png.Encode(&huge, image.NewGray(image.Rect(0, 0, MaxSide+1, 1))); err != nil {
		t.Fatal(err)
	}
	garbage := bytes.Repeat([]byte{0x13, 0x37, 0xff, 0x00}, 4096)
	for _, tc := range []struct {
		desc string
		b    []byte
	}{
		{"empty", nil},
		{"garbage", garbage},
		{"jpeg header only", good[:20]},
		{"jpeg magic then garbage", append([]byte{0xff, 0xd8, 0xff, 0xe0}, garbage...)},
		{"png too wide", huge.Bytes()},
		{"tiny image", encodeJPEG(t, image.NewRGBA(image.Rect(0, 0, 8, 8)))},
		{"too many bytes", make([]byte, MaxEncodedBytes+1)},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			m, err := DecodeImage(tc.b)
			defer m.Close()
			if !errors.Is(err, vision.ErrBadImage) {
				t.Errorf("err = %v, want ErrBadImage", err)
			}
		})
	}
	// A truncated JPEG decodes partially (libjpeg fills the rest) or fails;
	// either way it must not crash.
	m, err := DecodeImage(good[:len(good)/2])
	m.Close()
	t.Logf("half a JPEG: %v", err)
}

func TestAnalyzeNoFace(t *testing.T) {
	p := openPipeline(t, DefaultConfig())
	defer p.Close()
	grey := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(90, 120, 150, 0), 480, 640, gocv.MatTypeCV8UC3)
	defer grey.Close()
	f, err := p.Analyze(grey, p.Config().Live)
	if !errors.Is(err, vision.ErrNoUsableFace) {
		t.Fatalf("err = %v, want ErrNoUsableFace", err)
	}
	if f == nil || len(f.Quality.Reasons) != 1 || f.Quality.Reasons[0] != vision.ReasonNoFace {
		t.Errorf("quality %+v, want no_face", f)
	}
	for _, bad := range []gocv.Mat{gocv.NewMat(), gocv.NewMatWithSize(480, 640, gocv.MatTypeCV8UC1)} {
		if _, err := p.Analyze(bad, Gates{}); !errors.Is(err, vision.ErrBadImage) {
			t.Errorf("err = %v, want ErrBadImage", err)
		}
		bad.Close()
	}
}

func TestVerify(t *testing.T) {
	dir, _ := lfw(t)
	p := openPipeline(t, DefaultConfig())
	defer p.Close()
	load := func(name string) image.Image {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		img, err := jpeg.Decode(f)
		if err != nil {
			t.Fatal(err)
		}
		return img
	}
	a, b, other := load("Aaron_Peirsol/0001.jpg"), load("Aaron_Peirsol/0003.jpg"), load("Mian_Khursheed_Mehmood_Kasuri/0004.jpg")
	ctx := context.Background()
	// LFW pictures are small and uncontrolled: judge them with the portrait gates.
	cfg := p.cfg
	p.cfg.Live = p.cfg.Portrait
	defer func() { p.cfg = cfg }()

	same, err := p.Verify(ctx, a, b)
	if err != nil {
		t.Fatal(err)
	}
	diff, err := p.Verify(ctx, a, other)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("same person %.3f, different %.3f", same.Distance, diff.Distance)
	if !same.Match || diff.Match || same.Distance >= diff.Distance {
		t.Errorf("same %+v, different %+v", same, diff)
	}
	if same.Live.FaceSize < 20 || same.Live.Sharpness <= 0 || same.Live.Brightness <= 0 {
		t.Errorf("quality not measured: %+v", same.Live)
	}
	blank := image.NewRGBA(image.Rect(0, 0, 320, 240))
	for i := range blank.Pix {
		blank.Pix[i] = 200
	}
	res, err := p.Verify(ctx, blank, a)
	if !errors.Is(err, vision.ErrNoUsableFace) || res.Match {
		t.Errorf("blank live: %+v, %v", res, err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := p.Verify(cctx, a, b); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	// A sub-image and a non-RGBA image convert correctly.
	sub := image.NewRGBA(image.Rect(0, 0, 400, 300)).SubImage(image.Rect(50, 50, 300, 300))
	if m, err := MatFromImage(sub); err != nil || m.Cols() != 250 || m.Rows() != 250 {
		t.Errorf("sub-image: %v", err)
	} else {
		m.Close()
	}
	if _, err := MatFromImage(image.NewGray16(image.Rect(0, 0, 4, 4))); !errors.Is(err, vision.ErrBadImage) {
		t.Errorf("4x4 image: %v", err)
	}
}

func TestGates(t *testing.T) {
	g := DefaultConfig().Live
	ok := vision.Quality{Faces: 1, FaceSize: 60, Sharpness: 100, Brightness: 120, EyesOpen: 0.3}
	if r := g.check(ok); len(r) != 0 {
		t.Errorf("good face fails %v", r)
	}
	for _, tc := range []struct {
		edit func(*vision.Quality)
		want vision.Reason
	}{
		{func(q *vision.Quality) { q.FaceSize = 10 }, vision.ReasonTooSmall},
		{func(q *vision.Quality) { q.Sharpness = 1 }, vision.ReasonBlurry},
		{func(q *vision.Quality) { q.Brightness = 10 }, vision.ReasonTooDark},
		{func(q *vision.Quality) { q.Brightness = 250 }, vision.ReasonTooBright},
		{func(q *vision.Quality) { q.Yaw = -40 }, vision.ReasonPose},
		{func(q *vision.Quality) { q.Roll = 30 }, vision.ReasonPose},
		{func(q *vision.Quality) { q.EyesOpen = 0.05 }, vision.ReasonEyesClosed},
	} {
		q := ok
		tc.edit(&q)
		if r := g.check(q); len(r) != 1 || r[0] != tc.want {
			t.Errorf("%+v: reasons %v, want [%s]", q, r, tc.want)
		}
	}
}

func TestOpenMissingModels(t *testing.T) {
	cfg := DefaultConfig()
	cfg.ModelDir = t.TempDir()
	if _, err := Open(cfg); !errors.Is(err, vision.ErrModelMissing) {
		t.Errorf("err = %v, want ErrModelMissing", err)
	}
	cfg.Detector = "yolo9000"
	if _, err := Open(cfg); err == nil {
		t.Error("unknown detector accepted")
	}
	// A corrupt detector file: right name, wrong bytes.
	cfg = DefaultConfig()
	cfg.ModelDir = t.TempDir()
	root := filepath.Join(visiontest.RepoRoot(t), ".cache", "models")
	for _, e := range []string{"face_recognition.onnx", "face_landmark_68.onnx"} {
		b, err := os.ReadFile(filepath.Join(root, e))
		if err != nil {
			t.Skip("models not built")
		}
		os.WriteFile(filepath.Join(cfg.ModelDir, e), b, 0o644)
	}
	os.WriteFile(filepath.Join(cfg.ModelDir, "tiny_face_detector_416.onnx"), []byte("not a model"), 0o644)
	if _, err := Open(cfg); !errors.Is(err, vision.ErrModelCorrupt) {
		t.Errorf("err = %v, want ErrModelCorrupt", err)
	}
}
