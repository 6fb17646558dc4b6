// Package gocvface is the gocv / OpenCV 4.6 implementation of the face
// step: detection, 68-point landmarks, alignment to the descriptor net's
// 150x150 chip, quality gates and comparison by Euclidean distance.
//
// It uses cgo and may be imported only by cmd/ (the daemon and egatectl);
// gate/ uses the interfaces of package vision.
//
// # Models
//
// All networks are face-api.js networks converted to ONNX by `make models`
// (see vision/tfjsconv) and loaded through vision/internal/dnnsafe, which
// checks the sha256 and the graph before OpenCV sees the file and catches
// OpenCV exceptions.
//
// # Memory
//
// Every gocv.Mat created here is closed before the function returns; run
// the tests with -tags matprofile to check.
package gocvface
