package pcsctest

import (
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

var (
	nsOnce  sync.Once
	nsFlags []string
)

// isolation returns the unshare flags that give pcscd its own mount
// namespace with /run/pcscd bound to a directory of ours: -m as root,
// -r -m (an unprivileged user namespace) otherwise, which needs
// /run/pcscd to exist already (the pcscd package's socket unit makes it).
// Nil when neither works; the bind mount is tried once to be sure.
func isolation() []string {
	nsOnce.Do(func() {
		if _, err := exec.LookPath("unshare"); err != nil {
			return
		}
		flags := []string{"-r", "-m"}
		if os.Geteuid() == 0 {
			flags = []string{"-m"}
			if err := os.MkdirAll("/run/pcscd", 0o755); err != nil {
				return
			}
		}
		dir, err := os.MkdirTemp("", "egate-pcscd-probe-")
		if err != nil {
			return
		}
		defer os.RemoveAll(dir)
		args := append(append([]string{}, flags...), "--propagation", "private", "sh", "-c", `mount --bind "$1" /run/pcscd`, "sh", dir)
		if exec.Command("unshare", args...).Run() == nil {
			nsFlags = flags
		}
	})
	return nsFlags
}

// freePort picks a port for vpcd below the kernel's ephemeral range, so
// that no outgoing connection (a vpcd client of another test's pcscd, say)
// takes it between this check and pcscd's bind, and checks that it is free
// on every interface (vpcd binds them all).
func freePort() (int, error) {
	lo := 32768
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if v, err := strconv.Atoi(f[0]); err == nil && v > 2048 {
				lo = v
			}
		}
	}
	var last error
	for i := 0; i < 50; i++ {
		port := 1024 + mrand.IntN(lo-1024)
		l, err := net.Listen("tcp", fmt.Sprintf(":%d", port))
		if err != nil {
			last = err
			continue
		}
		l.Close()
		return port, nil
	}
	return 0, fmt.Errorf("pcsctest: no free port for vpcd: %w", last)
}

// Launch starts pcscd with one vpcd reader and waits until the reader is
// listed. The caller stops it with Stop. A vpcd port taken in the meantime
// (pcscd then lists no reader) is retried on another port.
func Launch() (*Daemon, error) {
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		var d *Daemon
		d, err = launch()
		if err == nil || !errors.Is(err, errPortTaken) {
			return d, err
		}
	}
	return nil, err
}

var errPortTaken = errors.New("pcsctest: vpcd port taken")

func launch() (*Daemon, error) {
	pcscd, err := exec.LookPath("pcscd")
	if err != nil {
		return nil, fmt.Errorf("%w: pcscd not installed (apt-get install pcscd vsmartcard-vpcd)", ErrUnavailable)
	}
	if _, err := os.Stat(VPCDDriver); err != nil {
		return nil, fmt.Errorf("%w: vsmartcard-vpcd not installed (apt-get install vsmartcard-vpcd)", ErrUnavailable)
	}
	dir, err := os.MkdirTemp("", "egate-pcscd-")
	if err != nil {
		return nil, err
	}
	d := &Daemon{dir: dir, logPath: filepath.Join(dir, "pcscd.log")}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(dir)
		}
	}()
	if d.Port, err = freePort(); err != nil {
		return nil, err
	}
	conf := filepath.Join(dir, "conf")
	run := filepath.Join(dir, "run")
	for _, p := range []string{conf, run} {
		if err := os.Mkdir(p, 0o755); err != nil {
			return nil, err
		}
	}
	// reader.conf(5): vpcd takes its TCP port from the channel ID.
	rc := fmt.Sprintf("FRIENDLYNAME \"%s\"\nDEVICENAME /dev/null:0x%X\nLIBPATH %s\nCHANNELID 0x%X\n", ReaderPrefix, d.Port, VPCDDriver, d.Port)
	if err := os.WriteFile(filepath.Join(conf, "vpcd"), []byte(rc), 0o644); err != nil {
		return nil, err
	}
	logf, err := os.Create(d.logPath)
	if err != nil {
		return nil, err
	}
	defer logf.Close()

	var cmd *exec.Cmd
	var unlock func()
	if flags := isolation(); flags != nil {
		d.Isolated = true
		d.Socket = filepath.Join(run, "pcscd.comm")
		// unshare execs sh, which execs pcscd: the process we signal is
		// pcscd itself. The bind mount is private to that namespace.
		args := append(append([]string{}, flags...), "--propagation", "private", "sh", "-c",
			`mount --bind "$1" /run/pcscd && exec "$2" --foreground --config "$3"`, "sh", run, pcscd, conf)
		cmd = exec.Command("unshare", args...)
	} else {
		if syscall.Access("/run/pcscd", 2 /* W_OK */) != nil && syscall.Access("/run", 2) != nil {
			return nil, fmt.Errorf("%w: cannot isolate pcscd (no unshare, or user namespaces disabled) and /run/pcscd is not writable", ErrUnavailable)
		}
		unlock, err = lockSystem()
		if err != nil {
			return nil, err
		}
		if out, _ := exec.Command("pgrep", "-x", "pcscd").Output(); len(out) > 0 {
			unlock()
			return nil, fmt.Errorf("%w: another pcscd owns /run/pcscd and this process cannot isolate its own (needs root and unshare)", ErrUnavailable)
		}
		d.Socket = "/run/pcscd/pcscd.comm"
		cmd = exec.Command(pcscd, "--foreground", "--config", conf)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		if unlock != nil {
			unlock()
		}
		return nil, fmt.Errorf("pcsctest: start pcscd: %w", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	d.stop = func() error {
		defer func() {
			if unlock != nil {
				unlock()
			}
		}()
		select {
		case <-exited:
			return nil
		default:
		}
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
			return nil
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-exited
			return errors.New("pcsctest: pcscd ignored SIGTERM for 5 s and was killed")
		}
	}
	if err := d.waitReader(20 * time.Second); err != nil {
		d.stop()
		if strings.Contains(d.Log(), "Address already in use") {
			return nil, fmt.Errorf("%w: %w", errPortTaken, err)
		}
		return nil, err
	}
	ok = true
	return d, nil
}

// lockSystem serialises the non-isolated fallback between test binaries:
// only one pcscd can own /run/pcscd.
func lockSystem() (func(), error) {
	f, err := os.OpenFile(filepath.Join(os.TempDir(), "egate-pcscd.lock"), os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() { syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}
