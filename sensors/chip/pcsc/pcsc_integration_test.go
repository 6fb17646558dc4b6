package pcsc_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/egate/egate/sensors/chip"
	"github.com/egate/egate/sensors/chip/chiptest"
	"github.com/egate/egate/sensors/chip/emrtd"
	"github.com/egate/egate/sensors/chip/lds"
	"github.com/egate/egate/sensors/chip/pa"
	"github.com/egate/egate/sensors/chip/pace"
	"github.com/egate/egate/sensors/chip/pcsc"
	"github.com/egate/egate/sensors/chip/pcsc/pcsctest"
	"github.com/egate/egate/sensors/chip/sm"
)

func TestMain(m *testing.M) {
	code := m.Run()
	pcsctest.StopShared()
	os.Exit(code)
}

func open(t *testing.T, d *pcsctest.Daemon) *pcsc.Reader {
	t.Helper()
	rd, err := pcsc.Open(d.Opts())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rd.Close() })
	if rd.Name() != pcsctest.ReaderName {
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
	r := pcsctest.Shared(t)
	for _, tc := range []struct {
		name   string
		infos  []lds.PACEInfo
		access string
		ext    bool
	}{
		{"BAC", nil, emrtd.AccessBAC, false},
		{"PACE ECDH brainpoolP256r1", []lds.PACEInfo{{Protocol: pace.OID(true, pace.GenericMapping, sm.AlgAES128), Version: 2, ParameterID: 13}}, "PACE-ECDH-GM-AES-128", false},
		{"PACE ECDH P-256 extended length", []lds.PACEInfo{{Protocol: pace.OID(true, pace.GenericMapping, sm.AlgAES256), Version: 2, ParameterID: 12}}, "PACE-ECDH-GM-AES-256", true},
		{"PACE ECDH integrated mapping brainpoolP256r1", []lds.PACEInfo{{Protocol: pace.OID(true, pace.IntegratedMapping, sm.AlgAES128), Version: 2, ParameterID: 13}}, "PACE-ECDH-IM-AES-128", false},
		{"PACE DH integrated mapping", []lds.PACEInfo{{Protocol: pace.OID(false, pace.IntegratedMapping, sm.AlgAES128), Version: 2, ParameterID: 1}}, "PACE-DH-IM-AES-128", false},
		{"PACE chip authentication mapping P-256", []lds.PACEInfo{{Protocol: pace.OID(true, pace.ChipAuthenticationMapping, sm.AlgAES128), Version: 2, ParameterID: 12}}, "PACE-ECDH-CAM-AES-128", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc, aa, trust := document(t, tc.infos)
			// The same P-256 key serves active and chip authentication
			// here; real documents use two.
			card := chiptest.NewPassport(doc, chiptest.PassportOpts{AAKey: aa, CAKey: aa, NoBAC: tc.infos != nil, Extended: tc.ext})
			remove, _ := r.Insert(t, card)
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

// TestPCSCDReadRSAAA reads a document with RSA active authentication
// (ISO/IEC 9796-2, 2048-bit key, SHA-256 with trailer 34 CC; its protected
// answer needs extended length) through pcscd.
func TestPCSCDReadRSAAA(t *testing.T) {
	r := pcsctest.Shared(t)
	pki, err := chiptest.NewPKI(chiptest.PKIOpts{})
	if err != nil {
		t.Fatal(err)
	}
	aa, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := chiptest.NewDocument(chiptest.DocumentOpts{PKI: pki, AAKey: aa})
	if err != nil {
		t.Fatal(err)
	}
	card := chiptest.NewPassport(doc, chiptest.PassportOpts{AAKey: aa, AARSAHash: crypto.SHA256})
	remove, _ := r.Insert(t, card)
	defer remove()
	rd := open(t, r)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := emrtd.Read(ctx, rd, emrtd.Opts{Key: doc.Key, Trust: &pa.TrustStore{CSCAs: []*x509.Certificate{pki.CSCA}}})
	if err != nil {
		t.Fatal(err)
	}
	if !res.PA.Passed() || res.AA.Status != pa.Pass {
		t.Fatalf("PA %+v AA %+v", res.PA.Checks, res.AA)
	}
}

func TestPCSCDCardRemoved(t *testing.T) {
	r := pcsctest.Shared(t)
	doc, aa, trust := document(t, nil)
	card := chiptest.NewPassport(doc, chiptest.PassportOpts{AAKey: aa, RemoveAfter: 25})
	remove, _ := r.Insert(t, card)
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
	r := pcsctest.Shared(t)
	if _, err := pcsc.Open(&pcsc.Opts{Socket: r.Socket, Reader: "no such reader"}); !errors.Is(err, pcsc.ErrNoReader) {
		t.Fatalf("err = %v", err)
	}
}

// BenchmarkPCSCDRead is a full read through pcscd and vpcd (PACE or BAC,
// DG1, a DG2 of about 22 KB, DG14, DG15, chip, active and passive
// authentication), split into access control, file reading and PA time,
// and into transport time (inside pcscd, vpcd and the simulated card) and
// the terminal's own protocol and crypto time.
func BenchmarkPCSCDRead(b *testing.B) {
	r := pcsctest.Shared(b)
	for _, tc := range []struct {
		name  string
		infos []lds.PACEInfo
	}{
		{"BAC", nil},
		{"PACE-ECDH-brainpoolP256r1", []lds.PACEInfo{{Protocol: pace.OID(true, pace.GenericMapping, sm.AlgAES128), Version: 2, ParameterID: 13}}},
		{"PACE-ECDH-IM-brainpoolP256r1", []lds.PACEInfo{{Protocol: pace.OID(true, pace.IntegratedMapping, sm.AlgAES128), Version: 2, ParameterID: 13}}},
		{"PACE-ECDH-CAM-P256", []lds.PACEInfo{{Protocol: pace.OID(true, pace.ChipAuthenticationMapping, sm.AlgAES128), Version: 2, ParameterID: 12}}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			pki, _ := chiptest.NewPKI(chiptest.PKIOpts{})
			aa, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			face, _ := chiptest.FaceJPEG(210, 280, 7)
			doc, err := chiptest.NewDocument(chiptest.DocumentOpts{PKI: pki, PACE: tc.infos, AAKey: aa, CAKey: aa,
				Face: &lds.FaceImage{Format: lds.FormatJPEG, Width: 210, Height: 280, Data: face}})
			if err != nil {
				b.Fatal(err)
			}
			card := chiptest.NewPassport(doc, chiptest.PassportOpts{AAKey: aa, CAKey: aa})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan struct{})
			go func() {
				defer close(done)
				chiptest.ServeVPCD(ctx, r.Addr(), card, chiptest.ATRT1)
			}()
			defer func() { cancel(); <-done; time.Sleep(500 * time.Millisecond) }()
			rd, err := pcsc.Open(r.Opts())
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
					b.Logf("access %s %s; CA %s, AA %s, PA passed %v; timing %+v", res.Access, res.AccessNote, res.CA.Status, res.AA.Status, res.PA.Passed(), res.Timing)
				}
				if res.CA.Status != pa.Pass || res.AA.Status != pa.Pass || !res.PA.Passed() {
					b.Fatalf("CA %+v AA %+v PA %+v", res.CA, res.AA, res.PA.Checks)
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

// TestPCSCDGone: the health probe sees pcscd go away, and a socket where
// nothing listens is ErrNoService, not a hang.
func TestPCSCDGone(t *testing.T) {
	d := pcsctest.Start(t) // a daemon of its own: this test stops it
	rd, err := pcsc.Open(d.Opts())
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	if err := rd.Present(); err != nil {
		t.Fatalf("Present with pcscd up: %v", err)
	}
	if err := d.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := rd.Present(); !errors.Is(err, pcsc.ErrNoService) {
		t.Fatalf("Present after pcscd stopped: %v, want ErrNoService", err)
	}
	if _, err := pcsc.Open(d.Opts()); !errors.Is(err, pcsc.ErrNoService) {
		t.Fatalf("Open without pcscd: %v, want ErrNoService", err)
	}
}
