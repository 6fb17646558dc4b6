package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/egate/egate/gate/store"
)

var egated string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "egated-test")
	if err != nil {
		panic(err)
	}
	egated = filepath.Join(dir, "egated")
	if out, err := exec.Command("go", "build", "-o", egated, ".").CombinedOutput(); err != nil {
		panic(string(out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func runEgated(t *testing.T, timeout time.Duration, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	// Run from the repository root, as make run does: the simulated lane
	// finds the face models (make models) in .cache/models there.
	root, _ := filepath.Abs("../..")
	for i, a := range args {
		if strings.HasPrefix(a, "../../") {
			args[i] = filepath.Join(root, a[len("../../"):])
		}
	}
	cmd := exec.CommandContext(ctx, egated, args...)
	cmd.Dir = root
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

func TestCheckConfig(t *testing.T) {
	out, _, code := runEgated(t, 10*time.Second, "--check-config", "../../deploy/config/egate.yaml")
	if code != 0 || !strings.Contains(out, "ok") {
		t.Fatalf("good config: code %d, %q", code, out)
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("version: 1\nlane: {id: x, site: y, type: two-step}\nstate_dir: /tmp/x\ntimeouts:\n  door_mvoe: 3s\n"), 0o600)
	_, errOut, code := runEgated(t, 10*time.Second, "--check-config", bad)
	if code != 2 || !strings.Contains(errOut, "line 5") || !strings.Contains(errOut, "door_mvoe") {
		t.Fatalf("bad config: code %d, %q", code, errOut)
	}
}

var lineRe = regexp.MustCompile(`(?m)^\s*\d+ .{22} (\S+)\s+(\S+)\s+time=`)

// TestScenarios plays the bundled scenarios through the daemon, as make run
// does, and checks the records it leaves behind.
func TestScenarios(t *testing.T) {
	for _, tc := range []struct{ config, scenario string }{
		{"../../deploy/sim/egate.yaml", "../../deploy/sim/scenario.yaml"},
		{"../../deploy/sim/egate-one-step.yaml", "../../deploy/sim/scenario-one-step.yaml"},
	} {
		t.Run(filepath.Base(tc.scenario), func(t *testing.T) {
			dir := t.TempDir()
			logFile := filepath.Join(dir, "egated.log")
			out, errOut, code := runEgated(t, 3*time.Minute, "--config", tc.config, "--scenario", tc.scenario,
				"--state-dir", dir, "--log-file", logFile, "--speed", "5")
			if code != 0 {
				t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
			}
			lines := lineRe.FindAllStringSubmatch(out, -1)
			want := strings.Count(mustRead(t, tc.scenario), "expect:")
			if len(lines) != want || want < 6 {
				t.Fatalf("%d traveller lines, want %d:\n%s", len(lines), want, out)
			}
			st, err := store.Open(filepath.Join(dir, "egate.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			ps, err := st.Passages(context.Background(), 100)
			if err != nil || len(ps) != want {
				t.Fatalf("%d passages recorded (%v), want %d", len(ps), err, want)
			}
			if err := st.IntegrityCheck(context.Background()); err != nil {
				t.Fatal(err)
			}
			// The chips were read by the real chip stack, every access
			// protocol the simulated passports rotate through was used, and
			// the forged passport failed passive authentication there.
			log := mustRead(t, logFile)
			for _, access := range []string{"access=PACE-ECDH-GM-AES-128", "access=PACE-ECDH-CAM-AES-128", "access=PACE-ECDH-IM-AES-128", "access=BAC"} {
				if !strings.Contains(log, `msg="chip read" component=chip component=docreader `+access) {
					t.Errorf("no chip read with %s in the log", access)
				}
			}
			if strings.Contains(mustRead(t, tc.scenario), "passive_auth: false") && !strings.Contains(log, "passive_auth=false") {
				t.Error("the forged passport did not fail passive authentication in the chip stack")
			}
			// Privacy: no document number or name in the records or logs.
			db := mustRead(t, filepath.Join(dir, "egate.db")) + mustRead(t, filepath.Join(dir, "egate.db-wal")) + mustRead(t, logFile)
			for _, secret := range []string{"L898902C3", "ERIKSSON", "L31415926", "FISCHER"} {
				if strings.Contains(db, secret) {
					t.Errorf("%q found in the records or logs", secret)
				}
			}
		})
	}
}

func mustRead(t *testing.T, path string) string {
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return string(b)
}

// TestSignalAndNotify runs the daemon as systemd would: it must report
// READY=1 on NOTIFY_SOCKET, and on SIGTERM put the doors in their safe state
// and exit cleanly within the bound.
func TestSignalAndNotify(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "notify.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	logFile := filepath.Join(dir, "egated.log")
	cmd := exec.Command(egated, "--config", "../../deploy/sim/egate.yaml", "--state-dir", dir, "--log-file", logFile)
	cmd.Env = append(os.Environ(), "NOTIFY_SOCKET="+sock)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	buf := make([]byte, 256)
	n, err := conn.Read(buf)
	if err != nil || !strings.Contains(string(buf[:n]), "READY=1") {
		cmd.Process.Kill()
		t.Fatalf("no READY=1: %q, %v", buf[:n], err)
	}
	start := time.Now()
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v", err)
		}
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatal("daemon did not stop within 10s of SIGTERM")
	}
	t.Logf("stopped %v after SIGTERM", time.Since(start))
	log := mustRead(t, logFile)
	if !strings.Contains(log, "stopping: doors to safe state") || strings.Contains(log, "safe state not") {
		t.Fatalf("log does not show a clean safe-state stop:\n%s", log)
	}
}
