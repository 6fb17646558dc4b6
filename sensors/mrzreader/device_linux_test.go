//go:build linux

package mrzreader

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// relink points link at target atomically, as udev swaps the
// /dev/serial/by-id links when a reader comes and goes.
func relink(t *testing.T, target, link string) {
	t.Helper()
	tmp := link + ".new"
	os.Remove(tmp)
	if err := os.Symlink(target, tmp); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, link); err != nil {
		t.Fatal(err)
	}
}

// TestDeviceReplugPTY unplugs a reader on a real pseudo-terminal and plugs
// in another: the stable link moves from the first pty to nowhere (the
// device is gone, its link too) to a second pty. The Device reports the
// fault, keeps reopening the link, recovers on the second pty and reads
// from it.
func TestDeviceReplugPTY(t *testing.T) {
	checkNoLeak(t)
	link := filepath.Join(t.TempDir(), "usb-mrz-reader-if00")
	m1, s1 := openPTY(t)
	defer m1.Close()
	relink(t, s1, link)
	h := newHealthLog()
	d, err := OpenSerial(context.Background(), link, deviceOpts(h, func(o *Opts) {
		o.Baud = 115200
		o.RetryMin, o.RetryMax = 20*time.Millisecond, 200*time.Millisecond
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Halt()
	if ok, detail := d.Health(); !ok {
		t.Fatalf("Health() = false, %q", detail)
	}
	m1.Write([]byte(td3 + "\r"))
	if r := nextDoc(t, d); r.Err != nil || r.Doc.Number != "L898902C3" || !r.Doc.MRZValid {
		t.Fatalf("first pty: %+v %v", r.Doc, r.Err)
	}

	// Unplug: the link goes, then the tty (EIO on the open slave).
	relink(t, filepath.Join(filepath.Dir(link), "gone"), link)
	m1.Close()
	h.wait(t, false)
	if ok, detail := d.Health(); ok || !strings.Contains(detail, link) {
		t.Errorf("after unplug Health() = %v, %q", ok, detail)
	}
	eventually(t, "failed reopen", func() bool {
		ok, detail := d.Health()
		return !ok && strings.Contains(detail, "no such file")
	})

	// Replug on another pty.
	m2, s2 := openPTY(t)
	defer m2.Close()
	relink(t, s2, link)
	h.wait(t, true)
	if ok, _ := d.Health(); !ok {
		t.Error("Health() false after recovery")
	}
	m2.Write([]byte(strings.ReplaceAll(td1, "\r", "\r\n") + "\r\n"))
	if r := nextDoc(t, d); r.Err != nil || r.Doc.Type != "I" || !r.Doc.MRZValid {
		t.Fatalf("second pty: %+v %v", r.Doc, r.Err)
	}
	if err := d.Halt(); err != nil || !errors.Is(d.Err(), ErrClosed) {
		t.Errorf("Halt: %v, Err %v", err, d.Err())
	}
	if h.String() != "fault ok" {
		t.Errorf("health changes %q, want fault ok", h)
	}
}

func TestEvdevRejectsNonInput(t *testing.T) {
	if _, err := Evdev("/dev/null")(); err == nil || !strings.Contains(err.Error(), "grab") {
		t.Errorf("Evdev(/dev/null): %v, want a grab error", err)
	}
	if _, err := Evdev("/nonexistent/event0")(); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing node: %v", err)
	}
}

// TestStdinWedge reads zones typed into stdin (here a pipe put in place
// of fd 0 for the test's process, through /dev/stdin).
func TestStdinWedge(t *testing.T) {
	checkNoLeak(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	saved, err := syscallDup(0)
	if err != nil {
		t.Skipf("dup stdin: %v", err)
	}
	if err := syscallDup2(int(r.Fd()), 0); err != nil {
		t.Skipf("dup2: %v", err)
	}
	defer func() { syscallDup2(saved, 0); closeFd(saved) }()
	r.Close()
	d, err := OpenStdin(context.Background(), deviceOpts(nil, func(o *Opts) { o.FrameEnd = EndGeometry }))
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(strings.ReplaceAll(td3, "\r", "\n")))
	if rd := nextDoc(t, d); rd.Err != nil || rd.Doc.Number != "L898902C3" {
		t.Fatalf("stdin: %+v %v", rd.Doc, rd.Err)
	}
	w.Close()
	select {
	case <-d.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("stdin device did not stop at end of input")
	}
	if !errors.Is(d.Err(), ErrGone) {
		t.Errorf("Err() = %v, want ErrGone", d.Err())
	}
	if ok, _ := d.Health(); ok {
		t.Error("healthy after end of input")
	}
}

func syscallDup(fd int) (int, error) { return syscall.Dup(fd) }
func syscallDup2(from, to int) error { return syscall.Dup3(from, to, 0) }
func closeFd(fd int)                 { syscall.Close(fd) }
