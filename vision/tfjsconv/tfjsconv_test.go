package tfjsconv

import (
	"encoding/binary"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/egate/egate/vision/internal/visiontest"
	"github.com/egate/egate/vision/onnx"
)

func TestDequantize(t *testing.T) {
	// The first uint8 tensor of face_recognition_model (scale and min from
	// its manifest). Expected bits from node: new Float32Array([q*scale+min]),
	// double arithmetic rounded to float32. q=135 gives exactly 0 in float64,
	// where exact arithmetic would give 7.5e-18.
	const scale, min = 0.0005260649557207145, -0.07101876902229645
	for _, tc := range []struct {
		q    uint16
		want uint32
	}{
		{0, 0xbd91724a},
		{135, 0},
		{255, 0x3d814925},
	} {
		if got := Dequantize(tc.q, scale, min); math.Float32bits(got) != tc.want {
			t.Errorf("Dequantize(%d) = %v (%#x), want %#x", tc.q, got, math.Float32bits(got), tc.want)
		}
	}
}

func TestHalfToFloat(t *testing.T) {
	for _, tc := range []struct {
		h    uint16
		want float32
	}{
		{0x0000, 0}, {0x3c00, 1}, {0xc000, -2}, {0x3555, 0.33325195}, {0x7bff, 65504},
		{0x0001, 5.9604645e-8}, {0x7c00, float32(math.Inf(1))},
	} {
		if got := HalfToFloat(tc.h); got != tc.want {
			t.Errorf("HalfToFloat(%#04x) = %v, want %v", tc.h, got, tc.want)
		}
	}
	if !math.IsNaN(float64(HalfToFloat(0x7e00))) {
		t.Error("0x7e00 is not NaN")
	}
}

func f32bytes(vs ...float32) []byte {
	var b []byte
	for _, v := range vs {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
	}
	return b
}

func TestDecode(t *testing.T) {
	m := Manifest{{Paths: []string{"x.bin"}, Weights: []WeightSpec{
		{Name: "a", Shape: []int{2}, Dtype: "float32"},
		{Name: "q8", Shape: []int{3}, Dtype: "float32", Quantization: &Quantization{Dtype: "uint8", Scale: 0.5, Min: -1}},
		{Name: "q16", Shape: []int{1}, Dtype: "float32", Quantization: &Quantization{Dtype: "uint16", Scale: 0.25, Min: 1}},
		{Name: "h", Shape: []int{1}, Dtype: "float32", Quantization: &Quantization{Dtype: "float16"}},
		{Name: "i", Shape: []int{1}, Dtype: "int32"},
	}}}
	data := f32bytes(1.5, -2)
	data = append(data, 0, 2, 255)
	data = append(data, 4, 0)       // uint16 4 -> 2
	data = append(data, 0x00, 0x3c) // half 1.0
	data = binary.LittleEndian.AppendUint32(data, uint32(0xfffffffd))

	w, err := Decode(m, [][]byte{data})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		want []float32
	}{
		{"a", []float32{1.5, -2}}, {"q8", []float32{-1, 0, 126.5}}, {"q16", []float32{2}},
		{"h", []float32{1}}, {"i", []float32{-3}},
	} {
		got, err := w.Get(tc.name, len(tc.want))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got.Data, tc.want) {
			t.Errorf("%s = %v, want %v", tc.name, got.Data, tc.want)
		}
	}
	if err := w.Unused(); err != nil {
		t.Error(err)
	}
	if _, err := w.Get("a", 3); err == nil {
		t.Error("Get with the wrong shape succeeded")
	}

	for _, tc := range []struct {
		desc string
		data []byte
		want string
	}{
		{"short", data[:len(data)-1], "need 4 bytes"},
		{"trailing", append(slices.Clone(data), 0), "1 bytes left"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			if _, err := Decode(m, [][]byte{tc.data}); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Decode = %v, want error containing %q", err, tc.want)
			}
		})
	}
	bad := Manifest{{Weights: []WeightSpec{{Name: "x", Shape: []int{1 << 20, 1 << 20}, Dtype: "float32"}}}}
	if _, err := Decode(bad, [][]byte{nil}); err == nil {
		t.Error("huge shape accepted")
	}
}

func TestHWIOToOIHW(t *testing.T) {
	// 1x2 kernel, 2 inputs, 3 outputs; value encodes (y, x, i, o).
	kh, kw, in, out := 1, 2, 2, 3
	f := make([]float32, kh*kw*in*out)
	for y := 0; y < kh; y++ {
		for x := 0; x < kw; x++ {
			for i := 0; i < in; i++ {
				for o := 0; o < out; o++ {
					f[((y*kw+x)*in+i)*out+o] = float32(1000*y + 100*x + 10*i + o)
				}
			}
		}
	}
	w := hwioToOIHW(f, kh, kw, in, out, []float32{1, 2, 3})
	for o := 0; o < out; o++ {
		for i := 0; i < in; i++ {
			for x := 0; x < kw; x++ {
				want := float32(100*x+10*i+o) * float32(o+1)
				if got := w[((o*in+i)*kh)*kw+x]; got != want {
					t.Errorf("w[o=%d,i=%d,x=%d] = %v, want %v", o, i, x, got, want)
				}
			}
		}
	}
}

func TestOutSize(t *testing.T) {
	for _, tc := range []struct {
		s                   convSpec
		in, out, begin, end int
	}{
		{convSpec{k: 7, stride: 2}, 150, 72, 0, 0},
		{convSpec{k: 3, stride: 2}, 35, 17, 0, 0},
		{convSpec{k: 3, stride: 2}, 8, 3, 0, 0},
		{convSpec{k: 3, stride: 2}, 4, 1, 0, 0},
		{convSpec{k: 3, stride: 1, same: true}, 35, 35, 1, 1},
		{convSpec{k: 3, stride: 2, same: true}, 112, 56, 0, 1},
	} {
		out, b, e := tc.s.outSize(tc.in)
		if out != tc.out || b != tc.begin || e != tc.end {
			t.Errorf("%+v on %d = %d (%d,%d), want %d (%d,%d)", tc.s, tc.in, out, b, e, tc.out, tc.begin, tc.end)
		}
	}
}

// TestFaceRecognitionGraph converts the installed weights and counts the
// operators: 29 folded convolutions plus 4 fixed shortcut convs; a Pad only
// in the two down blocks where the residual is smaller than the shortcut
// (8->3 vs 4, 4->1 vs 2; 35->17 and 17->8 match); Relus after the first
// conv, after conv1 of each of the 14 blocks and after each block's add.
func TestFaceRecognitionGraph(t *testing.T) {
	w, err := LoadDir(visiontest.FaceAPIDir(t), FaceRecognitionManifest)
	if err != nil {
		t.Fatal(err)
	}
	m, err := FaceRecognition(w)
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, n := range m.Graph.Nodes {
		count[n.OpType]++
	}
	want := map[string]int{"Conv": 29 + 4, "Relu": 1 + 14 + 14, "MaxPool": 1, "Add": 14, "Pad": 2,
		"GlobalAveragePool": 1, "Flatten": 1, "Gemm": 1}
	for op, n := range want {
		if count[op] != n {
			t.Errorf("%d %s nodes, want %d", count[op], op, n)
		}
	}
	if len(count) != len(want) {
		t.Errorf("unexpected operators: %v", count)
	}
	if err := m.Validate(); err != nil {
		t.Error(err)
	}
	m2, err := onnx.Unmarshal(m.Marshal())
	if err != nil || m2.Validate() != nil {
		t.Errorf("serialised graph does not read back: %v", err)
	}
}

func TestFaceRecognitionMissingWeight(t *testing.T) {
	m := Manifest{{Weights: []WeightSpec{{Name: "conv32_down/conv/filters", Shape: []int{7, 7, 3, 32}, Dtype: "float32"}}}}
	w, err := Decode(m, [][]byte{make([]byte, 4*7*7*3*32)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := FaceRecognition(w); err == nil || !strings.Contains(err.Error(), "conv32_down/conv/bias") {
		t.Errorf("FaceRecognition = %v, want missing bias error", err)
	}
}
