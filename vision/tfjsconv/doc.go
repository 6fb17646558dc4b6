// Package tfjsconv converts face-api.js networks from TensorFlow.js weight
// files (a weights manifest plus .bin shards, as shipped in the npm package
// @vladmandic/face-api) to ONNX graphs that OpenCV 4.6's dnn module reads.
//
// It is pure Go and is used by vision/cmd/egate-models (`make models`);
// nothing at run time needs it except its constants (input sizes, means,
// anchors).
//
// # Networks
//
//   - [FaceRecognition]: the 128-value descriptor net (dlib's ResNet).
//   - [FaceLandmark68], [FaceLandmark68Tiny]: 68-point landmarks.
//   - [TinyFaceDetector]: the Tiny YOLO v2 face detector, for a fixed input size.
//
// The architectures follow the face-api.js 0.22 sources
// (src/faceRecognitionNet, src/faceFeatureExtractor, src/tinyYolov2); every
// tensor in a manifest must be consumed, so a mismatch between manifest and
// architecture is an error, not a silently wrong model. Per-channel affine
// "scale" layers are folded into the preceding convolution. Normalisation
// of the input is left to the caller.
//
// # Weights format
//
// https://www.tensorflow.org/js/guide/save_load (weights manifest);
// quantised values are q*scale + min, computed in float64 and rounded to
// float32 as tfjs-core's io.decodeWeights does.
package tfjsconv
