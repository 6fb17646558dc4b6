// Package onnx writes and reads the small subset of the ONNX model format
// (onnx.proto, IR version 6, opset 11) that egate's converted networks use,
// and validates a model's structure before it is handed to OpenCV.
//
// It is pure Go and may be imported by anything under vision/. The protobuf
// wire format is encoded by hand (varints, fixed32 and length-delimited
// fields only), so the module needs no protobuf runtime.
//
// # Why validate
//
// gocv v0.31 does not catch C++ exceptions: OpenCV's readNetFromONNX on a
// malformed file aborts the whole process. [Unmarshal] never panics on
// arbitrary bytes (it is fuzzed), and [Model.Validate] rejects graphs with
// unknown operators, dangling inputs or tensors whose payload does not match
// their shape.
//
// # References
//
//   - ONNX IR: https://github.com/onnx/onnx/blob/main/docs/IR.md
//   - onnx.proto: https://github.com/onnx/onnx/blob/main/onnx/onnx.proto
//   - Protobuf encoding: https://protobuf.dev/programming-guides/encoding/
package onnx
