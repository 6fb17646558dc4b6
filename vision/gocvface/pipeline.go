package gocvface

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
	"path/filepath"

	"gocv.io/x/gocv"

	"github.com/egate/egate/vision"
	"github.com/egate/egate/vision/facenet"
	"github.com/egate/egate/vision/models"
)

// Detector names for Config.Detector.
const (
	DetectorTinyFace416 = "tinyface416"
	DetectorTinyFace320 = "tinyface320"
	DetectorHaar        = "haar"
)

// DefaultHaarCascade is the cascade used by DetectorHaar.
const DefaultHaarCascade = "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml"

// Config selects the models and thresholds. Model files are looked up in
// ModelDir under the names in package models and checked against the
// checksums recorded there.
type Config struct {
	ModelDir      string
	Detector      string  // DetectorTinyFace416 (default), DetectorTinyFace320 or DetectorHaar
	TinyLandmarks bool    // use the tiny 68-point net (faster, less precise)
	FlipAverage   bool    // average the descriptors of the chip and its mirror image
	Threshold     float64 // match when the descriptor distance is <= Threshold
	Live          Gates   // quality gates for camera frames
	Portrait      Gates   // quality gates for the document portrait
}

// Gates are the quality thresholds; a zero field disables its gate.
type Gates struct {
	MaxFaces       int     // more faces of comparable size than this fails (0: pick the most central)
	MinEyeDistance float64 // pixels between eye centres
	MaxEyeDistance float64 // pixels; larger means "step back"
	MinSharpness   float64 // variance of the Laplacian of the grey chip
	MinBrightness  float64 // mean grey level of the chip
	MaxBrightness  float64
	MaxYaw         float64 // degrees
	MaxRoll        float64 // degrees
	MinEyesOpen    float64 // eye aspect ratio of the less open eye
}

// DefaultThreshold is the decision threshold on descriptor distance, set
// for FMR <= 0.1% on the LFW dev set with the default configuration
// (measured 0.5235 over all 894,606 impostor pairs, FNMR 8.4%; see
// TestLFWPairs -lfw.full). face-api.js's usual 0.6 gives FMR about 1% there.
// Recalibrate when the models, the alignment or the data change.
const DefaultThreshold = 0.52

// DefaultConfig returns the defaults. The gate values are starting points
// measured on LFW; see the README.
func DefaultConfig() Config {
	return Config{
		ModelDir:    ".cache/models",
		Detector:    DetectorTinyFace416,
		Threshold:   DefaultThreshold,
		FlipAverage: true,
		Live: Gates{
			MaxFaces: 1, MinEyeDistance: 40, MinSharpness: 20,
			MinBrightness: 50, MaxBrightness: 210, MaxYaw: 25, MaxRoll: 20, MinEyesOpen: 0.15,
		},
		Portrait: Gates{MinEyeDistance: 20, MaxYaw: 35, MaxRoll: 30},
	}
}

// Pipeline implements vision.Verifier on OpenCV.
type Pipeline struct {
	cfg  Config
	det  Detector
	lm   *Landmarker
	desc *facenet.Descriptor
}

var _ vision.Verifier = (*Pipeline)(nil)

// Open loads every model named by cfg. Any missing or corrupt model is an
// error wrapping vision.ErrModelMissing or vision.ErrModelCorrupt.
func Open(cfg Config) (_ *Pipeline, err error) {
	p := &Pipeline{cfg: cfg}
	defer func() {
		if err != nil {
			p.Close()
		}
	}()
	model := func(name string) (string, string) {
		return filepath.Join(cfg.ModelDir, name), models.ONNXSum(name)
	}
	var det Detector
	switch cfg.Detector {
	case DetectorTinyFace416, "":
		path, sum := model(models.TinyFace416ONNX)
		det, err = loadDetector(LoadTinyFace(path, sum, 416))
	case DetectorTinyFace320:
		path, sum := model(models.TinyFace320ONNX)
		det, err = loadDetector(LoadTinyFace(path, sum, 320))
	case DetectorHaar:
		det, err = loadDetector(LoadCascade(DefaultHaarCascade, CascadeSums[DefaultHaarCascade]))
	default:
		return nil, fmt.Errorf("gocvface: unknown detector %q", cfg.Detector)
	}
	if err != nil {
		return nil, err
	}
	p.det = det
	lmName := models.Landmark68ONNX
	if cfg.TinyLandmarks {
		lmName = models.Landmark68TinyONNX
	}
	lm, err := LoadLandmarker(model(lmName))
	if err != nil {
		return nil, err
	}
	p.lm = lm
	desc, err := facenet.Load(model(models.FaceRecognitionONNX))
	if err != nil {
		return nil, fmt.Errorf("gocvface: %w", err)
	}
	p.desc = desc
	return p, nil
}

// loadDetector turns a typed nil into a nil interface.
func loadDetector[D Detector](d D, err error) (Detector, error) {
	if err != nil {
		return nil, err
	}
	return d, nil
}

// Close frees all models.
func (p *Pipeline) Close() error {
	var errs []error
	if p.det != nil {
		errs = append(errs, p.det.Close())
	}
	if p.lm != nil {
		errs = append(errs, p.lm.Close())
	}
	if p.desc != nil {
		errs = append(errs, p.desc.Close())
	}
	return errors.Join(errs...)
}

// Config returns the configuration the pipeline was opened with.
func (p *Pipeline) Config() Config { return p.cfg }

// Face is one analysed face. It holds biometric data: never log or store it.
type Face struct {
	Detection  vision.Detection
	Landmarks  vision.Landmarks
	Descriptor []float32
	Quality    vision.Quality
	// Moire is vision.MoireScore of the centre of the aligned chip (a
	// presentation-attack cue).
	Moire float64
}

// Analyze finds the face in a BGR image, aligns it, measures its quality
// against g and computes its descriptor. A face that fails a gate is
// returned with the reasons in Quality and an error wrapping
// vision.ErrNoUsableFace; so is an image without a face.
func (p *Pipeline) Analyze(bgr gocv.Mat, g Gates) (*Face, error) {
	dets, err := p.det.Detect(bgr)
	if err != nil {
		return nil, err
	}
	f := &Face{}
	f.Quality.Faces = len(dets)
	if len(dets) == 0 {
		f.Quality.Reasons = []vision.Reason{vision.ReasonNoFace}
		return f, fmt.Errorf("gocvface: %w: no face found", vision.ErrNoUsableFace)
	}
	best, comparable := pickFace(dets, bgr.Cols(), bgr.Rows())
	f.Detection = best
	var reasons []vision.Reason
	if g.MaxFaces > 0 && comparable > g.MaxFaces {
		reasons = append(reasons, vision.ReasonMultipleFaces)
	}
	lm, err := p.lm.Landmarks(bgr, best.Box)
	if err != nil {
		return nil, err
	}
	f.Landmarks = *lm
	chip, err := alignChip(bgr, lm)
	if err != nil {
		return nil, err
	}
	q := measure(chip, lm)
	q.Faces = len(dets)
	f.Moire = chipMoire(chip)
	q.Reasons = append(reasons, g.check(q)...)
	f.Quality = q
	if f.Descriptor, err = p.descriptor(chip); err != nil {
		return nil, err
	}
	if len(q.Reasons) > 0 {
		return f, fmt.Errorf("gocvface: %w: %v", vision.ErrNoUsableFace, q.Reasons)
	}
	return f, nil
}

// Detect runs the detector alone (benchmarks and tools).
func (p *Pipeline) Detect(bgr gocv.Mat) ([]vision.Detection, error) { return p.det.Detect(bgr) }

// Landmarks runs the landmark net alone on a detected box.
func (p *Pipeline) Landmarks(bgr gocv.Mat, box vision.Box) (*vision.Landmarks, error) {
	return p.lm.Landmarks(bgr, box)
}

// Describe aligns the face given by lm and computes its descriptor (with
// the mirror image when Config.FlipAverage is set).
func (p *Pipeline) Describe(bgr gocv.Mat, lm *vision.Landmarks) ([]float32, error) {
	chip, err := alignChip(bgr, lm)
	if err != nil {
		return nil, err
	}
	return p.descriptor(chip)
}

// DescriptorNet returns the descriptor network (benchmarks).
func (p *Pipeline) DescriptorNet() *facenet.Descriptor { return p.desc }

// descriptor computes the chip's descriptor; with Config.FlipAverage, the
// mean of the chip's and its mirror image's descriptors.
func (p *Pipeline) descriptor(chip []byte) ([]float32, error) {
	d, err := p.desc.ComputeRGB(chip)
	if err != nil {
		return nil, fmt.Errorf("gocvface: %w", err)
	}
	if !p.cfg.FlipAverage {
		return d, nil
	}
	const n = vision.ChipSize
	flipped := make([]byte, len(chip))
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			copy(flipped[3*(y*n+n-1-x):3*(y*n+n-x)], chip[3*(y*n+x):3*(y*n+x+1)])
		}
	}
	d2, err := p.desc.ComputeRGB(flipped)
	if err != nil {
		return nil, fmt.Errorf("gocvface: %w", err)
	}
	for i := range d {
		d[i] = (d[i] + d2[i]) / 2
	}
	return d, nil
}

// pickFace returns the face to use: among faces at least half as wide as
// the widest, the one nearest the image centre. It also returns how many
// faces are of comparable size.
func pickFace(dets []vision.Detection, w, h int) (vision.Detection, int) {
	widest := 0.0
	for _, d := range dets {
		widest = max(widest, d.Box.W)
	}
	var best vision.Detection
	bestDist := math.Inf(1)
	n := 0
	for _, d := range dets {
		if d.Box.W < widest/2 {
			continue
		}
		n++
		c := d.Box.Center()
		if dist := math.Hypot(c.X-float64(w)/2, c.Y-float64(h)/2); dist < bestDist {
			best, bestDist = d, dist
		}
	}
	return best, n
}

// alignChip warps the face to the descriptor net's 150x150 chip (dlib's
// get_face_chip_details(shape, 150, 0.25) + extract_image_chip) and
// returns it as RGB bytes.
func alignChip(bgr gocv.Mat, lm *vision.Landmarks) ([]byte, error) {
	a, err := vision.ChipTransform(lm, vision.ChipSize, vision.ChipPadding)
	if err != nil {
		return nil, fmt.Errorf("gocvface: align: %w", err)
	}
	mb := make([]byte, 0, 48)
	for _, v := range a {
		mb = binary.LittleEndian.AppendUint64(mb, math.Float64bits(v))
	}
	m, err := gocv.NewMatFromBytes(2, 3, gocv.MatTypeCV64F, mb)
	if err != nil {
		return nil, fmt.Errorf("gocvface: align: %w", err)
	}
	defer m.Close()
	chip := gocv.NewMat()
	defer chip.Close()
	gocv.WarpAffineWithParams(bgr, &chip, m, image.Pt(vision.ChipSize, vision.ChipSize),
		gocv.InterpolationLinear, gocv.BorderConstant, color.RGBA{})
	if chip.Rows() != vision.ChipSize || chip.Cols() != vision.ChipSize || chip.Type() != gocv.MatTypeCV8UC3 {
		return nil, fmt.Errorf("gocvface: align: chip %dx%d", chip.Cols(), chip.Rows())
	}
	pix := chip.ToBytes()
	for i := 0; i+2 < len(pix); i += 3 {
		pix[i], pix[i+2] = pix[i+2], pix[i] // BGR to RGB
	}
	return pix, nil
}

// measure computes the quality measurements of an aligned RGB chip.
func measure(rgb []byte, lm *vision.Landmarks) vision.Quality {
	var q vision.Quality
	le, re := lm.EyeCenters()
	q.FaceSize = math.Hypot(re.X-le.X, re.Y-le.Y)
	pose := vision.EstimatePose(lm)
	q.Yaw, q.Roll = pose.Yaw, pose.Roll
	l, r := lm.EyeOpenness()
	q.EyesOpen = min(l, r)

	// Grey level statistics on the chip, in Go: the chip is tiny.
	const n = vision.ChipSize
	grey := make([]float64, n*n)
	var sum float64
	for i := range grey {
		v := 0.299*float64(rgb[3*i]) + 0.587*float64(rgb[3*i+1]) + 0.114*float64(rgb[3*i+2])
		grey[i] = v
		sum += v
	}
	q.Brightness = sum / float64(n*n)
	// Variance of the 4-neighbour Laplacian over the central half of the
	// chip (the face, not the black border of a warped chip).
	var s, s2 float64
	cnt := 0
	for y := n / 4; y < 3*n/4; y++ {
		for x := n / 4; x < 3*n/4; x++ {
			i := y*n + x
			lap := grey[i-1] + grey[i+1] + grey[i-n] + grey[i+n] - 4*grey[i]
			s += lap
			s2 += lap * lap
			cnt++
		}
	}
	mean := s / float64(cnt)
	q.Sharpness = s2/float64(cnt) - mean*mean
	return q
}

// chipMoire is vision.MoireScore of the central MoireSize square of an
// RGB chip (eyes, nose and cheeks).
func chipMoire(rgb []byte) float64 {
	const n, m = vision.ChipSize, vision.MoireSize
	off := (n - m) / 2
	grey := make([]float64, m*m)
	for y := 0; y < m; y++ {
		for x := 0; x < m; x++ {
			i := 3 * ((y+off)*n + x + off)
			grey[y*m+x] = 0.299*float64(rgb[i]) + 0.587*float64(rgb[i+1]) + 0.114*float64(rgb[i+2])
		}
	}
	return vision.MoireScore(grey)
}

// check applies the gates to q.
func (g Gates) check(q vision.Quality) []vision.Reason {
	var r []vision.Reason
	add := func(cond bool, reason vision.Reason) {
		if cond {
			r = append(r, reason)
		}
	}
	add(g.MinEyeDistance > 0 && q.FaceSize < g.MinEyeDistance, vision.ReasonTooSmall)
	add(g.MaxEyeDistance > 0 && q.FaceSize > g.MaxEyeDistance, vision.ReasonTooLarge)
	add((g.MaxYaw > 0 && math.Abs(q.Yaw) > g.MaxYaw) || (g.MaxRoll > 0 && math.Abs(q.Roll) > g.MaxRoll), vision.ReasonPose)
	add(g.MinSharpness > 0 && q.Sharpness < g.MinSharpness, vision.ReasonBlurry)
	add(g.MinBrightness > 0 && q.Brightness < g.MinBrightness, vision.ReasonTooDark)
	add(g.MaxBrightness > 0 && q.Brightness > g.MaxBrightness, vision.ReasonTooBright)
	add(g.MinEyesOpen > 0 && q.EyesOpen < g.MinEyesOpen, vision.ReasonEyesClosed)
	return r
}

// Verify implements vision.Verifier: it analyses both images (live with
// the Live gates, portrait with the Portrait gates) and compares their
// descriptors. It returns an error wrapping vision.ErrNoUsableFace, with
// the qualities filled in, when either has no usable face.
func (p *Pipeline) Verify(ctx context.Context, live, portrait image.Image) (vision.Result, error) {
	lm, err := MatFromImage(live)
	if err != nil {
		return vision.Result{}, err
	}
	defer lm.Close()
	pm, err := MatFromImage(portrait)
	if err != nil {
		return vision.Result{}, err
	}
	defer pm.Close()
	return p.VerifyMat(ctx, lm, pm)
}

// VerifyMat is Verify on BGR Mats.
func (p *Pipeline) VerifyMat(ctx context.Context, live, portrait gocv.Mat) (vision.Result, error) {
	res := vision.Result{Threshold: p.cfg.Threshold}
	if err := ctx.Err(); err != nil {
		return res, err
	}
	pf, perr := p.Analyze(portrait, p.cfg.Portrait)
	if pf != nil {
		res.Portrait = pf.Quality
	}
	if err := ctx.Err(); err != nil {
		return res, err
	}
	lf, lerr := p.Analyze(live, p.cfg.Live)
	if lf != nil {
		res.Live = lf.Quality
	}
	if perr != nil {
		return res, fmt.Errorf("portrait: %w", perr)
	}
	if lerr != nil {
		return res, fmt.Errorf("live: %w", lerr)
	}
	res.Distance = facenet.Distance(lf.Descriptor, pf.Descriptor)
	res.Match = res.Distance <= p.cfg.Threshold
	return res, nil
}
