package gocvface_test

import (
	"context"
	"errors"
	"fmt"
	"image"

	"github.com/egate/egate/vision"
	"github.com/egate/egate/vision/gocvface"
)

// The daemon opens the pipeline once (models from the configured
// directory, each checked against its recorded sha256) and refuses the
// face step if that fails.
func Example() {
	p, err := gocvface.Open(gocvface.DefaultConfig())
	if errors.Is(err, vision.ErrModelMissing) || errors.Is(err, vision.ErrModelCorrupt) {
		fmt.Println("face step unavailable:", err)
		return
	}
	if err != nil {
		fmt.Println(err)
		return
	}
	defer p.Close()

	var live, portrait image.Image // a camera frame and the decoded DG2 portrait
	res, err := p.Verify(context.Background(), live, portrait)
	if errors.Is(err, vision.ErrNoUsableFace) {
		fmt.Println("retry:", res.Live.Reasons) // e.g. [too_small] -> "Move closer"
		return
	}
	fmt.Println(res.Match)
}

// The daemon's face step: load the models, open the camera, and compare
// each traveller's chip portrait (DG2 bytes) with the best camera frame.
// Missing models or camera: no face step, and the daemon fails it closed.
func ExampleNewGateVerifier() {
	o := gocvface.DefaultGateOpts()
	o.ModelDir = "/usr/share/egate/models"
	o.Camera = gocvface.CameraOpts{Source: gocvface.SourceV4L2, Device: "/dev/video0", Width: 640, Height: 480, FPS: 30}
	g, err := gocvface.NewGateVerifier(o)
	if err != nil {
		fmt.Println("face step unavailable:", err)
		return
	}
	defer g.Close()

	var portrait []byte // sensors.ChipResult.Portrait
	res, err := g.Verify(context.Background(), portrait)
	if err != nil {
		fmt.Println("face step failed:", err) // the daemon records face.error
		return
	}
	// res.Reasons: face.no_match, face.quality.too_small, face.attack_suspected, ...
	fmt.Println(res.Match, res.Score, res.Reasons)
}
