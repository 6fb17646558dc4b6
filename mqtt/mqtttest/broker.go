// Package mqtttest holds test helpers for the mqtt package and its users: a
// real mosquitto broker on a loopback port, a throwaway PKI, a TCP proxy
// that can cut the link, a recording subscriber and a fake lane.
//
// # Who may import it
//
// Tests only. Tests that need mosquitto skip, with a message saying how to
// install it, when the binary is absent; make test installs it.
package mqtttest

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// MosquittoPath finds the mosquitto binary (Debian puts it in /usr/sbin,
// which is not on every user's PATH).
func MosquittoPath() (string, bool) {
	if p, err := exec.LookPath("mosquitto"); err == nil {
		return p, true
	}
	for _, p := range []string{"/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto"} {
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, true
		}
	}
	return "", false
}

// RequireMosquitto skips the test when mosquitto is not installed.
func RequireMosquitto(t testing.TB) string {
	t.Helper()
	p, ok := MosquittoPath()
	if !ok {
		t.Skip("mosquitto not installed: apt-get install mosquitto (make test installs it)")
	}
	return p
}

// BrokerOpts configure a Broker.
type BrokerOpts struct {
	// Persistence keeps sessions and queued messages across a Stop/Start.
	Persistence bool
	// TLS, if set, makes the listener TLS-only with client certificates
	// required; the certificate CN is the username.
	TLS *PKI
	// ACL is the content of an ACL file (mosquitto acl_file syntax).
	ACL string
}

// Broker is a mosquitto process listening on 127.0.0.1.
type Broker struct {
	t    testing.TB
	bin  string
	o    BrokerOpts
	Port int
	dir  string
	conf string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}

	logMu sync.Mutex
	log   bytes.Buffer
}

// StartBroker starts mosquitto on a free loopback port with a generated
// configuration in a temporary directory; it is stopped at the end of the
// test.
func StartBroker(t testing.TB, o BrokerOpts) *Broker {
	t.Helper()
	bin := RequireMosquitto(t)
	b := &Broker{t: t, bin: bin, o: o, dir: t.TempDir()}
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		b.Port, err = FreePort()
		if err != nil {
			t.Fatal(err)
		}
		if err = b.writeConf(); err != nil {
			t.Fatal(err)
		}
		if err = b.start(); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("mosquitto did not start: %v\n%s", err, b.Log())
	}
	t.Cleanup(func() {
		b.Stop()
		if t.Failed() {
			t.Logf("mosquitto log (port %d):\n%s", b.Port, tail(b.Log(), 40))
		}
	})
	return b
}

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func (b *Broker) writeConf() error {
	var c strings.Builder
	fmt.Fprintf(&c, "listener %d 127.0.0.1\n", b.Port)
	if u, err := user.Current(); err == nil {
		fmt.Fprintf(&c, "user %s\n", u.Username) // as root, mosquitto would switch to "mosquitto" and lose the temp files
	}
	c.WriteString("log_dest stderr\nlog_type error\nlog_type warning\nlog_type notice\nlog_type information\n")
	c.WriteString("max_queued_messages 0\nmax_inflight_messages 0\nset_tcp_nodelay true\n")
	if b.o.Persistence {
		fmt.Fprintf(&c, "persistence true\npersistence_location %s/\nautosave_interval 1\n", b.dir)
	} else {
		c.WriteString("persistence false\n")
	}
	if p := b.o.TLS; p != nil {
		fmt.Fprintf(&c, "cafile %s\ncertfile %s\nkeyfile %s\nrequire_certificate true\nuse_identity_as_username true\ntls_version tlsv1.2\n",
			p.CAFile, p.ServerCert, p.ServerKey)
		c.WriteString("allow_anonymous false\n")
	} else {
		c.WriteString("allow_anonymous true\n")
	}
	if b.o.ACL != "" {
		acl := filepath.Join(b.dir, "acl")
		if err := os.WriteFile(acl, []byte(b.o.ACL), 0o600); err != nil {
			return err
		}
		fmt.Fprintf(&c, "acl_file %s\n", acl)
	}
	b.conf = filepath.Join(b.dir, "mosquitto.conf")
	return os.WriteFile(b.conf, []byte(c.String()), 0o600)
}

func (b *Broker) start() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	cmd := exec.Command(b.bin, "-c", b.conf)
	cmd.Stdout, cmd.Stderr = &lockedWriter{b: b}, &lockedWriter{b: b}
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	b.cmd, b.exited = cmd, exited
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			b.cmd = nil
			return errors.New("mosquitto exited at start")
		default:
		}
		c, err := net.DialTimeout("tcp", b.Addr(), 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Kill()
	<-exited
	b.cmd = nil
	return errors.New("mosquitto did not listen within 10s")
}

type lockedWriter struct{ b *Broker }

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.b.logMu.Lock()
	defer w.b.logMu.Unlock()
	if w.b.log.Len() < 1<<20 {
		w.b.log.Write(p)
	}
	return len(p), nil
}

// Addr is host:port.
func (b *Broker) Addr() string { return "127.0.0.1:" + strconv.Itoa(b.Port) }

// URL is the broker URL for paho: tcp:// or, with TLS, ssl://.
func (b *Broker) URL() string {
	if b.o.TLS != nil {
		return "ssl://" + b.Addr()
	}
	return "tcp://" + b.Addr()
}

// Start starts a stopped broker again on the same port and configuration.
func (b *Broker) Start() {
	b.t.Helper()
	if err := b.start(); err != nil {
		b.t.Fatalf("mosquitto restart: %v\n%s", err, tail(b.Log(), 20))
	}
}

// Stop stops the broker with SIGTERM (it saves its persistence file), then
// SIGKILL after 5s.
func (b *Broker) Stop() { b.signal(syscall.SIGTERM, 5*time.Second) }

// Kill kills the broker at once (SIGKILL): no clean-up, no persistence save.
func (b *Broker) Kill() { b.signal(syscall.SIGKILL, 0) }

func (b *Broker) signal(sig syscall.Signal, grace time.Duration) {
	b.mu.Lock()
	cmd, exited := b.cmd, b.exited
	b.cmd = nil
	b.mu.Unlock()
	if cmd == nil {
		return
	}
	cmd.Process.Signal(sig)
	if grace > 0 {
		select {
		case <-exited:
			return
		case <-time.After(grace):
			cmd.Process.Kill()
		}
	}
	<-exited
}

// Log returns what mosquitto printed.
func (b *Broker) Log() string {
	b.logMu.Lock()
	defer b.logMu.Unlock()
	return b.log.String()
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
