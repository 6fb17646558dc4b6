package vision

import (
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"
)

// face returns a plausible 68-point layout: dlib's mean face scaled to a
// 100-pixel box at (200, 150).
func face() Landmarks {
	var l Landmarks
	for i := 0; i < 17; i++ { // jaw: a half ellipse
		a := math.Pi * float64(i) / 16
		l[i] = Point{250 - 50*math.Cos(a), 170 + 60*math.Sin(a)}
	}
	for i := 17; i < 68; i++ {
		l[i] = Point{200 + 100*meanFaceX[i-17], 150 + 100*meanFaceY[i-17]}
	}
	return l
}

func mapAll(l Landmarks, f func(Point) Point) Landmarks {
	for i := range l {
		l[i] = f(l[i])
	}
	return l
}

func TestNonRigidMotion(t *testing.T) {
	base := face()
	persp := func(p Point) Point { // a tilted, shifted, scaled plane
		w := 1 + 0.0004*p.X - 0.0003*p.Y
		return Point{(1.1*p.X + 0.05*p.Y + 12) / w, (-0.04*p.X + 0.95*p.Y - 7) / w}
	}
	if m := NonRigidMotion(&base, &base); m > 1e-9 {
		t.Errorf("identical landmarks: motion %g", m)
	}
	moved := mapAll(base, persp)
	if m := NonRigidMotion(&base, &moved); m > 1e-6 {
		t.Errorf("plane under a homography: motion %g, want ~0", m)
	}
	// A head turn: the nose and mouth shift sideways against the outline.
	turned := base
	for i := 27; i < 68; i++ {
		if i < 36 || i >= 48 {
			turned[i].X += 4
		}
	}
	if m := NonRigidMotion(&base, &turned); m < 0.02 {
		t.Errorf("turned head: motion %g, want > 0.02", m)
	}
	var zero Landmarks
	if m := NonRigidMotion(&zero, &zero); m != 0 {
		t.Errorf("degenerate: %g", m)
	}
}

func TestAssessLiveness(t *testing.T) {
	o := DefaultLivenessOpts()
	base := face()
	still := make([]Cue, 6)
	for i := range still {
		still[i] = Cue{Landmarks: base, EyesOpen: 0.3, Moire: 5, Parallax: 0.002}
	}
	still[0].Parallax = -1 // first frame: nothing to track from
	moving := append([]Cue(nil), still...)
	for i := range moving {
		for j := 27; j < 68; j++ {
			moving[i].Landmarks[j].X += float64(i) * 1.5 * math.Sin(float64(j))
		}
	}
	live := append([]Cue(nil), still...)
	for i := 1; i < len(live); i++ {
		live[i].Parallax = 0.03
	}
	withMotion := o
	withMotion.MinMotion = 0.012
	blink := append([]Cue(nil), still...)
	blink[3].EyesOpen = 0.1
	screen := append([]Cue(nil), live...)
	for i := range screen {
		screen[i].Moire = 500
	}
	for _, tc := range []struct {
		name string
		cues []Cue
		opts LivenessOpts
		live bool
		why  string
	}{
		{"no frames", nil, o, false, "too_few_frames"},
		{"too few", still[:2], o, false, "too_few_frames"},
		{"still picture", still, o, false, "flat"},
		{"parallax", live, o, true, "parallax"},
		{"landmark motion, off by default", moving, o, false, "flat"},
		{"landmark motion, on", moving, withMotion, true, "motion"},
		{"blink", blink, o, true, "blink"},
		{"screen", screen, o, false, "moire"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := AssessLiveness(tc.cues, tc.opts)
			if l.Live != tc.live || l.Why != tc.why {
				t.Errorf("%+v, want live=%v why=%s", l, tc.live, tc.why)
			}
		})
	}
}

func TestFFT(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	a := make([]complex128, 16)
	for i := range a {
		a[i] = complex(r.Float64(), r.Float64())
	}
	want := make([]complex128, 16)
	for k := range want {
		for j, v := range a {
			want[k] += v * cmplx.Rect(1, -2*math.Pi*float64(j*k)/16)
		}
	}
	fft(a)
	for k := range a {
		if cmplx.Abs(a[k]-want[k]) > 1e-9 {
			t.Fatalf("bin %d: %v, want %v", k, a[k], want[k])
		}
	}
}

func TestMoireScore(t *testing.T) {
	const n = MoireSize
	r := rand.New(rand.NewPCG(3, 4))
	smooth := make([]float64, n*n)
	grating := make([]float64, n*n)
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			// A smooth "face": a blob, plus sensor noise.
			v := 128 + 60*math.Exp(-(math.Pow(float64(x-32), 2)+math.Pow(float64(y-30), 2))/300) + r.NormFloat64()*3
			smooth[y*n+x] = v
			grating[y*n+x] = v + 12*math.Sin(2*math.Pi*(float64(x)/3.7+float64(y)/9))
		}
	}
	s, g := MoireScore(smooth), MoireScore(grating)
	t.Logf("moiré score: smooth %.1f, grating %.1f", s, g)
	if s > 30 || g < 200 {
		t.Errorf("smooth %.1f (want < 30), grating %.1f (want > 200)", s, g)
	}
	if MoireScore(nil) != 0 || MoireScore(make([]float64, n*n)) != 0 {
		t.Error("empty or flat input should score 0")
	}
}

func TestPlanarResidual(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	var a []Point
	for i := 0; i < 60; i++ {
		a = append(a, Point{200 + 150*r.Float64(), 150 + 150*r.Float64()})
	}
	plane := func(p Point) Point {
		w := 1 + 0.0005*p.X + 0.0002*p.Y
		return Point{(1.05*p.X + 0.1*p.Y + 9) / w, (-0.06*p.X + 0.98*p.Y + 4) / w}
	}
	b := make([]Point, len(a))
	for i, p := range a {
		b[i] = plane(p)
	}
	b[3].X += 40 // a tracking failure is trimmed
	if res, ok := PlanarResidual(a, b); !ok || res > 1e-6 {
		t.Errorf("plane: %g %v", res, ok)
	}
	// A bump in the middle (a nose) moves against the plane.
	for i, p := range a {
		d := math.Hypot(p.X-275, p.Y-225)
		b[i].X += 5 * math.Exp(-d*d/(2*30*30))
	}
	if res, ok := PlanarResidual(a, b); !ok || res < 0.5 {
		t.Errorf("bump: %g %v, want > 0.5 px", res, ok)
	}
	if _, ok := PlanarResidual(a[:5], b[:5]); ok {
		t.Error("5 tracks accepted")
	}
}
