package gocvface

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/egate/egate/vision/internal/dnnsafe"
	"github.com/egate/egate/vision/internal/visiontest"
	"github.com/egate/egate/vision/models"
	"github.com/egate/egate/vision/tfjsconv"
)

// The reference outputs in testdata/faceapi were computed by the pinned
// @vladmandic/face-api 1.7.15 JavaScript (tfjs CPU backend) with
// testdata/faceapi/gen-faceapi-ref.mjs, on inputs derived from the shared
// hopper150.rgb without resampling, so that only the networks differ.

func readF32(t *testing.T, path string) []float32 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float32, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}

func hopper(t *testing.T) []byte {
	t.Helper()
	pix, err := os.ReadFile(filepath.Join(visiontest.SharedDir(t), "faceapi-reference", "hopper150.rgb"))
	if err != nil {
		t.Skipf("hopper150.rgb absent: %v", err)
	}
	return pix
}

// rgbBlob turns row-major RGB bytes (w x h) into an NCHW blob.
func rgbBlob(pix []byte, w, h int, mean [3]float32, scale float32) []float32 {
	n := w * h
	blob := make([]float32, 3*n)
	for i := 0; i < n; i++ {
		for c := 0; c < 3; c++ {
			blob[c*n+i] = (float32(pix[3*i+c]) - mean[c]) * scale
		}
	}
	return blob
}

func maxDiff(a, b []float32) float64 {
	var m float64
	for i := range a {
		m = max(m, math.Abs(float64(a[i])-float64(b[i])))
	}
	return m
}

func TestLandmarkConversion(t *testing.T) {
	pix := hopper(t)
	crop := make([]byte, 112*112*3)
	for y := 0; y < 112; y++ {
		copy(crop[y*112*3:(y+1)*112*3], pix[((y+19)*150+19)*3:((y+19)*150+19+112)*3])
	}
	blob := rgbBlob(crop, 112, 112, tfjsconv.LandmarkMean, 1.0/255)
	for _, tc := range []struct{ model, ref string }{
		{models.Landmark68ONNX, "face_landmark_68_model.hopper112.f32"},
		{models.Landmark68TinyONNX, "face_landmark_68_tiny_model.hopper112.f32"},
	} {
		t.Run(tc.model, func(t *testing.T) {
			path, sum := visiontest.Model(t, tc.model)
			net, _, err := dnnsafe.LoadFile(path, sum, dnnsafe.Signature{})
			if err != nil {
				t.Fatal(err)
			}
			defer net.Close()
			out := make([]float32, 136)
			if _, err := net.Forward(blob, []int{1, 3, 112, 112}, out); err != nil {
				t.Fatal(err)
			}
			ref := readF32(t, filepath.Join("testdata", "faceapi", tc.ref))
			d := maxDiff(out, ref)
			// Outputs are fractions of the crop: 1e-4 is 0.011 px at 112.
			t.Logf("max abs difference to face-api.js: %.3g (%.3g px at 112x112)", d, d*112)
			if d > 1e-4 {
				t.Errorf("max abs difference %.3g > 1e-4", d)
			}
		})
	}
}

func TestTinyFaceConversion(t *testing.T) {
	pix := hopper(t)
	const S = 416
	canvas := make([]byte, S*S*3)
	for i := range canvas {
		canvas[i] = 128
	}
	for y := 0; y < 150; y++ {
		copy(canvas[((y+80)*S+100)*3:((y+80)*S+250)*3], pix[y*150*3:(y+1)*150*3])
	}
	path, sum := visiontest.Model(t, models.TinyFace416ONNX)
	net, _, err := dnnsafe.LoadFile(path, sum, dnnsafe.Signature{})
	if err != nil {
		t.Fatal(err)
	}
	defer net.Close()
	out := make([]float32, 25*13*13)
	// @vladmandic/face-api divides the detector input by 255 where
	// face-api.js 0.22 (and gocvface) divide by 256; use 255 here so that
	// only the networks are compared.
	if _, err := net.Forward(rgbBlob(canvas, S, S, tfjsconv.TinyFaceMean, 1.0/255), []int{1, 3, S, S}, out); err != nil {
		t.Fatal(err)
	}
	ref := readF32(t, filepath.Join("testdata", "faceapi", "tiny_face_detector_model.hopper416.f32"))
	// ref is NHWC [13, 13, 25]; out is NCHW [25, 13, 13].
	refCHW := make([]float32, len(ref))
	for p := 0; p < 13*13; p++ {
		for c := 0; c < 25; c++ {
			refCHW[c*169+p] = ref[p*25+c]
		}
	}
	d := maxDiff(out, refCHW)
	t.Logf("max abs difference to face-api.js (raw logits): %.3g", d)
	if d > 1e-3 {
		t.Errorf("max abs difference %.3g > 1e-3", d)
	}
	// face-api.js found one face: score 0.766, box (120.4, 109.9, 105.3 x 97.3).
	dets := nms(decodeYOLO(out, 13, S, 0.5), 0.4)
	if len(dets) != 1 {
		t.Fatalf("%d detections, want 1", len(dets))
	}
	b := dets[0].Box
	t.Logf("detection %.3f %+v", dets[0].Score, b)
	if math.Abs(dets[0].Score-0.766) > 1e-3 || math.Abs(b.X-120.38) > 0.05 || math.Abs(b.Y-109.85) > 0.05 ||
		math.Abs(b.W-105.28) > 0.05 || math.Abs(b.H-97.33) > 0.05 {
		t.Errorf("detection differs from face-api.js")
	}
}
