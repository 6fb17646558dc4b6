package vision

import (
	"context"
	"errors"
	"image"
	"math"
)

// Sentinel errors shared by the implementations; test with errors.Is.
var (
	// ErrModelMissing: a configured model file does not exist. The face
	// step is refused; on a dev machine this means `make models` was not run.
	ErrModelMissing = errors.New("vision: model missing")
	// ErrModelCorrupt: a model file has the wrong checksum, is not a valid
	// ONNX graph of the expected shape, or OpenCV refused it.
	ErrModelCorrupt = errors.New("vision: model corrupt")
	// ErrBadImage: an image is empty, garbage, truncated, too large or of
	// the wrong type.
	ErrBadImage = errors.New("vision: bad image")
	// ErrNoUsableFace: no face passed the quality gates; the Quality in the
	// result says why.
	ErrNoUsableFace = errors.New("vision: no usable face")
)

// Point is a position in image pixels.
type Point struct{ X, Y float64 }

// Box is an axis-aligned rectangle in image pixels.
type Box struct{ X, Y, W, H float64 }

// Rect returns b rounded to integer pixels.
func (b Box) Rect() image.Rectangle {
	return image.Rect(int(math.Round(b.X)), int(math.Round(b.Y)),
		int(math.Round(b.X+b.W)), int(math.Round(b.Y+b.H)))
}

// Center returns the centre of b.
func (b Box) Center() Point { return Point{b.X + b.W/2, b.Y + b.H/2} }

// IoU is the intersection over union of two boxes.
func (b Box) IoU(o Box) float64 {
	x0, y0 := math.Max(b.X, o.X), math.Max(b.Y, o.Y)
	x1, y1 := math.Min(b.X+b.W, o.X+o.W), math.Min(b.Y+b.H, o.Y+o.H)
	if x1 <= x0 || y1 <= y0 {
		return 0
	}
	in := (x1 - x0) * (y1 - y0)
	return in / (b.W*b.H + o.W*o.H - in)
}

// Detection is one face found by a detector.
type Detection struct {
	Box   Box
	Score float64 // detector confidence, 0..1
}

// Landmarks are the 68 iBUG 300-W points: jaw 0-16, brows 17-26, nose
// 27-35, eyes 36-41 (the subject's right eye, on the image's left) and
// 42-47, mouth 48-67.
type Landmarks [68]Point

func mean(pts []Point) Point {
	var p Point
	for _, q := range pts {
		p.X += q.X
		p.Y += q.Y
	}
	n := float64(len(pts))
	return Point{p.X / n, p.Y / n}
}

// EyeCenters returns the centres of the eye on the image's left and the
// eye on the image's right.
func (l *Landmarks) EyeCenters() (left, right Point) {
	return mean(l[36:42]), mean(l[42:48])
}

// EyeOpenness returns the eye aspect ratio of each eye (vertical over
// horizontal extent; about 0.25-0.35 open, below about 0.15 closed).
func (l *Landmarks) EyeOpenness() (left, right float64) {
	ear := func(e []Point) float64 {
		d := func(a, b Point) float64 { return math.Hypot(a.X-b.X, a.Y-b.Y) }
		h := d(e[0], e[3])
		if h == 0 {
			return 0
		}
		return (d(e[1], e[5]) + d(e[2], e[4])) / (2 * h)
	}
	return ear(l[36:42]), ear(l[42:48])
}

// Reason is why a face image is not usable; the gate maps each to a
// message for the traveller display.
type Reason string

// Quality gate reasons.
const (
	ReasonNoFace        Reason = "no_face"        // "Look at the camera"
	ReasonMultipleFaces Reason = "multiple_faces" // "One person at a time"
	ReasonTooSmall      Reason = "too_small"      // "Move closer"
	ReasonTooLarge      Reason = "too_large"      // "Step back"
	ReasonOffCentre     Reason = "off_centre"     // "Stand in the middle"
	ReasonBlurry        Reason = "blurry"         // "Hold still"
	ReasonTooDark       Reason = "too_dark"       // "Face the light"
	ReasonTooBright     Reason = "too_bright"     // "Face away from the light"
	ReasonPose          Reason = "pose"           // "Look straight at the camera"
	ReasonEyesClosed    Reason = "eyes_closed"    // "Open your eyes"
)

// Quality describes one face image and the gates it failed. It holds
// measurements only, never pixels.
type Quality struct {
	Faces      int      `json:"faces"`
	FaceSize   float64  `json:"face_size"`  // inter-ocular distance, pixels
	Sharpness  float64  `json:"sharpness"`  // variance of the Laplacian of the aligned crop
	Brightness float64  `json:"brightness"` // mean grey level of the aligned crop, 0..255
	Yaw        float64  `json:"yaw"`        // degrees, estimated from landmarks
	Roll       float64  `json:"roll"`       // degrees
	EyesOpen   float64  `json:"eyes_open"`  // smaller eye aspect ratio
	Reasons    []Reason `json:"reasons,omitempty"`
}

// OK reports whether the face passed every gate.
func (q Quality) OK() bool { return q.Faces == 1 && len(q.Reasons) == 0 }

// Result is the outcome of one 1:1 comparison.
type Result struct {
	Distance  float64 `json:"score"` // Euclidean distance of descriptors; smaller is more alike
	Match     bool    `json:"match"`
	Threshold float64 `json:"threshold"`
	Live      Quality `json:"live"`
	Portrait  Quality `json:"portrait"`
}

// Verifier compares a live face with the document portrait (ICAO 9303-10
// DG2). Implementations return an error wrapping ErrNoUsableFace (with
// the Quality filled in) when either image has no usable face.
type Verifier interface {
	Verify(ctx context.Context, live, portrait image.Image) (Result, error)
}
