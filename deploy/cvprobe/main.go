// Command cvprobe checks that a cross-built binary links OpenCV through gocv
// and that OpenCV's DNN module can read the converted face models. It is a
// build check for the arm64 package (run under qemu-aarch64-static by `make
// qemu-check`), not part of the lane: nothing imports it and no package
// ships it.
//
//	cvprobe [MODEL.onnx ...]
//
// It prints the gocv and OpenCV versions, then reads each model and runs one
// forward pass on a grey image of the model's input size.
package main

import (
	"errors"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"strings"

	"gocv.io/x/gocv"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "cvprobe:", err)
		os.Exit(1)
	}
}

// inputSize is the square input the converted networks expect, by file name
// (see vision/models/onnx.sha256).
func inputSize(name string) int {
	switch {
	case strings.Contains(name, "416"):
		return 416
	case strings.Contains(name, "320"):
		return 320
	case strings.HasPrefix(name, "face_landmark"):
		return 112
	case strings.HasPrefix(name, "face_recognition"):
		return 150
	}
	return 0
}

func run(models []string) error {
	fmt.Printf("gocv %s, OpenCV %s\n", gocv.Version(), gocv.OpenCVVersion())
	for _, m := range models {
		net := gocv.ReadNetFromONNX(m)
		if net.Empty() {
			return fmt.Errorf("%s: OpenCV could not read the network", m)
		}
		size := inputSize(filepath.Base(m))
		if size == 0 {
			net.Close()
			fmt.Printf("%s: read (no forward pass: unknown input size)\n", m)
			continue
		}
		err := forward(net, size)
		net.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", m, err)
		}
		fmt.Printf("%s: read, forward pass at %dx%d ok\n", m, size, size)
	}
	return nil
}

func forward(net gocv.Net, size int) error {
	img := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(128, 128, 128, 0), size, size, gocv.MatTypeCV8UC3)
	defer img.Close()
	blob := gocv.BlobFromImage(img, 1.0/255, image.Pt(size, size), gocv.NewScalar(0, 0, 0, 0), true, false)
	defer blob.Close()
	net.SetInput(blob, "")
	out := net.Forward("")
	defer out.Close()
	if out.Empty() {
		return errors.New("forward pass gave no output")
	}
	return nil
}
