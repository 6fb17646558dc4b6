package gocvface

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"gocv.io/x/gocv"
)

// Camera gives BGR frames. Read returns a new Mat that the caller closes.
// Implementations are safe for one reader at a time.
type Camera interface {
	Read(ctx context.Context) (gocv.Mat, error)
	Close() error
	String() string
}

// ErrCamera wraps every camera failure (missing device, device that will
// not open, read failures). The face step then fails closed.
var ErrCamera = errors.New("gocvface: camera")

// Camera sources for CameraOpts.Source.
const (
	SourceV4L2   = "v4l2"   // a V4L2 device, e.g. /dev/video0
	SourceImages = "images" // image files played in order (files or directories)
	SourceVideo  = "video"  // a video file (anything OpenCV's FFmpeg backend reads)
	SourceScene  = "scene"  // frames set by the simulation with SceneCamera.Show
)

// CameraOpts configures OpenCamera.
type CameraOpts struct {
	Source string
	// Device is the V4L2 device node (SourceV4L2).
	Device string
	// Width and Height are the requested capture size (SourceV4L2); the
	// driver may pick another, which String reports.
	Width, Height int
	// FPS is the requested frame rate (SourceV4L2), or the rate at which
	// recorded sources are paced (0: as fast as they are read).
	FPS float64
	// Files are image files or directories of them (SourceImages), played
	// in order and looped.
	Files []string
	// Video is a video file (SourceVideo), looped.
	Video string
}

// DefaultCameraOpts returns the defaults: /dev/video0 at 640x480, 30 fps.
func DefaultCameraOpts() CameraOpts {
	return CameraOpts{Source: SourceV4L2, Device: "/dev/video0", Width: 640, Height: 480, FPS: 30}
}

// OpenCamera opens the source o names. Errors wrap ErrCamera and say what
// to fix; nothing here aborts the process.
func OpenCamera(o CameraOpts) (Camera, error) {
	// Each case returns a nil interface, not a typed nil, on error.
	switch o.Source {
	case SourceV4L2, "":
		c, err := OpenV4L2(o)
		if err != nil {
			return nil, err
		}
		return c, nil
	case SourceImages:
		c, err := OpenImageFiles(o.Files, o.FPS)
		if err != nil {
			return nil, err
		}
		return c, nil
	case SourceVideo:
		c, err := OpenVideoFile(o.Video, o.FPS)
		if err != nil {
			return nil, err
		}
		return c, nil
	case SourceScene:
		return NewSceneCamera(o.Width, o.Height), nil
	default:
		return nil, fmt.Errorf("%w: unknown source %q (want %s, %s, %s or %s)", ErrCamera, o.Source,
			SourceV4L2, SourceImages, SourceVideo, SourceScene)
	}
}

// V4L2Camera captures from a Video4Linux2 device through OpenCV.
type V4L2Camera struct {
	mu     sync.Mutex
	vc     *gocv.VideoCapture
	device string
	w, h   int
	fps    float64
}

// OpenV4L2 opens o.Device with the V4L2 backend and asks for o.Width x
// o.Height at o.FPS. The device node is checked first, so a missing or
// wrong path is a plain error, and one frame is read to prove the device
// delivers.
func OpenV4L2(o CameraOpts) (*V4L2Camera, error) {
	if o.Device == "" {
		return nil, fmt.Errorf("%w: no device configured", ErrCamera)
	}
	if o.Width < 0 || o.Height < 0 || o.Width > MaxSide || o.Height > MaxSide || o.FPS < 0 {
		return nil, fmt.Errorf("%w: bad size %dx%d at %g fps", ErrCamera, o.Width, o.Height, o.FPS)
	}
	st, err := os.Stat(o.Device)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrCamera, o.Device, err)
	}
	if st.Mode()&os.ModeCharDevice == 0 {
		return nil, fmt.Errorf("%w: %s is not a character device", ErrCamera, o.Device)
	}
	vc, err := gocv.VideoCaptureFileWithAPI(o.Device, gocv.VideoCaptureV4L2)
	if err != nil || !vc.IsOpened() {
		vc.Close()
		return nil, fmt.Errorf("%w: %s will not open (permissions? in use? not a capture device?)", ErrCamera, o.Device)
	}
	if o.Width > 0 && o.Height > 0 {
		vc.Set(gocv.VideoCaptureFrameWidth, float64(o.Width))
		vc.Set(gocv.VideoCaptureFrameHeight, float64(o.Height))
	}
	if o.FPS > 0 {
		vc.Set(gocv.VideoCaptureFPS, o.FPS)
	}
	// Keep the driver's queue short: a stale frame is a wrong frame.
	vc.Set(gocv.VideoCaptureBufferSize, 1)
	c := &V4L2Camera{vc: vc, device: o.Device}
	m, err := c.Read(context.Background())
	if err != nil {
		vc.Close()
		return nil, err
	}
	c.w, c.h = m.Cols(), m.Rows()
	m.Close()
	c.fps = vc.Get(gocv.VideoCaptureFPS)
	return c, nil
}

// Read grabs the next frame.
func (c *V4L2Camera) Read(ctx context.Context) (gocv.Mat, error) {
	if err := ctx.Err(); err != nil {
		return gocv.NewMat(), err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.vc == nil {
		return gocv.NewMat(), fmt.Errorf("%w: %s closed", ErrCamera, c.device)
	}
	m := gocv.NewMat()
	if !c.vc.Read(&m) {
		m.Close()
		return gocv.NewMat(), fmt.Errorf("%w: %s: no frame", ErrCamera, c.device)
	}
	return toBGR(m, c.device)
}

// Close releases the device.
func (c *V4L2Camera) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.vc != nil {
		c.vc.Close()
		c.vc = nil
	}
	return nil
}

func (c *V4L2Camera) String() string {
	return fmt.Sprintf("v4l2 %s %dx%d @%gfps", c.device, c.w, c.h, c.fps)
}

// toBGR takes ownership of m and returns an 8-bit BGR frame, converting
// grey and BGRA frames; anything else is an error.
func toBGR(m gocv.Mat, name string) (gocv.Mat, error) {
	if m.Empty() {
		m.Close()
		return gocv.NewMat(), fmt.Errorf("%w: %s: empty frame", ErrCamera, name)
	}
	var code gocv.ColorConversionCode
	switch m.Type() {
	case gocv.MatTypeCV8UC3:
		if err := checkBGR(m); err != nil {
			m.Close()
			return gocv.NewMat(), fmt.Errorf("%w: %s: %w", ErrCamera, name, err)
		}
		return m, nil
	case gocv.MatTypeCV8UC1:
		code = gocv.ColorGrayToBGR
	case gocv.MatTypeCV8UC4:
		code = gocv.ColorBGRAToBGR
	default:
		t := m.Type()
		m.Close()
		return gocv.NewMat(), fmt.Errorf("%w: %s: frame type %v", ErrCamera, name, t)
	}
	out := gocv.NewMat()
	gocv.CvtColor(m, &out, code)
	m.Close()
	if err := checkBGR(out); err != nil {
		out.Close()
		return gocv.NewMat(), fmt.Errorf("%w: %s: %w", ErrCamera, name, err)
	}
	return out, nil
}

// pacer spaces reads of recorded sources at a frame rate.
type pacer struct {
	every time.Duration
	next  time.Time
}

func newPacer(fps float64) pacer {
	if fps <= 0 {
		return pacer{}
	}
	return pacer{every: time.Duration(float64(time.Second) / fps)}
}

func (p *pacer) wait(ctx context.Context) error {
	if p.every == 0 {
		return ctx.Err()
	}
	now := time.Now()
	if p.next.After(now) {
		t := time.NewTimer(p.next.Sub(now))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
		now = time.Now()
	}
	p.next = now.Add(p.every)
	return nil
}

// VideoFileCamera plays a video file, looping at its end.
type VideoFileCamera struct {
	mu   sync.Mutex
	vc   *gocv.VideoCapture
	path string
	pace pacer
}

// OpenVideoFile opens a video file with OpenCV's FFmpeg backend (any
// format Debian's FFmpeg reads) and reads its first frame to prove it.
func OpenVideoFile(path string, fps float64) (*VideoFileCamera, error) {
	if path == "" {
		return nil, fmt.Errorf("%w: no video file configured", ErrCamera)
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCamera, err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: %s is not a file", ErrCamera, path)
	}
	// FFmpeg only: letting OpenCV try every backend on a bad file makes
	// some of them throw (caught inside OpenCV, but noisy).
	vc, err := gocv.VideoCaptureFileWithAPI(path, gocv.VideoCaptureFFmpeg)
	if err != nil || !vc.IsOpened() {
		vc.Close()
		return nil, fmt.Errorf("%w: %s: not a video OpenCV can read", ErrCamera, path)
	}
	c := &VideoFileCamera{vc: vc, path: path, pace: newPacer(fps)}
	m := gocv.NewMat()
	ok := vc.Read(&m)
	m.Close()
	if !ok {
		vc.Close()
		return nil, fmt.Errorf("%w: %s: no frame in the video", ErrCamera, path)
	}
	vc.Set(gocv.VideoCapturePosFrames, 0)
	return c, nil
}

// Read returns the next frame, rewinding at the end.
func (c *VideoFileCamera) Read(ctx context.Context) (gocv.Mat, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.pace.wait(ctx); err != nil {
		return gocv.NewMat(), err
	}
	if c.vc == nil {
		return gocv.NewMat(), fmt.Errorf("%w: %s closed", ErrCamera, c.path)
	}
	m := gocv.NewMat()
	if !c.vc.Read(&m) {
		c.vc.Set(gocv.VideoCapturePosFrames, 0)
		if !c.vc.Read(&m) {
			m.Close()
			return gocv.NewMat(), fmt.Errorf("%w: %s: no frame", ErrCamera, c.path)
		}
	}
	return toBGR(m, c.path)
}

// Close releases the file.
func (c *VideoFileCamera) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.vc != nil {
		c.vc.Close()
		c.vc = nil
	}
	return nil
}

func (c *VideoFileCamera) String() string { return "video " + c.path }

// SceneCamera plays frames that a simulation or a test sets with Show,
// in order and looped. With nothing shown it gives an empty grey frame of
// the configured size (a lane with nobody in front of the camera).
type SceneCamera struct {
	mu     sync.Mutex
	frames []gocv.Mat
	next   int
	w, h   int
	name   string
	pace   pacer
}

// NewSceneCamera returns an empty scene of w x h (640x480 if zero).
func NewSceneCamera(w, h int) *SceneCamera {
	if w <= 0 || h <= 0 {
		w, h = 640, 480
	}
	return &SceneCamera{w: w, h: h, name: "scene"}
}

// OpenImageFiles returns a SceneCamera playing the given image files, or
// every image file (jpg, jpeg, png, jp2, bmp) in the given directories,
// in name order, paced at fps (0: unpaced).
func OpenImageFiles(paths []string, fps float64) (*SceneCamera, error) {
	var files []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrCamera, err)
		}
		if !st.IsDir() {
			files = append(files, p)
			continue
		}
		ents, err := os.ReadDir(p)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrCamera, err)
		}
		var names []string
		for _, e := range ents {
			switch strings.ToLower(filepath.Ext(e.Name())) {
			case ".jpg", ".jpeg", ".png", ".jp2", ".bmp":
				if e.Type().IsRegular() {
					names = append(names, filepath.Join(p, e.Name()))
				}
			}
		}
		sort.Strings(names)
		files = append(files, names...)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%w: no image files in %v", ErrCamera, paths)
	}
	var encoded [][]byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrCamera, err)
		}
		encoded = append(encoded, b)
	}
	c := NewSceneCamera(0, 0)
	if err := c.ShowImages(encoded...); err != nil {
		return nil, err
	}
	c.name = fmt.Sprintf("images (%d files from %s)", len(files), strings.Join(paths, ", "))
	c.pace = newPacer(fps)
	return c, nil
}

// Show replaces the scene with copies of frames (BGR Mats, which stay the
// caller's). No frames: the empty scene.
func (c *SceneCamera) Show(frames ...gocv.Mat) error {
	var cp []gocv.Mat
	for _, f := range frames {
		if err := checkBGR(f); err != nil {
			closeAll(cp)
			return fmt.Errorf("%w: scene: %w", ErrCamera, err)
		}
		cp = append(cp, f.Clone())
	}
	c.mu.Lock()
	old := c.frames
	c.frames, c.next = cp, 0
	c.mu.Unlock()
	closeAll(old)
	return nil
}

// ShowImages is Show with encoded images (JPEG, PNG, JPEG 2000).
func (c *SceneCamera) ShowImages(encoded ...[]byte) error {
	var mats []gocv.Mat
	defer func() { closeAll(mats) }()
	for i, b := range encoded {
		m, err := DecodeImage(b)
		if err != nil {
			m.Close()
			return fmt.Errorf("%w: scene image %d: %w", ErrCamera, i, err)
		}
		mats = append(mats, m)
	}
	return c.Show(mats...)
}

// Clear empties the scene.
func (c *SceneCamera) Clear() { _ = c.Show() }

// Read returns a copy of the next frame.
func (c *SceneCamera) Read(ctx context.Context) (gocv.Mat, error) {
	if err := c.pace.wait(ctx); err != nil {
		return gocv.NewMat(), err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.frames) == 0 {
		return gocv.NewMatWithSizeFromScalar(gocv.NewScalar(110, 110, 110, 0), c.h, c.w, gocv.MatTypeCV8UC3), nil
	}
	m := c.frames[c.next%len(c.frames)].Clone()
	c.next = (c.next + 1) % len(c.frames)
	return m, nil
}

// Close frees the frames.
func (c *SceneCamera) Close() error { c.Clear(); return nil }

func (c *SceneCamera) String() string { return c.name }

func closeAll(ms []gocv.Mat) {
	for _, m := range ms {
		m.Close()
	}
}
