package gocvface

import (
	"context"
	"fmt"

	"gocv.io/x/gocv"
)

// Minimum frame size the probe accepts, and the spread of pixel values
// below which a picture counts as uniform (a covered lens, the lights off,
// a dead sensor).
const (
	probeMinWidth, probeMinHeight = 160, 120
	probeMinStdDev                = 4.0
)

// Probe is the technician's self-test of the camera: it reads one frame
// within ctx, waiting for a verification in progress to end first. A
// camera that does not deliver, an empty or undersized frame, or a uniform
// picture fails with an error that says which (wrapping ErrCamera). The
// frame is released at once; nothing is kept.
func (g *GateVerifier) Probe(ctx context.Context) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	m, err := g.cam.Read(ctx)
	defer m.Close()
	if err != nil {
		return err
	}
	return probeFrame(m)
}

func probeFrame(m gocv.Mat) error {
	if m.Empty() {
		return fmt.Errorf("%w: empty frame", ErrCamera)
	}
	if m.Cols() < probeMinWidth || m.Rows() < probeMinHeight {
		return fmt.Errorf("%w: frame of %dx%d, the face step needs at least %dx%d", ErrCamera, m.Cols(), m.Rows(), probeMinWidth, probeMinHeight)
	}
	mean, std := gocv.NewMat(), gocv.NewMat()
	defer mean.Close()
	defer std.Close()
	gocv.MeanStdDev(m, &mean, &std)
	spread := 0.0
	for i := 0; i < std.Rows(); i++ {
		spread = max(spread, std.GetDoubleAt(i, 0))
	}
	if spread < probeMinStdDev {
		return fmt.Errorf("%w: the picture is uniform (mean level %.0f): lens covered, lights off or a dead sensor", ErrCamera, mean.GetDoubleAt(0, 0))
	}
	return nil
}
