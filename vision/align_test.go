package vision

import (
	"math"
	"testing"
)

// template returns landmarks placed exactly on dlib's mean face for a
// chip of the given size and padding (jaw and brows at the origin).
func template(size int, padding float64) *Landmarks {
	var l Landmarks
	for i := 17; i < 68; i++ {
		l[i] = Point{
			(padding + meanFaceX[i-17]) / (2*padding + 1) * float64(size),
			(padding + meanFaceY[i-17]) / (2*padding + 1) * float64(size),
		}
	}
	return &l
}

func near(a, b, eps float64) bool { return math.Abs(a-b) <= eps }

func TestChipTransformIdentity(t *testing.T) {
	a, err := ChipTransform(template(ChipSize, ChipPadding), ChipSize, ChipPadding)
	if err != nil {
		t.Fatal(err)
	}
	want := Affine{1, 0, 0, 0, 1, 0}
	for i := range a {
		if !near(a[i], want[i], 1e-9) {
			t.Fatalf("transform %v, want identity", a)
		}
	}
}

func TestChipTransformRecoversSimilarity(t *testing.T) {
	// Move the template by a known similarity; the fitted transform must
	// undo it.
	l := template(ChipSize, ChipPadding)
	th, s, tx, ty := 0.3, 2.5, 40.0, -12.0
	var moved Landmarks
	for i, p := range l {
		moved[i] = Point{
			s*(math.Cos(th)*p.X-math.Sin(th)*p.Y) + tx,
			s*(math.Sin(th)*p.X+math.Cos(th)*p.Y) + ty,
		}
	}
	a, err := ChipTransform(&moved, ChipSize, ChipPadding)
	if err != nil {
		t.Fatal(err)
	}
	for i := 27; i < 68; i++ {
		if !alignIndex(i) {
			continue
		}
		got := a.Apply(moved[i])
		if !near(got.X, l[i].X, 1e-9) || !near(got.Y, l[i].Y, 1e-9) {
			t.Fatalf("point %d maps to %v, want %v", i, got, l[i])
		}
	}
}

func TestSimilarityDegenerate(t *testing.T) {
	p := []Point{{1, 1}, {1, 1}, {1, 1}}
	if _, err := Similarity(p, p); err == nil {
		t.Error("no error for coincident points")
	}
	if _, err := Similarity([]Point{{math.NaN(), 0}, {1, 1}}, []Point{{0, 0}, {1, 1}}); err == nil {
		t.Error("no error for NaN")
	}
	if _, err := Similarity(p, p[:2]); err == nil {
		t.Error("no error for mismatched lengths")
	}
}

func TestEyeOpennessAndPose(t *testing.T) {
	l := template(150, 0)
	// A symmetric jaw around the nose ridge.
	nose := mean(l[27:31])
	for i := 0; i < 3; i++ {
		l[i] = Point{nose.X - 60, nose.Y + float64(10*i)}
		l[16-i] = Point{nose.X + 60, nose.Y + float64(10*i)}
	}
	p := EstimatePose(l)
	if !near(p.Yaw, 0, 1e-9) || !near(p.Roll, 0, 2) {
		t.Errorf("frontal template pose %+v", p)
	}
	for i := 0; i < 3; i++ {
		l[i].X += 30 // the left side of the face comes closer to the nose
	}
	if p := EstimatePose(l); p.Yaw > -5 {
		t.Errorf("turned face yaw %v, want clearly negative", p.Yaw)
	}
	le, re := l.EyeOpenness()
	if le < 0.15 || re < 0.15 {
		t.Errorf("mean face eyes %v %v, want open", le, re)
	}
	for i := 37; i <= 41; i++ {
		l[i].Y = l[36].Y
	}
	if le, _ := l.EyeOpenness(); le > 0.05 {
		t.Errorf("flattened eye openness %v", le)
	}
}

func TestIoU(t *testing.T) {
	a := Box{0, 0, 10, 10}
	for _, tc := range []struct {
		b    Box
		want float64
	}{
		{Box{0, 0, 10, 10}, 1}, {Box{5, 0, 10, 10}, 50.0 / 150}, {Box{20, 20, 5, 5}, 0},
	} {
		if got := a.IoU(tc.b); !near(got, tc.want, 1e-12) {
			t.Errorf("IoU(%v) = %v, want %v", tc.b, got, tc.want)
		}
	}
}
