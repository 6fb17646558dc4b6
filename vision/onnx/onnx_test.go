package onnx

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

// tiny returns a valid model: y = Relu(Conv1x1(x)) padded, then Gemm.
func tiny() *Model {
	return &Model{
		IRVersion: 6, Opset: 11, ProducerName: "test",
		Graph: Graph{
			Name: "tiny",
			Nodes: []Node{
				{Name: "c", OpType: "Conv", Inputs: []string{"x", "w", "b"}, Outputs: []string{"c"},
					Attrs: []Attr{IntsAttr("kernel_shape", 1, 1), IntsAttr("strides", 1, 1), IntsAttr("pads", 0, 0, 0, 0)}},
				{Name: "r", OpType: "Relu", Inputs: []string{"c"}, Outputs: []string{"r"}},
				{Name: "p", OpType: "Pad", Inputs: []string{"r", "pads"}, Outputs: []string{"p"},
					Attrs: []Attr{StringAttr("mode", "constant")}},
				{Name: "f", OpType: "Flatten", Inputs: []string{"p"}, Outputs: []string{"f"}, Attrs: []Attr{IntAttr("axis", 1)}},
				{Name: "g", OpType: "Gemm", Inputs: []string{"f", "gw", "gb"}, Outputs: []string{"y"},
					Attrs: []Attr{FloatAttr("alpha", 1), FloatAttr("beta", 1), IntAttr("transB", 1)}},
			},
			Initializers: []Tensor{
				FloatTensor("w", []int64{2, 1, 1, 1}, []float32{1, -1}),
				FloatTensor("b", []int64{2}, []float32{0.5, 0.25}),
				Int64Tensor("pads", []int64{8}, []int64{0, 0, 0, 0, 0, 0, 1, 1}),
				FloatTensor("gw", []int64{1, 18}, make([]float32, 18)),
				FloatTensor("gb", []int64{1}, []float32{3}),
			},
			Inputs:  []ValueInfo{{Name: "x", ElemType: Float, Shape: []int64{1, 1, 2, 2}}},
			Outputs: []ValueInfo{{Name: "y", ElemType: Float, Shape: []int64{1, 1}}},
		},
	}
}

func TestRoundTrip(t *testing.T) {
	m := tiny()
	b := m.Marshal()
	got, err := Unmarshal(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, m) {
		t.Errorf("round trip differs:\n got %+v\nwant %+v", got, m)
	}
	if err := got.Validate(); err != nil {
		t.Error(err)
	}
	if !bytes.Equal(got.Marshal(), b) {
		t.Error("re-marshal is not byte-identical")
	}
}

// TestWireBytes pins the encoding of a few fields against bytes worked
// out by hand from the protobuf encoding rules.
func TestWireBytes(t *testing.T) {
	for _, tc := range []struct {
		desc string
		fn   func(*enc)
		want []byte
	}{
		{"ir_version 6", func(e *enc) { e.int64Field(1, 6) }, []byte{0x08, 0x06}},
		{"varint 300", func(e *enc) { e.int64Field(3, 300) }, []byte{0x18, 0xac, 0x02}},
		{"negative int64 is 10 bytes", func(e *enc) { e.int64Field(1, -1) },
			[]byte{0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}},
		{"string", func(e *enc) { e.stringField(4, "Relu") }, []byte{0x22, 0x04, 'R', 'e', 'l', 'u'}},
		{"float 1.0", func(e *enc) { e.float32Field(2, 1) }, []byte{0x15, 0x00, 0x00, 0x80, 0x3f}},
		{"packed ints", func(e *enc) { e.packedInt64(8, []int64{1, 150}) }, []byte{0x42, 0x03, 0x01, 0x96, 0x01}},
		{"nested", func(e *enc) { e.message(8, func(e *enc) { e.int64Field(2, 11) }) }, []byte{0x42, 0x02, 0x10, 0x0b}},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			var e enc
			tc.fn(&e)
			if !bytes.Equal(e.b, tc.want) {
				t.Errorf("got % x, want % x", e.b, tc.want)
			}
		})
	}
}

func TestUnmarshalErrors(t *testing.T) {
	good := tiny().Marshal()
	for _, tc := range []struct {
		desc string
		b    []byte
	}{
		{"empty", nil},
		{"no graph", []byte{0x08, 0x06}},
		{"truncated", good[:len(good)/2]},
		{"length past end", []byte{0x3a, 0x7f, 0x00}},
		{"group wire type", []byte{0x0b}},
		{"field zero", []byte{0x00, 0x00}},
		{"bad varint", []byte{0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}},
		{"graph of wrong wire type", []byte{0x38, 0x01}},
		{"garbage", bytes.Repeat([]byte{0xde, 0xad, 0xbe, 0xef}, 64)},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			if m, err := Unmarshal(tc.b); err == nil {
				if err := m.Validate(); err == nil {
					t.Error("no error")
				}
			}
		})
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		desc string
		edit func(*Model)
	}{
		{"bad opset", func(m *Model) { m.Opset = 99 }},
		{"bad ir", func(m *Model) { m.IRVersion = 0 }},
		{"unknown op", func(m *Model) { m.Graph.Nodes[1].OpType = "Loop" }},
		{"foreign domain", func(m *Model) { m.Graph.Nodes[1].Domain = "com.microsoft" }},
		{"undefined input", func(m *Model) { m.Graph.Nodes[1].Inputs[0] = "nope" }},
		{"use before definition", func(m *Model) { m.Graph.Nodes[0], m.Graph.Nodes[1] = m.Graph.Nodes[1], m.Graph.Nodes[0] }},
		{"redefined output", func(m *Model) { m.Graph.Nodes[1].Outputs[0] = "c" }},
		{"short tensor", func(m *Model) { m.Graph.Initializers[0].Raw = m.Graph.Initializers[0].Raw[:4] }},
		{"negative dim", func(m *Model) { m.Graph.Initializers[1].Dims = []int64{-2} }},
		{"conv weight rank", func(m *Model) {
			m.Graph.Initializers[0].Dims = []int64{2}
			m.Graph.Initializers[0].Raw = m.Graph.Initializers[0].Raw[:8]
		}},
		{"conv bias mismatch", func(m *Model) { m.Graph.Initializers[1] = FloatTensor("b", []int64{1}, []float32{0}) }},
		{"conv weight not constant", func(m *Model) { m.Graph.Nodes[0].Inputs[1] = "x" }},
		{"pads attr length", func(m *Model) { m.Graph.Nodes[0].Attrs[2] = IntsAttr("pads", 0) }},
		{"pads not int64", func(m *Model) { m.Graph.Initializers[2] = FloatTensor("pads", []int64{1}, []float32{0}) }},
		{"output never produced", func(m *Model) { m.Graph.Outputs[0].Name = "z" }},
		{"two inputs", func(m *Model) { m.Graph.Inputs = append(m.Graph.Inputs, ValueInfo{Name: "x2", ElemType: Float}) }},
		{"no nodes", func(m *Model) { m.Graph.Nodes = nil }},
		{"unsupported dtype", func(m *Model) { m.Graph.Initializers[1].DataType = 16 }},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			m := tiny()
			tc.edit(m)
			// Also through the wire, as Load sees it.
			m2, err := Unmarshal(m.Marshal())
			if err != nil {
				return // rejected even earlier
			}
			if err := m2.Validate(); !errors.Is(err, ErrInvalid) {
				t.Errorf("Validate = %v, want ErrInvalid", err)
			}
		})
	}
}

func FuzzUnmarshal(f *testing.F) {
	good := tiny().Marshal()
	f.Add(good)
	f.Add(good[:len(good)-3])
	f.Add([]byte{0x3a, 0x02, 0x0a, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Unmarshal(b)
		if err != nil {
			return
		}
		if m.Validate() == nil {
			// A valid model must survive a round trip.
			if _, err := Unmarshal(m.Marshal()); err != nil {
				t.Fatalf("valid model does not round-trip: %v", err)
			}
		}
	})
}
