package gocvface

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"sort"

	"gocv.io/x/gocv"

	"github.com/egate/egate/vision"
	"github.com/egate/egate/vision/internal/dnnsafe"
	"github.com/egate/egate/vision/models"
	"github.com/egate/egate/vision/tfjsconv"
)

// Detector finds faces in a BGR frame.
type Detector interface {
	Detect(bgr gocv.Mat) ([]vision.Detection, error)
	Close() error
}

// TinyFace is face-api.js's tiny face detector (a Tiny YOLO v2 with
// separable convolutions) converted to ONNX, run by OpenCV.
type TinyFace struct {
	net      *dnnsafe.Net
	size     int
	MinScore float64 // detections below are dropped (face-api.js default 0.5)
	IoU      float64 // non-maximum suppression overlap (face-api.js: 0.4)
}

// LoadTinyFace loads tiny_face_detector_<size>.onnx from path, checked
// against sha256hex.
func LoadTinyFace(path, sha256hex string, size int) (*TinyFace, error) {
	cells := int64(size / 32)
	net, _, err := dnnsafe.LoadFile(path, sha256hex, dnnsafe.Signature{
		Input:  []int64{1, 3, int64(size), int64(size)},
		Output: []int64{1, 25, cells, cells},
	})
	if err != nil {
		return nil, fmt.Errorf("gocvface: tiny face detector: %w", err)
	}
	return &TinyFace{net: net, size: size, MinScore: 0.3, IoU: 0.4}, nil
}

// Close frees the network.
func (d *TinyFace) Close() error { return d.net.Close() }

// Detect pads the frame at the bottom and right to a square (as
// face-api.js does), scales it down to the net's input and decodes the
// YOLO grid. Boxes are in frame pixels, best first.
func (d *TinyFace) Detect(bgr gocv.Mat) ([]vision.Detection, error) {
	if err := checkBGR(bgr); err != nil {
		return nil, err
	}
	// Images smaller than the net's input are padded, not enlarged: the
	// net misses faces that fill an upscaled frame (measured on LFW).
	side := max(bgr.Rows(), bgr.Cols(), d.size)
	blob, err := squareBlob(bgr, side, d.size, tfjsconv.TinyFaceMean, 1.0/256)
	if err != nil {
		return nil, err
	}
	cells := d.size / 32
	out := make([]float32, 25*cells*cells)
	if _, err := d.net.Forward(blob, []int{1, 3, d.size, d.size}, out); err != nil {
		return nil, fmt.Errorf("gocvface: tiny face detector: %w", err)
	}
	return nms(decodeYOLO(out, cells, float64(side), d.MinScore), d.IoU), nil
}

func sigmoid(x float32) float64 { return 1 / (1 + math.Exp(-float64(x))) }

// decodeYOLO decodes a [25, cells, cells] Tiny YOLO v2 output; side is the
// square's side in frame pixels.
func decodeYOLO(out []float32, cells int, side, minScore float64) []vision.Detection {
	var dets []vision.Detection
	plane := cells * cells
	at := func(ch, row, col int) float32 { return out[ch*plane+row*cells+col] }
	for row := 0; row < cells; row++ {
		for col := 0; col < cells; col++ {
			for a, anchor := range tfjsconv.TinyFaceAnchors {
				score := sigmoid(at(a*5+4, row, col))
				if score < minScore {
					continue
				}
				n := float64(cells)
				cx := (float64(col) + sigmoid(at(a*5, row, col))) / n
				cy := (float64(row) + sigmoid(at(a*5+1, row, col))) / n
				w := math.Exp(float64(at(a*5+2, row, col))) * anchor[0] / n
				h := math.Exp(float64(at(a*5+3, row, col))) * anchor[1] / n
				dets = append(dets, vision.Detection{
					Box:   vision.Box{X: (cx - w/2) * side, Y: (cy - h/2) * side, W: w * side, H: h * side},
					Score: score,
				})
			}
		}
	}
	return dets
}

// nms keeps the best-scoring boxes, dropping any that overlap a kept box
// by more than iou.
func nms(dets []vision.Detection, iou float64) []vision.Detection {
	sort.SliceStable(dets, func(i, j int) bool { return dets[i].Score > dets[j].Score })
	var keep []vision.Detection
	for _, d := range dets {
		ok := true
		for _, k := range keep {
			if d.Box.IoU(k.Box) > iou {
				ok = false
				break
			}
		}
		if ok {
			keep = append(keep, d)
		}
	}
	return keep
}

// Cascade is an OpenCV Haar or LBP cascade from Debian's opencv-data,
// kept as the measured baseline (see README).
type Cascade struct {
	cc       gocv.CascadeClassifier
	MinSize  int // smallest face side in pixels
	Neighbor int
}

// CascadeSums pins the cascade files of Debian bookworm's opencv-data
// (4.6.0+dfsg-12) by sha256: a malformed XML makes OpenCV throw, and
// gocv would abort.
var CascadeSums = map[string]string{
	"/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml": "0f7d4527844eb514d4a4948e822da90fbb16a34a0bbbbc6adc6498747a5aafb0",
	"/usr/share/opencv4/haarcascades/haarcascade_frontalface_alt2.xml":    "7b0c967d9abbdfbde025eb9c786947d151b6426040d07a8f9562ed8fd90724b4",
	"/usr/share/opencv4/lbpcascades/lbpcascade_frontalface_improved.xml":  "7c31331d494f20e216b397ad99d824d92ab91ebb15db3bcda6a2f8e684d238d3",
}

// LoadCascade loads a cascade after checking its sha256.
func LoadCascade(path, sha256hex string) (*Cascade, error) {
	if err := models.VerifyFile(path, sha256hex); err != nil {
		return nil, fmt.Errorf("gocvface: cascade: %w: %w", vision.ErrModelCorrupt, err)
	}
	cc := gocv.NewCascadeClassifier()
	if !cc.Load(path) {
		cc.Close()
		return nil, fmt.Errorf("gocvface: cascade %s: %w", path, vision.ErrModelCorrupt)
	}
	return &Cascade{cc: cc, MinSize: 40, Neighbor: 4}, nil
}

// Close frees the classifier.
func (c *Cascade) Close() error { return c.cc.Close() }

// Detect runs the cascade on the equalised grey frame. Cascades give no
// confidence; Score is 1.
func (c *Cascade) Detect(bgr gocv.Mat) ([]vision.Detection, error) {
	if err := checkBGR(bgr); err != nil {
		return nil, err
	}
	grey := gocv.NewMat()
	defer grey.Close()
	gocv.CvtColor(bgr, &grey, gocv.ColorBGRToGray)
	gocv.EqualizeHist(grey, &grey)
	rects := c.cc.DetectMultiScaleWithParams(grey, 1.1, c.Neighbor, 0,
		image.Pt(c.MinSize, c.MinSize), image.Pt(0, 0))
	dets := make([]vision.Detection, len(rects))
	for i, r := range rects {
		dets[i] = vision.Detection{Box: vision.Box{X: float64(r.Min.X), Y: float64(r.Min.Y),
			W: float64(r.Dx()), H: float64(r.Dy())}, Score: 1}
	}
	sort.SliceStable(dets, func(i, j int) bool { return dets[i].Box.W > dets[j].Box.W })
	return dets, nil
}

// checkBGR rejects Mats that would make OpenCV throw further on.
func checkBGR(m gocv.Mat) error {
	if m.Empty() {
		return fmt.Errorf("gocvface: %w: empty image", vision.ErrBadImage)
	}
	if m.Type() != gocv.MatTypeCV8UC3 {
		return fmt.Errorf("gocvface: %w: type %v, want 8-bit BGR", vision.ErrBadImage, m.Type())
	}
	if m.Rows() < 16 || m.Cols() < 16 || m.Rows() > MaxSide || m.Cols() > MaxSide {
		return fmt.Errorf("gocvface: %w: %dx%d", vision.ErrBadImage, m.Cols(), m.Rows())
	}
	return nil
}

// squareBlob pads the whole of src (BGR) at the bottom and right to a
// black side x side square, resizes it to size x size and returns the NCHW
// RGB blob (x - mean) * scale.
func squareBlob(src gocv.Mat, side, size int, mean [3]float32, scale float32) ([]float32, error) {
	return blobFrom(src, image.Rect(0, 0, src.Cols(), src.Rows()), side, 0, 0, size, mean, scale)
}

// blobFrom copies roi of src into a black side x side square at offset
// (ox, oy), resizes the square to size x size (bilinear) and returns the
// NCHW RGB blob (x - mean) * scale.
func blobFrom(src gocv.Mat, roi image.Rectangle, side, ox, oy, size int, mean [3]float32, scale float32) ([]float32, error) {
	roi = roi.Intersect(image.Rect(0, 0, src.Cols(), src.Rows()))
	if roi.Empty() || side < roi.Dx() || side < roi.Dy() || ox < 0 || oy < 0 ||
		ox+roi.Dx() > side || oy+roi.Dy() > side || size <= 0 {
		return nil, fmt.Errorf("gocvface: %w: region %v in square %d", vision.ErrBadImage, roi, side)
	}
	region := src.Region(roi)
	defer region.Close()
	sq := gocv.NewMat()
	defer sq.Close()
	gocv.CopyMakeBorder(region, &sq, oy, side-oy-roi.Dy(), ox, side-ox-roi.Dx(),
		gocv.BorderConstant, color.RGBA{})
	if side != size {
		gocv.Resize(sq, &sq, image.Pt(size, size), 0, 0, gocv.InterpolationLinear)
	}
	if sq.Rows() != size || sq.Cols() != size || !sq.IsContinuous() {
		return nil, fmt.Errorf("gocvface: internal: square %dx%d", sq.Cols(), sq.Rows())
	}
	pix := sq.ToBytes()
	n := size * size
	blob := make([]float32, 3*n)
	for i := 0; i < n; i++ {
		// BGR in, RGB planes out.
		blob[i] = (float32(pix[3*i+2]) - mean[0]) * scale
		blob[n+i] = (float32(pix[3*i+1]) - mean[1]) * scale
		blob[2*n+i] = (float32(pix[3*i]) - mean[2]) * scale
	}
	return blob, nil
}

// MaxSide is the largest image side accepted (a guard against
// decompression bombs and absurd frames).
const MaxSide = 8192
