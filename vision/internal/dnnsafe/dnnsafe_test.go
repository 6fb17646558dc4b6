package dnnsafe

import (
	"bytes"
	"errors"
	"math"
	"testing"

	"github.com/egate/egate/vision/onnx"
)

// tinyModel is a graph written by package onnx that exercises the
// operator kinds the face recognition net uses: Conv, Relu, Pad (opset 11,
// pads as a constant input), MaxPool, Add, Flatten and Gemm with transB=1.
//
//	x [1,1,2,2] -> Conv1x1 (w={1,-1}, b={0.5,0.25}) -> Relu -> [1,2,2,2]
//	-> Pad (one zero row and column at the end) -> p [1,2,3,3]
//	-> MaxPool 1x1 (identity) -> Add p -> Flatten -> Gemm (1..18, bias 3) -> y [1,1]
func tinyModel() *onnx.Model {
	gw := make([]float32, 18)
	for i := range gw {
		gw[i] = float32(i + 1)
	}
	return &onnx.Model{
		IRVersion: 6, Opset: 11,
		Graph: onnx.Graph{
			Name: "tiny",
			Nodes: []onnx.Node{
				{OpType: "Conv", Inputs: []string{"x", "w", "b"}, Outputs: []string{"c"},
					Attrs: []onnx.Attr{onnx.IntsAttr("kernel_shape", 1, 1), onnx.IntsAttr("strides", 1, 1), onnx.IntsAttr("pads", 0, 0, 0, 0)}},
				{OpType: "Relu", Inputs: []string{"c"}, Outputs: []string{"r"}},
				{OpType: "Pad", Inputs: []string{"r", "pads"}, Outputs: []string{"p"}, Attrs: []onnx.Attr{onnx.StringAttr("mode", "constant")}},
				{OpType: "MaxPool", Inputs: []string{"p"}, Outputs: []string{"m"},
					Attrs: []onnx.Attr{onnx.IntsAttr("kernel_shape", 1, 1), onnx.IntsAttr("strides", 1, 1), onnx.IntsAttr("pads", 0, 0, 0, 0)}},
				{OpType: "Add", Inputs: []string{"m", "p"}, Outputs: []string{"a"}},
				{OpType: "Flatten", Inputs: []string{"a"}, Outputs: []string{"f"}, Attrs: []onnx.Attr{onnx.IntAttr("axis", 1)}},
				{OpType: "Gemm", Inputs: []string{"f", "gw", "gb"}, Outputs: []string{"y"},
					Attrs: []onnx.Attr{onnx.FloatAttr("alpha", 1), onnx.FloatAttr("beta", 1), onnx.IntAttr("transB", 1)}},
			},
			Initializers: []onnx.Tensor{
				onnx.FloatTensor("w", []int64{2, 1, 1, 1}, []float32{1, -1}),
				onnx.FloatTensor("b", []int64{2}, []float32{0.5, 0.25}),
				onnx.Int64Tensor("pads", []int64{8}, []int64{0, 0, 0, 0, 0, 0, 1, 1}),
				onnx.FloatTensor("gw", []int64{1, 18}, gw),
				onnx.FloatTensor("gb", []int64{1}, []float32{3}),
			},
			Inputs:  []onnx.ValueInfo{{Name: "x", ElemType: onnx.Float, Shape: []int64{1, 1, 2, 2}}},
			Outputs: []onnx.ValueInfo{{Name: "y", ElemType: onnx.Float, Shape: []int64{1, 1}}},
		},
	}
}

// tinyExpected computes tinyModel by hand.
func tinyExpected(x [4]float32) float32 {
	var f [18]float32
	for c, wb := range [][2]float32{{1, 0.5}, {-1, 0.25}} {
		for i, v := range x {
			h, w := i/2, i%2
			f[c*9+h*3+w] = 2 * max(wb[0]*v+wb[1], 0) // m + p, m == p
		}
	}
	y := float32(3)
	for k, v := range f {
		y += float32(k+1) * v
	}
	return y
}

func TestTinyGraphInOpenCV(t *testing.T) {
	net, err := LoadONNX(tinyModel().Marshal())
	if err != nil {
		t.Fatal(err)
	}
	defer net.Close()
	for _, x := range [][4]float32{{0, 0, 0, 0}, {1, -2, 0.3, 4}, {-0.1, 0.1, 0.2, -5}} {
		out := make([]float32, 4)
		shape, err := net.Forward(x[:], []int{1, 1, 2, 2}, out)
		if err != nil {
			t.Fatal(err)
		}
		if len(shape) != 2 || shape[0] != 1 || shape[1] != 1 {
			t.Fatalf("output shape %v", shape)
		}
		if want := tinyExpected(x); math.Abs(float64(out[0]-want)) > 1e-5 {
			t.Errorf("x=%v: y=%v, want %v", x, out[0], want)
		}
	}
}

// TestOpenCVErrorsAreErrors feeds OpenCV inputs that make it throw and
// checks that the C++ guard turns them into errors (without it, the test
// binary would abort).
func TestOpenCVErrorsAreErrors(t *testing.T) {
	good := tinyModel().Marshal()
	wrongRank := tinyModel()
	wrongRank.Graph.Initializers[0] = onnx.FloatTensor("w", []int64{2}, []float32{1, -1})
	for _, tc := range []struct {
		desc  string
		model []byte
	}{
		{"garbage", bytes.Repeat([]byte("garbage!"), 100)},
		{"truncated", good[:len(good)*2/3]},
		{"conv weights of rank 1", wrongRank.Marshal()},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			if _, err := LoadONNX(tc.model); err == nil {
				t.Error("LoadONNX accepted it")
			}
			net, err := loadUnchecked(tc.model)
			if err == nil {
				// OpenCV may accept a model lazily; it must then fail at Forward.
				defer net.Close()
				_, err = net.Forward(make([]float32, 4), []int{1, 1, 2, 2}, make([]float32, 4))
			}
			if !errors.Is(err, ErrOpenCV) {
				t.Errorf("err = %v, want ErrOpenCV", err)
			} else {
				t.Logf("caught: %.120s", err)
			}
		})
	}

	net, err := LoadONNX(good)
	if err != nil {
		t.Fatal(err)
	}
	defer net.Close()
	if _, err := net.Forward(make([]float32, 27), []int{1, 3, 3, 3}, make([]float32, 4)); !errors.Is(err, ErrOpenCV) {
		t.Errorf("Forward with 3 channels: err = %v, want ErrOpenCV", err)
	}
	if _, err := net.Forward(make([]float32, 3), []int{1, 1, 2, 2}, make([]float32, 4)); err == nil {
		t.Error("Forward with a short input succeeded")
	}
	if _, err := net.Forward(make([]float32, 4), []int{1, 1, 2, 2}, make([]float32, 4)); err != nil {
		t.Errorf("Forward after errors: %v", err)
	}
	net.Close()
	if _, err := net.Forward(make([]float32, 4), []int{1, 1, 2, 2}, make([]float32, 4)); !errors.Is(err, ErrClosed) {
		t.Errorf("Forward after Close: %v", err)
	}
}
