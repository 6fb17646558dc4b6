package vision

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"sort"
	"strings"
)

// PlotDET draws the detection error trade-off curve of a distance-based
// comparator (FNMR against FMR, both on log scales, FMR 0.001% to 100%,
// FNMR 0.1% to 100%) and marks the given operating points (for example
// the points of DET and the configured threshold). Failed comparisons are
// +Inf distances, as for DET. The standard library only: no fonts, so the
// labels use a built-in 5x7 bitmap font.
func PlotDET(genuine, impostor []float64, marks []DETPoint) *image.RGBA {
	const (
		w, h               = 800, 600
		left, right        = 90, 30
		top, bottom        = 40, 70
		xMinExp, xMaxExp   = -5, 0 // FMR 1e-5 .. 1
		yMinExp, yMaxExp   = -3, 0 // FNMR 1e-3 .. 1
		plotW, plotH       = w - left - right, h - top - bottom
		floorFMR, floorFNR = 1e-5, 1e-3
	)
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	fill(img, img.Bounds(), color.RGBA{255, 255, 255, 255})
	xOf := func(fmr float64) float64 {
		v := math.Log10(math.Max(fmr, floorFMR))
		return left + (v-xMinExp)/(xMaxExp-xMinExp)*plotW
	}
	yOf := func(fnmr float64) float64 {
		v := math.Log10(math.Max(fnmr, floorFNR))
		return top + (yMaxExp-v)/(yMaxExp-yMinExp)*plotH
	}
	grid := color.RGBA{220, 220, 220, 255}
	axis := color.RGBA{0, 0, 0, 255}
	// Decade grid with labels.
	for e := xMinExp; e <= xMaxExp; e++ {
		x := int(xOf(math.Pow(10, float64(e))))
		vline(img, x, top, top+plotH, grid)
		label := percent(math.Pow(10, float64(e)))
		drawText(img, x-textWidth(label)/2, top+plotH+16, label, axis)
	}
	for e := yMinExp; e <= yMaxExp; e++ {
		y := int(yOf(math.Pow(10, float64(e))))
		hline(img, left, left+plotW, y, grid)
		label := percent(math.Pow(10, float64(e)))
		drawText(img, left-8-textWidth(label), y-7, label, axis)
	}
	hline(img, left, left+plotW, top+plotH, axis)
	vline(img, left, top, top+plotH, axis)
	hline(img, left, left+plotW, top, axis)
	vline(img, left+plotW, top, top+plotH, axis)
	drawText(img, left+plotW/2-textWidth("FMR")/2, h-30, "FMR", axis)
	drawText(img, 10, top+plotH/2, "FNMR", axis)
	title := fmt.Sprintf("DET: %d GENUINE, %d IMPOSTOR", len(genuine), len(impostor))
	drawText(img, left, 15, title, axis)

	// The curve: one point per distinct impostor distance (the FMR steps).
	g := sortedCopy(genuine)
	im := sortedCopy(impostor)
	var pts [][2]float64
	if len(g) > 0 && len(im) > 0 {
		thresholds := append([]float64(nil), im...)
		thresholds = append(thresholds, g...)
		sort.Float64s(thresholds)
		step := max(1, len(thresholds)/4000)
		for i := 0; i < len(thresholds); i += step {
			t := thresholds[i]
			if math.IsInf(t, 0) {
				break
			}
			fm := float64(sort.Search(len(im), func(j int) bool { return im[j] > t })) / float64(len(im))
			fr := float64(len(g)-sort.Search(len(g), func(j int) bool { return g[j] > t })) / float64(len(g))
			pts = append(pts, [2]float64{xOf(fm), yOf(fr)})
		}
	}
	blue := color.RGBA{20, 70, 200, 255}
	for i := 1; i < len(pts); i++ {
		line(img, pts[i-1][0], pts[i-1][1], pts[i][0], pts[i][1], blue)
		line(img, pts[i-1][0], pts[i-1][1]+1, pts[i][0], pts[i][1]+1, blue)
	}
	// Marks are numbered; a legend in the lower left gives their values.
	red := color.RGBA{200, 30, 30, 255}
	for i, m := range marks {
		x, y := int(xOf(m.FMR)), int(yOf(m.FNMR))
		fill(img, image.Rect(x-3, y-3, x+4, y+4), red)
		n := fmt.Sprint(i + 1)
		if i%2 == 0 {
			drawText(img, x+6, y-18, n, red)
		} else {
			drawText(img, x-6-textWidth(n), y+4, n, red)
		}
		label := fmt.Sprintf("%d: T=%.4f FMR=%s FNMR=%s", i+1, m.Threshold, percent(m.FMR), percent(m.FNMR))
		drawText(img, left+10, top+plotH-10-18*(len(marks)-i), label, red)
	}
	return img
}

func percent(v float64) string {
	p := v * 100
	s := fmt.Sprintf("%.3f", p)
	if p >= 1 {
		s = fmt.Sprintf("%.1f", p)
	}
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s + "%"
}

func fill(img *image.RGBA, r image.Rectangle, c color.RGBA) {
	r = r.Intersect(img.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			img.SetRGBA(x, y, c)
		}
	}
}

func hline(img *image.RGBA, x0, x1, y int, c color.RGBA) { fill(img, image.Rect(x0, y, x1+1, y+1), c) }
func vline(img *image.RGBA, x, y0, y1 int, c color.RGBA) { fill(img, image.Rect(x, y0, x+1, y1+1), c) }

func line(img *image.RGBA, x0, y0, x1, y1 float64, c color.RGBA) {
	n := int(math.Max(math.Abs(x1-x0), math.Abs(y1-y0))) + 1
	for i := 0; i <= n; i++ {
		t := float64(i) / float64(n)
		img.SetRGBA(int(math.Round(x0+(x1-x0)*t)), int(math.Round(y0+(y1-y0)*t)), c)
	}
}

// glyphs is a 5x7 bitmap font for the characters the plot uses; each row
// is 5 bits, most significant on the left.
var glyphs = map[rune][7]uint8{
	'0': {0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E},
	'1': {0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E},
	'2': {0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F},
	'3': {0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E},
	'4': {0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02},
	'5': {0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E},
	'6': {0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E},
	'7': {0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08},
	'8': {0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E},
	'9': {0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C},
	'.': {0, 0, 0, 0, 0, 0x0C, 0x0C},
	',': {0, 0, 0, 0, 0x0C, 0x04, 0x08},
	':': {0, 0x0C, 0x0C, 0, 0x0C, 0x0C, 0},
	'%': {0x18, 0x19, 0x02, 0x04, 0x08, 0x13, 0x03},
	'=': {0, 0, 0x1F, 0, 0x1F, 0, 0},
	'-': {0, 0, 0, 0x1F, 0, 0, 0},
	' ': {},
	'A': {0x0E, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11},
	'D': {0x1E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x1E},
	'E': {0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F},
	'F': {0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10},
	'G': {0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F},
	'I': {0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E},
	'M': {0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11},
	'N': {0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11},
	'O': {0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E},
	'P': {0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10},
	'R': {0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11},
	'S': {0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E},
	'T': {0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04},
	'U': {0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E},
}

const glyphScale = 2

func textWidth(s string) int { return len([]rune(s)) * 6 * glyphScale }

// drawText draws s with its top-left corner at (x, y); unknown
// characters are blank.
func drawText(img *image.RGBA, x, y int, s string, c color.RGBA) {
	for _, r := range strings.ToUpper(s) {
		g := glyphs[r]
		for row := 0; row < 7; row++ {
			for col := 0; col < 5; col++ {
				if g[row]&(0x10>>col) != 0 {
					fill(img, image.Rect(x+col*glyphScale, y+row*glyphScale,
						x+(col+1)*glyphScale, y+(row+1)*glyphScale), c)
				}
			}
		}
		x += 6 * glyphScale
	}
}
