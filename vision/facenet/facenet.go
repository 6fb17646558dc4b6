// Package facenet computes 128-value face descriptors with the face-api.js
// face recognition net (dlib's ResNet) converted to ONNX by egate-models,
// run by OpenCV's dnn module.
//
// It uses cgo (gocv and vision/internal/dnnsafe) and may be imported only
// by the gocv vision pipeline and by commands; gate/ talks to it through
// the interfaces in package vision.
//
// # Safety
//
// [Load] never hands OpenCV a file it has not checked: the file must
// exist, be a regular file of sane size, match the configured sha256 and
// parse as an ONNX graph with the expected input and output shapes. Any
// OpenCV exception that still occurs is caught in C++ and returned as an
// error, so a missing or corrupt model refuses the face step instead of
// crashing the daemon (gocv v0.31 itself would abort the process).
//
// # Input
//
// A 150x150 RGB face crop aligned the way dlib aligns face chips. The
// normalisation (x - [122.782, 117.001, 104.298]) / 256 is applied here.
package facenet

import (
	"fmt"
	"math"

	"gocv.io/x/gocv"

	"github.com/egate/egate/vision"
	"github.com/egate/egate/vision/internal/dnnsafe"
	"github.com/egate/egate/vision/tfjsconv"
)

// Errors; test with errors.Is. The model errors are the shared vision
// sentinels.
var (
	ErrModelMissing = vision.ErrModelMissing
	ErrModelCorrupt = vision.ErrModelCorrupt
	// ErrBadInput: the crop is empty, the wrong size or the wrong type.
	ErrBadInput = fmt.Errorf("facenet: bad input: %w", vision.ErrBadImage)
)

// Size is the side of the square RGB crop the net takes; Dims the
// descriptor length.
const (
	Size = tfjsconv.FaceRecognitionSize
	Dims = tfjsconv.FaceRecognitionDims
)

// Descriptor computes face descriptors. It is safe for concurrent use;
// computations are serialised.
type Descriptor struct {
	net *dnnsafe.Net
}

// Load reads the ONNX model at path, checks it against sha256hex (the
// value recorded in vision/models/onnx.sha256, see models.ONNXSum) and
// loads it. See dnnsafe.LoadFile for the checks.
func Load(path, sha256hex string) (*Descriptor, error) {
	net, _, err := dnnsafe.LoadFile(path, sha256hex, dnnsafe.Signature{
		Input: []int64{1, 3, Size, Size}, Output: []int64{1, Dims},
	})
	if err != nil {
		return nil, fmt.Errorf("facenet: %w", err)
	}
	d := &Descriptor{net: net}
	// One forward pass at load time, so that a model OpenCV imports but
	// cannot run fails here rather than at the first traveller.
	if _, err := d.compute(make([]float32, 3*Size*Size)); err != nil {
		d.Close()
		return nil, fmt.Errorf("%w: %s: %w", ErrModelCorrupt, path, err)
	}
	return d, nil
}

// Close frees the network.
func (d *Descriptor) Close() error { return d.net.Close() }

// Compute returns the descriptor of a 150x150 8-bit 3-channel RGB crop.
func (d *Descriptor) Compute(rgb150 gocv.Mat) ([]float32, error) {
	if rgb150.Empty() {
		return nil, fmt.Errorf("%w: empty image", ErrBadInput)
	}
	if rgb150.Rows() != Size || rgb150.Cols() != Size || rgb150.Type() != gocv.MatTypeCV8UC3 {
		return nil, fmt.Errorf("%w: want %dx%d 8-bit RGB, got %dx%d type %v",
			ErrBadInput, Size, Size, rgb150.Cols(), rgb150.Rows(), rgb150.Type())
	}
	m := rgb150
	if !m.IsContinuous() {
		m = rgb150.Clone()
		defer m.Close()
	}
	return d.ComputeRGB(m.ToBytes())
}

// ComputeRGB returns the descriptor of a 150x150 crop given as row-major
// R, G, B bytes (67,500 bytes).
func (d *Descriptor) ComputeRGB(pix []byte) ([]float32, error) {
	if len(pix) != Size*Size*3 {
		return nil, fmt.Errorf("%w: %d bytes, want %d", ErrBadInput, len(pix), Size*Size*3)
	}
	return d.compute(Normalize(pix))
}

func (d *Descriptor) compute(blob []float32) ([]float32, error) {
	out := make([]float32, Dims)
	shape, err := d.net.Forward(blob, []int{1, 3, Size, Size}, out)
	if err != nil {
		return nil, fmt.Errorf("facenet: %w", err)
	}
	if n := prod(shape); n != Dims {
		return nil, fmt.Errorf("facenet: output shape %v, want %d values", shape, Dims)
	}
	return out, nil
}

func prod(s []int) int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}

// Normalize turns row-major RGB bytes (HWC) into the net's NCHW float
// input: (x - mean[c]) / 256.
func Normalize(pix []byte) []float32 {
	n := len(pix) / 3
	out := make([]float32, 3*n)
	mean := tfjsconv.FaceRecognitionMean
	for i := 0; i < n; i++ {
		for c := 0; c < 3; c++ {
			out[c*n+i] = (float32(pix[3*i+c]) - mean[c]) / 256
		}
	}
	return out
}

// Distance is the Euclidean distance between two descriptors; face-api.js
// and dlib compare descriptors this way (smaller is more similar). It
// returns +Inf for descriptors of different lengths.
func Distance(a, b []float32) float64 {
	if len(a) != len(b) || len(a) == 0 {
		return math.Inf(1)
	}
	var s float64
	for i := range a {
		d := float64(a[i]) - float64(b[i])
		s += d * d
	}
	return math.Sqrt(s)
}
