package vision

import (
	"errors"
	"math"
)

// dlib's mean face shape for points 17..67 of the 68-point layout, as
// fractions of the face box. The face recognition ResNet was trained on
// chips aligned to it (dlib/image_transforms/interpolation.h,
// get_face_chip_details; dlib is under the Boost Software License).
var meanFaceX = [51]float64{
	0.000213256, 0.0752622, 0.18113, 0.29077, 0.393397, 0.586856, 0.689483, 0.799124,
	0.904991, 0.98004, 0.490127, 0.490127, 0.490127, 0.490127, 0.36688, 0.426036,
	0.490127, 0.554217, 0.613373, 0.121737, 0.187122, 0.265825, 0.334606, 0.260918,
	0.182743, 0.645647, 0.714428, 0.793132, 0.858516, 0.79751, 0.719335, 0.254149,
	0.340985, 0.428858, 0.490127, 0.551395, 0.639268, 0.726104, 0.642159, 0.556721,
	0.490127, 0.423532, 0.338094, 0.290379, 0.428096, 0.490127, 0.552157, 0.689874,
	0.553364, 0.490127, 0.42689,
}

var meanFaceY = [51]float64{
	0.106454, 0.038915, 0.0187482, 0.0344891, 0.0773906, 0.0773906, 0.0344891,
	0.0187482, 0.038915, 0.106454, 0.203352, 0.307009, 0.409805, 0.515625, 0.587326,
	0.609345, 0.628106, 0.609345, 0.587326, 0.216423, 0.178758, 0.179852, 0.231733,
	0.245099, 0.244077, 0.231733, 0.179852, 0.178758, 0.216423, 0.244077, 0.245099,
	0.780233, 0.745405, 0.727388, 0.742578, 0.727388, 0.745405, 0.780233, 0.864805,
	0.902192, 0.909281, 0.902192, 0.864805, 0.784792, 0.778746, 0.785343, 0.778746,
	0.784792, 0.824182, 0.831803, 0.824182,
}

// Chip geometry of the descriptor net: dlib's dnn_face_recognition_ex uses
// get_face_chip_details(shape, 150, 0.25).
const (
	ChipSize    = 150
	ChipPadding = 0.25
)

// Affine is a 2x3 affine transform: x' = A[0]x + A[1]y + A[2],
// y' = A[3]x + A[4]y + A[5].
type Affine [6]float64

// Apply maps p.
func (a Affine) Apply(p Point) Point {
	return Point{a[0]*p.X + a[1]*p.Y + a[2], a[3]*p.X + a[4]*p.Y + a[5]}
}

// ErrDegenerate is returned for landmarks that do not define a transform
// (all points equal, NaN).
var ErrDegenerate = errors.New("vision: degenerate landmarks")

// alignIndex reports whether 68-point landmark i is used for alignment:
// dlib ignores the jaw, the eyebrows and the lower lip.
func alignIndex(i int) bool {
	return i >= 27 && !(55 <= i && i <= 59) && !(65 <= i && i <= 67)
}

// ChipTransform returns the similarity transform (rotation, uniform scale,
// translation) that maps image coordinates to the coordinates of a
// size x size face chip, fitted by least squares to dlib's mean face as
// get_face_chip_details does.
func ChipTransform(l *Landmarks, size int, padding float64) (Affine, error) {
	var src, dst []Point
	for i := 17; i < 68; i++ {
		if !alignIndex(i) {
			continue
		}
		src = append(src, l[i])
		dst = append(dst, Point{
			(padding + meanFaceX[i-17]) / (2*padding + 1) * float64(size),
			(padding + meanFaceY[i-17]) / (2*padding + 1) * float64(size),
		})
	}
	return Similarity(src, dst)
}

// Similarity fits dst ≈ s·R·src + t by least squares (the 2-D case of
// Umeyama's method, no reflection).
func Similarity(src, dst []Point) (Affine, error) {
	if len(src) != len(dst) || len(src) < 2 {
		return Affine{}, ErrDegenerate
	}
	ms, md := mean(src), mean(dst)
	var a, b, v float64
	for i := range src {
		px, py := src[i].X-ms.X, src[i].Y-ms.Y
		qx, qy := dst[i].X-md.X, dst[i].Y-md.Y
		a += px*qx + py*qy
		b += px*qy - py*qx
		v += px*px + py*py
	}
	if !(v > 1e-9) || math.IsNaN(a) || math.IsNaN(b) {
		return Affine{}, ErrDegenerate
	}
	c, s := a/v, b/v
	return Affine{
		c, -s, md.X - (c*ms.X - s*ms.Y),
		s, c, md.Y - (s*ms.X + c*ms.Y),
	}, nil
}

// Pose is a rough head pose from 68 landmarks, in degrees.
type Pose struct {
	Yaw  float64 // left/right turn; 0 facing the camera
	Roll float64 // in-plane tilt of the eye line
}

// EstimatePose estimates yaw from where the nose ridge sits between the
// face outline's sides, and roll from the eye line. It is a coarse
// gate for "look at the camera", not a measurement.
func EstimatePose(l *Landmarks) Pose {
	le, re := l.EyeCenters()
	roll := math.Atan2(re.Y-le.Y, re.X-le.X) * 180 / math.Pi
	// Distances from the nose ridge (27..30) to the jaw sides at eye and
	// cheek height (points 0/16, 1/15, 2/14).
	nose := mean(l[27:31])
	var dl, dr float64
	for i := 0; i < 3; i++ {
		dl += math.Hypot(nose.X-l[i].X, nose.Y-l[i].Y)
		dr += math.Hypot(l[16-i].X-nose.X, l[16-i].Y-nose.Y)
	}
	yaw := 0.0
	if dl+dr > 0 {
		// asin of the normalised asymmetry; ±1 is a full profile.
		yaw = math.Asin(math.Max(-1, math.Min(1, (dl-dr)/(dl+dr)))) * 180 / math.Pi
	}
	return Pose{Yaw: yaw, Roll: roll}
}
