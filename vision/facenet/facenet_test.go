package facenet

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"image"
	"math/rand"
	"os"
	"path/filepath"
	"testing"

	"gocv.io/x/gocv"

	"github.com/egate/egate/vision/internal/visiontest"
	"github.com/egate/egate/vision/models"
)

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// TestLoadErrors: every broken model is an error wrapping the right
// sentinel, never a crash. The cases that need the real model skip when it
// is not built; the rest always run.
func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	garbage := make([]byte, 1<<16)
	rand.New(rand.NewSource(1)).Read(garbage)
	notONNX := []byte("this is not a model at all")
	for _, tc := range []struct {
		desc string
		path string
		sum  string
		want error
	}{
		{"missing file", filepath.Join(dir, "nope.onnx"), sum(nil), ErrModelMissing},
		{"directory", dir, sum(nil), ErrModelCorrupt},
		{"empty file", write("empty.onnx", nil), sum(nil), ErrModelCorrupt},
		{"wrong checksum", write("g1.onnx", garbage), sum(notONNX), models.ErrChecksum},
		{"random bytes, matching checksum", write("g2.onnx", garbage), sum(garbage), ErrModelCorrupt},
		{"text, matching checksum", write("t.onnx", notONNX), sum(notONNX), ErrModelCorrupt},
		{"no checksum configured", write("t2.onnx", notONNX), "", nil},
		{"checksum not hex", write("t3.onnx", notONNX), "xyz", nil},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			d, err := Load(tc.path, tc.sum)
			if err == nil {
				d.Close()
				t.Fatal("Load succeeded")
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
			t.Logf("%v", err)
		})
	}

	t.Run("real model", func(t *testing.T) {
		path, good := visiontest.Model(t, models.FaceRecognitionONNX)
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		flipped := append([]byte(nil), b...)
		flipped[len(flipped)/2] ^= 0xff                                // inside a weight tensor: parses fine
		tiny := []byte{0x08, 0x06, 0x3a, 0x00, 0x42, 0x02, 0x10, 0x0b} // empty graph
		for _, tc := range []struct {
			desc string
			b    []byte
			sum  string
			want error
		}{
			{"truncated, recorded checksum", b[:len(b)/2], good, models.ErrChecksum},
			{"truncated, matching checksum", b[:len(b)/2], "", ErrModelCorrupt},
			{"truncated by one byte, matching checksum", b[:len(b)-1], "", ErrModelCorrupt},
			{"one byte flipped, recorded checksum", flipped, good, models.ErrChecksum},
			{"empty graph, matching checksum", tiny, "", ErrModelCorrupt},
		} {
			t.Run(tc.desc, func(t *testing.T) {
				if tc.sum == "" {
					tc.sum = sum(tc.b)
				}
				d, err := Load(write("m.onnx", tc.b), tc.sum)
				if err == nil {
					d.Close()
					t.Fatal("Load succeeded")
				}
				if !errors.Is(err, tc.want) {
					t.Errorf("err = %v, want %v", err, tc.want)
				}
				t.Logf("%.200v", err)
			})
		}
	})
}

func TestComputeRejectsBadInput(t *testing.T) {
	path, sum := visiontest.Model(t, models.FaceRecognitionONNX)
	d, err := Load(path, sum)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()

	big := gocv.NewMatWithSize(300, 300, gocv.MatTypeCV8UC3)
	defer big.Close()
	roi := big.Region(image.Rect(10, 10, 10+Size, 10+Size)) // not continuous
	defer roi.Close()
	for _, tc := range []struct {
		desc string
		mat  gocv.Mat
		ok   bool
	}{
		{"empty", gocv.NewMat(), false},
		{"wrong size", gocv.NewMatWithSize(Size, Size+1, gocv.MatTypeCV8UC3), false},
		{"grey", gocv.NewMatWithSize(Size, Size, gocv.MatTypeCV8UC1), false},
		{"float", gocv.NewMatWithSize(Size, Size, gocv.MatTypeCV32FC3), false},
		{"four channels", gocv.NewMatWithSize(Size, Size, gocv.MatTypeCV8UC4), false},
		{"region of a larger image", roi.Clone(), true},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			defer tc.mat.Close()
			got, err := d.Compute(tc.mat)
			if tc.ok {
				if err != nil || len(got) != Dims {
					t.Errorf("Compute = %d values, %v", len(got), err)
				}
				return
			}
			if !errors.Is(err, ErrBadInput) {
				t.Errorf("err = %v, want ErrBadInput", err)
			}
		})
	}
	// The region itself (non-continuous) must give the same answer as its clone.
	a, err := d.Compute(roi)
	if err != nil {
		t.Fatal(err)
	}
	c := roi.Clone()
	defer c.Close()
	b, err := d.Compute(c)
	if err != nil {
		t.Fatal(err)
	}
	if Distance(a, b) != 0 {
		t.Error("region and its clone differ")
	}
	if _, err := d.ComputeRGB(make([]byte, 100)); !errors.Is(err, ErrBadInput) {
		t.Errorf("short buffer: %v", err)
	}
}

func TestDistance(t *testing.T) {
	if got := Distance([]float32{0, 3}, []float32{4, 0}); got != 5 {
		t.Errorf("Distance = %v, want 5", got)
	}
	if got := Distance([]float32{1}, []float32{1, 2}); got < 1e300 {
		t.Errorf("Distance of mismatched lengths = %v, want +Inf", got)
	}
}

// BenchmarkCompute measures one descriptor (150x150 crop to 128 floats).
func BenchmarkCompute(b *testing.B) {
	path, sum := visiontest.Model(b, models.FaceRecognitionONNX)
	d, err := Load(path, sum)
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	pix := make([]byte, Size*Size*3)
	rand.New(rand.NewSource(2)).Read(pix)
	b.ResetTimer()
	for b.Loop() {
		if _, err := d.ComputeRGB(pix); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoad measures model load time (read, checksum, validate, import,
// one warm-up forward pass).
func BenchmarkLoad(b *testing.B) {
	path, sum := visiontest.Model(b, models.FaceRecognitionONNX)
	for b.Loop() {
		d, err := Load(path, sum)
		if err != nil {
			b.Fatal(err)
		}
		d.Close()
	}
}
