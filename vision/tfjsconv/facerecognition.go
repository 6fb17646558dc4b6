package tfjsconv

import (
	"fmt"

	"github.com/egate/egate/vision/onnx"
)

// Face recognition net (face-api.js FaceRecognitionNet, a port of dlib's
// dlib_face_recognition_resnet_model_v1: a ResNet-34-like stack with 29
// convolutions). Input: 1x3x150x150, RGB, already normalised as
// (x - FaceRecognitionMean) / 256. Output: 1x128 descriptor.
const (
	FaceRecognitionManifest = "face_recognition_model-weights_manifest.json"
	FaceRecognitionSize     = 150
	FaceRecognitionDims     = 128
	FaceRecognitionInput    = "input"
	FaceRecognitionOutput   = "descriptor"
)

// FaceRecognitionMean is the per-channel RGB mean subtracted before the
// division by 256 (face-api.js faceRecognitionNet/normalize.ts).
var FaceRecognitionMean = [3]float32{122.782, 117.001, 104.298}

// FaceRecognition builds the ONNX graph of the face recognition net from
// its tfjs weights. Every tensor in the manifest must be used.
//
// Layer by layer (tfjs names; NHWC in tfjs, NCHW here):
//
//	conv32_down      7x7/2 'valid' conv + bias, scale, relu   150 -> 72
//	max pool         3x3/2 'valid'                              72 -> 35
//	conv32_1..3      residual: conv-relu, conv, add x, relu     35
//	conv64_down      residual down (see residualDown)           35 -> 17
//	conv64_1..3      residual                                   17
//	conv128_down     residual down                              17 -> 8
//	conv128_1..2     residual                                    8
//	conv256_down     residual down                               8 -> 4
//	conv256_1..2     residual                                    4
//	conv256_down_out residual down                               4 -> 2
//	mean over H, W, then x * fc (256x128)
//
// Each conv is followed by a per-channel affine "scale" layer
// ((conv+bias)*weights + biases); it is folded into the conv here.
func FaceRecognition(w *Weights) (*onnx.Model, error) {
	b := &builder{w: w}
	x := b.input(FaceRecognitionInput, 3, FaceRecognitionSize, FaceRecognitionSize)

	x = b.relu(b.frConv(x, "conv32_down", convSpec{k: 7, stride: 2, outC: 32}))
	x = b.maxPool(x, 3, 2)
	for _, l := range []struct {
		name string
		outC int
		down bool
	}{
		{"conv32_1", 32, false}, {"conv32_2", 32, false}, {"conv32_3", 32, false},
		{"conv64_down", 64, true}, {"conv64_1", 64, false}, {"conv64_2", 64, false}, {"conv64_3", 64, false},
		{"conv128_down", 128, true}, {"conv128_1", 128, false}, {"conv128_2", 128, false},
		{"conv256_down", 256, true}, {"conv256_1", 256, false}, {"conv256_2", 256, false},
		{"conv256_down_out", 256, true},
	} {
		if l.down {
			x = b.residualDown(x, l.name, l.outC)
		} else {
			x = b.residual(x, l.name)
		}
	}
	if b.err != nil {
		return nil, b.err
	}

	// Global mean over H and W, then the fully connected layer. tfjs
	// computes mean(x) · fc with fc as [256, 128]; OpenCV 4.6 imports Gemm
	// as InnerProduct only with a constant B in [out, in] layout and
	// transB=1, so fc is written transposed.
	pooled := b.node("GlobalAveragePool", "gap", []string{x.name})
	flat := b.node("Flatten", "flatten", []string{pooled}, onnx.IntAttr("axis", 1))
	fc, err := w.Get("fc", x.c, FaceRecognitionDims)
	if err != nil {
		return nil, err
	}
	fcT := make([]float32, len(fc.Data))
	for i := 0; i < x.c; i++ {
		for o := 0; o < FaceRecognitionDims; o++ {
			fcT[o*x.c+i] = fc.Data[i*FaceRecognitionDims+o]
		}
	}
	bT := b.constant("fc_W", []int64{FaceRecognitionDims, int64(x.c)}, fcT)
	bC := b.constant("fc_B", []int64{FaceRecognitionDims}, make([]float32, FaceRecognitionDims))
	out := len(b.g.Nodes)
	b.node("Gemm", "fc", []string{flat, bT, bC},
		onnx.FloatAttr("alpha", 1), onnx.FloatAttr("beta", 1), onnx.IntAttr("transB", 1))
	b.g.Nodes[out].Outputs = []string{FaceRecognitionOutput}
	b.output(FaceRecognitionOutput, 1, FaceRecognitionDims)

	if err := w.Unused(); err != nil {
		return nil, err
	}
	return b.model("face_recognition",
		"face-api.js FaceRecognitionNet (dlib ResNet), converted from @vladmandic/face-api tfjs weights by egate-models. "+
			"Input 1x3x150x150 RGB, (x - [122.782, 117.001, 104.298]) / 256. Output 1x128.")
}

// frConv emits conv + bias + scale folded into one Conv:
// ((x*F + bias) * s + t) == x*(F*s) + (bias*s + t).
func (b *builder) frConv(x value, prefix string, s convSpec) value {
	if b.err != nil {
		return x
	}
	get := func(name string, shape ...int) []float32 {
		t, err := b.w.Get(prefix+"/"+name, shape...)
		if err != nil {
			b.fail(err)
			return nil
		}
		return t.Data
	}
	f := get("conv/filters", s.k, s.k, x.c, s.outC)
	bias := get("conv/bias", s.outC)
	sw := get("scale/weights", s.outC)
	sb := get("scale/biases", s.outC)
	if b.err != nil {
		return x
	}
	fb := make([]float32, s.outC)
	for o := range fb {
		fb[o] = float32(float64(bias[o])*float64(sw[o]) + float64(sb[o]))
	}
	return b.conv(x, s, hwioToOIHW(f, s.k, s.k, x.c, s.outC, sw), fb, prefix)
}

// residual: relu(conv2(relu(conv1(x))) + x), both 3x3 'same'.
func (b *builder) residual(x value, prefix string) value {
	y := b.relu(b.frConv(x, prefix+"/conv1", convSpec{k: 3, stride: 1, same: true, outC: x.c}))
	y = b.frConv(y, prefix+"/conv2", convSpec{k: 3, stride: 1, same: true, outC: x.c})
	return b.relu(b.add(y, x))
}

// residualDown mirrors face-api.js residualDown:
//
//	y = conv2(relu(conv1 3x3/2 'valid'(x)))            (conv2 3x3 'same')
//	p = avgPool 2x2/2 'valid'(x), zero-padded in channels to outC
//	if y is smaller than p: append a zero row and column to y
//	out = relu(y + p)
//
// OpenCV 4.6 does not import that shortcut as written, so the pooling and
// the channel padding are one fixed 2x2/2 convolution (weight 1/4 from
// input channel i to output channel i, zero elsewhere), and the zero
// row/column is a constant Pad after conv2 (the bias and scale are already
// applied, so the padding stays exactly zero as in tfjs).
func (b *builder) residualDown(x value, prefix string, outC int) value {
	y := b.relu(b.frConv(x, prefix+"/conv1", convSpec{k: 3, stride: 2, outC: outC}))
	y = b.frConv(y, prefix+"/conv2", convSpec{k: 3, stride: 1, same: true, outC: outC})

	avg := make([]float32, outC*x.c*2*2)
	for i := 0; i < x.c; i++ {
		for k := 0; k < 4; k++ {
			avg[(i*x.c+i)*4+k] = 0.25
		}
	}
	p := b.conv(x, convSpec{k: 2, stride: 2, outC: outC}, avg, nil, prefix+"/shortcut")
	if b.err == nil && (p.h-y.h < 0 || p.h-y.h > 1 || p.w-y.w < 0 || p.w-y.w > 1) {
		b.fail(fmt.Errorf("tfjsconv: %s: residual %dx%d vs shortcut %dx%d", prefix, y.h, y.w, p.h, p.w))
	}
	y = b.padEnd(y, p.h-y.h, p.w-y.w)
	return b.relu(b.add(y, p))
}
