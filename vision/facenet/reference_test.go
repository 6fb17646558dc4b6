package facenet

import (
	"encoding/binary"
	"image"
	"math"
	"os"
	"path/filepath"
	"testing"

	"gocv.io/x/gocv"

	"github.com/egate/egate/vision/internal/visiontest"
	"github.com/egate/egate/vision/models"
)

// maxRefDiff is the largest difference allowed between our descriptor and
// the one face-api.js computes (issue 5).
const maxRefDiff = 1e-4

func loadReference(t *testing.T) (pix []byte, ref []float32) {
	t.Helper()
	dir := filepath.Join(visiontest.SharedDir(t), "faceapi-reference")
	pix, err := os.ReadFile(filepath.Join(dir, "hopper150.rgb"))
	if err != nil {
		t.Skipf("reference crop absent: %v", err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "hopper_ref.f32"))
	if err != nil {
		t.Skipf("reference descriptor absent: %v", err)
	}
	if len(pix) != Size*Size*3 || len(raw) != 4*Dims {
		t.Fatalf("reference files have %d and %d bytes", len(pix), len(raw))
	}
	ref = make([]float32, Dims)
	for i := range ref {
		ref[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	return pix, ref
}

func maxAbsDiff(a, b []float32) float64 {
	var m float64
	for i := range a {
		m = max(m, math.Abs(float64(a[i])-float64(b[i])))
	}
	return m
}

// TestReferenceGoCV loads the converted model with plain
// gocv.ReadNetFromONNX and compares it with face-api.js's output.
func TestReferenceGoCV(t *testing.T) {
	pix, ref := loadReference(t)
	path, _ := visiontest.Model(t, models.FaceRecognitionONNX)

	net := gocv.ReadNetFromONNX(path) // safe: Model checked the checksum
	defer net.Close()
	if net.Empty() {
		t.Fatal("ReadNetFromONNX returned an empty net")
	}
	img, err := gocv.NewMatFromBytes(Size, Size, gocv.MatTypeCV8UC3, pix)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	blob := gocv.BlobFromImage(img, 1.0/256, image.Pt(Size, Size),
		gocv.NewScalar(122.782, 117.001, 104.298, 0), false, false)
	defer blob.Close()
	net.SetInput(blob, "")
	out := net.Forward("")
	defer out.Close()
	got, err := out.DataPtrFloat32()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != Dims {
		t.Fatalf("got %d values, want %d", len(got), Dims)
	}
	d := maxAbsDiff(got, ref)
	t.Logf("gocv.ReadNetFromONNX: max abs difference to face-api.js = %.3g", d)
	if d > maxRefDiff {
		t.Errorf("max abs difference %.3g > %g", d, maxRefDiff)
	}
}

// TestReferenceLoad does the same through Load and ComputeRGB.
func TestReferenceLoad(t *testing.T) {
	pix, ref := loadReference(t)
	path, sum := visiontest.Model(t, models.FaceRecognitionONNX)
	d, err := Load(path, sum)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	got, err := d.ComputeRGB(pix)
	if err != nil {
		t.Fatal(err)
	}
	diff := maxAbsDiff(got, ref)
	t.Logf("facenet.Load: max abs difference to face-api.js = %.3g, distance = %.3g", diff, Distance(got, ref))
	if diff > maxRefDiff {
		t.Errorf("max abs difference %.3g > %g", diff, maxRefDiff)
	}

	img, err := gocv.NewMatFromBytes(Size, Size, gocv.MatTypeCV8UC3, pix)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	got2, err := d.Compute(img)
	if err != nil {
		t.Fatal(err)
	}
	if diff := maxAbsDiff(got2, ref); diff > maxRefDiff {
		t.Errorf("Compute(Mat): max abs difference %.3g > %g", diff, maxRefDiff)
	}
}
