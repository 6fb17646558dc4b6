package pcsc_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/egate/egate/sensors/chip"
	"github.com/egate/egate/sensors/chip/chiptest"
	"github.com/egate/egate/sensors/chip/emrtd"
	"github.com/egate/egate/sensors/chip/lds"
	"github.com/egate/egate/sensors/chip/pa"
	"github.com/egate/egate/sensors/chip/pace"
	"github.com/egate/egate/sensors/chip/pcsc"
	"github.com/egate/egate/sensors/chip/sm"
)

const vpcdDriver = "/usr/lib/pcsc/drivers/serial/libifdvpcd.so"

// rig is a private pcscd with one vpcd reader.
type rig struct {
	port   int
	reader string
}

var (
	rigOnce sync.Once
	theRig  *rig
	rigErr  error
	rigSkip string
)

// startPCSCD starts pcscd once for the package's tests; it stays up until
// the test binary exits (TestMain stops it).
func startPCSCD() {
	if _, err := exec.LookPath("pcscd"); err != nil {
		rigSkip = "pcscd not installed (apt-get install pcscd vsmartcard-vpcd)"
		return
	}
	if _, err := os.Stat(vpcdDriver); err != nil {
		rigSkip = "vsmartcard-vpcd not installed (apt-get install vsmartcard-vpcd)"
		return
	}
	if out, _ := exec.Command("pgrep", "-x", "pcscd").Output(); len(out) > 0 {
		rigSkip = "another pcscd is running and owns /run/pcscd; stop it to run this test"
		return
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		rigErr = err
		return
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	dir, err := os.MkdirTemp("", "egate-pcscd-")
	if err != nil {
		rigErr = err
		return
	}
	conf := fmt.Sprintf("FRIENDLYNAME \"egate vpcd\"\nDEVICENAME /dev/null:0x%X\nLIBPATH %s\nCHANNELID 0x%X\n", port, vpcdDriver, port)
	if err := os.WriteFile(filepath.Join(dir, "vpcd"), []byte(conf), 0o644); err != nil {
		rigErr = err
		return
	}
	cmd := exec.Command("pcscd", "--foreground", "--config", dir)
	logf, _ := os.Create(filepath.Join(dir, "pcscd.log"))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		rigErr = err
		return
	}
	pcscdCmd, pcscdDir = cmd, dir
	// Wait for the socket and the vpcd port.
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := os.Stat("/run/pcscd/pcscd.comm"); err == nil {
			if c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 200*time.Millisecond); err == nil {
				c.Close()
				break
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	theRig = &rig{port: port, reader: "egate vpcd 00 00"}
}

var (
	pcscdCmd *exec.Cmd
	pcscdDir string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if pcscdCmd != nil && pcscdCmd.Process != nil {
		pcscdCmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { pcscdCmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			pcscdCmd.Process.Kill()
		}
	}
	if pcscdDir != "" {
		os.RemoveAll(pcscdDir)
	}
	os.Exit(code)
}

func needRig(t testing.TB) *rig {
	t.Helper()
	if testing.Short() {
		t.Skip("pcscd integration test skipped in -short mode")
	}
	rigOnce.Do(startPCSCD)
	if rigSkip != "" {
		t.Skip(rigSkip)
	}
	if rigErr != nil {
		t.Fatal(rigErr)
	}
	return theRig
}

// insert plugs card into the rig's reader and returns a function that
// takes it out again.
func insert(t *testing.T, r *rig, card chip.Transceiver) (remove func(), done <-chan error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan error, 1)
	go func() { ch <- chiptest.ServeVPCD(ctx, fmt.Sprintf("127.0.0.1:%d", r.port), card, chiptest.ATRT1) }()
	var once sync.Once
	remove = func() {
		once.Do(func() {
			cancel()
			select {
			case <-ch:
			case <-time.After(5 * time.Second):
				t.Error("vpcd server did not stop")
			}
			// Let pcscd notice the empty slot before the next test inserts.
			time.Sleep(500 * time.Millisecond)
		})
	}
	t.Cleanup(remove)
	return remove, ch
}

func open(t *testing.T, r *rig) *pcsc.Reader {
	t.Helper()
	rd, err := pcsc.Open(&pcsc.Opts{Reader: "egate vpcd"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rd.Close() })
	if !strings.HasPrefix(rd.Name(), "egate vpcd") {
		t.Fatalf("reader %q", rd.Name())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := rd.WaitCard(ctx); err != nil {
		t.Fatalf("WaitCard: %v", err)
	}
	return rd
}

func document(t *testing.T, infos []lds.PACEInfo) (*chiptest.Document, *ecdsa.PrivateKey, *pa.TrustStore) {
	t.Helper()
	pki, err := chiptest.NewPKI(chiptest.PKIOpts{})
	if err != nil {
		t.Fatal(err)
	}
	aa, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	face, _ := chiptest.FaceJPEG(240, 320, 7)
	doc, err := chiptest.NewDocument(chiptest.DocumentOpts{PKI: pki, PACE: infos, AAKey: aa, CAKey: aa,
		Face: &lds.FaceImage{Format: lds.FormatJPEG, Width: 240, Height: 320, ImageType: 1, Data: face}})
	if err != nil {
		t.Fatal(err)
	}
	return doc, aa, &pa.TrustStore{CSCAs: []*x509.Certificate{pki.CSCA}}
}

func TestPCSCDRead(t *testing.T) {
	r := needRig(t)
	for _, tc := range []struct {
		name   string
		infos  []lds.PACEInfo
		access string
		ext    bool
	}{
		{"BAC", nil, emrtd.AccessBAC, false},
		{"PACE ECDH brainpoolP256r1", []lds.PACEInfo{{Protocol: pace.OID(true, pace.GenericMapping, sm.AlgAES128), Version: 2, ParameterID: 13}}, "PACE-ECDH-GM-AES-128", false},
		{"PACE ECDH P-256 extended length", []lds.PACEInfo{{Protocol: pace.OID(true, pace.GenericMapping, sm.AlgAES256), Version: 2, ParameterID: 12}}, "PACE-ECDH-GM-AES-256", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc, aa, trust := document(t, tc.infos)
			// The same P-256 key serves active and chip authentication
			// here; real documents use two.
			card := chiptest.NewPassport(doc, chiptest.PassportOpts{AAKey: aa, CAKey: aa, NoBAC: tc.infos != nil, Extended: tc.ext})
			remove, _ := insert(t, r, card)
			defer remove()
			rd := open(t, r)
			o := emrtd.Opts{Key: doc.Key, Trust: trust, PrintedMRZ: doc.MRZ}
			if tc.ext {
				o.File = &chip.Opts{ChunkSize: 4096}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			res, err := emrtd.Read(ctx, rd, o)
			if err != nil {
				t.Fatal(err)
			}
			if res.Access != tc.access {
				t.Fatalf("access %q (%s)", res.Access, res.AccessNote)
			}
			if !res.PA.Passed() || res.AA.Status != pa.Pass || res.CA.Status != pa.Pass {
				t.Fatalf("PA %+v AA %+v CA %+v", res.PA.Checks, res.AA, res.CA)
			}
			if len(res.Faces) != 1 || len(res.Faces[0].Data) < 10000 {
				t.Fatalf("faces %v", res.Faces)
			}
			t.Logf("%s through pcscd: %d APDUs, access %v, read %v, PA %v", tc.name, card.Exchanges(), res.Timing.Access, res.Timing.Read, res.Timing.PA)
		})
	}
}

func TestPCSCDCardRemoved(t *testing.T) {
	r := needRig(t)
	doc, aa, trust := document(t, nil)
	card := chiptest.NewPassport(doc, chiptest.PassportOpts{AAKey: aa, RemoveAfter: 25})
	remove, _ := insert(t, r, card)
	defer remove()
	rd := open(t, r)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := emrtd.Read(ctx, rd, emrtd.Opts{Key: doc.Key, Trust: trust})
	if !errors.Is(err, chip.ErrCardRemoved) {
		t.Fatalf("err = %v, want chip.ErrCardRemoved", err)
	}
}

func TestPCSCDNoReader(t *testing.T) {
	needRig(t)
	if _, err := pcsc.Open(&pcsc.Opts{Reader: "no such reader"}); !errors.Is(err, pcsc.ErrNoReader) {
		t.Fatalf("err = %v", err)
	}
}

// BenchmarkPCSCDRead is a full read through pcscd and vpcd (PACE or BAC,
// DG1, a DG2 of about 20 KB, DG14, DG15, active and passive
// authentication), split into access control, file reading and PA time,
// and into transport time (inside pcscd, vpcd and the simulated card) and
// the terminal's own protocol and crypto time.
func BenchmarkPCSCDRead(b *testing.B) {
	r := needRig(b)
	for _, tc := range []struct {
		name  string
		infos []lds.PACEInfo
	}{
		{"BAC", nil},
		{"PACE-ECDH-brainpoolP256r1", []lds.PACEInfo{{Protocol: pace.OID(true, pace.GenericMapping, sm.AlgAES128), Version: 2, ParameterID: 13}}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			pki, _ := chiptest.NewPKI(chiptest.PKIOpts{})
			aa, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			face, _ := chiptest.FaceJPEG(210, 280, 7)
			doc, err := chiptest.NewDocument(chiptest.DocumentOpts{PKI: pki, PACE: tc.infos, AAKey: aa,
				Face: &lds.FaceImage{Format: lds.FormatJPEG, Width: 210, Height: 280, Data: face}})
			if err != nil {
				b.Fatal(err)
			}
			card := chiptest.NewPassport(doc, chiptest.PassportOpts{AAKey: aa})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan struct{})
			go func() {
				defer close(done)
				chiptest.ServeVPCD(ctx, fmt.Sprintf("127.0.0.1:%d", r.port), card, chiptest.ATRT1)
			}()
			defer func() { cancel(); <-done; time.Sleep(500 * time.Millisecond) }()
			rd, err := pcsc.Open(&pcsc.Opts{Reader: "egate vpcd"})
			if err != nil {
				b.Fatal(err)
			}
			defer rd.Close()
			wctx, wcancel := context.WithTimeout(ctx, 15*time.Second)
			defer wcancel()
			if err := rd.WaitCard(wctx); err != nil {
				b.Fatal(err)
			}
			timed := &chiptest.Timed{Inner: rd}
			o := emrtd.Opts{Key: doc.Key, Trust: &pa.TrustStore{CSCAs: []*x509.Certificate{pki.CSCA}}}
			var access, read, pad, transport time.Duration
			var apdus int
			var wall time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				res, err := emrtd.Read(ctx, timed, o)
				wall += time.Since(t0)
				if err != nil {
					b.Fatal(err)
				}
				if i == 0 {
					b.Logf("access %s %s; timing %+v", res.Access, res.AccessNote, res.Timing)
				}
				tr, n := timed.Stats()
				access += res.Timing.Access
				read += res.Timing.Read + res.Timing.AA
				pad += res.Timing.PA
				transport += tr
				apdus += n
			}
			b.StopTimer() // the deferred card removal is not part of a read
			ms := func(d time.Duration) float64 { return float64(d) / float64(b.N) / 1e6 }
			b.ReportMetric(ms(access), "access-ms/op")
			b.ReportMetric(ms(read), "read-ms/op")
			b.ReportMetric(ms(pad), "pa-ms/op")
			b.ReportMetric(ms(wall), "wall-ms/op")
			b.ReportMetric(ms(transport), "transport-ms/op")
			b.ReportMetric(ms(access+read+pad-transport), "terminal-ms/op")
			b.ReportMetric(float64(apdus)/float64(b.N), "apdus/op")
			b.ReportMetric(float64(len(doc.DGs[2])), "dg2-bytes")
		})
	}
}
