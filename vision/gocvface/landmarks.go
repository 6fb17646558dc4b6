package gocvface

import (
	"fmt"
	"image"
	"math"

	"gocv.io/x/gocv"

	"github.com/egate/egate/vision"
	"github.com/egate/egate/vision/internal/dnnsafe"
	"github.com/egate/egate/vision/tfjsconv"
)

// Landmarker is face-api.js's 68-point landmark net (full or tiny)
// converted to ONNX, run by OpenCV.
type Landmarker struct {
	net *dnnsafe.Net
}

// LoadLandmarker loads face_landmark_68(_tiny).onnx from path, checked
// against sha256hex.
func LoadLandmarker(path, sha256hex string) (*Landmarker, error) {
	net, _, err := dnnsafe.LoadFile(path, sha256hex, dnnsafe.Signature{
		Input:  []int64{1, 3, tfjsconv.LandmarkSize, tfjsconv.LandmarkSize},
		Output: []int64{1, 136},
	})
	if err != nil {
		return nil, fmt.Errorf("gocvface: landmarks: %w", err)
	}
	return &Landmarker{net: net}, nil
}

// Close frees the network.
func (l *Landmarker) Close() error { return l.net.Close() }

// Landmarks locates 68 points of the face in box (frame pixels). As in
// face-api.js, the box (clipped to the frame) is cut out, padded to a
// square with the face centred, and scaled to 112x112.
func (l *Landmarker) Landmarks(bgr gocv.Mat, box vision.Box) (*vision.Landmarks, error) {
	if err := checkBGR(bgr); err != nil {
		return nil, err
	}
	roi := box.Rect().Intersect(image.Rect(0, 0, bgr.Cols(), bgr.Rows()))
	if roi.Dx() < 8 || roi.Dy() < 8 {
		return nil, fmt.Errorf("gocvface: landmarks: %w: face box %v outside the frame", vision.ErrBadImage, box)
	}
	side := max(roi.Dx(), roi.Dy())
	ox, oy := (side-roi.Dx())/2, (side-roi.Dy())/2
	blob, err := blobFrom(bgr, roi, side, ox, oy, tfjsconv.LandmarkSize, tfjsconv.LandmarkMean, 1.0/255)
	if err != nil {
		return nil, err
	}
	out := make([]float32, 136)
	if _, err := l.net.Forward(blob, []int{1, 3, tfjsconv.LandmarkSize, tfjsconv.LandmarkSize}, out); err != nil {
		return nil, fmt.Errorf("gocvface: landmarks: %w", err)
	}
	var lm vision.Landmarks
	for i := range lm {
		x, y := float64(out[2*i]), float64(out[2*i+1])
		if math.IsNaN(x) || math.IsNaN(y) {
			return nil, fmt.Errorf("gocvface: landmarks: NaN output")
		}
		lm[i] = vision.Point{
			X: x*float64(side) - float64(ox) + float64(roi.Min.X),
			Y: y*float64(side) - float64(oy) + float64(roi.Min.Y),
		}
	}
	return &lm, nil
}
