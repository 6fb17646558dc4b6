// Package vision holds the small interfaces and plain types of egate's
// face step: a Verifier compares a live camera face with the chip
// portrait, and Quality reasons tell the traveller display what to fix
// (mapped to gate reason codes by GateReason). It also holds the pure
// parts that need no OpenCV: presentation-attack cues (AssessLiveness,
// PlanarResidual, MoireScore), the DET table and its plot (DET, PlotDET),
// and dlib's chip alignment.
//
// It is pure Go. gate/ imports this package only, never an
// implementation.
//
// # Subpackages
//
//   - vision/gocvface: the implementation on gocv / OpenCV 4.6 (cgo):
//     detection, landmarks, alignment, quality gates, comparison.
//   - vision/facenet: the 128-value descriptor net (cgo).
//   - vision/tfjsconv, vision/onnx, vision/cmd/egate-models: the pure Go
//     converter from face-api.js tfjs weights to ONNX (`make models`).
//   - vision/models: checksums of the weights and of the converted models.
//
// # References
//
//   - ICAO Doc 9303 part 10 (LDS: DG2 facial image) and ISO/IEC 19794-5.
//   - ISO/IEC 19795-1 (FMR, FNMR, DET) and ISO/IEC 30107-3 (APCER, BPCER).
//   - face-api.js: https://github.com/justadudewhohacks/face-api.js
//   - dlib face recognition ResNet: http://dlib.net/dnn_face_recognition_ex.cpp.html
package vision
