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
