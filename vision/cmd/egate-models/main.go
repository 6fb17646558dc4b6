// Command egate-models converts the face-api.js tfjs networks installed by
// `make models` to ONNX files that OpenCV 4.6's readNetFromONNX loads.
//
//	egate-models -src .cache/npm/node_modules/@vladmandic/face-api/model -out .cache/models
//
// Every input file is checked against vision/models/faceapi-*.sha256 before
// it is read, and every output against vision/models/onnx.sha256 (the
// conversion is deterministic). With -print-sums it prints the outputs'
// sha256 in sha256sum format instead of checking them, to update that file.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/egate/egate/vision/models"
	"github.com/egate/egate/vision/onnx"
	"github.com/egate/egate/vision/tfjsconv"
)

type network struct {
	manifest string
	out      string
	convert  func(*tfjsconv.Weights) (*onnx.Model, error)
}

var networks = []network{
	{tfjsconv.FaceRecognitionManifest, models.FaceRecognitionONNX, tfjsconv.FaceRecognition},
	{tfjsconv.Landmark68Manifest, models.Landmark68ONNX, tfjsconv.FaceLandmark68},
	{tfjsconv.Landmark68TinyManifest, models.Landmark68TinyONNX, tfjsconv.FaceLandmark68Tiny},
	{tfjsconv.TinyFaceManifest, models.TinyFace416ONNX, func(w *tfjsconv.Weights) (*onnx.Model, error) {
		return tfjsconv.TinyFaceDetector(w, 416)
	}},
	{tfjsconv.TinyFaceManifest, models.TinyFace320ONNX, func(w *tfjsconv.Weights) (*onnx.Model, error) {
		return tfjsconv.TinyFaceDetector(w, 320)
	}},
}

func main() {
	src := flag.String("src", ".cache/npm/node_modules/@vladmandic/face-api/model", "face-api model directory")
	out := flag.String("out", ".cache/models", "output directory")
	printSums := flag.Bool("print-sums", false, "print the outputs' sha256 instead of checking them")
	flag.Parse()
	if flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "egate-models: unexpected arguments")
		os.Exit(2)
	}
	if err := run(*src, *out, *printSums); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(src, out string, printSums bool) error {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	sums := models.FaceAPISums()
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("egate-models: %w", err)
	}
	for _, n := range networks {
		if err := verifyInputs(src, n.manifest, sums); err != nil {
			return err
		}
		w, err := tfjsconv.LoadDir(src, n.manifest)
		if err != nil {
			return fmt.Errorf("egate-models: %w", err)
		}
		m, err := n.convert(w)
		if err != nil {
			return fmt.Errorf("egate-models: %w", err)
		}
		b := m.Marshal()
		if printSums {
			fmt.Printf("%s  %s\n", models.SHA256Bytes(b), n.out)
		} else if want := models.ONNXSum(n.out); want == "" {
			return fmt.Errorf("egate-models: no recorded sha256 for %s in vision/models/onnx.sha256", n.out)
		} else if err := models.CheckBytes(n.out, b, want); err != nil {
			return fmt.Errorf("egate-models: conversion output changed: %w", err)
		}
		dst := filepath.Join(out, n.out)
		if err := writeAtomic(dst, b); err != nil {
			return err
		}
		log.Info("converted", "net", n.out, "bytes", len(b), "nodes", len(m.Graph.Nodes))
	}
	return nil
}

// verifyInputs checks the manifest and every shard it names against sums.
func verifyInputs(dir, manifest string, sums map[string]string) error {
	check := func(name string) error {
		want, ok := sums[name]
		if !ok {
			return fmt.Errorf("egate-models: %s has no recorded sha256", name)
		}
		if err := models.VerifyFile(filepath.Join(dir, name), want); err != nil {
			return fmt.Errorf("egate-models: %w", err)
		}
		return nil
	}
	if err := check(manifest); err != nil {
		return err
	}
	b, err := os.ReadFile(filepath.Join(dir, manifest))
	if err != nil {
		return fmt.Errorf("egate-models: %w", err)
	}
	var m tfjsconv.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("egate-models: %s: %w", manifest, err)
	}
	for _, g := range m {
		for _, p := range g.Paths {
			if err := check(p); err != nil {
				return err
			}
		}
	}
	return nil
}

func writeAtomic(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path))
	if err != nil {
		return fmt.Errorf("egate-models: %w", err)
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("egate-models: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("egate-models: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("egate-models: %w", err)
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return fmt.Errorf("egate-models: %w", err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("egate-models: %w", err)
	}
	return nil
}
