package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/egate/egate/vision/internal/visiontest"
	"github.com/egate/egate/vision/models"
)

func TestRunConvertsAndChecks(t *testing.T) {
	src := visiontest.FaceAPIDir(t)
	out := t.TempDir()
	if err := run(src, out, false); err != nil {
		t.Fatal(err)
	}
	for _, n := range networks {
		if err := models.VerifyFile(filepath.Join(out, n.out), models.ONNXSum(n.out)); err != nil {
			t.Error(err)
		}
	}
}

func TestRunRejectsTamperedWeights(t *testing.T) {
	src := visiontest.FaceAPIDir(t)
	bad := t.TempDir()
	for name := range models.FaceAPISums() {
		b, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			t.Fatal(err)
		}
		if name == "face_recognition_model.bin" {
			b[1000] ^= 1
		}
		if err := os.WriteFile(filepath.Join(bad, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	err := run(bad, t.TempDir(), false)
	if err == nil || !strings.Contains(err.Error(), "checksum mismatch") {
		t.Errorf("run = %v, want a checksum mismatch", err)
	}
}
