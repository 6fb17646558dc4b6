package pcsctest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/egate/egate/sensors/chip"
	"github.com/egate/egate/sensors/chip/chiptest"
	"github.com/egate/egate/sensors/chip/pcsc"
)

// VPCDDriver is where Debian's vsmartcard-vpcd installs the driver.
const VPCDDriver = "/usr/lib/pcsc/drivers/serial/libifdvpcd.so"

// ReaderName is the full PC/SC name of the virtual reader; ReaderPrefix
// selects it by prefix (pcsc.Opts.Reader).
const (
	ReaderName   = "egate vpcd 00 00"
	ReaderPrefix = "egate vpcd"
)

// ErrUnavailable wraps every reason the rig cannot run here (packages
// missing, another pcscd owning /run/pcscd without isolation, not Linux):
// tests skip on it.
var ErrUnavailable = errors.New("pcsctest: pcscd rig unavailable")

// Daemon is a running private pcscd with one vpcd reader.
type Daemon struct {
	// Socket is pcscd's socket, for pcsc.Opts.Socket.
	Socket string
	// Port is vpcd's TCP port on 127.0.0.1.
	Port int
	// Isolated is true when pcscd runs in its own mount namespace.
	Isolated bool

	dir     string
	logPath string
	stop    func() error
	once    sync.Once
	stopErr error
}

// Opts returns reader options that select this daemon's reader.
func (d *Daemon) Opts() *pcsc.Opts {
	return &pcsc.Opts{Socket: d.Socket, Reader: ReaderPrefix, PollInterval: 50 * time.Millisecond}
}

// Addr is vpcd's address, for chiptest.ServeVPCD.
func (d *Daemon) Addr() string { return fmt.Sprintf("127.0.0.1:%d", d.Port) }

// Log returns what pcscd printed so far (for a failing test's output).
func (d *Daemon) Log() string {
	b, _ := os.ReadFile(d.logPath)
	return string(b)
}

// Stop ends pcscd (SIGTERM, then SIGKILL after 5 s) and removes its
// files. It is safe to call more than once.
func (d *Daemon) Stop() error {
	d.once.Do(func() {
		d.stopErr = d.stop()
		os.RemoveAll(d.dir)
	})
	return d.stopErr
}

// Start launches a daemon for one test and stops it when the test ends.
// It skips the test in -short mode and when ErrUnavailable.
func Start(tb testing.TB) *Daemon {
	tb.Helper()
	if testing.Short() {
		tb.Skip("pcscd integration test skipped in -short mode")
	}
	d, err := Launch()
	if errors.Is(err, ErrUnavailable) {
		tb.Skip(err)
	}
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := d.Stop(); err != nil {
			tb.Errorf("stopping pcscd: %v", err)
		}
	})
	return d
}

var (
	sharedMu  sync.Mutex
	shared    *Daemon
	sharedErr error
)

// Shared returns one daemon for the whole test binary, started on first
// use; call StopShared from TestMain after m.Run. It skips like Start.
func Shared(tb testing.TB) *Daemon {
	tb.Helper()
	if testing.Short() {
		tb.Skip("pcscd integration test skipped in -short mode")
	}
	sharedMu.Lock()
	if shared == nil && sharedErr == nil {
		shared, sharedErr = Launch()
	}
	d, err := shared, sharedErr
	sharedMu.Unlock()
	if errors.Is(err, ErrUnavailable) {
		tb.Skip(err)
	}
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

// StopShared stops the daemon Shared started, if any.
func StopShared() {
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if shared != nil {
		shared.Stop()
		shared = nil
	}
}

// Insert serves card on the daemon's reader until remove is called (or the
// test ends): that is the card entering and leaving the field. done gets
// ServeVPCD's result (chip.ErrCardRemoved when the card removed itself).
// remove waits until pcscd has seen the slot empty, so the next Insert is
// a new card.
func (d *Daemon) Insert(tb testing.TB, card chip.Transceiver) (remove func(), done <-chan error) {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan error, 1)
	go func() { ch <- chiptest.ServeVPCD(ctx, d.Addr(), card, chiptest.ATRT1) }()
	out := make(chan error, 1)
	var once sync.Once
	remove = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-ch:
				out <- err
			case <-time.After(5 * time.Second):
				tb.Error("pcsctest: vpcd server did not stop")
			}
			// Let pcscd notice the empty slot before the next Insert.
			time.Sleep(500 * time.Millisecond)
		})
	}
	tb.Cleanup(remove)
	return remove, out
}

// waitReader waits until pcscd lists the reader (it is listed once the
// vpcd driver is loaded).
func (d *Daemon) waitReader(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var err error
	for time.Now().Before(deadline) {
		var r *pcsc.Reader
		if r, err = pcsc.Open(&pcsc.Opts{Socket: d.Socket, Reader: ReaderPrefix}); err == nil {
			r.Close()
			return nil
		}
		if strings.Contains(d.Log(), "Address already in use") {
			break // vpcd could not bind its port: no reader will come
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("pcsctest: pcscd did not list the vpcd reader within %v: %w\npcscd log:\n%s", timeout, err, d.Log())
}
