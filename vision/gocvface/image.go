package gocvface

import (
	"bytes"
	"fmt"
	"image"
	_ "image/jpeg" // DecodeConfig: size check before OpenCV decodes
	_ "image/png"

	"gocv.io/x/gocv"

	"github.com/egate/egate/vision"
)

// MaxEncodedBytes bounds an encoded image handed to DecodeImage.
const MaxEncodedBytes = 32 << 20

// DecodeImage decodes a JPEG, PNG or JPEG 2000 (DG2) image into a BGR
// Mat. Empty, garbage, truncated-beyond-use and oversized images are
// errors wrapping vision.ErrBadImage. The caller closes the Mat.
func DecodeImage(b []byte) (gocv.Mat, error) {
	if len(b) == 0 {
		return gocv.NewMat(), fmt.Errorf("gocvface: %w: empty", vision.ErrBadImage)
	}
	if len(b) > MaxEncodedBytes {
		return gocv.NewMat(), fmt.Errorf("gocvface: %w: %d bytes", vision.ErrBadImage, len(b))
	}
	// For formats Go can parse, check the declared size before OpenCV
	// allocates it (decompression bombs).
	if cfg, _, err := image.DecodeConfig(bytes.NewReader(b)); err == nil {
		if cfg.Width > MaxSide || cfg.Height > MaxSide || cfg.Width < 16 || cfg.Height < 16 {
			return gocv.NewMat(), fmt.Errorf("gocvface: %w: %dx%d", vision.ErrBadImage, cfg.Width, cfg.Height)
		}
	}
	m, err := gocv.IMDecode(b, gocv.IMReadColor)
	if err != nil {
		m.Close()
		return gocv.NewMat(), fmt.Errorf("gocvface: %w: %w", vision.ErrBadImage, err)
	}
	if err := checkBGR(m); err != nil {
		m.Close()
		return gocv.NewMat(), fmt.Errorf("gocvface: cannot decode: %w", err)
	}
	return m, nil
}

// MatFromImage converts any image.Image to a BGR Mat (gocv's
// ImageToMatRGB mishandles sub-images). The caller closes the Mat.
func MatFromImage(img image.Image) (gocv.Mat, error) {
	if img == nil {
		return gocv.NewMat(), fmt.Errorf("gocvface: %w: nil image", vision.ErrBadImage)
	}
	r := img.Bounds()
	w, h := r.Dx(), r.Dy()
	if w < 16 || h < 16 || w > MaxSide || h > MaxSide {
		return gocv.NewMat(), fmt.Errorf("gocvface: %w: %dx%d", vision.ErrBadImage, w, h)
	}
	pix := make([]byte, 0, w*h*3)
	switch m := img.(type) {
	case *image.RGBA:
		for y := r.Min.Y; y < r.Max.Y; y++ {
			row := m.Pix[m.PixOffset(r.Min.X, y):]
			for x := 0; x < w; x++ {
				pix = append(pix, row[4*x+2], row[4*x+1], row[4*x])
			}
		}
	default:
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				cr, cg, cb, _ := img.At(x, y).RGBA()
				pix = append(pix, byte(cb>>8), byte(cg>>8), byte(cr>>8))
			}
		}
	}
	return gocv.NewMatFromBytes(h, w, gocv.MatTypeCV8UC3, pix)
}
