package gocvface

import (
	"encoding/binary"
	"image"
	"math"

	"gocv.io/x/gocv"

	"github.com/egate/egate/vision"
)

// Tracker measures the optical-flow parallax of a face from one frame to
// the next (vision.Cue.Parallax): it finds corners in the face box of the
// previous frame, follows them into the current one with pyramidal
// Lucas-Kanade, and asks how far they are from moving as one plane
// (vision.PlanarResidual). It keeps the previous grey frame in memory
// only; Close frees it.
type Tracker struct {
	prev gocv.Mat
	box  image.Rectangle
}

// NewTracker returns a tracker with no previous frame.
func NewTracker() *Tracker { return &Tracker{prev: gocv.NewMat()} }

// Close frees the previous frame.
func (t *Tracker) Close() error { return t.prev.Close() }

// Reset forgets the previous frame (a new traveller).
func (t *Tracker) Reset() {
	t.prev.Close()
	t.prev = gocv.NewMat()
}

// Next takes the frame (BGR) with the face found at box, whose eyes are
// iod pixels apart, and returns the parallax from the previous frame over
// iod, or -1 when it cannot be measured (first frame, too few corners).
func (t *Tracker) Next(bgr gocv.Mat, box vision.Box, iod float64) float64 {
	if checkBGR(bgr) != nil {
		return -1
	}
	grey := gocv.NewMat()
	gocv.CvtColor(bgr, &grey, gocv.ColorBGRToGray)
	prev, prevBox := t.prev, t.box
	t.prev, t.box = grey, box.Rect()
	defer prev.Close()
	if prev.Empty() || prev.Rows() != grey.Rows() || prev.Cols() != grey.Cols() || !(iod > 1) {
		return -1
	}
	roi := prevBox.Intersect(image.Rect(0, 0, prev.Cols(), prev.Rows()))
	if roi.Dx() < 32 || roi.Dy() < 32 {
		return -1
	}
	region := prev.Region(roi)
	corners := gocv.NewMat()
	gocv.GoodFeaturesToTrack(region, &corners, 120, 0.01, 4)
	region.Close()
	defer corners.Close()
	n := corners.Rows()
	if n < 8 || corners.Type() != gocv.MatTypeCV32FC2 {
		return -1
	}
	pts := make([]vision.Point, n)
	buf := make([]byte, 0, 8*n)
	for i := 0; i < n; i++ {
		v := corners.GetVecfAt(i, 0)
		p := vision.Point{X: float64(v[0]) + float64(roi.Min.X), Y: float64(v[1]) + float64(roi.Min.Y)}
		pts[i] = p
		buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(float32(p.X)))
		buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(float32(p.Y)))
	}
	prevPts, err := gocv.NewMatFromBytes(n, 1, gocv.MatTypeCV32FC2, buf)
	if err != nil {
		return -1
	}
	defer prevPts.Close()
	nextPts, status, errs := gocv.NewMat(), gocv.NewMat(), gocv.NewMat()
	defer nextPts.Close()
	defer status.Close()
	defer errs.Close()
	gocv.CalcOpticalFlowPyrLK(prev, grey, prevPts, nextPts, &status, &errs)
	if nextPts.Rows() != n || status.Rows() != n {
		return -1
	}
	var a, b []vision.Point
	for i := 0; i < n; i++ {
		if status.GetUCharAt(i, 0) == 0 {
			continue
		}
		v := nextPts.GetVecfAt(i, 0)
		a = append(a, pts[i])
		b = append(b, vision.Point{X: float64(v[0]), Y: float64(v[1])})
	}
	r, ok := vision.PlanarResidual(a, b)
	if !ok {
		return -1
	}
	return r / iod
}
