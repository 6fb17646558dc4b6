//go:build linux

package mrzreader

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// openPTY opens a pseudo-terminal pair with the standard library only
// (posix_openpt, unlockpt, ptsname): the master plays the reader hardware,
// the slave path is opened by Open like a real /dev/ttyACM0.
func openPTY(t *testing.T) (master *os.File, slave string) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	sc, err := m.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var n uint32
	var ierr error
	if err := sc.Control(func(fd uintptr) {
		var unlock int32
		if ierr = ioctl(fd, syscall.TIOCSPTLCK, unsafe.Pointer(&unlock)); ierr != nil {
			return
		}
		ierr = ioctl(fd, syscall.TIOCGPTN, unsafe.Pointer(&n))
	}); err != nil || ierr != nil {
		m.Close()
		t.Fatalf("pty setup: %v %v", err, ierr)
	}
	return m, fmt.Sprintf("/dev/pts/%d", n)
}

func next(t *testing.T, r *Reader) Event {
	t.Helper()
	select {
	case ev, ok := <-r.Events():
		if !ok {
			t.Fatalf("events closed: %v", r.Err())
		}
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("no event within 5s")
	}
	return Event{}
}

func TestReaderPTY(t *testing.T) {
	master, slave := openPTY(t)
	defer master.Close()
	r, err := Open(context.Background(), slave, opts(func(o *Opts) {
		o.Baud = 115200
		o.PresentMarker, o.RemovedMarker = "@DOC+", "@DOC-"
		o.FrameTimeout = 200 * time.Millisecond
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Halt()
	if !strings.Contains(r.String(), slave) {
		t.Errorf("String() = %q", r.String())
	}

	// The common protocol: lines ended by CR, then a blank line.
	if _, err := master.Write([]byte("@DOC+\r" + td3 + "\r")); err != nil {
		t.Fatal(err)
	}
	if ev := next(t, r); ev.Kind != KindPresent {
		t.Fatalf("event %v, want present", ev.Kind)
	}
	ev := next(t, r)
	if ev.Kind != KindZone || ev.Zone == nil || !ev.Zone.Valid() || ev.Zone.DocumentNumber != "L898902C3" {
		t.Fatalf("event %v zone %v err %v, want the TD3 specimen", ev.Kind, ev.Zone != nil, ev.Err)
	}
	// Bytes pass unaltered through the raw tty: CRLF is not doubled.
	master.Write([]byte(strings.ReplaceAll(td1, "\r", "\r\n") + "\r\n"))
	if ev := next(t, r); ev.Kind != KindZone || ev.Zone == nil || ev.Zone.Format.String() != "TD1" || !ev.Zone.Valid() {
		t.Fatalf("CRLF TD1: %v %v", ev.Kind, ev.Err)
	}
	// A partial zone followed by silence is dropped after FrameTimeout.
	master.Write([]byte(td3[:45]))
	if ev := next(t, r); ev.Kind != KindFrameError {
		t.Fatalf("event %v, want frame-error after the timeout", ev.Kind)
	}
	master.Write([]byte("@DOC-\r"))
	if ev := next(t, r); ev.Kind != KindRemoved {
		t.Fatalf("event %v, want removed", ev.Kind)
	}

	// Unplug: the master side goes away, the slave read fails, the reader
	// stops with an error that is not ErrClosed.
	master.Close()
	select {
	case <-r.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("reader did not stop after the device went away")
	}
	if err := r.Err(); err == nil || errors.Is(err, ErrClosed) {
		t.Errorf("Err() = %v, want a read error", err)
	}
	for range r.Events() { // drained and closed
	}
}

func TestReaderHaltAndContext(t *testing.T) {
	master, slave := openPTY(t)
	defer master.Close()
	ctx, cancel := context.WithCancel(context.Background())
	r, err := Open(ctx, slave, nil)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case <-r.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("reader did not stop on ctx cancel")
	}
	if !errors.Is(r.Err(), ErrClosed) {
		t.Errorf("Err() = %v, want ErrClosed", r.Err())
	}
	r.Halt() // again: harmless

	if _, err := Open(context.Background(), "/nonexistent/tty", nil); err == nil {
		t.Error("Open of a missing device succeeded")
	}
	if _, err := Open(context.Background(), slave, &Opts{Baud: 7}); !errors.Is(err, ErrOpts) {
		t.Errorf("bad baud: %v", err)
	}
}
