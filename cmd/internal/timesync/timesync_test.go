package timesync

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"
)

func kernel(k Kernel, err error) func() (Kernel, error) {
	return func() (Kernel, error) { return k, err }
}

func TestCheck(t *testing.T) {
	day := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	eperm := syscall.EPERM
	tests := []struct {
		name      string
		adj       func() (Kernel, error)
		marker    bool
		notBefore time.Time
		want      State
		source    string
	}{
		{name: "kernel disciplined", adj: kernel(Kernel{MaxError: 12 * time.Millisecond}, nil), want: Synced, source: "adjtimex"},
		{name: "kernel just under the limit", adj: kernel(Kernel{MaxError: UnsyncedMaxError - time.Microsecond}, nil), want: Synced, source: "adjtimex"},
		{name: "kernel at the limit", adj: kernel(Kernel{MaxError: UnsyncedMaxError}, nil), want: Unsynced, source: "adjtimex"},
		// systemd ignores STA_UNSYNC (set by some clients to keep the kernel
		// off the RTC); so do we, like timedatectl.
		{name: "STA_UNSYNC alone does not count", adj: kernel(Kernel{MaxError: time.Millisecond, Unsync: true}, nil), want: Synced, source: "adjtimex"},
		{name: "fresh boot", adj: kernel(Kernel{MaxError: 16 * time.Second, Unsync: true, TimeErr: true}, nil), want: Unsynced, source: "adjtimex"},
		{name: "adjtimex filtered, timesyncd synced", adj: kernel(Kernel{}, eperm), marker: true, want: Synced, source: "timesyncd"},
		{name: "adjtimex filtered, no marker", adj: kernel(Kernel{}, eperm), want: Unsynced, source: "timesyncd"},
		{name: "no adjtimex on this platform", adj: kernel(Kernel{}, ErrUnsupported), want: Unsynced, source: "timesyncd"},
		{name: "before the floor, kernel says synced", adj: kernel(Kernel{MaxError: time.Millisecond}, nil), notBefore: day.Add(time.Hour), want: Unsynced, source: "not-before"},
		{name: "after the floor", adj: kernel(Kernel{MaxError: time.Millisecond}, nil), notBefore: day.Add(-time.Hour), want: Synced, source: "adjtimex"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run := t.TempDir()
			if tt.marker {
				dir := filepath.Join(run, "systemd", "timesync")
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, "synchronized"), nil, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			c := &Checker{Adjtimex: tt.adj, RunDir: run, NotBefore: tt.notBefore, Now: func() time.Time { return day }}
			st := c.Check()
			if st.State != tt.want || st.Source != tt.source {
				t.Fatalf("Check() = %v from %q (%s), want %v from %q", st.State, st.Source, st.Reason, tt.want, tt.source)
			}
			if st.State != Synced && st.Reason == "" {
				t.Error("an unsynced status must say why")
			}
		})
	}
}

func TestCheckMarkerUnreadable(t *testing.T) {
	// A RunDir that is a file: stat of the marker fails with ENOTDIR, which
	// is neither "synced" nor "absent".
	f := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(f, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	c := &Checker{Adjtimex: kernel(Kernel{}, syscall.EPERM), RunDir: f}
	if st := c.Check(); st.State != Unknown {
		t.Fatalf("Check() = %v, want unknown", st.State)
	}
}

// TestRealKernel asks this machine's kernel. Any answer is fine; on Linux
// the read-only call must succeed (it needs no privilege), unless a seccomp
// filter forbids it, which the test reports.
func TestRealKernel(t *testing.T) {
	st := (&Checker{}).Check()
	t.Logf("this machine: %v from %s, max error %s %s", st.State, st.Source, st.MaxError, st.Reason)
	if runtime.GOOS != "linux" {
		return
	}
	if _, err := adjtimex(); err != nil {
		if errors.Is(err, syscall.EPERM) {
			t.Skipf("adjtimex filtered here: %v", err)
		}
		t.Fatalf("adjtimex: %v", err)
	}
	if st.Source != "adjtimex" {
		t.Fatalf("source %q, want adjtimex", st.Source)
	}
}

// flip is a kernel whose state the test changes.
type flip struct {
	mu sync.Mutex
	k  Kernel
}

func (f *flip) set(max time.Duration) { f.mu.Lock(); f.k.MaxError = max; f.mu.Unlock() }
func (f *flip) read() (Kernel, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.k, nil
}

func TestWatcher(t *testing.T) {
	k := &flip{}
	k.set(UnsyncedMaxError)
	w := NewWatcher(&Checker{Adjtimex: k.read}, nil)
	if w.Synced() {
		t.Fatal("synced at start")
	}

	limit := make(chan time.Time, 1)
	limit <- time.Time{}
	if st := w.Wait(context.Background(), limit); st.State != Unsynced {
		t.Fatalf("Wait after its limit = %v, want unsynced", st.State)
	}

	ctx, cancel := context.WithCancel(context.Background())
	tick := make(chan time.Time)
	done := make(chan struct{})
	go func() { w.Run(ctx, tick); close(done) }()
	tick <- time.Time{} // still unsynced
	k.set(5 * time.Millisecond)
	tick <- time.Time{} // the timesyncd client got through

	if st := w.Wait(context.Background(), nil); st.State != Synced {
		t.Fatalf("Wait = %v, want synced", st.State)
	}
	if !w.Synced() {
		t.Fatal("Synced() false after sync")
	}
	// The kernel's error grows back past the limit (NTP lost for hours).
	k.set(UnsyncedMaxError + time.Second)
	tick <- time.Time{}
	cancel()
	<-done
	if w.Synced() {
		t.Fatal("Synced() true after the kernel lost sync")
	}
	// Once synced, Wait no longer blocks: it reports the current state.
	if st := w.Wait(context.Background(), nil); st.State != Unsynced {
		t.Fatalf("Wait = %v, want the current state, unsynced", st.State)
	}
}

func TestWaitContext(t *testing.T) {
	k := &flip{}
	k.set(UnsyncedMaxError)
	w := NewWatcher(&Checker{Adjtimex: k.read}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if st := w.Wait(ctx, nil); st.State != Unsynced {
		t.Fatalf("Wait = %v, want unsynced", st.State)
	}
}
