package tfjsconv

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Manifest is a tfjs weights manifest (model/*-weights_manifest.json):
// groups of weights, each group stored in one or more shard files whose
// concatenation holds the group's tensors back to back, in order.
type Manifest []Group

// Group is one entry of a Manifest.
type Group struct {
	Paths   []string     `json:"paths"`
	Weights []WeightSpec `json:"weights"`
}

// WeightSpec describes one tensor of a Group.
type WeightSpec struct {
	Name         string        `json:"name"`
	Shape        []int         `json:"shape"`
	Dtype        string        `json:"dtype"`
	Quantization *Quantization `json:"quantization,omitempty"`
}

// Quantization says how a tensor is stored when it is quantised.
// For uint8 and uint16, value = q*Scale + Min, rounded to float32, exactly
// as tfjs-core's io.decodeWeights computes it.
type Quantization struct {
	Dtype string  `json:"dtype"`
	Scale float64 `json:"scale"`
	Min   float64 `json:"min"`
}

// Tensor is a decoded float32 tensor in tfjs layout (row-major, for conv
// filters [kh, kw, in, out]).
type Tensor struct {
	Name  string
	Shape []int
	Data  []float32
}

// Weights holds the decoded tensors of one network and records which ones
// a converter used, so that it can prove it consumed all of them.
type Weights struct {
	order  []string
	byName map[string]*Tensor
	used   map[string]bool
}

// maxElements bounds a single tensor; the largest face-api tensor has
// 589,824 elements.
const maxElements = 1 << 26

// LoadDir reads manifest (a file name inside dir) and its shards from dir.
func LoadDir(dir, manifest string) (*Weights, error) {
	mb, err := os.ReadFile(filepath.Join(dir, manifest))
	if err != nil {
		return nil, fmt.Errorf("tfjsconv: %w", err)
	}
	var m Manifest
	if err := json.Unmarshal(mb, &m); err != nil {
		return nil, fmt.Errorf("tfjsconv: %s: %w", manifest, err)
	}
	var shards [][]byte
	for _, g := range m {
		var buf []byte
		for _, p := range g.Paths {
			if p != filepath.Base(p) || strings.HasPrefix(p, ".") {
				return nil, fmt.Errorf("tfjsconv: %s: shard path %q outside the model directory", manifest, p)
			}
			b, err := os.ReadFile(filepath.Join(dir, p))
			if err != nil {
				return nil, fmt.Errorf("tfjsconv: %w", err)
			}
			buf = append(buf, b...)
		}
		shards = append(shards, buf)
	}
	w, err := Decode(m, shards)
	if err != nil {
		return nil, fmt.Errorf("tfjsconv: %s: %w", manifest, err)
	}
	return w, nil
}

// Decode decodes the tensors of m; groupData[i] is the concatenation of
// group i's shards. The data of each group must be consumed exactly.
func Decode(m Manifest, groupData [][]byte) (*Weights, error) {
	if len(groupData) != len(m) {
		return nil, fmt.Errorf("%d groups, %d data blobs", len(m), len(groupData))
	}
	w := &Weights{byName: map[string]*Tensor{}, used: map[string]bool{}}
	for gi, g := range m {
		data := groupData[gi]
		for _, s := range g.Weights {
			n := 1
			for _, d := range s.Shape {
				if d < 0 || (d > 0 && n > maxElements/d) {
					return nil, fmt.Errorf("%s: bad shape %v", s.Name, s.Shape)
				}
				n *= d
			}
			t, rest, err := decodeOne(s, n, data)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", s.Name, err)
			}
			data = rest
			if _, dup := w.byName[s.Name]; dup {
				return nil, fmt.Errorf("duplicate weight %q", s.Name)
			}
			w.byName[s.Name] = t
			w.order = append(w.order, s.Name)
		}
		if len(data) != 0 {
			return nil, fmt.Errorf("group %d: %d bytes left after the last weight", gi, len(data))
		}
	}
	return w, nil
}

func decodeOne(s WeightSpec, n int, data []byte) (*Tensor, []byte, error) {
	t := &Tensor{Name: s.Name, Shape: slices.Clone(s.Shape), Data: make([]float32, n)}
	need := func(size int) ([]byte, error) {
		if len(data) < n*size {
			return nil, fmt.Errorf("need %d bytes, %d left", n*size, len(data))
		}
		return data[:n*size], nil
	}
	if s.Dtype != "float32" && s.Dtype != "int32" {
		return nil, nil, fmt.Errorf("unsupported dtype %q", s.Dtype)
	}
	q := s.Quantization
	switch {
	case q == nil && s.Dtype == "float32":
		b, err := need(4)
		if err != nil {
			return nil, nil, err
		}
		for i := range t.Data {
			t.Data[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
		return t, data[4*n:], nil
	case q == nil && s.Dtype == "int32":
		b, err := need(4)
		if err != nil {
			return nil, nil, err
		}
		for i := range t.Data {
			t.Data[i] = float32(int32(binary.LittleEndian.Uint32(b[4*i:])))
		}
		return t, data[4*n:], nil
	case q.Dtype == "uint8":
		b, err := need(1)
		if err != nil {
			return nil, nil, err
		}
		for i := range t.Data {
			t.Data[i] = Dequantize(uint16(b[i]), q.Scale, q.Min)
		}
		return t, data[n:], nil
	case q.Dtype == "uint16":
		b, err := need(2)
		if err != nil {
			return nil, nil, err
		}
		for i := range t.Data {
			t.Data[i] = Dequantize(binary.LittleEndian.Uint16(b[2*i:]), q.Scale, q.Min)
		}
		return t, data[2*n:], nil
	case q.Dtype == "float16":
		b, err := need(2)
		if err != nil {
			return nil, nil, err
		}
		for i := range t.Data {
			t.Data[i] = HalfToFloat(binary.LittleEndian.Uint16(b[2*i:]))
		}
		return t, data[2*n:], nil
	}
	return nil, nil, fmt.Errorf("unsupported quantization %q", q.Dtype)
}

// Dequantize returns q*scale + min computed in float64 and rounded to
// float32, as tfjs-core does (a JavaScript number stored in a Float32Array).
func Dequantize(q uint16, scale, min float64) float32 {
	return float32(float64(q)*scale + min)
}

// HalfToFloat converts an IEEE 754 binary16 value to float32.
func HalfToFloat(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // Inf or NaN
		return math.Float32frombits(sign | 0xff<<23 | frac<<13)
	case exp == 0 && frac == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal: normalise
		e := int32(-14)
		for frac&0x400 == 0 {
			frac <<= 1
			e--
		}
		frac &= 0x3ff
		return math.Float32frombits(sign | uint32(e+127)<<23 | frac<<13)
	}
	return math.Float32frombits(sign | (exp-15+127)<<23 | frac<<13)
}

// Get returns the tensor called name and checks its shape; it marks the
// tensor used.
func (w *Weights) Get(name string, shape ...int) (*Tensor, error) {
	t := w.byName[name]
	if t == nil {
		return nil, fmt.Errorf("tfjsconv: weight %q not in manifest", name)
	}
	if !slices.Equal(t.Shape, shape) {
		return nil, fmt.Errorf("tfjsconv: weight %q has shape %v, want %v", name, t.Shape, shape)
	}
	w.used[name] = true
	return t, nil
}

// Shape returns the shape of the tensor called name, or nil.
func (w *Weights) Shape(name string) []int {
	if t := w.byName[name]; t != nil {
		return t.Shape
	}
	return nil
}

// Unused returns an error naming the tensors no converter asked for.
func (w *Weights) Unused() error {
	var left []string
	for _, n := range w.order {
		if !w.used[n] {
			left = append(left, n)
		}
	}
	if len(left) > 0 {
		return fmt.Errorf("tfjsconv: %d weights unused by the converter: %s", len(left), strings.Join(left, ", "))
	}
	return nil
}
