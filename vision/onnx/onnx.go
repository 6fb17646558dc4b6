package onnx

import (
	"encoding/binary"
	"fmt"
	"math"
	"unicode/utf8"
)

// DataType is an ONNX TensorProto.DataType.
type DataType int32

// Tensor element types used here (onnx.proto TensorProto.DataType).
const (
	Float DataType = 1
	Uint8 DataType = 2
	Int8  DataType = 3
	Int32 DataType = 6
	Int64 DataType = 7
)

func (d DataType) size() int {
	switch d {
	case Float, Int32:
		return 4
	case Uint8, Int8:
		return 1
	case Int64:
		return 8
	}
	return 0
}

// AttrType is an ONNX AttributeProto.AttributeType.
type AttrType int32

// Attribute types used here.
const (
	AttrFloat  AttrType = 1
	AttrInt    AttrType = 2
	AttrString AttrType = 3
	AttrFloats AttrType = 6
	AttrInts   AttrType = 7
)

// Model is the subset of onnx.ModelProto this project writes and reads.
type Model struct {
	IRVersion       int64
	Opset           int64 // version of the default ("" / ai.onnx) domain
	ProducerName    string
	ProducerVersion string
	DocString       string
	Graph           Graph
}

// Graph is the subset of onnx.GraphProto used here.
type Graph struct {
	Name         string
	Nodes        []Node
	Initializers []Tensor
	Inputs       []ValueInfo
	Outputs      []ValueInfo
}

// Node is one operator (onnx.NodeProto).
type Node struct {
	Name    string
	OpType  string
	Domain  string
	Inputs  []string
	Outputs []string
	Attrs   []Attr
}

// Attr is one node attribute (onnx.AttributeProto).
type Attr struct {
	Name   string
	Type   AttrType
	F      float32
	I      int64
	S      []byte
	Floats []float32
	Ints   []int64
}

// Tensor is a constant (onnx.TensorProto) stored as little-endian raw_data.
type Tensor struct {
	Name     string
	Dims     []int64
	DataType DataType
	Raw      []byte
}

// ValueInfo names a graph input or output with a fixed shape.
// A dimension of -1 or less is written as unknown.
type ValueInfo struct {
	Name     string
	ElemType DataType
	Shape    []int64
}

// FloatTensor returns a float32 tensor holding data.
func FloatTensor(name string, dims []int64, data []float32) Tensor {
	raw := make([]byte, 0, 4*len(data))
	for _, v := range data {
		raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(v))
	}
	return Tensor{Name: name, Dims: dims, DataType: Float, Raw: raw}
}

// Int64Tensor returns an int64 tensor holding data.
func Int64Tensor(name string, dims []int64, data []int64) Tensor {
	raw := make([]byte, 0, 8*len(data))
	for _, v := range data {
		raw = binary.LittleEndian.AppendUint64(raw, uint64(v))
	}
	return Tensor{Name: name, Dims: dims, DataType: Int64, Raw: raw}
}

// Floats decodes a float32 tensor.
func (t *Tensor) Floats() ([]float32, error) {
	if t.DataType != Float {
		return nil, fmt.Errorf("onnx: tensor %q has type %d, not float", t.Name, t.DataType)
	}
	out := make([]float32, len(t.Raw)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(t.Raw[4*i:]))
	}
	return out, nil
}

// Elements returns the number of elements the dims describe, or -1 if a
// dimension is negative or the product overflows.
func (t *Tensor) Elements() int64 {
	n := int64(1)
	for _, d := range t.Dims {
		if d < 0 || (d > 0 && n > math.MaxInt64/d) {
			return -1
		}
		n *= d
	}
	return n
}

// IntAttr, IntsAttr and FloatAttr build attributes.
func IntAttr(name string, v int64) Attr         { return Attr{Name: name, Type: AttrInt, I: v} }
func IntsAttr(name string, v ...int64) Attr     { return Attr{Name: name, Type: AttrInts, Ints: v} }
func FloatAttr(name string, v float32) Attr     { return Attr{Name: name, Type: AttrFloat, F: v} }
func StringAttr(name string, v string) Attr     { return Attr{Name: name, Type: AttrString, S: []byte(v)} }
func FloatsAttr(name string, v ...float32) Attr { return Attr{Name: name, Type: AttrFloats, Floats: v} }

// Field numbers from onnx.proto (github.com/onnx/onnx, onnx/onnx.proto).
const (
	modelIRVersion       = 1
	modelProducerName    = 2
	modelProducerVersion = 3
	modelDocString       = 6
	modelGraph           = 7
	modelOpsetImport     = 8

	opsetDomain  = 1
	opsetVersion = 2

	graphNode        = 1
	graphName        = 2
	graphInitializer = 5
	graphInput       = 11
	graphOutput      = 12

	nodeInput  = 1
	nodeOutput = 2
	nodeName   = 3
	nodeOpType = 4
	nodeAttr   = 5
	nodeDomain = 7

	attrName   = 1
	attrF      = 2
	attrI      = 3
	attrS      = 4
	attrFloats = 7
	attrInts   = 8
	attrType   = 20

	tensorDims     = 1
	tensorDataType = 2
	tensorFloat    = 4
	tensorInt32    = 5
	tensorInt64    = 7
	tensorName     = 8
	tensorRaw      = 9

	valueName = 1
	valueType = 2

	typeTensor     = 1
	tensorElemType = 1
	tensorShape    = 2
	shapeDim       = 1
	dimValue       = 1
	dimParam       = 2
)

// Marshal serialises m as an onnx.ModelProto.
func (m *Model) Marshal() []byte {
	var e enc
	e.int64Field(modelIRVersion, m.IRVersion)
	if m.ProducerName != "" {
		e.stringField(modelProducerName, m.ProducerName)
	}
	if m.ProducerVersion != "" {
		e.stringField(modelProducerVersion, m.ProducerVersion)
	}
	if m.DocString != "" {
		e.stringField(modelDocString, m.DocString)
	}
	e.message(modelGraph, m.Graph.marshal)
	e.message(modelOpsetImport, func(e *enc) {
		e.stringField(opsetDomain, "")
		e.int64Field(opsetVersion, m.Opset)
	})
	return e.b
}

func (g *Graph) marshal(e *enc) {
	for i := range g.Nodes {
		e.message(graphNode, g.Nodes[i].marshal)
	}
	e.stringField(graphName, g.Name)
	for i := range g.Initializers {
		e.message(graphInitializer, g.Initializers[i].marshal)
	}
	for i := range g.Inputs {
		e.message(graphInput, g.Inputs[i].marshal)
	}
	for i := range g.Outputs {
		e.message(graphOutput, g.Outputs[i].marshal)
	}
}

func (n *Node) marshal(e *enc) {
	for _, s := range n.Inputs {
		e.stringField(nodeInput, s)
	}
	for _, s := range n.Outputs {
		e.stringField(nodeOutput, s)
	}
	if n.Name != "" {
		e.stringField(nodeName, n.Name)
	}
	e.stringField(nodeOpType, n.OpType)
	for i := range n.Attrs {
		e.message(nodeAttr, n.Attrs[i].marshal)
	}
	if n.Domain != "" {
		e.stringField(nodeDomain, n.Domain)
	}
}

func (a *Attr) marshal(e *enc) {
	e.stringField(attrName, a.Name)
	switch a.Type {
	case AttrFloat:
		e.float32Field(attrF, a.F)
	case AttrInt:
		e.int64Field(attrI, a.I)
	case AttrString:
		e.bytesField(attrS, a.S)
	case AttrFloats:
		e.packedFloat32(attrFloats, a.Floats)
	case AttrInts:
		e.packedInt64(attrInts, a.Ints)
	}
	e.int64Field(attrType, int64(a.Type))
}

func (t *Tensor) marshal(e *enc) {
	e.packedInt64(tensorDims, t.Dims)
	e.int64Field(tensorDataType, int64(t.DataType))
	e.stringField(tensorName, t.Name)
	e.bytesField(tensorRaw, t.Raw)
}

func (v *ValueInfo) marshal(e *enc) {
	e.stringField(valueName, v.Name)
	e.message(valueType, func(e *enc) {
		e.message(typeTensor, func(e *enc) {
			e.int64Field(tensorElemType, int64(v.ElemType))
			e.message(tensorShape, func(e *enc) {
				for _, d := range v.Shape {
					e.message(shapeDim, func(e *enc) {
						if d >= 0 {
							e.int64Field(dimValue, d)
						} else {
							e.stringField(dimParam, "N")
						}
					})
				}
			})
		})
	})
}

// Unmarshal decodes an onnx.ModelProto. Fields this package does not model
// are skipped; malformed wire data is an error, never a panic.
func Unmarshal(b []byte) (*Model, error) {
	fs, err := fields(b)
	if err != nil {
		return nil, fmt.Errorf("onnx: model: %w", err)
	}
	m := &Model{}
	var haveGraph bool
	for _, f := range fs {
		switch f.num {
		case modelIRVersion:
			if err := f.want(wireVarint, "model.ir_version"); err != nil {
				return nil, fmt.Errorf("onnx: %w", err)
			}
			m.IRVersion = int64(f.u)
		case modelProducerName:
			m.ProducerName, err = str(f, "model.producer_name")
		case modelProducerVersion:
			m.ProducerVersion, err = str(f, "model.producer_version")
		case modelDocString:
			m.DocString, err = str(f, "model.doc_string")
		case modelGraph:
			if err := f.want(wireBytes, "model.graph"); err != nil {
				return nil, fmt.Errorf("onnx: %w", err)
			}
			if haveGraph {
				return nil, fmt.Errorf("onnx: model has more than one graph")
			}
			haveGraph = true
			err = m.Graph.unmarshal(f.b)
		case modelOpsetImport:
			err = m.unmarshalOpset(f)
		}
		if err != nil {
			return nil, fmt.Errorf("onnx: %w", err)
		}
	}
	if !haveGraph {
		return nil, fmt.Errorf("onnx: model has no graph")
	}
	return m, nil
}

func str(f field, what string) (string, error) {
	if err := f.want(wireBytes, what); err != nil {
		return "", err
	}
	if !utf8.Valid(f.b) {
		return "", fmt.Errorf("%s: invalid UTF-8", what)
	}
	return string(f.b), nil
}

func (m *Model) unmarshalOpset(f field) error {
	if err := f.want(wireBytes, "model.opset_import"); err != nil {
		return err
	}
	fs, err := fields(f.b)
	if err != nil {
		return fmt.Errorf("opset_import: %w", err)
	}
	var domain string
	var version int64
	for _, f := range fs {
		switch f.num {
		case opsetDomain:
			if domain, err = str(f, "opset_import.domain"); err != nil {
				return err
			}
		case opsetVersion:
			if err := f.want(wireVarint, "opset_import.version"); err != nil {
				return err
			}
			version = int64(f.u)
		}
	}
	if domain == "" || domain == "ai.onnx" {
		m.Opset = version
	}
	return nil
}

func (g *Graph) unmarshal(b []byte) error {
	fs, err := fields(b)
	if err != nil {
		return fmt.Errorf("graph: %w", err)
	}
	for _, f := range fs {
		switch f.num {
		case graphNode:
			var n Node
			if err = f.want(wireBytes, "graph.node"); err == nil {
				err = n.unmarshal(f.b)
			}
			g.Nodes = append(g.Nodes, n)
		case graphName:
			g.Name, err = str(f, "graph.name")
		case graphInitializer:
			var t Tensor
			if err = f.want(wireBytes, "graph.initializer"); err == nil {
				err = t.unmarshal(f.b)
			}
			g.Initializers = append(g.Initializers, t)
		case graphInput, graphOutput:
			var v ValueInfo
			if err = f.want(wireBytes, "graph.input/output"); err == nil {
				err = v.unmarshal(f.b)
			}
			if f.num == graphInput {
				g.Inputs = append(g.Inputs, v)
			} else {
				g.Outputs = append(g.Outputs, v)
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (n *Node) unmarshal(b []byte) error {
	fs, err := fields(b)
	if err != nil {
		return fmt.Errorf("node: %w", err)
	}
	for _, f := range fs {
		var s string
		switch f.num {
		case nodeInput:
			s, err = str(f, "node.input")
			n.Inputs = append(n.Inputs, s)
		case nodeOutput:
			s, err = str(f, "node.output")
			n.Outputs = append(n.Outputs, s)
		case nodeName:
			n.Name, err = str(f, "node.name")
		case nodeOpType:
			n.OpType, err = str(f, "node.op_type")
		case nodeDomain:
			n.Domain, err = str(f, "node.domain")
		case nodeAttr:
			var a Attr
			if err = f.want(wireBytes, "node.attribute"); err == nil {
				err = a.unmarshal(f.b)
			}
			n.Attrs = append(n.Attrs, a)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (a *Attr) unmarshal(b []byte) error {
	fs, err := fields(b)
	if err != nil {
		return fmt.Errorf("attribute: %w", err)
	}
	for _, f := range fs {
		switch f.num {
		case attrName:
			a.Name, err = str(f, "attribute.name")
		case attrF:
			if err = f.want(wireFixed32, "attribute.f"); err == nil {
				a.F = math.Float32frombits(uint32(f.u))
			}
		case attrI:
			if err = f.want(wireVarint, "attribute.i"); err == nil {
				a.I = int64(f.u)
			}
		case attrS:
			if err = f.want(wireBytes, "attribute.s"); err == nil {
				a.S = f.b
			}
		case attrFloats:
			a.Floats, err = f.float32s(a.Floats, "attribute.floats")
		case attrInts:
			a.Ints, err = f.int64s(a.Ints, "attribute.ints")
		case attrType:
			if err = f.want(wireVarint, "attribute.type"); err == nil {
				a.Type = AttrType(f.u)
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (t *Tensor) unmarshal(b []byte) error {
	fs, err := fields(b)
	if err != nil {
		return fmt.Errorf("tensor: %w", err)
	}
	var floats []float32
	var ints []int64
	for _, f := range fs {
		switch f.num {
		case tensorDims:
			t.Dims, err = f.int64s(t.Dims, "tensor.dims")
		case tensorDataType:
			if err = f.want(wireVarint, "tensor.data_type"); err == nil {
				t.DataType = DataType(f.u)
			}
		case tensorName:
			t.Name, err = str(f, "tensor.name")
		case tensorRaw:
			if err = f.want(wireBytes, "tensor.raw_data"); err == nil {
				t.Raw = f.b
			}
		case tensorFloat:
			floats, err = f.float32s(floats, "tensor.float_data")
		case tensorInt32, tensorInt64:
			ints, err = f.int64s(ints, "tensor.int_data")
		}
		if err != nil {
			return err
		}
	}
	// Normalise typed fields to raw little-endian bytes.
	switch {
	case t.Raw != nil:
	case len(floats) > 0:
		t.Raw = FloatTensor("", nil, floats).Raw
	case len(ints) > 0:
		for _, v := range ints {
			switch t.DataType.size() {
			case 8:
				t.Raw = binary.LittleEndian.AppendUint64(t.Raw, uint64(v))
			case 4:
				t.Raw = binary.LittleEndian.AppendUint32(t.Raw, uint32(v))
			case 1:
				t.Raw = append(t.Raw, byte(v))
			}
		}
	}
	return nil
}

func (v *ValueInfo) unmarshal(b []byte) error {
	fs, err := fields(b)
	if err != nil {
		return fmt.Errorf("value_info: %w", err)
	}
	for _, f := range fs {
		switch f.num {
		case valueName:
			v.Name, err = str(f, "value_info.name")
		case valueType:
			err = v.unmarshalType(f)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// unmarshalType reads TypeProto { tensor_type { elem_type, shape { dim* } } }.
func (v *ValueInfo) unmarshalType(f field) error {
	msg := func(f field, num int, what string) ([]field, error) {
		if err := f.want(wireBytes, what); err != nil {
			return nil, err
		}
		return fields(f.b)
	}
	tfs, err := msg(f, valueType, "value_info.type")
	if err != nil {
		return err
	}
	for _, tf := range tfs {
		if tf.num != typeTensor {
			continue
		}
		ttfs, err := msg(tf, typeTensor, "type.tensor_type")
		if err != nil {
			return err
		}
		for _, ttf := range ttfs {
			switch ttf.num {
			case tensorElemType:
				if err := ttf.want(wireVarint, "tensor_type.elem_type"); err != nil {
					return err
				}
				v.ElemType = DataType(ttf.u)
			case tensorShape:
				sfs, err := msg(ttf, tensorShape, "tensor_type.shape")
				if err != nil {
					return err
				}
				for _, sf := range sfs {
					if sf.num != shapeDim {
						continue
					}
					dfs, err := msg(sf, shapeDim, "shape.dim")
					if err != nil {
						return err
					}
					d := int64(-1)
					for _, df := range dfs {
						if df.num == dimValue && df.wt == wireVarint {
							d = int64(df.u)
						}
					}
					v.Shape = append(v.Shape, d)
				}
			}
		}
	}
	return nil
}
