// Package visiontest finds the shared test data and the converted models
// for tests under vision/. It is pure Go and imported only by tests.
package visiontest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/egate/egate/vision/models"
)

// SharedDir returns the shared/testdata directory that sits beside the
// repository (found by walking up from the test's working directory), or
// skips the test.
func SharedDir(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		cand := filepath.Join(dir, "shared", "testdata")
		if st, err := os.Stat(cand); err == nil && st.IsDir() {
			return cand
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("no shared/testdata beside the repository: skipping test on shared data")
		}
		dir = parent
	}
}

// RepoRoot returns the directory holding go.mod.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test directory")
		}
		dir = parent
	}
}

// FaceAPIDir returns the installed face-api model directory, or skips.
func FaceAPIDir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(RepoRoot(t), ".cache", "npm", "node_modules", "@vladmandic", "face-api", "model")
	if _, err := os.Stat(filepath.Join(dir, "face_recognition_model-weights_manifest.json")); err != nil {
		t.Skip("face-api weights not installed: run `make models`")
	}
	for name, sum := range models.FaceAPISums() {
		if err := models.VerifyFile(filepath.Join(dir, name), sum); err != nil {
			t.Fatalf("installed face-api weights do not match vision/models: %v", err)
		}
	}
	return dir
}

// Model returns the path of the converted model name under .cache/models
// and its recorded checksum, or skips the test when it is not built.
func Model(t testing.TB, name string) (path, sum string) {
	t.Helper()
	path = filepath.Join(RepoRoot(t), ".cache", "models", name)
	sum = models.ONNXSum(name)
	if _, err := os.Stat(path); err != nil {
		t.Skipf("%s not built: run `make models`", name)
	}
	if sum == "" {
		t.Fatalf("no checksum recorded for %s in vision/models/onnx.sha256", name)
	}
	if err := models.VerifyFile(path, sum); err != nil {
		t.Fatalf("%v (stale build: run `make models`)", err)
	}
	return path, sum
}
