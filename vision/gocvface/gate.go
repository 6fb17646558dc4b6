package gocvface

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/egate/egate/gate"
	"github.com/egate/egate/vision"
	"github.com/egate/egate/vision/facenet"
)

// GateOpts configures NewGateVerifier: everything the daemon's
// configuration needs to say about the face step.
type GateOpts struct {
	// ModelDir holds the converted models (`make models`: .cache/models;
	// on a gate, /usr/share/egate/models or similar). Each file is checked
	// against the sha256 recorded in vision/models.
	ModelDir string
	// Detector is DetectorTinyFace416 (default), DetectorTinyFace320 or
	// DetectorHaar.
	Detector string
	// Threshold is the largest descriptor distance that matches; 0 means
	// DefaultThreshold (FMR <= 0.1% on the LFW dev set).
	Threshold float64
	// Camera is the capture source.
	Camera CameraOpts
	// Capture bounds the best-of-N capture.
	Capture CaptureOpts
	// Liveness enables the presentation-attack checks with these
	// thresholds; nil turns them off (a match then needs one good frame).
	Liveness *vision.LivenessOpts
	// Log receives one line per verification (counts, distance, liveness
	// cues and reasons; never images or descriptors). Nil: no logs.
	Log *slog.Logger
}

// CaptureOpts bound the best-of-N capture.
type CaptureOpts struct {
	// MaxFrames is the most frames analysed per traveller (N).
	MaxFrames int
	// Budget is the most time spent capturing per traveller; the daemon's
	// own verifying timeout must be longer.
	Budget time.Duration
	// ConfidentDistance stops the capture early once a frame is this close
	// to the portrait (and, with liveness on, the traveller looks live).
	// 0: Threshold - 0.1.
	ConfidentDistance float64
}

// DefaultGateOpts returns the defaults: models in .cache/models, the
// default detector and threshold, /dev/video0 at 640x480, at most 15
// frames in 3 s, liveness checks on.
func DefaultGateOpts() GateOpts {
	l := vision.DefaultLivenessOpts()
	return GateOpts{
		ModelDir: DefaultConfig().ModelDir,
		Detector: DetectorTinyFace416,
		Camera:   DefaultCameraOpts(),
		Capture:  CaptureOpts{MaxFrames: 15, Budget: 3 * time.Second},
		Liveness: &l,
	}
}

// check fills the zero values and rejects values that would misbehave.
func (o *GateOpts) check() error {
	if o.Threshold == 0 {
		o.Threshold = DefaultThreshold
	}
	if !(o.Threshold > 0 && o.Threshold < 2) {
		return fmt.Errorf("gocvface: threshold %g out of (0, 2)", o.Threshold)
	}
	if o.Capture.MaxFrames <= 0 || o.Capture.MaxFrames > 1000 {
		return fmt.Errorf("gocvface: capture max frames %d out of 1..1000", o.Capture.MaxFrames)
	}
	if o.Capture.Budget <= 0 {
		return fmt.Errorf("gocvface: capture budget %v must be positive", o.Capture.Budget)
	}
	if o.Capture.ConfidentDistance == 0 {
		o.Capture.ConfidentDistance = o.Threshold - 0.1
	}
	if o.Capture.ConfidentDistance > o.Threshold {
		return fmt.Errorf("gocvface: confident distance %g above the threshold %g", o.Capture.ConfidentDistance, o.Threshold)
	}
	if o.Liveness != nil && o.Liveness.MinFrames > o.Capture.MaxFrames {
		return fmt.Errorf("gocvface: liveness needs %d frames but capture stops at %d", o.Liveness.MinFrames, o.Capture.MaxFrames)
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return nil
}

// GateVerifier is the lane's face step: it implements the daemon's
// FaceVerifier (Verify(ctx, portrait []byte) (gate.FaceResult, error)).
// It compares the chip's DG2 portrait with the best of up to N camera
// frames. Faces, frames and descriptors live in memory for the length of
// one call; none is logged, written or sent.
type GateVerifier struct {
	mu  sync.Mutex
	o   GateOpts
	p   *Pipeline
	cam Camera
}

// NewGateVerifier loads the models and opens the camera. Missing or
// corrupt models give errors wrapping vision.ErrModelMissing or
// vision.ErrModelCorrupt, a camera that will not open one wrapping
// ErrCamera: the daemon then runs without a face step, which fails closed.
func NewGateVerifier(o GateOpts) (*GateVerifier, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	cfg := DefaultConfig()
	cfg.ModelDir, cfg.Threshold = o.ModelDir, o.Threshold
	if o.Detector != "" {
		cfg.Detector = o.Detector
	}
	p, err := Open(cfg)
	if err != nil {
		return nil, err
	}
	cam, err := OpenCamera(o.Camera)
	if err != nil {
		p.Close()
		return nil, err
	}
	return &GateVerifier{o: o, p: p, cam: cam}, nil
}

// NewGateVerifierWith builds a verifier on an open pipeline and camera
// (tests, the simulated lane with a SceneCamera). It takes ownership of
// both: Close closes them. o.ModelDir, o.Detector and o.Camera are
// ignored; o.Threshold 0 means the pipeline's.
func NewGateVerifierWith(p *Pipeline, cam Camera, o GateOpts) (*GateVerifier, error) {
	if p == nil || cam == nil {
		return nil, errors.New("gocvface: pipeline and camera are required")
	}
	if o.Threshold == 0 {
		o.Threshold = p.cfg.Threshold
	}
	if err := o.check(); err != nil {
		return nil, err
	}
	return &GateVerifier{o: o, p: p, cam: cam}, nil
}

// Camera returns the camera (for the simulated lane's SceneCamera).
func (g *GateVerifier) Camera() Camera { return g.cam }

// Threshold returns the decision threshold in use.
func (g *GateVerifier) Threshold() float64 { return g.o.Threshold }

// Close releases the camera and the models.
func (g *GateVerifier) Close() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return errors.Join(g.cam.Close(), g.p.Close())
}

func (g *GateVerifier) String() string {
	return fmt.Sprintf("gocvface gate verifier (threshold %.3f, %s, camera %s)", g.o.Threshold, g.p.cfg.Detector, g.cam)
}

// Outcome is what one verification found, for egatectl and tests; it
// holds scores and reasons only.
type Outcome struct {
	Result     gate.FaceResult
	Frames     int              // frames read
	FaceFrames int              // frames with a face found
	Usable     int              // frames that passed the quality gates
	Best       vision.Quality   // quality of the best frame
	Portrait   vision.Quality   // quality of the portrait
	Liveness   *vision.Liveness // nil when the checks are off
	Elapsed    time.Duration
}

// Verify implements the daemon's FaceVerifier. Results the traveller or
// an officer must act on (no face in the portrait, quality, suspected
// attack, no match) come back as a FaceResult with reasons and a nil
// error; an error means the step itself failed (camera, cancelled).
func (g *GateVerifier) Verify(ctx context.Context, portrait []byte) (gate.FaceResult, error) {
	out, err := g.VerifyDetail(ctx, portrait)
	return out.Result, err
}

// VerifyDetail is Verify with the measurements behind the result.
func (g *GateVerifier) VerifyDetail(ctx context.Context, portrait []byte) (Outcome, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	start := time.Now()
	out, err := g.verify(ctx, portrait)
	out.Elapsed = time.Since(start)
	attrs := []any{"frames", out.Frames, "face_frames", out.FaceFrames, "usable", out.Usable,
		"match", out.Result.Match, "score", out.Result.Score, "reasons", out.Result.Reasons, "ms", out.Elapsed.Milliseconds()}
	if out.Liveness != nil {
		attrs = append(attrs, "liveness", out.Liveness.Why, "parallax", out.Liveness.Parallax,
			"blink", out.Liveness.Blink, "moire", out.Liveness.Moire)
	}
	if err != nil {
		g.o.Log.Warn("face step failed", append(attrs, "err", err)...)
	} else {
		g.o.Log.Info("face step", attrs...)
	}
	return out, err
}

func (g *GateVerifier) verify(ctx context.Context, portrait []byte) (Outcome, error) {
	var out Outcome
	fail := func(reasons ...string) (Outcome, error) {
		out.Result = gate.FaceResult{Reasons: reasons}
		return out, nil
	}
	if err := ctx.Err(); err != nil {
		return out, err
	}
	// The portrait: ICAO 9303-10 DG2 holds a JPEG or JPEG 2000 image.
	pm, err := DecodeImage(portrait)
	if err != nil {
		pm.Close()
		return fail(vision.CodeNoPortraitFace)
	}
	pf, err := g.p.Analyze(pm, g.p.cfg.Portrait)
	pm.Close()
	if pf != nil {
		out.Portrait = pf.Quality
	}
	if err != nil {
		if errors.Is(err, vision.ErrNoUsableFace) || errors.Is(err, vision.ErrBadImage) {
			return fail(vision.CodeNoPortraitFace)
		}
		return out, err
	}

	capCtx, cancel := context.WithTimeout(ctx, g.o.Capture.Budget)
	defer cancel()
	tracker := NewTracker()
	defer tracker.Close()
	var (
		cues      []vision.Cue
		best      = -1.0
		bestFail  *vision.Quality
		live      vision.Liveness
		readErr   error
		confident = g.o.Capture.ConfidentDistance
	)
	for out.Frames < g.o.Capture.MaxFrames {
		frame, err := g.cam.Read(capCtx)
		if err != nil {
			frame.Close()
			readErr = err
			break
		}
		out.Frames++
		f, err := g.p.Analyze(frame, g.p.cfg.Live)
		if err != nil && !errors.Is(err, vision.ErrNoUsableFace) {
			frame.Close()
			// A frame OpenCV could not use (ErrBadImage) counts as no face.
			if !errors.Is(err, vision.ErrBadImage) {
				return out, err
			}
			f = &Face{Quality: vision.Quality{Reasons: []vision.Reason{vision.ReasonNoFace}}}
		}
		if f.Quality.Faces > 0 {
			out.FaceFrames++
			parallax := -1.0
			if g.o.Liveness != nil {
				parallax = tracker.Next(frame, f.Detection.Box, f.Quality.FaceSize)
			}
			cues = append(cues, vision.Cue{Landmarks: f.Landmarks, EyesOpen: f.Quality.EyesOpen, Moire: f.Moire, Parallax: parallax})
		}
		frame.Close()
		if err != nil {
			if bestFail == nil || betterFailure(f.Quality, *bestFail) {
				q := f.Quality
				bestFail = &q
			}
			continue
		}
		out.Usable++
		d := facenet.Distance(f.Descriptor, pf.Descriptor)
		if best < 0 || d < best {
			best, out.Best = d, f.Quality
		}
		if best <= confident {
			if g.o.Liveness == nil {
				break
			}
			if live = vision.AssessLiveness(cues, *g.o.Liveness); live.Live {
				break
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return out, err // the caller gave up: no decision
	}
	if out.Frames == 0 {
		if errors.Is(readErr, context.DeadlineExceeded) {
			return out, fmt.Errorf("%w: no frame within the capture budget %v", ErrCamera, g.o.Capture.Budget)
		}
		return out, readErr
	}
	if readErr != nil && !errors.Is(readErr, context.DeadlineExceeded) {
		// Decide on the frames already captured.
		g.o.Log.Warn("camera failed during capture", "frames", out.Frames, "err", readErr)
	}
	if best < 0 {
		out.Best = *bestFail
		reasons := bestFail.Reasons
		if len(reasons) == 0 {
			reasons = []vision.Reason{vision.ReasonNoFace}
		}
		return fail(vision.GateReasons(reasons)...)
	}
	out.Result.Score = best
	out.Result.Match = best <= g.o.Threshold
	if g.o.Liveness != nil {
		live = vision.AssessLiveness(cues, *g.o.Liveness)
		out.Liveness = &live
		if !live.Live {
			out.Result.Match = false
			out.Result.Reasons = append(out.Result.Reasons, vision.CodeAttackSuspected)
		}
	}
	if best > g.o.Threshold {
		out.Result.Reasons = append(out.Result.Reasons, vision.CodeNoMatch)
	}
	return out, nil
}

// betterFailure reports whether quality a is closer to usable than b, so
// that its reasons are the ones the traveller sees: a face beats none,
// fewer failed gates beat more, a larger face breaks ties.
func betterFailure(a, b vision.Quality) bool {
	if (a.Faces > 0) != (b.Faces > 0) {
		return a.Faces > 0
	}
	if len(a.Reasons) != len(b.Reasons) {
		return len(a.Reasons) < len(b.Reasons)
	}
	return a.FaceSize > b.FaceSize
}

// AnalyzeEncoded decodes an encoded image (JPEG, PNG, JPEG 2000) and
// analyses it with gates g (see Analyze).
func (p *Pipeline) AnalyzeEncoded(b []byte, g Gates) (*Face, error) {
	m, err := DecodeImage(b)
	if err != nil {
		m.Close()
		return nil, err
	}
	defer m.Close()
	return p.Analyze(m, g)
}
