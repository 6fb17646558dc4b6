package deploy

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
)

// broker is a real mosquitto started with deploy/broker/mosquitto.conf and
// deploy/broker/acl, with certificates from issue-lane-cert.sh.
type broker struct {
	addr  string
	ca    string // CA directory
	log   *bytes.Buffer
	certs map[string][2]string // name -> cert, key
}

// startBroker issues the certificates, rewrites the example configuration's
// paths and port, and starts mosquitto on a free loopback port.
func startBroker(t *testing.T) *broker {
	t.Helper()
	mosq, err := exec.LookPath("mosquitto")
	if err != nil {
		if _, err = os.Stat("/usr/sbin/mosquitto"); err != nil {
			t.Skip("mosquitto not installed (Debian: apt-get install mosquitto); the broker ACL was not tested")
		}
		mosq = "/usr/sbin/mosquitto"
	}
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not installed; the broker ACL was not tested")
	}
	dir := t.TempDir()
	b := &broker{ca: filepath.Join(dir, "ca"), log: &bytes.Buffer{}, certs: map[string][2]string{}}
	script, err := filepath.Abs("broker/issue-lane-cert.sh")
	if err != nil {
		t.Fatal(err)
	}
	issue := func(args ...string) {
		t.Helper()
		out, err := exec.Command("bash", append([]string{script}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("issue-lane-cert.sh %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	issue("init", b.ca)
	issue("broker", b.ca, "localhost")
	for _, l := range []struct{ site, lane string }{{"airport-1", "lane-01"}, {"airport-1", "lane-02"}, {"airport-2", "lane-01"}, {"airport-1", "lane-03"}} {
		issue("lane", b.ca, l.site, l.lane)
		name := l.site + "-" + l.lane
		d := filepath.Join(b.ca, "issued", name)
		b.certs[l.site+"/"+l.lane] = [2]string{filepath.Join(d, name+".crt"), filepath.Join(d, name+".key")}
	}
	issue("client", b.ca, "control-room")
	d := filepath.Join(b.ca, "issued", "control-room")
	b.certs["control-room"] = [2]string{filepath.Join(d, "control-room.crt"), filepath.Join(d, "control-room.key")}
	issue("revoke", b.ca, b.certs["airport-1/lane-03"][0])

	// The broker's files where the example configuration expects them.
	etc := filepath.Join(dir, "etc")
	if err := os.MkdirAll(etc, 0o700); err != nil {
		t.Fatal(err)
	}
	for dst, src := range map[string]string{
		"ca.crt": filepath.Join(b.ca, "ca.crt"), "crl.pem": filepath.Join(b.ca, "crl.pem"), "acl": "broker/acl",
		"broker.crt": filepath.Join(b.ca, "issued/broker/broker.crt"), "broker.key": filepath.Join(b.ca, "issued/broker/broker.key"),
	} {
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(etc, dst), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	conf, err := os.ReadFile("broker/mosquitto.conf")
	if err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	b.addr = fmt.Sprintf("127.0.0.1:%d", port)
	s := strings.ReplaceAll(string(conf), "/etc/mosquitto/egate/", etc+"/")
	if !strings.Contains(s, "\nlistener 8883\n") {
		t.Fatal("mosquitto.conf: no \"listener 8883\" line to rewrite")
	}
	s = strings.Replace(s, "\nlistener 8883\n", fmt.Sprintf("\nlistener %d 127.0.0.1\n", port), 1)
	s += "\nlog_dest stderr\nlog_type error\nlog_type warning\nlog_type notice\nlog_type subscribe\n"
	if os.Getuid() == 0 {
		s += "user root\n" // else mosquitto drops to user mosquitto, who cannot read the temp dir
	}
	confPath := filepath.Join(dir, "mosquitto.conf")
	if err := os.WriteFile(confPath, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(mosq, "-c", confPath)
	cmd.Stdout, cmd.Stderr = b.log, b.log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("mosquitto log:\n%s", b.log)
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", b.addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return b
		}
		select {
		case err := <-exited:
			t.Fatalf("mosquitto exited: %v\n%s", err, b.log)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("mosquitto did not listen on %s: %v\n%s", b.addr, err, b.log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// client is one MQTT connection and the messages it has received.
type client struct {
	c   mqtt.Client
	mu  sync.Mutex
	got []string // "topic payload"
	new chan struct{}
}

// tlsConfig trusts the egate CA and presents identity's certificate (none if
// identity is "").
func (b *broker) tlsConfig(t *testing.T, identity string) *tls.Config {
	t.Helper()
	caPEM, err := os.ReadFile(filepath.Join(b.ca, "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	cfg := &tls.Config{RootCAs: pool, ServerName: "localhost", MinVersion: tls.VersionTLS12}
	if identity != "" {
		pair, err := tls.LoadX509KeyPair(b.certs[identity][0], b.certs[identity][1])
		if err != nil {
			t.Fatal(err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg
}

// connect connects as identity; the error is the broker's or TLS's refusal.
func (b *broker) connect(t *testing.T, identity string) (*client, error) {
	t.Helper()
	cl := &client{new: make(chan struct{}, 100)}
	opts := mqtt.NewClientOptions().AddBroker("ssl://" + b.addr).
		SetClientID(strings.ReplaceAll("test-"+identity, "/", "-")).
		SetTLSConfig(b.tlsConfig(t, identity)).
		SetAutoReconnect(false).SetConnectRetry(false).
		SetConnectTimeout(5 * time.Second).SetOrderMatters(true).
		SetDefaultPublishHandler(func(_ mqtt.Client, m mqtt.Message) {
			cl.mu.Lock()
			cl.got = append(cl.got, m.Topic()+" "+string(m.Payload()))
			cl.mu.Unlock()
			select {
			case cl.new <- struct{}{}:
			default: // until rescans everything anyway
			}
		})
	cl.c = mqtt.NewClient(opts)
	if err := wait(cl.c.Connect()); err != nil {
		return nil, err
	}
	t.Cleanup(func() { cl.c.Disconnect(100) })
	return cl, nil
}

func (b *broker) mustConnect(t *testing.T, identity string) *client {
	t.Helper()
	cl, err := b.connect(t, identity)
	if err != nil {
		t.Fatalf("connect as %s: %v", identity, err)
	}
	return cl
}

// wait waits for a token with a deadline (never a bare Wait, see STYLE.md).
func wait(tok mqtt.Token) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	select {
	case <-tok.Done():
		return tok.Error()
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (cl *client) pub(t *testing.T, topic, payload string) {
	t.Helper()
	if err := wait(cl.c.Publish(topic, 1, false, payload)); err != nil {
		t.Fatalf("publish %s: %v", topic, err)
	}
}

func (cl *client) sub(t *testing.T, filter string) {
	t.Helper()
	if err := wait(cl.c.Subscribe(filter, 1, nil)); err != nil {
		t.Fatalf("subscribe %s: %v", filter, err)
	}
}

// until waits for the message "topic payload" and returns everything
// received up to and including it. A sentinel published after a forbidden
// message on the same connection arrives after it if the broker let it
// through, so no test has to wait for something not to happen.
func (cl *client) until(t *testing.T, want string) []string {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		cl.mu.Lock()
		for i, m := range cl.got {
			if m == want {
				got := append([]string(nil), cl.got[:i+1]...)
				cl.got = cl.got[i+1:]
				cl.mu.Unlock()
				return got
			}
		}
		cl.mu.Unlock()
		select {
		case <-cl.new:
		case <-timeout:
			cl.mu.Lock()
			defer cl.mu.Unlock()
			t.Fatalf("did not receive %q; received %q", want, cl.got)
		}
	}
}

// TestBrokerACL proves the example ACL: a lane writes only its own topics
// and reads only its own commands; the control room reads all and commands
// any lane; no certificate, or a revoked one, gets no connection.
func TestBrokerACL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts mosquitto; skipped in -short")
	}
	b := startBroker(t)
	room := b.mustConnect(t, "control-room")
	room.sub(t, "egate/v1/#")
	laneA := b.mustConnect(t, "airport-1/lane-01")
	laneB := b.mustConnect(t, "airport-1/lane-02")
	otherSite := b.mustConnect(t, "airport-2/lane-01")

	t.Run("lane writes only its own topics", func(t *testing.T) {
		forbidden := []string{
			"egate/v1/airport-1/lane-02/status",    // another lane
			"egate/v1/airport-2/lane-01/status",    // the same lane id at another site
			"egate/v1/airport-1/lane-02/cmd/reset", // another lane's commands
			"egate/v1/airport-1/status",            // above its own level
			"egate/v1/airport-1/lane-01x/status",   // a prefix of its name is not its name
			"other/topic",
		}
		for _, topic := range forbidden {
			laneA.pub(t, topic, "forged")
		}
		laneA.pub(t, "egate/v1/airport-1/lane-01/status", "ok")
		got := room.until(t, "egate/v1/airport-1/lane-01/status ok")
		if len(got) != 1 {
			t.Errorf("control room received forged messages from lane A: %q", got[:len(got)-1])
		}
		laneA.pub(t, "egate/v1/airport-1/lane-01/passage/42", "p")
		room.until(t, "egate/v1/airport-1/lane-01/passage/42 p")
	})

	t.Run("lane reads only its own commands", func(t *testing.T) {
		laneA.sub(t, "egate/v1/airport-1/lane-02/cmd/#") // B's commands
		laneA.sub(t, "egate/v1/airport-1/lane-02/status")
		laneA.sub(t, "egate/v1/+/+/cmd/#")
		laneA.sub(t, "egate/v1/airport-1/lane-01/cmd/#")
		laneB.sub(t, "egate/v1/airport-1/lane-02/cmd/#")
		otherSite.sub(t, "egate/v1/airport-2/lane-01/cmd/#")

		laneB.pub(t, "egate/v1/airport-1/lane-02/status", "b-status")
		room.until(t, "egate/v1/airport-1/lane-02/status b-status")
		room.pub(t, "egate/v1/airport-1/lane-02/cmd/open", "for-b")
		room.pub(t, "egate/v1/airport-2/lane-01/cmd/open", "for-other-site")
		room.pub(t, "egate/v1/airport-1/lane-01/cmd/open", "for-a")

		got := laneA.until(t, "egate/v1/airport-1/lane-01/cmd/open for-a")
		if len(got) != 1 {
			t.Errorf("lane A read other lanes' messages: %q", got[:len(got)-1])
		}
		laneB.until(t, "egate/v1/airport-1/lane-02/cmd/open for-b")
		otherSite.until(t, "egate/v1/airport-2/lane-01/cmd/open for-other-site")
	})

	t.Run("lane cannot command another lane", func(t *testing.T) {
		laneA.pub(t, "egate/v1/airport-1/lane-02/cmd/open", "forged-by-a")
		room.pub(t, "egate/v1/airport-1/lane-02/cmd/close", "sentinel")
		got := laneB.until(t, "egate/v1/airport-1/lane-02/cmd/close sentinel")
		if len(got) != 1 {
			t.Errorf("lane B received a command forged by lane A: %q", got[:len(got)-1])
		}
	})

	t.Run("no certificate is refused", func(t *testing.T) {
		if _, err := b.connect(t, ""); err == nil {
			t.Error("a client without a certificate connected")
		}
	})

	t.Run("revoked certificate is refused", func(t *testing.T) {
		if _, err := b.connect(t, "airport-1/lane-03"); err == nil {
			t.Error("a client with a revoked certificate connected")
		}
	})
}
