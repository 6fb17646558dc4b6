package gocvface

import (
	"fmt"
	"image"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"gocv.io/x/gocv"

	"github.com/egate/egate/vision"
)

// DefaultCastDir holds the stock photographs shipped in the npm package
// that `make models` installs (@vladmandic/face-api demo/sample1-6.jpg:
// group photographs, several faces each).
const DefaultCastDir = ".cache/npm/node_modules/@vladmandic/face-api/demo"

// Cast is a set of people for the simulated lane, cut from stock
// photographs: each face found becomes a person with a "chip portrait"
// (the face cropped from the photograph, as JPEG) and synthetic camera
// frames made from the same crop (LiveLike or PhotoLike). The portrait
// and the live frames come from one photograph, so a genuine comparison
// here is easier than at a real gate; the cast exercises the real
// pipeline end to end, it does not measure it.
//
// Everything is kept in memory as JPEG; nothing is written.
type Cast struct {
	people []castPerson
}

type castPerson struct {
	name     string // photograph and face index, e.g. "sample2.jpg#1"
	portrait []byte // JPEG, 250x250 like LFW
}

// castSide is the side of a cast portrait; the face fills about half.
// castScale is the scale at which Show places it in a 640x480 frame.
const (
	castSide  = 250
	castScale = 1.8
)

// NewCast finds the faces in every JPEG of dir (sorted by file name;
// within a photograph, left to right) with p's detector and landmarks,
// keeping those whose eyes are at least 30 px apart and that pass p's
// portrait gates. The order is stable for the same files and models.
func NewCast(p *Pipeline, dir string) (*Cast, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("gocvface: cast: %w", err)
	}
	var files []string
	for _, e := range ents {
		ext := strings.ToLower(filepath.Ext(e.Name()))
		if e.Type().IsRegular() && (ext == ".jpg" || ext == ".jpeg") {
			files = append(files, e.Name())
		}
	}
	sort.Strings(files)
	c := &Cast{}
	for _, name := range files {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("gocvface: cast: %w", err)
		}
		img, err := DecodeImage(b)
		if err != nil {
			img.Close()
			continue
		}
		people, err := p.cutFaces(img, name)
		img.Close()
		if err != nil {
			return nil, err
		}
		c.people = append(c.people, people...)
	}
	if len(c.people) == 0 {
		return nil, fmt.Errorf("gocvface: cast: no usable face in %s (run `make models`)", dir)
	}
	return c, nil
}

func (p *Pipeline) cutFaces(img gocv.Mat, name string) ([]castPerson, error) {
	dets, err := p.det.Detect(img)
	if err != nil {
		return nil, err
	}
	sort.Slice(dets, func(i, j int) bool { return dets[i].Box.X < dets[j].Box.X })
	var out []castPerson
	for i, d := range dets {
		lm, err := p.lm.Landmarks(img, d.Box)
		if err != nil {
			continue
		}
		le, re := lm.EyeCenters()
		iod := (re.X - le.X)
		if iod < 30 {
			continue
		}
		// A square about 4.5 inter-ocular distances wide, centred between
		// the eyes and the mouth, scaled to castSide.
		c := vision.Point{X: (le.X + re.X) / 2, Y: (le.Y+re.Y)/2 + 0.5*iod}
		half := 2.25 * iod
		r := image.Rect(int(c.X-half), int(c.Y-half), int(c.X+half), int(c.Y+half))
		if !r.In(image.Rect(0, 0, img.Cols(), img.Rows())) {
			continue
		}
		region := img.Region(r)
		crop := gocv.NewMat()
		gocv.Resize(region, &crop, image.Pt(castSide, castSide), 0, 0, gocv.InterpolationArea)
		region.Close()
		// Keep faces that pass the portrait gates as they are and the live
		// gates once placed in a camera frame as Show places them.
		f, err := p.Analyze(crop, p.cfg.Portrait)
		if err != nil || f.Quality.Faces != 1 {
			crop.Close()
			continue
		}
		frame, err := Place(crop, 640, 480, Placement{Scale: castScale})
		if err != nil {
			crop.Close()
			continue
		}
		_, err = p.Analyze(frame, p.cfg.Live)
		frame.Close()
		if err != nil {
			crop.Close()
			continue
		}
		jpg, err := EncodeJPEG(crop)
		crop.Close()
		if err != nil {
			return nil, err
		}
		out = append(out, castPerson{name: fmt.Sprintf("%s#%d", name, i), portrait: jpg})
	}
	return out, nil
}

// Len is the number of people.
func (c *Cast) Len() int { return len(c.people) }

// Name returns person i's source ("sample2.jpg#1").
func (c *Cast) Name(i int) string { return c.people[i%len(c.people)].name }

// Portrait returns person i's portrait (JPEG bytes, the "DG2" the
// simulated chip hands over). i wraps around.
func (c *Cast) Portrait(i int) []byte { return c.people[i%len(c.people)].portrait }

// Presentation is what stands in front of the simulated camera.
type Presentation int

const (
	// PresentLive: a live-like sequence (LiveLike).
	PresentLive Presentation = iota
	// PresentPhoto: a printed photograph held still (PhotoLike), an attack.
	PresentPhoto
)

// Show puts n frames of person i, presented as pr, in front of cam.
func (c *Cast) Show(cam *SceneCamera, i int, pr Presentation, n int) error {
	src, err := DecodeImage(c.Portrait(i))
	if err != nil {
		src.Close()
		return err
	}
	defer src.Close()
	rng := rand.New(rand.NewPCG(uint64(i), uint64(pr)))
	ph := Phases(rng)
	frames := make([]gocv.Mat, 0, n)
	defer func() { closeAll(frames) }()
	for k := 0; k < n; k++ {
		var f gocv.Mat
		switch pr {
		case PresentPhoto:
			f, err = PhotoLike(src, 640, 480, castScale, k, ph, rng)
		default:
			f, err = LiveLike(src, 640, 480, castScale, k, ph, rng)
		}
		if err != nil {
			f.Close()
			return err
		}
		frames = append(frames, f)
	}
	return cam.Show(frames...)
}

// Pipeline returns the verifier's pipeline (to build a Cast with it).
func (g *GateVerifier) Pipeline() *Pipeline { return g.p }

// ParsePresentation parses "live" (or "") and "photo".
func ParsePresentation(s string) (Presentation, error) {
	switch s {
	case "", "live":
		return PresentLive, nil
	case "photo":
		return PresentPhoto, nil
	}
	return 0, fmt.Errorf("gocvface: presentation %q: want live or photo", s)
}

// SimFaces is the real face step for the simulated lane: a GateVerifier
// on a SceneCamera, and a Cast of people to put in front of it.
type SimFaces struct {
	*GateVerifier
	Cast  *Cast
	Scene *SceneCamera
}

// SimCapture is the capture used by OpenSimFaces: short enough for the
// simulated lane's verifying timeout at 8x speed (20 s simulated, 2.5 s
// real).
var SimCapture = CaptureOpts{MaxFrames: 8, Budget: 1500 * time.Millisecond}

// OpenSimFaces loads the models from modelDir, cuts the cast from the
// photographs in castDir (DefaultCastDir after `make models`) and returns
// the verifier with liveness checks on. Errors wrap vision.ErrModelMissing
// and the like; the simulation then falls back to scripted scores.
func OpenSimFaces(modelDir, castDir string, log *slog.Logger) (*SimFaces, error) {
	cfg := DefaultConfig()
	cfg.ModelDir = modelDir
	p, err := Open(cfg)
	if err != nil {
		return nil, err
	}
	cast, err := NewCast(p, castDir)
	if err != nil {
		p.Close()
		return nil, err
	}
	scene := NewSceneCamera(640, 480)
	// The cast's synthetic motion sits near the default parallax
	// threshold (0.007-0.016 measured); the simulation halves it so that
	// a demo traveller does not flip with the CPU's rounding. Photos
	// still score 0.0006.
	l := vision.DefaultLivenessOpts()
	l.MinParallax /= 2
	g, err := NewGateVerifierWith(p, scene, GateOpts{Capture: SimCapture, Liveness: &l, Log: log})
	if err != nil {
		p.Close()
		return nil, err
	}
	return &SimFaces{GateVerifier: g, Cast: cast, Scene: scene}, nil
}

// Present puts person i (modulo the cast's size), presented as pr, in
// front of the camera until the next Present or Clear.
func (s *SimFaces) Present(i int, pr Presentation) error {
	return s.Cast.Show(s.Scene, i, pr, SimCapture.MaxFrames)
}

// Clear leaves the camera looking at an empty lane.
func (s *SimFaces) Clear() { s.Scene.Clear() }
