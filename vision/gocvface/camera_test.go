package gocvface

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"gocv.io/x/gocv"
)

func TestOpenCameraErrors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "video0")
	os.WriteFile(file, []byte("not a device"), 0o644)
	garbage := filepath.Join(t.TempDir(), "clip.avi")
	os.WriteFile(garbage, []byte("RIFF garbage that is not a video"), 0o644)
	for _, tc := range []struct {
		name string
		o    CameraOpts
	}{
		{"unknown source", CameraOpts{Source: "webcam"}},
		{"no device", CameraOpts{Source: SourceV4L2}},
		{"missing device", CameraOpts{Source: SourceV4L2, Device: "/dev/egate-no-such-video"}},
		{"regular file as device", CameraOpts{Source: SourceV4L2, Device: file}},
		{"not a capture device", CameraOpts{Source: SourceV4L2, Device: "/dev/null"}},
		{"bad size", CameraOpts{Source: SourceV4L2, Device: "/dev/null", Width: -1}},
		{"no images", CameraOpts{Source: SourceImages, Files: []string{t.TempDir()}}},
		{"missing image", CameraOpts{Source: SourceImages, Files: []string{"/nonexistent.jpg"}}},
		{"garbage image", CameraOpts{Source: SourceImages, Files: []string{file}}},
		{"no video", CameraOpts{Source: SourceVideo}},
		{"missing video", CameraOpts{Source: SourceVideo, Video: "/nonexistent.avi"}},
		{"garbage video", CameraOpts{Source: SourceVideo, Video: garbage}},
		{"directory as video", CameraOpts{Source: SourceVideo, Video: t.TempDir()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := OpenCamera(tc.o)
			if !errors.Is(err, ErrCamera) {
				t.Errorf("err = %v, want ErrCamera", err)
			}
			if c != nil {
				t.Errorf("camera %v returned with an error", c)
			}
			t.Log(err)
		})
	}
}

func TestImageFilesCamera(t *testing.T) {
	dir, _ := lfw(t)
	c, err := OpenCamera(CameraOpts{Source: SourceImages, Files: []string{filepath.Join(dir, "Aaron_Peirsol")}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	t.Log(c)
	n := len(mustGlob(t, filepath.Join(dir, "Aaron_Peirsol", "*.jpg")))
	for i := 0; i < n+1; i++ { // loops
		m, err := c.Read(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if m.Cols() != 250 || m.Rows() != 250 || m.Type() != gocv.MatTypeCV8UC3 {
			t.Errorf("frame %d: %dx%d %v", i, m.Cols(), m.Rows(), m.Type())
		}
		m.Close()
	}
	// Paced: 4 reads at 50 fps take at least 3 intervals.
	pc, err := OpenImageFiles([]string{filepath.Join(dir, "Aaron_Peirsol", "0001.jpg")}, 50)
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	start := time.Now()
	for i := 0; i < 4; i++ {
		m, err := pc.Read(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		m.Close()
	}
	if d := time.Since(start); d < 55*time.Millisecond {
		t.Errorf("4 frames at 50 fps in %v", d)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := pc.Read(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled read: %v", err)
	}
}

func mustGlob(t *testing.T, pattern string) []string {
	m, err := filepath.Glob(pattern)
	if err != nil || len(m) == 0 {
		t.Fatalf("%s: %v", pattern, err)
	}
	return m
}

// TestVideoFileCamera writes a short Motion-JPEG AVI of synthetic frames
// (no faces) and plays it past its end.
func TestVideoFileCamera(t *testing.T) {
	path := filepath.Join(t.TempDir(), "clip.avi")
	vw, err := gocv.VideoWriterFile(path, "MJPG", 10, 320, 240, true)
	if err != nil {
		t.Skipf("no MJPG writer: %v", err)
	}
	for i := 0; i < 5; i++ {
		f := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(float64(40*i), 100, 200, 0), 240, 320, gocv.MatTypeCV8UC3)
		if err := vw.Write(f); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	vw.Close()
	c, err := OpenCamera(CameraOpts{Source: SourceVideo, Video: path})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := 0; i < 12; i++ {
		m, err := c.Read(context.Background())
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if m.Cols() != 320 || m.Rows() != 240 {
			t.Errorf("frame %d: %dx%d", i, m.Cols(), m.Rows())
		}
		m.Close()
	}
}

func TestSceneCamera(t *testing.T) {
	c := NewSceneCamera(320, 240)
	defer c.Close()
	m, err := c.Read(context.Background())
	if err != nil || m.Cols() != 320 || m.Rows() != 240 {
		t.Fatalf("empty scene: %v", err)
	}
	m.Close()
	bad := gocv.NewMatWithSize(100, 100, gocv.MatTypeCV8UC1)
	defer bad.Close()
	if err := c.Show(bad); !errors.Is(err, ErrCamera) {
		t.Errorf("grey frame shown: %v", err)
	}
	if err := c.ShowImages([]byte("garbage")); !errors.Is(err, ErrCamera) {
		t.Errorf("garbage shown: %v", err)
	}
	a := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(10, 10, 10, 0), 60, 80, gocv.MatTypeCV8UC3)
	b := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(200, 200, 200, 0), 60, 80, gocv.MatTypeCV8UC3)
	if err := c.Show(a, b); err != nil {
		t.Fatal(err)
	}
	a.Close()
	b.Close()
	for i, want := range []uint8{10, 200, 10} {
		m, _ := c.Read(context.Background())
		if got := m.GetUCharAt(0, 0); got != want {
			t.Errorf("frame %d: %d, want %d", i, got, want)
		}
		m.Close()
	}
	c.Clear()
	m, _ = c.Read(context.Background())
	if m.Cols() != 320 {
		t.Error("cleared scene is not empty")
	}
	m.Close()
}
