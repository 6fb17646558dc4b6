package dnnsafe

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"

	"github.com/egate/egate/vision"
	"github.com/egate/egate/vision/models"
	"github.com/egate/egate/vision/onnx"
)

// maxModelBytes bounds a model file read into memory (the largest, the
// face descriptor net, is 24 MB).
const maxModelBytes = 256 << 20

// Signature is the input and output shape a caller expects of a model.
type Signature struct {
	Input  []int64 // e.g. [1 3 150 150]
	Output []int64 // e.g. [1 128]
}

// LoadFile loads the ONNX model at path after checking, in this order,
// that it exists (else vision.ErrModelMissing), that it is a regular file
// of sane size, that its bytes match sha256hex, that it parses and
// validates as an ONNX graph with the signature sig, and finally that
// OpenCV imports it (all else vision.ErrModelCorrupt). The bytes are read
// once, so the file cannot change between the check and the load. An
// empty checksum is refused: models are always pinned.
func LoadFile(path, sha256hex string, sig Signature) (*Net, *onnx.Model, error) {
	if _, err := hex.DecodeString(sha256hex); err != nil || len(sha256hex) != 64 {
		return nil, nil, fmt.Errorf("dnnsafe: %s: %q is not a sha256 in hex", path, sha256hex)
	}
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil, fmt.Errorf("%w: %s (run make models)", vision.ErrModelMissing, path)
	case err != nil:
		return nil, nil, fmt.Errorf("dnnsafe: %w", err)
	case !st.Mode().IsRegular():
		return nil, nil, fmt.Errorf("%w: %s is not a regular file", vision.ErrModelCorrupt, path)
	case st.Size() > maxModelBytes:
		return nil, nil, fmt.Errorf("%w: %s is %d bytes", vision.ErrModelCorrupt, path, st.Size())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("dnnsafe: %w", err)
	}
	if err := models.CheckBytes(path, b, sha256hex); err != nil {
		return nil, nil, fmt.Errorf("%w: %w", vision.ErrModelCorrupt, err)
	}
	m, err := onnx.Unmarshal(b)
	if err == nil {
		err = m.Validate()
	}
	if err == nil {
		err = sig.check(m)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %s: %w", vision.ErrModelCorrupt, path, err)
	}
	net, err := loadUnchecked(b)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %s: %w", vision.ErrModelCorrupt, path, err)
	}
	return net, m, nil
}

func (s Signature) check(m *onnx.Model) error {
	g := &m.Graph
	if len(g.Inputs) != 1 || (s.Input != nil && !slices.Equal(g.Inputs[0].Shape, s.Input)) {
		return fmt.Errorf("want one input of shape %v", s.Input)
	}
	if len(g.Outputs) != 1 || (s.Output != nil && !slices.Equal(g.Outputs[0].Shape, s.Output)) {
		return fmt.Errorf("want one output of shape %v", s.Output)
	}
	return nil
}
