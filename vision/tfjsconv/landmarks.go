package tfjsconv

import (
	"fmt"

	"github.com/egate/egate/vision/onnx"
)

// 68-point landmark nets (face-api.js FaceLandmark68Net and
// FaceLandmark68TinyNet). Input: 1x3x112x112 RGB face crop, padded to a
// square with the image centred, normalised as (x - LandmarkMean) / 255.
// Output: 1x136, the 68 points (x0, y0, x1, y1, ...) relative to the
// square crop (0..1), in the iBUG 300-W order.
const (
	Landmark68Manifest     = "face_landmark_68_model-weights_manifest.json"
	Landmark68TinyManifest = "face_landmark_68_tiny_model-weights_manifest.json"
	LandmarkSize           = 112
	LandmarkOutput         = "landmarks"
)

// LandmarkMean is the RGB mean subtracted before the division by 255
// (face-api.js faceFeatureExtractor).
var LandmarkMean = [3]float32{122.782, 117.001, 104.298}

// FaceLandmark68 converts face_landmark_68_model: four dense blocks of four
// convolutions (112 -> 56 -> 28 -> 14 -> 7, 32/64/128/256 channels), a 7x7
// average pool and a fully connected layer to 136 values.
func FaceLandmark68(w *Weights) (*onnx.Model, error) {
	return faceLandmarks(w, "face_landmark_68", []int{32, 64, 128, 256}, 4)
}

// FaceLandmark68Tiny converts face_landmark_68_tiny_model: three dense
// blocks of three convolutions (112 -> 14, 32/64/128 channels), a 14x14
// average pool and a fully connected layer to 136 values.
func FaceLandmark68Tiny(w *Weights) (*onnx.Model, error) {
	return faceLandmarks(w, "face_landmark_68_tiny", []int{32, 64, 128}, 3)
}

func faceLandmarks(w *Weights, name string, channels []int, convs int) (*onnx.Model, error) {
	b := &builder{w: w}
	x := b.input("input", 3, LandmarkSize, LandmarkSize)
	for i, c := range channels {
		x = b.denseBlock(x, fmt.Sprintf("dense%d", i), c, convs, i == 0)
	}
	if b.err != nil {
		return nil, b.err
	}
	// tfjs: avgPool(k, k, stride 2, 'valid') over a k x k map, i.e. a global
	// average.
	pooled := b.node("GlobalAveragePool", "gap", []string{x.name})
	flat := b.node("Flatten", "flatten", []string{pooled}, onnx.IntAttr("axis", 1))
	b.fcLayer(flat, "fc", x.c, 2*68, LandmarkOutput)
	if b.err != nil {
		return nil, b.err
	}
	if err := w.Unused(); err != nil {
		return nil, err
	}
	return b.model(name, "face-api.js "+name+" net, converted from @vladmandic/face-api tfjs weights by egate-models. "+
		"Input 1x3x112x112 RGB, (x - [122.782, 117.001, 104.298]) / 255. Output 1x136 (x, y) relative to the crop.")
}

// denseBlock mirrors face-api.js faceFeatureExtractor denseBlock3/4:
//
//	o1 = relu(conv0/2(x))            (plain conv in the first block, else separable)
//	o2 = sep(o1)
//	o3 = sep(relu(o1 + o2))
//	o4 = sep(relu(o1 + o2 + o3))     (4-conv blocks only)
//	out = relu(o1 + ... + oN)
func (b *builder) denseBlock(x value, prefix string, outC, convs int, first bool) value {
	s2 := convSpec{k: 3, stride: 2, same: true, outC: outC}
	var o1 value
	if first {
		o1 = b.plainConv(x, prefix+"/conv0", s2)
	} else {
		o1 = b.separableConv(x, prefix+"/conv0", s2)
	}
	o1 = b.relu(o1)
	sum := o1
	for i := 1; i < convs; i++ {
		in := o1
		if i > 1 {
			in = b.relu(sum)
		}
		o := b.separableConv(in, fmt.Sprintf("%s/conv%d", prefix, i), convSpec{k: 3, stride: 1, same: true, outC: outC})
		sum = b.add(sum, o)
	}
	return b.relu(sum)
}

// plainConv: tfjs conv2d(filters) + bias.
func (b *builder) plainConv(x value, prefix string, s convSpec) value {
	f, err := b.w.Get(prefix+"/filters", s.k, s.k, x.c, s.outC)
	if err != nil {
		b.fail(err)
		return x
	}
	bias, err := b.w.Get(prefix+"/bias", s.outC)
	if err != nil {
		b.fail(err)
		return x
	}
	return b.conv(x, s, hwioToOIHW(f.Data, s.k, s.k, x.c, s.outC, nil), bias.Data, prefix)
}

// separableConv: tfjs separableConv2d(depthwise_filter, pointwise_filter)
// + bias, as a grouped (depthwise) Conv followed by a 1x1 Conv.
func (b *builder) separableConv(x value, prefix string, s convSpec) value {
	if b.err != nil {
		return x
	}
	dw, err := b.w.Get(prefix+"/depthwise_filter", s.k, s.k, x.c, 1)
	if err != nil {
		b.fail(err)
		return x
	}
	pw, err := b.w.Get(prefix+"/pointwise_filter", 1, 1, x.c, s.outC)
	if err != nil {
		b.fail(err)
		return x
	}
	bias, err := b.w.Get(prefix+"/bias", s.outC)
	if err != nil {
		b.fail(err)
		return x
	}
	d := b.depthwise(x, s, hwioToOIHW(dw.Data, s.k, s.k, x.c, 1, nil), prefix+"/dw")
	return b.conv(d, convSpec{k: 1, stride: 1, outC: s.outC}, hwioToOIHW(pw.Data, 1, 1, x.c, s.outC, nil), bias.Data, prefix+"/pw")
}

// depthwise emits a Conv with group = channels. w is [kh, kw, C, 1]
// reordered by hwioToOIHW with in=C, out=1, i.e. laid out [1, C, kh, kw],
// which is the same memory as ONNX's [C, 1, kh, kw].
func (b *builder) depthwise(x value, s convSpec, w []float32, prefix string) value {
	if b.err != nil {
		return x
	}
	oh, pt, pb := s.outSize(x.h)
	ow, pl, pr := s.outSize(x.w)
	if len(w) != x.c*s.k*s.k {
		b.fail(fmt.Errorf("tfjsconv: %s: %d depthwise weights for %d channels", prefix, len(w), x.c))
		return x
	}
	wn := b.constant(prefix+"_W", []int64{int64(x.c), 1, int64(s.k), int64(s.k)}, w)
	out := b.node("Conv", prefix, []string{x.name, wn},
		onnx.IntsAttr("kernel_shape", int64(s.k), int64(s.k)),
		onnx.IntsAttr("strides", int64(s.stride), int64(s.stride)),
		onnx.IntsAttr("pads", int64(pt), int64(pl), int64(pb), int64(pr)),
		onnx.IntsAttr("dilations", 1, 1),
		onnx.IntAttr("group", int64(x.c)),
	)
	return value{name: out, c: x.c, h: oh, w: ow}
}

// fcLayer emits x · weights + bias with tfjs weights [in, out] written
// transposed for Gemm(transB=1), the form OpenCV 4.6 imports.
func (b *builder) fcLayer(x, prefix string, in, out int, outName string) {
	if b.err != nil {
		return
	}
	wt, err := b.w.Get(prefix+"/weights", in, out)
	if err != nil {
		b.fail(err)
		return
	}
	bias, err := b.w.Get(prefix+"/bias", out)
	if err != nil {
		b.fail(err)
		return
	}
	t := make([]float32, in*out)
	for i := 0; i < in; i++ {
		for o := 0; o < out; o++ {
			t[o*in+i] = wt.Data[i*out+o]
		}
	}
	bw := b.constant(prefix+"_W", []int64{int64(out), int64(in)}, t)
	bb := b.constant(prefix+"_B", []int64{int64(out)}, bias.Data)
	b.g.Nodes = append(b.g.Nodes, onnx.Node{
		Name: b.uniq(prefix), OpType: "Gemm", Inputs: []string{x, bw, bb}, Outputs: []string{outName},
		Attrs: []onnx.Attr{onnx.FloatAttr("alpha", 1), onnx.FloatAttr("beta", 1), onnx.IntAttr("transB", 1)},
	})
	b.output(outName, 1, int64(out))
}
