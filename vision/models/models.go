// Package models records the checksums of the face-api.js weight files that
// `make models` installs and of the ONNX files it converts them to, and
// checks files against them.
//
// It is pure Go and may be imported by any vision/ package and by cmd/.
// The ONNX files themselves are build outputs (under .cache/models, not in
// the repository); the daemon is configured with their paths and refuses
// the face step when a file is missing or does not match its checksum.
package models

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// FaceAPIVersion is the pinned version of the npm package
// @vladmandic/face-api whose weights are converted.
const FaceAPIVersion = "1.7.15"

// File names of the converted networks, as written by egate-models.
const (
	FaceRecognitionONNX = "face_recognition.onnx"
	Landmark68ONNX      = "face_landmark_68.onnx"
	Landmark68TinyONNX  = "face_landmark_68_tiny.onnx"
	TinyFace416ONNX     = "tiny_face_detector_416.onnx"
	TinyFace320ONNX     = "tiny_face_detector_320.onnx"
)

//go:embed faceapi-1.7.15.sha256
var faceAPISums []byte

//go:embed onnx.sha256
var onnxSums []byte

// ErrChecksum is wrapped when a file does not match its recorded sha256.
var ErrChecksum = errors.New("models: checksum mismatch")

// FaceAPISums returns the sha256 (hex) of each face-api weight file used,
// keyed by file name.
func FaceAPISums() map[string]string { return mustParse(faceAPISums) }

// ONNXSum returns the recorded sha256 (hex) of a converted network, or "".
func ONNXSum(name string) string { return mustParse(onnxSums)[name] }

func mustParse(b []byte) map[string]string {
	m, err := ParseSums(b)
	if err != nil {
		panic(err) // embedded at build time; covered by tests
	}
	return m
}

// ParseSums parses sha256sum(1) output: "<64 hex>  <name>" per line.
func ParseSums(b []byte) (map[string]string, error) {
	m := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		sum, name, ok := strings.Cut(line, " ")
		name = strings.TrimPrefix(strings.TrimSpace(name), "*")
		if _, err := hex.DecodeString(sum); !ok || err != nil || len(sum) != 64 || name == "" {
			return nil, fmt.Errorf("models: line %d: not \"<sha256>  <name>\"", n)
		}
		m[name] = strings.ToLower(sum)
	}
	return m, sc.Err()
}

// SHA256File returns the hex sha256 of the file at path.
func SHA256File(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("models: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("models: %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// SHA256Bytes returns the hex sha256 of b.
func SHA256Bytes(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// CheckBytes reports whether b has the sha256 want (hex, any case).
func CheckBytes(name string, b []byte, want string) error {
	if got := SHA256Bytes(b); !strings.EqualFold(got, want) {
		return fmt.Errorf("%w: %s has sha256 %s, want %s", ErrChecksum, name, got, want)
	}
	return nil
}

// VerifyFile checks the file at path against the sha256 want.
func VerifyFile(path, want string) error {
	got, err := SHA256File(path)
	if err != nil {
		return err
	}
	if !strings.EqualFold(got, want) {
		return fmt.Errorf("%w: %s has sha256 %s, want %s", ErrChecksum, path, got, want)
	}
	return nil
}
