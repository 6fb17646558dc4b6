package docreader_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/egate/egate/sensors"
	"github.com/egate/egate/sensors/chip"
	"github.com/egate/egate/sensors/chip/chiptest"
	"github.com/egate/egate/sensors/chip/lds"
	"github.com/egate/egate/sensors/chip/pa"
	"github.com/egate/egate/sensors/chip/pace"
	"github.com/egate/egate/sensors/chip/sm"
	"github.com/egate/egate/sensors/docreader"
	"github.com/egate/egate/sensors/mrz"
)

var paceBrainpool = []lds.PACEInfo{{Protocol: pace.OID(true, pace.GenericMapping, sm.AlgAES128), Version: 2, ParameterID: 13}}

// fixture is a simulated passport with its PKI.
type fixture struct {
	pki   *chiptest.PKI
	doc   *chiptest.Document
	aa    *ecdsa.PrivateKey
	face  []byte
	trust *pa.TrustStore
}

func newFixture(t testing.TB, infos []lds.PACEInfo) *fixture {
	t.Helper()
	pki, err := chiptest.NewPKI(chiptest.PKIOpts{})
	if err != nil {
		t.Fatal(err)
	}
	aa, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	face, err := chiptest.FaceJPEG(200, 260, 3)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := chiptest.NewDocument(chiptest.DocumentOpts{PKI: pki, PACE: infos, AAKey: aa, CAKey: aa,
		Face: &lds.FaceImage{Format: lds.FormatJPEG, Width: 200, Height: 260, ImageType: 1, Data: face}})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{pki: pki, doc: doc, aa: aa, face: face, trust: &pa.TrustStore{CSCAs: []*x509.Certificate{pki.CSCA}}}
}

// passport is the simulated chip of the fixture, honest unless opts say.
func (f *fixture) passport(o chiptest.PassportOpts) *chiptest.Passport {
	if o.AAKey == nil {
		o.AAKey = f.aa
	}
	if o.CAKey == nil {
		o.CAKey = f.aa
	}
	return chiptest.NewPassport(f.doc, o)
}

// zone is the printed zone, parsed.
func (f *fixture) zone(t testing.TB) docreader.Zone {
	t.Helper()
	return zoneOf(t, f.doc.MRZ[:44]+"\n"+f.doc.MRZ[44:])
}

func zoneOf(t testing.TB, text string) docreader.Zone {
	t.Helper()
	z := docreader.ZoneOf(mrz.ParseText(text, nil))
	if z.Err != nil {
		t.Fatalf("test zone invalid: %v", z.Err)
	}
	return z
}

// personal lists strings that must never reach errors or logs.
func (f *fixture) personal() []string {
	return []string{f.doc.Key.DocumentNumber, f.doc.Key.DateOfBirth, f.doc.Key.DateOfExpiry, "ERIKSSON", "ANNA", f.doc.MRZ[44:60]}
}

func noPersonal(t testing.TB, what, text string, f *fixture) {
	t.Helper()
	for _, s := range f.personal() {
		if strings.Contains(text, s) {
			t.Fatalf("%s carries personal data %q:\n%s", what, s, text)
		}
	}
}

// logBuffer is a concurrency-safe log sink.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// next waits for the next DocumentRead.
func next(t testing.TB, r *docreader.Reader, within time.Duration) sensors.DocumentRead {
	t.Helper()
	select {
	case d, ok := <-r.Documents():
		if !ok {
			t.Fatal("Documents closed")
		}
		return d
	case <-time.After(within):
		t.Fatalf("no document within %v", within)
	}
	panic("unreachable")
}

// healthLog records OnHealth calls.
type healthLog struct {
	mu  sync.Mutex
	got []string
	ch  chan string
}

func newHealthLog() *healthLog { return &healthLog{ch: make(chan string, 32)} }

func (h *healthLog) on(ok bool, detail string) {
	s := "ok"
	if !ok {
		s = "fault: " + detail
	}
	h.mu.Lock()
	h.got = append(h.got, s)
	h.mu.Unlock()
	h.ch <- s
}

func (h *healthLog) wait(t testing.TB, prefix string, within time.Duration) string {
	t.Helper()
	deadline := time.After(within)
	for {
		select {
		case s := <-h.ch:
			if strings.HasPrefix(s, prefix) {
				return s
			}
		case <-deadline:
			h.mu.Lock()
			defer h.mu.Unlock()
			t.Fatalf("no health %q within %v; got %q", prefix, within, h.got)
		}
	}
}

// fakeReader is a chip reader without pcscd: a card (or none) and a
// presence error to inject.
type fakeReader struct {
	mu          sync.Mutex
	card        chip.Transceiver
	presentErr  error
	connected   bool
	disconnects int
	closed      bool
}

func (r *fakeReader) set(card chip.Transceiver, presentErr error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.card, r.presentErr = card, presentErr
}

func (r *fakeReader) WaitCard(ctx context.Context) error {
	for {
		r.mu.Lock()
		card, perr := r.card, r.presentErr
		r.mu.Unlock()
		if perr != nil {
			return perr
		}
		if card != nil {
			r.mu.Lock()
			r.connected = true
			r.mu.Unlock()
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func (r *fakeReader) Transmit(ctx context.Context, apdu []byte) ([]byte, error) {
	r.mu.Lock()
	card := r.card
	r.mu.Unlock()
	return card.Transmit(ctx, apdu)
}

func (r *fakeReader) Disconnect() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.disconnects++
	if r.connected {
		if rs, ok := r.card.(chiptest.Resetter); ok {
			rs.Reset()
		}
	}
	r.connected = false
	return nil
}

func (r *fakeReader) Present() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.presentErr
}

func (r *fakeReader) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	return nil
}

func (r *fakeReader) String() string { return "fake" }

// fakeDocs is a sensors.DocumentReader of printed fields only.
type fakeDocs chan sensors.DocumentRead

func (f fakeDocs) Documents() <-chan sensors.DocumentRead { return f }
func (f fakeDocs) String() string                         { return "fake documents" }
