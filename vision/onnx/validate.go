package onnx

import (
	"errors"
	"fmt"
)

// ErrInvalid is wrapped by every error Validate returns.
var ErrInvalid = errors.New("onnx: invalid model")

// SupportedOps lists the operators this project emits and has tested with
// OpenCV 4.6's ONNX importer. Validate rejects any other operator, so a
// model that passes is one OpenCV is known to import.
var SupportedOps = map[string]bool{
	"Add": true, "AveragePool": true, "Concat": true, "Conv": true, "Flatten": true,
	"Gemm": true, "GlobalAveragePool": true, "LeakyRelu": true, "MatMul": true,
	"MaxPool": true, "Mul": true, "Pad": true, "Relu": true, "Reshape": true,
	"Sigmoid": true, "Sub": true, "Transpose": true, "Clip": true,
}

// Validate checks that m is a well-formed graph built from SupportedOps:
// known IR and opset versions, every tensor's payload matches its shape,
// every node input is defined before use, every output is produced, and the
// constant operands of Conv, Pad and Gemm have the ranks OpenCV expects.
// It does not run shape inference.
func (m *Model) Validate() error {
	if err := m.validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return nil
}

func (m *Model) validate() error {
	if m.IRVersion < 3 || m.IRVersion > 10 {
		return fmt.Errorf("ir_version %d", m.IRVersion)
	}
	if m.Opset < 7 || m.Opset > 17 {
		return fmt.Errorf("opset %d", m.Opset)
	}
	g := &m.Graph
	if len(g.Nodes) == 0 {
		return errors.New("graph has no nodes")
	}
	if len(g.Outputs) == 0 {
		return errors.New("graph has no outputs")
	}
	defined := map[string]bool{}
	inits := map[string]*Tensor{}
	for i := range g.Initializers {
		t := &g.Initializers[i]
		if t.Name == "" || defined[t.Name] {
			return fmt.Errorf("initializer %d: empty or duplicate name %q", i, t.Name)
		}
		sz := t.DataType.size()
		if sz == 0 {
			return fmt.Errorf("initializer %q: unsupported data type %d", t.Name, t.DataType)
		}
		n := t.Elements()
		if n < 0 || int64(len(t.Raw)) != n*int64(sz) {
			return fmt.Errorf("initializer %q: %d bytes for dims %v", t.Name, len(t.Raw), t.Dims)
		}
		defined[t.Name] = true
		inits[t.Name] = t
	}
	realInputs := 0
	for _, in := range g.Inputs {
		if in.Name == "" {
			return errors.New("graph input with empty name")
		}
		if inits[in.Name] != nil {
			continue // older exporters list initializers as inputs too
		}
		if defined[in.Name] {
			return fmt.Errorf("duplicate graph input %q", in.Name)
		}
		if in.ElemType != Float {
			return fmt.Errorf("graph input %q: element type %d, want float", in.Name, in.ElemType)
		}
		defined[in.Name] = true
		realInputs++
	}
	if realInputs != 1 {
		return fmt.Errorf("graph has %d non-constant inputs, want 1", realInputs)
	}
	for i := range g.Nodes {
		n := &g.Nodes[i]
		if n.Domain != "" && n.Domain != "ai.onnx" {
			return fmt.Errorf("node %d: domain %q", i, n.Domain)
		}
		if !SupportedOps[n.OpType] {
			return fmt.Errorf("node %d: unsupported operator %q", i, n.OpType)
		}
		if len(n.Inputs) == 0 || len(n.Outputs) == 0 {
			return fmt.Errorf("node %d (%s): no inputs or outputs", i, n.OpType)
		}
		for _, in := range n.Inputs {
			if in != "" && !defined[in] {
				return fmt.Errorf("node %d (%s): input %q used before definition", i, n.OpType, in)
			}
		}
		if err := checkOperands(n, inits); err != nil {
			return fmt.Errorf("node %d (%s): %w", i, n.OpType, err)
		}
		for _, out := range n.Outputs {
			if out == "" || defined[out] {
				return fmt.Errorf("node %d (%s): empty or redefined output %q", i, n.OpType, out)
			}
			defined[out] = true
		}
	}
	for _, out := range g.Outputs {
		if !defined[out.Name] {
			return fmt.Errorf("graph output %q is never produced", out.Name)
		}
	}
	return nil
}

func checkOperands(n *Node, inits map[string]*Tensor) error {
	constant := func(i int, rank int) (*Tensor, error) {
		if i >= len(n.Inputs) {
			return nil, fmt.Errorf("missing input %d", i)
		}
		t := inits[n.Inputs[i]]
		if t == nil {
			return nil, fmt.Errorf("input %d (%q) is not a constant", i, n.Inputs[i])
		}
		if rank > 0 && len(t.Dims) != rank {
			return nil, fmt.Errorf("input %d (%q) has rank %d, want %d", i, t.Name, len(t.Dims), rank)
		}
		for _, d := range t.Dims {
			if d <= 0 {
				return nil, fmt.Errorf("input %d (%q) has dims %v", i, t.Name, t.Dims)
			}
		}
		return t, nil
	}
	ints := func(name string, want int) error {
		for _, a := range n.Attrs {
			if a.Name != name {
				continue
			}
			if a.Type != AttrInts || (want > 0 && len(a.Ints) != want) {
				return fmt.Errorf("attribute %s: want %d ints", name, want)
			}
			for _, v := range a.Ints {
				if v < 0 || v > 1<<16 {
					return fmt.Errorf("attribute %s: value %d", name, v)
				}
			}
		}
		return nil
	}
	switch n.OpType {
	case "Conv":
		w, err := constant(1, 4)
		if err != nil {
			return err
		}
		if w.DataType != Float {
			return errors.New("weights are not float")
		}
		if len(n.Inputs) > 2 {
			b, err := constant(2, 1)
			if err != nil {
				return err
			}
			if b.Dims[0] != w.Dims[0] || b.DataType != Float {
				return fmt.Errorf("bias dims %v for weights %v", b.Dims, w.Dims)
			}
		}
		for _, a := range []struct {
			name string
			n    int
		}{{"kernel_shape", 2}, {"strides", 2}, {"pads", 4}, {"dilations", 2}} {
			if err := ints(a.name, a.n); err != nil {
				return err
			}
		}
	case "MaxPool", "AveragePool":
		for _, a := range []struct {
			name string
			n    int
		}{{"kernel_shape", 2}, {"strides", 2}, {"pads", 4}} {
			if err := ints(a.name, a.n); err != nil {
				return err
			}
		}
	case "Pad":
		if len(n.Inputs) > 1 {
			p, err := constant(1, 1)
			if err != nil {
				return err
			}
			if p.DataType != Int64 {
				return errors.New("pads are not int64")
			}
		}
	case "Gemm", "MatMul":
		if len(n.Inputs) < 2 {
			return errors.New("missing second operand")
		}
		if _, err := constant(1, 2); err != nil {
			return err
		}
	}
	return nil
}
