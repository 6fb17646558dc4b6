// Package dnnsafe loads ONNX networks into OpenCV's dnn module and runs
// them without ever letting an OpenCV exception abort the process.
//
// gocv v0.31 calls OpenCV without catching C++ exceptions, so a malformed
// model or a wrong input shape kills the daemon. This package instead
// (1) parses and validates the model in Go (package onnx) and (2) calls
// OpenCV through a few lines of C++ that catch every exception and turn it
// into a Go error.
//
// It uses cgo and may be imported only by the gocv implementations under
// vision/.
package dnnsafe

// #cgo !windows pkg-config: opencv4
// #cgo CXXFLAGS: -std=c++17
// #include <stdlib.h>
// #include "dnnsafe.h"
import "C"

import (
	"errors"
	"fmt"
	"sync"
	"unsafe"

	"github.com/egate/egate/vision/onnx"
)

// ErrOpenCV is wrapped by errors that OpenCV raised.
var ErrOpenCV = errors.New("dnnsafe: opencv")

// ErrClosed is returned by Forward after Close.
var ErrClosed = errors.New("dnnsafe: network closed")

// Net is a loaded network. It is safe for concurrent use; calls to
// Forward are serialised (cv::dnn::Net is not thread-safe).
type Net struct {
	mu sync.Mutex
	p  C.EgateNet
}

const errLen = 1024

// LoadONNX validates model (a serialised onnx.ModelProto) and loads it.
func LoadONNX(model []byte) (*Net, error) {
	m, err := onnx.Unmarshal(model)
	if err != nil {
		return nil, fmt.Errorf("dnnsafe: %w", err)
	}
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("dnnsafe: %w", err)
	}
	return loadUnchecked(model)
}

// loadUnchecked hands model to OpenCV without Go-side validation; tests use
// it to prove that the C++ guard alone turns OpenCV failures into errors.
func loadUnchecked(model []byte) (*Net, error) {
	if len(model) == 0 {
		return nil, errors.New("dnnsafe: empty model")
	}
	var msg [errLen]C.char
	p := C.egate_dnn_load_onnx((*C.char)(unsafe.Pointer(&model[0])), C.size_t(len(model)), &msg[0], errLen)
	if p == nil {
		return nil, fmt.Errorf("%w: readNetFromONNX: %s", ErrOpenCV, C.GoString(&msg[0]))
	}
	return &Net{p: p}, nil
}

// Forward runs the network on a float32 blob of the given shape (NCHW) and
// copies the first output into out, returning the output's shape.
func (n *Net) Forward(in []float32, shape []int, out []float32) ([]int, error) {
	total := 1
	for _, d := range shape {
		if d <= 0 {
			return nil, fmt.Errorf("dnnsafe: input shape %v", shape)
		}
		total *= d
	}
	if len(shape) == 0 || len(shape) > 8 || total != len(in) {
		return nil, fmt.Errorf("dnnsafe: input of %d floats for shape %v", len(in), shape)
	}
	if len(out) == 0 {
		return nil, errors.New("dnnsafe: empty output buffer")
	}
	cshape := make([]C.int, len(shape))
	for i, d := range shape {
		cshape[i] = C.int(d)
	}
	var (
		msg    [errLen]C.char
		outLen C.size_t
		oshape [8]C.int
		ondims C.int
	)
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.p == nil {
		return nil, ErrClosed
	}
	rc := C.egate_dnn_forward(n.p, (*C.float)(unsafe.Pointer(&in[0])), &cshape[0], C.int(len(shape)),
		(*C.float)(unsafe.Pointer(&out[0])), C.size_t(len(out)), &outLen, &oshape[0], &ondims, &msg[0], errLen)
	if rc != 0 {
		return nil, fmt.Errorf("%w: forward: %s", ErrOpenCV, C.GoString(&msg[0]))
	}
	oshp := make([]int, min(int(ondims), 8))
	for i := range oshp {
		oshp[i] = int(oshape[i])
	}
	return oshp, nil
}

// Close frees the network. It is safe to call more than once.
func (n *Net) Close() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.p != nil {
		C.egate_dnn_free(n.p)
		n.p = nil
	}
	return nil
}
