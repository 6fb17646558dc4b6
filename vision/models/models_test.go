package models

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestEmbeddedSums(t *testing.T) {
	sums := FaceAPISums()
	for _, name := range []string{"face_recognition_model-weights_manifest.json", "face_recognition_model.bin"} {
		if len(sums[name]) != 64 {
			t.Errorf("no sha256 for %s", name)
		}
	}
	// The two values published with the reference data.
	if got := sums["face_recognition_model.bin"]; got != "b413e420d6840b2775fba32008db6f3cddb07d485967fb42cfcf379c16a8c589" {
		t.Errorf("face_recognition_model.bin sum %s", got)
	}
	if len(ONNXSum(FaceRecognitionONNX)) != 64 {
		t.Errorf("no sha256 for %s", FaceRecognitionONNX)
	}
}

func TestParseSums(t *testing.T) {
	for _, tc := range []struct {
		desc string
		in   string
		ok   bool
	}{
		{"sha256sum text", "cbaffa501b0b9275a12b63357a6843e7e30c054e1c9151e1a5f879b26e32986b  a.json\n", true},
		{"binary marker", "cbaffa501b0b9275a12b63357a6843e7e30c054e1c9151e1a5f879b26e32986b *a.bin\n", true},
		{"comment and blank", "# x\n\n", true},
		{"short sum", "cbaffa50  a\n", false},
		{"no name", "cbaffa501b0b9275a12b63357a6843e7e30c054e1c9151e1a5f879b26e32986b\n", false},
		{"not hex", "zbaffa501b0b9275a12b63357a6843e7e30c054e1c9151e1a5f879b26e32986b  a\n", false},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			if _, err := ParseSums([]byte(tc.in)); (err == nil) != tc.ok {
				t.Errorf("ParseSums = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

func TestVerifyFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, []byte("abc"), 0o644); err != nil {
		t.Fatal(err)
	}
	const abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	if err := VerifyFile(p, abc); err != nil {
		t.Error(err)
	}
	if err := VerifyFile(p, "00"+abc[2:]); !errors.Is(err, ErrChecksum) {
		t.Errorf("wrong sum: %v", err)
	}
	if err := VerifyFile(p+"x", abc); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}
