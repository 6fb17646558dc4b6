package tfjsconv

import (
	"fmt"

	"github.com/egate/egate/vision/onnx"
)

// Tiny face detector (face-api.js TinyFaceDetector: a Tiny YOLO v2 with
// depthwise separable convolutions, one class). Input: 1x3xSxS RGB, S a
// multiple of 32, the image padded at the bottom/right to a square and
// normalised as (x - TinyFaceMean) / 256. Output: 1x25x(S/32)x(S/32): for
// each cell and each of the 5 anchors, (tx, ty, tw, th, score logit) at
// channel anchor*5 + k; decode as in TinyYOLO v2 with TinyFaceAnchors.
const (
	TinyFaceManifest = "tiny_face_detector_model-weights_manifest.json"
	TinyFaceOutput   = "boxes"
)

// TinyFaceMean is the RGB mean of the detector's normalisation.
var TinyFaceMean = [3]float32{117.001, 114.697, 97.404}

// TinyFaceAnchors are the anchor box sizes, in cells (width, height).
var TinyFaceAnchors = [5][2]float64{
	{1.603231, 2.094468}, {6.041143, 7.080126}, {2.882459, 3.518061},
	{4.266906, 5.178857}, {9.041765, 10.66308},
}

// TinyFaceDetector converts tiny_face_detector_model for a fixed square
// input size (the 'same' paddings depend on it):
//
//	conv0 3x3 'valid' + bias, leaky                    S -> S-2
//	maxpool 2x2/2 'same'; sep conv1 (pad 1), leaky    ... 32 channels
//	maxpool; conv2 (64); maxpool; conv3 (128); maxpool; conv4 (256)
//	maxpool 2x2/2; conv5 (512); maxpool 2x2/1 'same'
//	conv8 1x1 + bias                                   25 channels
//
// leaky(x) = max(x, 0.1x).
func TinyFaceDetector(w *Weights, size int) (*onnx.Model, error) {
	if size < 64 || size%32 != 0 {
		return nil, fmt.Errorf("tfjsconv: tiny face detector input %d is not a multiple of 32", size)
	}
	b := &builder{w: w}
	x := b.input("input", 3, size, size)
	x = b.leaky(b.plainConv(x, "conv0", convSpec{k: 3, stride: 1, outC: 16}))
	for i, c := range []int{32, 64, 128, 256, 512} {
		x = b.maxPoolSame(x, 2, 2)
		// tfjs pads by 1 explicitly, then runs a 'valid' separable conv:
		// the same as 'same' padding for 3x3 stride 1.
		x = b.leaky(b.separableConv(x, fmt.Sprintf("conv%d", i+1), convSpec{k: 3, stride: 1, same: true, outC: c}))
	}
	x = b.maxPoolSame(x, 2, 1)
	x = b.plainConv(x, "conv8", convSpec{k: 1, stride: 1, outC: 25})
	if b.err != nil {
		return nil, b.err
	}
	if x.h != size/32 || x.w != size/32 {
		return nil, fmt.Errorf("tfjsconv: tiny face detector output %dx%d for input %d", x.h, x.w, size)
	}
	n := len(b.g.Nodes) - 1
	b.g.Nodes[n].Outputs = []string{TinyFaceOutput}
	b.output(TinyFaceOutput, 1, 25, int64(x.h), int64(x.w))
	if err := w.Unused(); err != nil {
		return nil, err
	}
	return b.model(fmt.Sprintf("tiny_face_detector_%d", size), fmt.Sprintf(
		"face-api.js TinyFaceDetector, converted from @vladmandic/face-api tfjs weights by egate-models. "+
			"Input 1x3x%[1]dx%[1]d RGB padded bottom/right to a square, (x - [117.001, 114.697, 97.404]) / 256. "+
			"Output 1x25x%[2]dx%[2]d: per anchor (tx, ty, tw, th, score logit).", size, size/32))
}

func (b *builder) leaky(x value) value {
	if b.err != nil {
		return x
	}
	x.name = b.node("LeakyRelu", "leaky", []string{x.name}, onnx.FloatAttr("alpha", 0.1))
	return x
}

// maxPoolSame is tfjs maxPool with 'same' padding: the extra padding
// goes at the end, and padded cells never win. ONNX MaxPool pads have the
// same meaning, and OpenCV 4.6 honours asymmetric ones (checked against
// face-api.js in gocvface's TestTinyFaceConversion).
func (b *builder) maxPoolSame(x value, k, stride int) value {
	if b.err != nil {
		return x
	}
	s := convSpec{k: k, stride: stride, same: true}
	oh, pt, pb := s.outSize(x.h)
	ow, pl, pr := s.outSize(x.w)
	out := b.node("MaxPool", "maxpool", []string{x.name},
		onnx.IntsAttr("kernel_shape", int64(k), int64(k)),
		onnx.IntsAttr("strides", int64(stride), int64(stride)),
		onnx.IntsAttr("pads", int64(pt), int64(pl), int64(pb), int64(pr)),
	)
	return value{name: out, c: x.c, h: oh, w: ow}
}
