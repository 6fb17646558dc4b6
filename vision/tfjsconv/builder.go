package tfjsconv

import (
	"fmt"

	"github.com/egate/egate/vision/onnx"
)

// Opset and IRVersion of the models this package writes. OpenCV 4.6's
// importer reads opset 11 (Pad takes its pads as a constant input).
const (
	Opset     = 11
	IRVersion = 6
)

// value is a tensor flowing through the graph being built, with its
// NCHW shape (batch 1) so that builders can check their arithmetic.
type value struct {
	name    string
	c, h, w int
}

// builder accumulates an ONNX graph. The first error sticks; later calls
// are no-ops, so a network can be written as straight-line code.
type builder struct {
	g   onnx.Graph
	w   *Weights
	n   int
	err error
}

func (b *builder) fail(err error) {
	if b.err == nil {
		b.err = err
	}
}

func (b *builder) uniq(prefix string) string {
	b.n++
	return fmt.Sprintf("%s_%d", prefix, b.n)
}

func (b *builder) node(op, prefix string, inputs []string, attrs ...onnx.Attr) string {
	out := b.uniq(prefix)
	b.g.Nodes = append(b.g.Nodes, onnx.Node{
		Name: out, OpType: op, Inputs: inputs, Outputs: []string{out}, Attrs: attrs,
	})
	return out
}

func (b *builder) constant(prefix string, dims []int64, data []float32) string {
	name := b.uniq(prefix)
	b.g.Initializers = append(b.g.Initializers, onnx.FloatTensor(name, dims, data))
	return name
}

func (b *builder) input(name string, c, h, w int) value {
	b.g.Inputs = append(b.g.Inputs, onnx.ValueInfo{
		Name: name, ElemType: onnx.Float, Shape: []int64{1, int64(c), int64(h), int64(w)},
	})
	return value{name: name, c: c, h: h, w: w}
}

func (b *builder) output(v string, shape ...int64) {
	b.g.Outputs = append(b.g.Outputs, onnx.ValueInfo{Name: v, ElemType: onnx.Float, Shape: shape})
}

// convSpec describes one convolution in tfjs terms.
type convSpec struct {
	k, stride int
	same      bool // tfjs 'same' padding (else 'valid')
	outC      int
}

// outSize applies tfjs padding rules for one spatial dimension.
func (s convSpec) outSize(in int) (out, padBegin, padEnd int) {
	if s.same {
		out = (in + s.stride - 1) / s.stride
		total := max((out-1)*s.stride+s.k-in, 0)
		return out, total / 2, total - total/2
	}
	return (in-s.k)/s.stride + 1, 0, 0
}

// conv emits an ONNX Conv from weights W (ONNX layout [out, in, kh, kw])
// and bias (length out).
func (b *builder) conv(x value, s convSpec, w, bias []float32, prefix string) value {
	if b.err != nil {
		return x
	}
	oh, pt, pb := s.outSize(x.h)
	ow, pl, pr := s.outSize(x.w)
	if oh <= 0 || ow <= 0 {
		b.fail(fmt.Errorf("tfjsconv: %s: input %dx%d too small for %dx%d/%d", prefix, x.h, x.w, s.k, s.k, s.stride))
		return x
	}
	if len(w) != s.outC*x.c*s.k*s.k {
		b.fail(fmt.Errorf("tfjsconv: %s: %d weights for %dx%dx%dx%d", prefix, len(w), s.outC, x.c, s.k, s.k))
		return x
	}
	inputs := []string{x.name, b.constant(prefix+"_W", []int64{int64(s.outC), int64(x.c), int64(s.k), int64(s.k)}, w)}
	if bias != nil {
		inputs = append(inputs, b.constant(prefix+"_B", []int64{int64(s.outC)}, bias))
	}
	out := b.node("Conv", prefix, inputs,
		onnx.IntsAttr("kernel_shape", int64(s.k), int64(s.k)),
		onnx.IntsAttr("strides", int64(s.stride), int64(s.stride)),
		onnx.IntsAttr("pads", int64(pt), int64(pl), int64(pb), int64(pr)),
		onnx.IntsAttr("dilations", 1, 1),
		onnx.IntAttr("group", 1),
	)
	return value{name: out, c: s.outC, h: oh, w: ow}
}

func (b *builder) relu(x value) value {
	if b.err != nil {
		return x
	}
	x.name = b.node("Relu", "relu", []string{x.name})
	return x
}

func (b *builder) add(x, y value) value {
	if b.err != nil {
		return x
	}
	if x.c != y.c || x.h != y.h || x.w != y.w {
		b.fail(fmt.Errorf("tfjsconv: add of %dx%dx%d and %dx%dx%d", x.c, x.h, x.w, y.c, y.h, y.w))
		return x
	}
	x.name = b.node("Add", "add", []string{x.name, y.name})
	return x
}

func (b *builder) maxPool(x value, k, stride int) value {
	if b.err != nil {
		return x
	}
	s := convSpec{k: k, stride: stride}
	oh, _, _ := s.outSize(x.h)
	ow, _, _ := s.outSize(x.w)
	out := b.node("MaxPool", "maxpool", []string{x.name},
		onnx.IntsAttr("kernel_shape", int64(k), int64(k)),
		onnx.IntsAttr("strides", int64(stride), int64(stride)),
		onnx.IntsAttr("pads", 0, 0, 0, 0),
	)
	return value{name: out, c: x.c, h: oh, w: ow}
}

// padEnd appends zero rows at the bottom and zero columns at the right.
func (b *builder) padEnd(x value, rows, cols int) value {
	if b.err != nil || (rows == 0 && cols == 0) {
		return x
	}
	pads := b.uniq("pads")
	b.g.Initializers = append(b.g.Initializers, onnx.Int64Tensor(pads, []int64{8},
		[]int64{0, 0, 0, 0, 0, 0, int64(rows), int64(cols)}))
	out := b.node("Pad", "pad", []string{x.name, pads}, onnx.StringAttr("mode", "constant"))
	return value{name: out, c: x.c, h: x.h + rows, w: x.w + cols}
}

// model wraps the graph with the fixed versions and producer.
func (b *builder) model(name, doc string) (*onnx.Model, error) {
	if b.err != nil {
		return nil, b.err
	}
	b.g.Name = name
	m := &onnx.Model{
		IRVersion: IRVersion, Opset: Opset,
		ProducerName: "egate-models", ProducerVersion: "1",
		DocString: doc, Graph: b.g,
	}
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("tfjsconv: %s: %w", name, err)
	}
	return m, nil
}

// hwioToOIHW reorders a tfjs conv filter [kh, kw, in, out] to ONNX
// [out, in, kh, kw], multiplying output channel o by scale[o] if given.
func hwioToOIHW(f []float32, kh, kw, in, out int, scale []float32) []float32 {
	w := make([]float32, len(f))
	for y := 0; y < kh; y++ {
		for x := 0; x < kw; x++ {
			for i := 0; i < in; i++ {
				for o := 0; o < out; o++ {
					v := f[((y*kw+x)*in+i)*out+o]
					if scale != nil {
						v *= scale[o]
					}
					w[((o*in+i)*kh+y)*kw+x] = v
				}
			}
		}
	}
	return w
}
