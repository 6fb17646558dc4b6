package mrzreader

import (
	"context"
	"errors"
	"io"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/egate/egate/gate"
	"github.com/egate/egate/sensors"
	"github.com/egate/egate/sensors/mrz"
)

// healthLog records OnHealth calls and signals each one.
type healthLog struct {
	mu  sync.Mutex
	log []string
	ch  chan bool
}

func newHealthLog() *healthLog { return &healthLog{ch: make(chan bool, 16)} }

func (h *healthLog) on(ok bool, detail string) {
	h.mu.Lock()
	if ok {
		h.log = append(h.log, "ok")
	} else {
		h.log = append(h.log, "fault")
	}
	h.mu.Unlock()
	h.ch <- ok
}

func (h *healthLog) String() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return strings.Join(h.log, " ")
}

func (h *healthLog) wait(t *testing.T, want bool) {
	t.Helper()
	select {
	case got := <-h.ch:
		if got != want {
			t.Fatalf("health %v, want %v (log %s)", got, want, h)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("no health change to %v within 5s (log %s)", want, h)
	}
}

func nextDoc(t *testing.T, d *Device) sensors.DocumentRead {
	t.Helper()
	select {
	case r, ok := <-d.Documents():
		if !ok {
			t.Fatalf("documents closed: %v", d.Err())
		}
		return r
	case <-time.After(5 * time.Second):
		t.Fatal("no document within 5s")
	}
	return sensors.DocumentRead{}
}

// eventually polls cond for up to 5s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within 5s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// checkNoLeak fails when goroutines started by the test outlive it.
func checkNoLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if n := runtime.NumGoroutine(); n > before {
			buf := make([]byte, 1<<16)
			t.Errorf("%d goroutines leaked:\n%s", n-before, buf[:runtime.Stack(buf, true)])
		}
	})
}

// pipes is an Opener over a queue of pipes, standing in for a device that
// is unplugged (the writer closes) and plugged in again (the next pipe);
// with no pipe queued the open fails like a missing device.
type pipes struct {
	mu      sync.Mutex
	readers []*os.File
	opens   int
}

func (p *pipes) plug(t *testing.T) *os.File {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	p.mu.Lock()
	p.readers = append(p.readers, r)
	p.mu.Unlock()
	return w
}

func (p *pipes) open() (io.ReadCloser, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.opens++
	if len(p.readers) == 0 {
		return nil, os.ErrNotExist
	}
	r := p.readers[0]
	p.readers = p.readers[1:]
	return r, nil
}

func deviceOpts(h *healthLog, mod func(*Opts)) *Opts {
	return opts(func(o *Opts) {
		o.RetryMin, o.RetryMax = 5*time.Millisecond, 40*time.Millisecond
		if h != nil {
			o.OnHealth = h.on
		}
		if mod != nil {
			mod(o)
		}
	})
}

func TestDeviceDocuments(t *testing.T) {
	checkNoLeak(t)
	var p pipes
	w := p.plug(t)
	h := newHealthLog()
	d, err := NewDevice(context.Background(), "test", p.open, deviceOpts(h, func(o *Opts) {
		o.PresentMarker = "@IN"
		o.FrameTimeout = 0
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Halt()
	if ok, _ := d.Health(); !ok {
		t.Fatal("healthy device reported unhealthy")
	}
	var _ sensors.DocumentReader = d
	if d.String() != "mrzreader(test)" {
		t.Errorf("String() = %q", d.String())
	}

	// A valid zone (the present marker before it gives nothing).
	w.Write([]byte("@IN\r" + td3 + "\r"))
	r := nextDoc(t, d)
	want := sensors.Document{Type: "P", IssuingState: "UTO", Number: "L898902C3", Nationality: "UTO",
		Surname: "ERIKSSON", GivenNames: "ANNA MARIA", Sex: "F", MRZValid: true,
		BirthDate:  time.Date(1974, 8, 12, 0, 0, 0, 0, time.UTC),
		ExpiryDate: time.Date(2012, 4, 15, 0, 0, 0, 0, time.UTC)}
	if r.Err != nil || r.Doc != want {
		t.Fatalf("read = %+v, %v; want %+v", r.Doc, r.Err, want)
	}

	// An invalid zone: Doc filled, MRZValid false, Err names field and
	// rule but quotes nothing of the zone.
	w.Write([]byte(strings.Replace(td3, "C36", "C35", 1) + "\r"))
	r = nextDoc(t, d)
	var errs mrz.Errors
	if r.Err == nil || !errors.Is(r.Err, mrz.ErrCheckDigit) || !errors.As(r.Err, &errs) || !errs.Has(mrz.FieldDocumentNumber) {
		t.Fatalf("invalid zone: err %v", r.Err)
	}
	if r.Doc.MRZValid || r.Doc.Surname != "ERIKSSON" {
		t.Errorf("invalid zone: Doc %+v", r.Doc)
	}
	for _, secret := range []string{"ERIKSSON", "ANNA", "L898902C", "740812", "120415", "ZE184226B"} {
		if strings.Contains(r.Err.Error(), secret) {
			t.Errorf("error %q quotes zone content %q", r.Err, secret)
		}
	}

	// No zone geometry, and a discarded frame.
	w.Write([]byte("HELLO\rWORLD\r\r" + strings.Repeat("<", 200) + "\r\r"))
	if r := nextDoc(t, d); !errors.Is(r.Err, mrz.ErrGeometry) || r.Doc != (sensors.Document{}) {
		t.Errorf("not a zone: %+v %v", r.Doc, r.Err)
	}
	if r := nextDoc(t, d); !errors.Is(r.Err, ErrFrame) {
		t.Errorf("overlong line: %v", r.Err)
	}
	if h.String() != "" {
		t.Errorf("health changes %q while the device worked", h)
	}
}

func TestDeviceReplug(t *testing.T) {
	checkNoLeak(t)
	var p pipes
	w := p.plug(t)
	h := newHealthLog()
	d, err := NewDevice(context.Background(), "pipe", p.open, deviceOpts(h, nil))
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(td3 + "\r"))
	if r := nextDoc(t, d); r.Err != nil {
		t.Fatal(r.Err)
	}
	// Unplug: end of input. The device is reported faulty and reopened
	// with backoff while nothing is there.
	w.Close()
	h.wait(t, false)
	if ok, detail := d.Health(); ok || !strings.Contains(detail, "pipe") {
		t.Errorf("Health() = %v, %q", ok, detail)
	}
	opens := func() int {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.opens
	}
	eventually(t, "four failed reopens", func() bool { return opens() >= 5 })
	// Backed off to RetryMax (40ms): no spinning.
	n := opens()
	time.Sleep(200 * time.Millisecond)
	if tries := opens() - n; tries > 7 {
		t.Errorf("%d open attempts in 200ms with the backoff at 40ms", tries)
	}
	if ok, detail := d.Health(); ok || !strings.Contains(detail, "open") {
		t.Errorf("Health() while missing = %v, %q", ok, detail)
	}
	// Replug.
	w = p.plug(t)
	h.wait(t, true)
	w.Write([]byte(td1 + "\r"))
	if r := nextDoc(t, d); r.Err != nil || r.Doc.Type != "I" {
		t.Fatalf("after replug: %+v %v", r.Doc, r.Err)
	}
	if err := d.Halt(); err != nil {
		t.Fatal(err)
	}
	if _, ok := <-d.Documents(); ok {
		t.Error("documents still open after Halt")
	}
	if !errors.Is(d.Err(), ErrClosed) {
		t.Errorf("Err() = %v, want ErrClosed", d.Err())
	}
	if h.String() != "fault ok" {
		t.Errorf("health changes %q, want fault ok", h)
	}
	d.Halt() // again: harmless
}

func TestDeviceMissingAtStart(t *testing.T) {
	checkNoLeak(t)
	var p pipes
	h := newHealthLog()
	ctx, cancel := context.WithCancel(context.Background())
	d, err := NewDevice(ctx, "late", p.open, deviceOpts(h, nil))
	if err != nil {
		t.Fatal(err)
	}
	if ok, detail := d.Health(); ok || !strings.Contains(detail, "late: open") {
		t.Errorf("Health() = %v, %q; want a fault at once", ok, detail)
	}
	h.wait(t, false)
	w := p.plug(t)
	h.wait(t, true)
	w.Write([]byte(td3 + "\r"))
	nextDoc(t, d)
	cancel() // ctx ends the device like Halt
	select {
	case <-d.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("device did not stop on ctx")
	}
	if !errors.Is(d.Err(), ErrClosed) {
		t.Errorf("Err() = %v", d.Err())
	}
}

func TestDeviceOneShot(t *testing.T) {
	checkNoLeak(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	used := false
	open := func() (io.ReadCloser, error) {
		if used {
			return nil, ErrGone
		}
		used = true
		return r, nil
	}
	d, err := NewDevice(context.Background(), "once", open, deviceOpts(nil, func(o *Opts) { o.FrameEnd = EndGeometry }))
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(strings.ReplaceAll(td3, "\r", "\n")))
	w.Close()
	if r := nextDoc(t, d); r.Err != nil {
		t.Fatal(r.Err)
	}
	<-d.Done()
	if !errors.Is(d.Err(), ErrGone) {
		t.Errorf("Err() = %v, want ErrGone", d.Err())
	}
}

func TestDeviceOpts(t *testing.T) {
	for _, o := range []*Opts{
		opts(func(o *Opts) { o.RetryMin = -1 }),
		opts(func(o *Opts) { o.RetryMin, o.RetryMax = time.Second, time.Millisecond }),
		opts(func(o *Opts) { o.Baud = 1 }),
	} {
		if _, err := NewDevice(context.Background(), "x", func() (io.ReadCloser, error) { return nil, os.ErrNotExist }, o); !errors.Is(err, ErrOpts) {
			t.Errorf("%+v: err %v, want ErrOpts", o, err)
		}
	}
	if _, err := NewDevice(context.Background(), "x", nil, nil); !errors.Is(err, ErrOpts) {
		t.Errorf("nil Opener: %v", err)
	}
}

func TestHealthEvent(t *testing.T) {
	if ev := HealthEvent(false, "gone"); ev != (gate.DeviceFault{Device: "document_reader", Detail: "gone"}) {
		t.Errorf("fault: %#v", ev)
	}
	if ev := HealthEvent(true, ""); ev != (gate.DeviceRecovered{Device: "document_reader"}) {
		t.Errorf("recovered: %#v", ev)
	}
}
