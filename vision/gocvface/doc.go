// Package gocvface is the gocv / OpenCV 4.6 implementation of the face
// step: camera capture, detection, 68-point landmarks, alignment to the
// descriptor net's 150x150 chip, quality gates, presentation-attack cues
// and comparison by Euclidean distance.
//
// It uses cgo and may be imported only by cmd/ (the daemon and egatectl);
// gate/ uses the interfaces of package vision.
//
// # Parts
//
//   - Pipeline (Open, Analyze, Verify): one image at a time.
//   - Camera: V4L2Camera (a /dev/videoN device), VideoFileCamera,
//     SceneCamera (image files, or frames set by a simulation); OpenCamera
//     picks one from CameraOpts.
//   - GateVerifier (NewGateVerifier): the daemon's FaceVerifier. Decodes
//     the chip's DG2 portrait, captures the best of up to N frames within
//     a time budget, stops early on a confident live match, checks
//     liveness (Tracker: optical-flow parallax; blink; moiré), and maps
//     the outcome to gate reason codes (vision.Code*, vision.GateReason).
//   - Cast, SimFaces: people cut from the stock photographs of the npm
//     package, for the simulated lane; synth.go makes the synthetic
//     frames they and the tests use.
//
// # Models
//
// All networks are face-api.js networks converted to ONNX by `make models`
// (see vision/tfjsconv) and loaded through vision/internal/dnnsafe, which
// checks the sha256 and the graph before OpenCV sees the file and catches
// OpenCV exceptions.
//
// # Memory and privacy
//
// Every gocv.Mat created here is closed before the function returns; run
// the tests with -tags matprofile to check. Frames, chips and descriptors
// live in memory for one call: nothing here logs, writes or sends them.
package gocvface
