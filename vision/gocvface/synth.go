package gocvface

import (
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"math"
	"math/rand/v2"

	"gocv.io/x/gocv"

	"github.com/egate/egate/vision"
)

// Synthetic camera frames, made from still pictures, for the tests, the
// benchmark, the presentation-attack evaluation and the simulated lane.
// The gate never uses them. They are stand-ins: a live traveller's
// motion, a screen's moiré and a print's blur are imitated here, not
// recorded, and results on them say nothing definite about real cameras
// or real attacks.

// Placement puts a picture in a camera frame: scaled by Scale, rotated by
// Angle degrees and moved by (DX, DY) pixels from the frame centre.
type Placement struct {
	Scale, Angle, DX, DY float64
}

// Place returns a w x h BGR frame (mid grey) with src placed as pl says.
func Place(src gocv.Mat, w, h int, pl Placement) (gocv.Mat, error) {
	if err := checkBGR(src); err != nil {
		return gocv.NewMat(), err
	}
	if pl.Scale == 0 {
		pl.Scale = 1
	}
	rot := gocv.GetRotationMatrix2D(image.Pt(src.Cols()/2, src.Rows()/2), pl.Angle, pl.Scale)
	defer rot.Close()
	// Move the picture's centre to the frame's centre plus (DX, DY).
	rot.SetDoubleAt(0, 2, rot.GetDoubleAt(0, 2)+float64(w-src.Cols())/2+pl.DX)
	rot.SetDoubleAt(1, 2, rot.GetDoubleAt(1, 2)+float64(h-src.Rows())/2+pl.DY)
	out := gocv.NewMat()
	gocv.WarpAffineWithParams(src, &out, rot, image.Pt(w, h), gocv.InterpolationLinear,
		gocv.BorderConstant, color.RGBA{128, 128, 128, 0})
	return out, nil
}

// Tilt warps a frame as if the picture in it were a flat sheet turned by
// yaw and pitch (degrees) about the frame centre: the motion of a held
// photo or a tablet.
func Tilt(src gocv.Mat, yaw, pitch float64) (gocv.Mat, error) {
	if err := checkBGR(src); err != nil {
		return gocv.NewMat(), err
	}
	w, h := float64(src.Cols()), float64(src.Rows())
	f := w // focal length in pixels, about a 53° field of view
	project := func(x, y float64) image.Point {
		// Rotate the point (x-cx, y-cy, 0) and project from distance f.
		X, Y := x-w/2, y-h/2
		cy, sy := math.Cos(yaw*math.Pi/180), math.Sin(yaw*math.Pi/180)
		cp, sp := math.Cos(pitch*math.Pi/180), math.Sin(pitch*math.Pi/180)
		x1, z1 := X*cy, -X*sy
		y2, z2 := Y*cp-z1*sp, Y*sp+z1*cp
		s := f / (f + z2)
		return image.Pt(int(math.Round(w/2+x1*s)), int(math.Round(h/2+y2*s)))
	}
	srcPts := gocv.NewPointVectorFromPoints([]image.Point{{0, 0}, {int(w), 0}, {int(w), int(h)}, {0, int(h)}})
	defer srcPts.Close()
	dstPts := gocv.NewPointVectorFromPoints([]image.Point{project(0, 0), project(w, 0), project(w, h), project(0, h)})
	defer dstPts.Close()
	m := gocv.GetPerspectiveTransform(srcPts, dstPts)
	defer m.Close()
	out := gocv.NewMat()
	gocv.WarpPerspectiveWithParams(src, &out, m, image.Pt(int(w), int(h)), gocv.InterpolationLinear,
		gocv.BorderConstant, color.RGBA{128, 128, 128, 0})
	return out, nil
}

// NonRigid displaces the pixels of a frame by a smooth field that moves
// the middle of a face (the nose, at c, in a face about size pixels wide)
// sideways and down by up to (ax, ay) pixels against its eyes and
// outline, plus a gentle random ripple: a crude stand-in for the parallax
// of a turning or nodding head and for a change of expression.
func NonRigid(src gocv.Mat, c vision.Point, size, ax, ay float64, rng *rand.Rand) (gocv.Mat, error) {
	if err := checkBGR(src); err != nil {
		return gocv.NewMat(), err
	}
	w, h := src.Cols(), src.Rows()
	sigma := size / 8
	ph1, ph2 := rng.Float64()*2*math.Pi, rng.Float64()*2*math.Pi
	ripple := 0.3 * math.Max(math.Abs(ax), math.Abs(ay))
	mx := make([]byte, 0, 4*w*h)
	my := make([]byte, 0, 4*w*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			dx, dy := float64(x)-c.X, float64(y)-c.Y
			bump := math.Exp(-(dx*dx + dy*dy) / (2 * sigma * sigma))
			rx := ripple * math.Sin(2*math.Pi*float64(y)/size+ph1)
			ry := ripple * math.Sin(2*math.Pi*float64(x)/size+ph2)
			// remap samples the source at (map_x, map_y): subtract to move.
			mx = binary.LittleEndian.AppendUint32(mx, math.Float32bits(float32(float64(x)-ax*bump-rx)))
			my = binary.LittleEndian.AppendUint32(my, math.Float32bits(float32(float64(y)-ay*bump-ry)))
		}
	}
	m1, err := gocv.NewMatFromBytes(h, w, gocv.MatTypeCV32F, mx)
	if err != nil {
		return gocv.NewMat(), err
	}
	defer m1.Close()
	m2, err := gocv.NewMatFromBytes(h, w, gocv.MatTypeCV32F, my)
	if err != nil {
		return gocv.NewMat(), err
	}
	defer m2.Close()
	out := gocv.NewMat()
	gocv.Remap(src, &out, &m1, &m2, gocv.InterpolationLinear, gocv.BorderReplicate, color.RGBA{})
	return out, nil
}

// Recapture describes how a picture changes when it is shown to the
// camera on a screen or on paper instead of a face.
type Recapture struct {
	Blur        float64 // Gaussian sigma in pixels (focus, print resolution)
	MoireAmp    float64 // contrast of the screen's moiré grating, 0..1
	MoirePeriod float64 // pixels
	MoireAngle  float64 // degrees
	Gamma       float64 // screen or print tone curve (1: none)
	Noise       float64 // sensor noise sigma, grey levels
}

// Apply returns src as re-photographed.
func (r Recapture) Apply(src gocv.Mat, rng *rand.Rand) (gocv.Mat, error) {
	if err := checkBGR(src); err != nil {
		return gocv.NewMat(), err
	}
	work := src.Clone()
	if r.Blur > 0 {
		gocv.GaussianBlur(work, &work, image.Pt(0, 0), r.Blur, r.Blur, gocv.BorderReplicate)
	}
	w, h := work.Cols(), work.Rows()
	pix := work.ToBytes()
	work.Close()
	var lut [256]float64
	for i := range lut {
		g := r.Gamma
		if g == 0 {
			g = 1
		}
		lut[i] = 255 * math.Pow(float64(i)/255, g)
	}
	ca, sa := math.Cos(r.MoireAngle*math.Pi/180), math.Sin(r.MoireAngle*math.Pi/180)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			k := 1.0
			if r.MoireAmp > 0 && r.MoirePeriod > 0 {
				k += r.MoireAmp * math.Sin(2*math.Pi*(float64(x)*ca+float64(y)*sa)/r.MoirePeriod)
			}
			i := 3 * (y*w + x)
			for c := 0; c < 3; c++ {
				v := lut[pix[i+c]] * k
				if r.Noise > 0 {
					v += rng.NormFloat64() * r.Noise
				}
				pix[i+c] = byte(math.Max(0, math.Min(255, math.Round(v))))
			}
		}
	}
	return gocv.NewMatFromBytes(h, w, gocv.MatTypeCV8UC3, pix)
}

// Noisy returns src with Gaussian sensor noise of sigma grey levels.
func Noisy(src gocv.Mat, sigma float64, rng *rand.Rand) (gocv.Mat, error) {
	return Recapture{Noise: sigma}.Apply(src, rng)
}

// EncodeJPEG encodes a BGR Mat as JPEG (quality 90), for synthetic
// portraits.
func EncodeJPEG(m gocv.Mat) ([]byte, error) {
	if err := checkBGR(m); err != nil {
		return nil, err
	}
	buf, err := gocv.IMEncodeWithParams(gocv.JPEGFileExt, m, []int{gocv.IMWriteJpegQuality, 90})
	if err != nil {
		return nil, fmt.Errorf("gocvface: encode: %w", err)
	}
	defer buf.Close()
	return append([]byte(nil), buf.GetBytes()...), nil
}

// Sway is a smooth oscillation for frame i of a sequence (speed in
// radians per frame): synthetic motion that does not jump.
func Sway(amp float64, i int, speed, phase float64) float64 {
	return amp * math.Sin(speed*float64(i)+phase)
}

// LiveLike returns frame i of a live-like sequence made from one picture
// of a face (centred in src): the picture scaled by scale in a w x h
// frame, swaying gently, with a non-rigid warp that moves the nose by up
// to 4 px against the eyes and outline (a stand-in for a head turning and
// nodding), and sensor noise. ph are the sequence's phases. Synthetic: a
// real face moves in 3-D.
func LiveLike(src gocv.Mat, w, h int, scale float64, i int, ph [4]float64, rng *rand.Rand) (gocv.Mat, error) {
	pl := Placement{Scale: scale, Angle: Sway(2, i, 0.5, ph[0]), DX: Sway(4, i, 0.6, ph[1]), DY: Sway(3, i, 0.4, ph[2])}
	f, err := Place(src, w, h, pl)
	if err != nil {
		return f, err
	}
	defer f.Close()
	c := vision.Point{X: float64(w)/2 + pl.DX, Y: float64(h)/2 + pl.DY}
	size := scale * float64(min(src.Cols(), src.Rows())) / 2
	nr, err := NonRigid(f, c, size, Sway(4, i, 0.9, ph[3]), Sway(1.5, i, 0.7, ph[0]), rng)
	if err != nil {
		return nr, err
	}
	defer nr.Close()
	return Noisy(nr, 2, rng)
}

// PhotoLike returns frame i of a printed photograph of src held in front
// of the camera, almost still: slightly blurred, with a print's tone
// curve and sensor noise.
func PhotoLike(src gocv.Mat, w, h int, scale float64, i int, ph [4]float64, rng *rand.Rand) (gocv.Mat, error) {
	pl := Placement{Scale: scale, Angle: Sway(0.3, i, 0.5, ph[0]), DX: Sway(1, i, 0.6, ph[1]), DY: Sway(1, i, 0.4, ph[2])}
	f, err := Place(src, w, h, pl)
	if err != nil {
		return f, err
	}
	defer f.Close()
	return Recapture{Blur: 1.2, Gamma: 1.2, Noise: 2}.Apply(f, rng)
}

// Phases returns four random phases for a sequence.
func Phases(rng *rand.Rand) [4]float64 {
	var ph [4]float64
	for i := range ph {
		ph[i] = rng.Float64() * 2 * math.Pi
	}
	return ph
}
