package vision

import (
	"math"
	"math/cmplx"
	"sort"
)

// Presentation-attack detection (ISO/IEC 30107-1 terms: APCER is the share
// of attacks accepted as live, BPCER the share of live travellers
// flagged as attacks).
//
// The checks here look at a short sequence of camera frames of one face.
// They are cheap cues, not a certified PAD subsystem:
//
//   - motion: a flat picture (printed or on a screen) moves as a plane, so
//     its 68 landmarks in one frame map onto another frame's by a
//     homography; a live head turns and changes expression, which leaves
//     a residual. Motion is that residual, over the inter-ocular distance.
//   - blink: the eye aspect ratio drops during a blink.
//   - moiré: re-photographing a screen leaves a sharp periodic peak in the
//     spectrum of the face; a live face's spectrum falls off smoothly.
//
// A still photograph held perfectly still, a video replay of the traveller
// on a good screen, and any 3-D mask defeat the motion and blink cues.

// Cue is what one camera frame tells about liveness. It holds geometry and
// scores only, never pixels.
type Cue struct {
	Landmarks Landmarks
	EyesOpen  float64 // smaller eye aspect ratio
	Moire     float64 // MoireScore of the aligned face chip
	// Parallax is PlanarResidual of the face's tracked corners from the
	// previous cue's frame to this one, over the inter-ocular distance;
	// negative when not measured (first frame, too few tracks).
	Parallax float64
}

// LivenessOpts are the thresholds of AssessLiveness; a zero threshold
// turns its cue off.
type LivenessOpts struct {
	// MinFrames is the number of frames with a face needed to judge; with
	// fewer, the result is not live.
	MinFrames int
	// MinParallax is the median optical-flow parallax (Cue.Parallax) that
	// counts as a live, three-dimensional face.
	MinParallax float64
	// MinMotion is the non-rigid landmark motion (NonRigidMotion) that
	// counts as a live head. Off by default: the landmark net's prior
	// turns a tilted photo into a turned head (see the README).
	MinMotion float64
	// MinBlink is the relative drop of the eye aspect ratio,
	// (max - min) / max over the frames, that counts as a blink.
	MinBlink float64
	// MaxMoire flags a screen when the median moiré score of the frames
	// exceeds it.
	MaxMoire float64
}

// DefaultLivenessOpts are the values chosen on the synthetic attack set
// (see the README); they are not calibrated on real attacks.
func DefaultLivenessOpts() LivenessOpts {
	return LivenessOpts{MinFrames: 4, MinParallax: 0.007, MinBlink: 0.35, MaxMoire: 200}
}

// Liveness is the outcome of AssessLiveness.
type Liveness struct {
	Frames   int     `json:"frames"`
	Parallax float64 `json:"parallax"` // median optical-flow parallax, fraction of the inter-ocular distance
	Motion   float64 `json:"motion"`   // non-rigid landmark motion, fraction of the inter-ocular distance
	Blink    float64 `json:"blink"`    // relative eye aspect ratio drop
	Moire    float64 `json:"moire"`    // median moiré score
	Live     bool    `json:"live"`
	// Why is the cue that decided: "parallax", "motion", "blink", or, when
	// not live, "too_few_frames", "moire", "flat" (no cue of a live face).
	Why string `json:"why"`
}

// AssessLiveness judges a sequence of frames of one face.
func AssessLiveness(cues []Cue, o LivenessOpts) Liveness {
	l := Liveness{Frames: len(cues)}
	if len(cues) == 0 {
		l.Why = "too_few_frames"
		return l
	}
	// Landmark motion: each frame against the first, after the best
	// plane-to-plane mapping; the 75th percentile, so that one glitchy
	// landmark fit does not make a photo live.
	var res []float64
	for i := 1; i < len(cues); i++ {
		res = append(res, NonRigidMotion(&cues[0].Landmarks, &cues[i].Landmarks))
	}
	if len(res) > 0 {
		l.Motion = quantile(res, 0.75)
	}
	var par []float64
	for _, c := range cues {
		if c.Parallax >= 0 {
			par = append(par, c.Parallax)
		}
	}
	if len(par) > 0 {
		l.Parallax = quantile(par, 0.5)
	}
	lo, hi := math.Inf(1), 0.0
	var moire []float64
	for _, c := range cues {
		lo, hi = math.Min(lo, c.EyesOpen), math.Max(hi, c.EyesOpen)
		moire = append(moire, c.Moire)
	}
	if hi > 0 {
		l.Blink = (hi - lo) / hi
	}
	l.Moire = quantile(moire, 0.5)
	switch {
	case len(cues) < o.MinFrames:
		l.Why = "too_few_frames"
	case o.MaxMoire > 0 && l.Moire > o.MaxMoire:
		l.Why = "moire"
	case o.MinParallax > 0 && len(par) >= max(1, o.MinFrames-1) && l.Parallax >= o.MinParallax:
		l.Live, l.Why = true, "parallax"
	case o.MinMotion > 0 && l.Motion >= o.MinMotion:
		l.Live, l.Why = true, "motion"
	case o.MinBlink > 0 && l.Blink >= o.MinBlink:
		l.Live, l.Why = true, "blink"
	default:
		l.Why = "flat"
	}
	return l
}

// quantile returns the q-quantile (nearest rank) of v; v is reordered.
func quantile(v []float64, q float64) float64 {
	sort.Float64s(v)
	return v[min(len(v)-1, int(q*float64(len(v))))]
}

// NonRigidMotion measures how a face moved other than as a flat picture
// between landmarks a and b: it fits the homography that maps a's
// outline, brows and eye corners onto b's (least squares), and returns the
// RMS distance between where that plane puts a's nose points (27-35) and
// where b has them, over b's inter-ocular distance. The nose stands out
// of the face by a few centimetres, so it moves against the plane of the
// outline when a head turns or nods; on a printed or displayed face it
// stays on the plane, up to the landmark net's noise.
func NonRigidMotion(a, b *Landmarks) float64 {
	le, re := b.EyeCenters()
	iod := math.Hypot(re.X-le.X, re.Y-le.Y)
	if !(iod > 1) {
		return 0
	}
	var pa, pb []Point
	for i := range a {
		if i < 27 || i == 36 || i == 39 || i == 42 || i == 45 {
			pa, pb = append(pa, a[i]), append(pb, b[i])
		}
	}
	h, ok := fitHomography(pa, pb)
	if !ok {
		return 0
	}
	var s float64
	for i := 27; i <= 35; i++ {
		p := h.apply(a[i])
		s += (p.X-b[i].X)*(p.X-b[i].X) + (p.Y-b[i].Y)*(p.Y-b[i].Y)
	}
	return math.Sqrt(s/9) / iod
}

// PlanarResidual measures how far point tracks a -> b (the same physical
// points in two frames, e.g. corners tracked by optical flow) are from
// moving as one plane: it fits a homography to all tracks, refits it on
// the 70% that fit best (dropping tracking failures), and returns the
// 75th percentile of the distances between the refit's prediction and b,
// in pixels. A flat picture, however it is moved or tilted, gives about
// the tracker's noise (a fraction of a pixel); the nose and cheeks of a
// moving head do not share a plane. ok is false with fewer than 8 tracks
// or a degenerate fit.
func PlanarResidual(a, b []Point) (residual float64, ok bool) {
	if len(a) != len(b) || len(a) < 8 {
		return 0, false
	}
	h, ok := fitHomography(a, b)
	if !ok {
		return 0, false
	}
	type track struct {
		i int
		r float64
	}
	res := func(h homography) []track {
		out := make([]track, len(a))
		for i := range a {
			p := h.apply(a[i])
			out[i] = track{i, math.Hypot(p.X-b[i].X, p.Y-b[i].Y)}
		}
		sort.Slice(out, func(x, y int) bool { return out[x].r < out[y].r })
		return out
	}
	tr := res(h)
	keep := max(8, len(tr)*7/10)
	var ka, kb []Point
	for _, t := range tr[:keep] {
		ka, kb = append(ka, a[t.i]), append(kb, b[t.i])
	}
	if h2, ok := fitHomography(ka, kb); ok {
		tr = res(h2)
	}
	r := tr[len(tr)*3/4].r
	if math.IsNaN(r) || math.IsInf(r, 0) {
		return 0, false
	}
	return r, true
}

type homography [9]float64

func (h homography) apply(p Point) Point {
	w := h[6]*p.X + h[7]*p.Y + h[8]
	if w == 0 {
		return Point{math.Inf(1), math.Inf(1)}
	}
	return Point{(h[0]*p.X + h[1]*p.Y + h[2]) / w, (h[3]*p.X + h[4]*p.Y + h[5]) / w}
}

// normaliser returns the similarity that moves pts' centroid to the origin
// and their mean distance to sqrt(2) (Hartley), as (scale, cx, cy).
func normaliser(pts []Point) (s, cx, cy float64) {
	c := mean(pts)
	var d float64
	for _, p := range pts {
		d += math.Hypot(p.X-c.X, p.Y-c.Y)
	}
	d /= float64(len(pts))
	if d == 0 {
		return 0, c.X, c.Y
	}
	return math.Sqrt2 / d, c.X, c.Y
}

// fitHomography solves b ≈ H a by the normalised direct linear transform
// with h33 = 1 (least squares on the 8 unknowns).
func fitHomography(a, b []Point) (homography, bool) {
	sa, ax, ay := normaliser(a)
	sb, bx, by := normaliser(b)
	if sa == 0 || sb == 0 {
		return homography{}, false
	}
	var ata [8][8]float64
	var atb [8]float64
	add := func(row [8]float64, v float64) {
		for i := 0; i < 8; i++ {
			for j := 0; j < 8; j++ {
				ata[i][j] += row[i] * row[j]
			}
			atb[i] += row[i] * v
		}
	}
	for i := range a {
		x, y := (a[i].X-ax)*sa, (a[i].Y-ay)*sa
		u, v := (b[i].X-bx)*sb, (b[i].Y-by)*sb
		add([8]float64{x, y, 1, 0, 0, 0, -u * x, -u * y}, u)
		add([8]float64{0, 0, 0, x, y, 1, -v * x, -v * y}, v)
	}
	h, ok := solve8(ata, atb)
	if !ok {
		return homography{}, false
	}
	hn := homography{h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], 1}
	// Undo the normalisations: H = Tb^-1 · Hn · Ta.
	ta := [9]float64{sa, 0, -sa * ax, 0, sa, -sa * ay, 0, 0, 1}
	tbInv := [9]float64{1 / sb, 0, bx, 0, 1 / sb, by, 0, 0, 1}
	return homography(mul3(mul3(tbInv, hn), ta)), true
}

func mul3(a, b [9]float64) [9]float64 {
	var c [9]float64
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			for k := 0; k < 3; k++ {
				c[3*i+j] += a[3*i+k] * b[3*k+j]
			}
		}
	}
	return c
}

// solve8 solves A x = b by Gaussian elimination with partial pivoting.
func solve8(a [8][8]float64, b [8]float64) ([8]float64, bool) {
	const n = 8
	for c := 0; c < n; c++ {
		p := c
		for r := c + 1; r < n; r++ {
			if math.Abs(a[r][c]) > math.Abs(a[p][c]) {
				p = r
			}
		}
		if math.Abs(a[p][c]) < 1e-12 {
			return [8]float64{}, false
		}
		a[c], a[p] = a[p], a[c]
		b[c], b[p] = b[p], b[c]
		for r := c + 1; r < n; r++ {
			f := a[r][c] / a[c][c]
			for k := c; k < n; k++ {
				a[r][k] -= f * a[c][k]
			}
			b[r] -= f * b[c]
		}
	}
	var x [8]float64
	for r := n - 1; r >= 0; r-- {
		s := b[r]
		for k := r + 1; k < n; k++ {
			s -= a[r][k] * x[k]
		}
		x[r] = s / a[r][r]
	}
	return x, true
}

// MoireSize is the side of the square MoireScore analyses.
const MoireSize = 64

// MoireScore measures how strongly one spatial frequency dominates the
// high-frequency spectrum of a grey square (side MoireSize, row-major,
// values 0..255): the largest power in the band between a quarter and
// the whole Nyquist frequency, over the median power in that band, after
// a Hann window. Natural faces score low; a screen's moiré or a printer's
// halftone raised to a sharp peak scores high.
func MoireScore(grey []float64) float64 {
	const n = MoireSize
	if len(grey) != n*n {
		return 0
	}
	var m float64
	for _, v := range grey {
		m += v
	}
	m /= n * n
	data := make([]complex128, n*n)
	for y := 0; y < n; y++ {
		wy := 0.5 - 0.5*math.Cos(2*math.Pi*float64(y)/(n-1))
		for x := 0; x < n; x++ {
			wx := 0.5 - 0.5*math.Cos(2*math.Pi*float64(x)/(n-1))
			data[y*n+x] = complex((grey[y*n+x]-m)*wx*wy, 0)
		}
	}
	fft2(data, n)
	// Power per ring of integer radius; the score is the largest power
	// over its ring's median, so that the 1/f fall-off and the strong
	// horizontal and vertical edges of a face do not count.
	rings := make([][]float64, n/2+1)
	radius := func(u, v int) (int, bool) {
		fx, fy := u, v
		if fx > n/2 {
			fx -= n
		}
		if fy > n/2 {
			fy -= n
		}
		r := int(math.Round(math.Hypot(float64(fx), float64(fy))))
		return r, r >= n/8 && r <= n/2
	}
	for v := 0; v < n; v++ {
		for u := 0; u < n; u++ {
			if r, ok := radius(u, v); ok {
				p := cmplx.Abs(data[v*n+u])
				rings[r] = append(rings[r], p*p)
			}
		}
	}
	med := make([]float64, len(rings))
	for r, ring := range rings {
		if len(ring) > 0 {
			sort.Float64s(ring)
			med[r] = ring[len(ring)/2]
		}
	}
	score := 0.0
	for v := 0; v < n; v++ {
		for u := 0; u < n; u++ {
			if r, ok := radius(u, v); ok && med[r] > 0 {
				p := cmplx.Abs(data[v*n+u])
				score = math.Max(score, p*p/med[r])
			}
		}
	}
	return score
}

// fft2 is an in-place 2-D FFT of an n x n array (n a power of two).
func fft2(d []complex128, n int) {
	row := make([]complex128, n)
	for y := 0; y < n; y++ {
		copy(row, d[y*n:(y+1)*n])
		fft(row)
		copy(d[y*n:(y+1)*n], row)
	}
	for x := 0; x < n; x++ {
		for y := 0; y < n; y++ {
			row[y] = d[y*n+x]
		}
		fft(row)
		for y := 0; y < n; y++ {
			d[y*n+x] = row[y]
		}
	}
}

// fft is an iterative radix-2 Cooley-Tukey FFT.
func fft(a []complex128) {
	n := len(a)
	for i, j := 1, 0; i < n; i++ {
		bit := n >> 1
		for ; j&bit != 0; bit >>= 1 {
			j ^= bit
		}
		j ^= bit
		if i < j {
			a[i], a[j] = a[j], a[i]
		}
	}
	for size := 2; size <= n; size <<= 1 {
		w := cmplx.Rect(1, -2*math.Pi/float64(size))
		for start := 0; start < n; start += size {
			wk := complex(1, 0)
			for k := 0; k < size/2; k++ {
				u, v := a[start+k], a[start+k+size/2]*wk
				a[start+k], a[start+k+size/2] = u+v, u-v
				wk *= w
			}
		}
	}
}
