package docreader_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/egate/egate/gate"
	"github.com/egate/egate/sensors"
	"github.com/egate/egate/sensors/chip"
	"github.com/egate/egate/sensors/chip/chiptest"
	"github.com/egate/egate/sensors/chip/pa"
	"github.com/egate/egate/sensors/chip/pcsc"
	"github.com/egate/egate/sensors/docreader"
	"github.com/egate/egate/sensors/mrz"
	"github.com/egate/egate/sensors/mrzreader"
)

// start runs a Reader over a fake chip reader.
func start(t *testing.T, f *fixture, fr *fakeReader, mod func(*docreader.Opts)) (*docreader.Reader, chan docreader.Zone, *logBuffer) {
	t.Helper()
	zones := make(chan docreader.Zone)
	logs := &logBuffer{}
	o := docreader.DefaultOpts
	o.Chip = func() (docreader.ChipReader, error) { return fr, nil }
	o.Trust = f.trust
	o.CardWait = 300 * time.Millisecond
	o.Logger = logs.logger()
	if mod != nil {
		mod(&o)
	}
	r, err := docreader.New(context.Background(), zones, &o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Halt() })
	return r, zones, logs
}

func TestRead(t *testing.T) {
	pkiOther, _ := chiptest.NewPKI(chiptest.PKIOpts{})
	for _, tc := range []struct {
		name    string
		infos   bool
		opts    func(*fixture) chiptest.PassportOpts
		trust   func(*fixture) *pa.TrustStore
		zone    func(*testing.T, *fixture) docreader.Zone
		wantErr error
		noChip  bool
		checks  map[string]bool // expected entries (others may exist)
		access  string
	}{
		{name: "BAC", access: "BAC",
			checks: map[string]bool{"passive_auth": true, "chip_auth": true, "active_auth": true, "dg1_vs_mrz": true, "sod_signature": true, "ds_signature": true, "dg_hashes": true, "country_vs_ds": true}},
		{name: "PACE", infos: true, access: "PACE",
			checks: map[string]bool{"passive_auth": true, "chip_auth": true, "active_auth": true, "dg1_vs_mrz": true}},
		{name: "PACE-only chip", infos: true, access: "PACE", opts: func(*fixture) chiptest.PassportOpts { return chiptest.PassportOpts{NoBAC: true} },
			checks: map[string]bool{"passive_auth": true}},
		{name: "untrusted CSCA", access: "BAC", trust: func(*fixture) *pa.TrustStore { return &pa.TrustStore{CSCAs: []*x509.Certificate{pkiOther.CSCA}} },
			checks: map[string]bool{"passive_auth": false, "ds_signature": false, "sod_signature": true, "chip_auth": true, "active_auth": true}},
		{name: "cloned chip (AA and CA keys differ from DG14/DG15)", access: "BAC",
			opts: func(*fixture) chiptest.PassportOpts {
				k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
				return chiptest.PassportOpts{AAKey: k, CAKey: k}
			},
			checks: map[string]bool{"passive_auth": true, "chip_auth": false, "active_auth": false}},
		{name: "printed fields only (mrzreader.Device)", access: "BAC",
			zone: func(t *testing.T, f *fixture) docreader.Zone {
				return docreader.Zone{Doc: f.zone(t).Doc}
			},
			checks: map[string]bool{"passive_auth": true, "dg1_vs_mrz": true}},
		{name: "printed fields differ from DG1", access: "BAC",
			zone: func(t *testing.T, f *fixture) docreader.Zone {
				d := f.zone(t).Doc
				d.Surname = "ERIKSEN"
				return docreader.Zone{Doc: d}
			},
			checks: map[string]bool{"passive_auth": false, "dg1_vs_mrz": false}},
		{name: "wrong key", wantErr: docreader.ErrAccessDenied,
			zone: func(t *testing.T, f *fixture) docreader.Zone {
				return zoneOf(t, chiptest.TD3("NLD", "ERIKSSON", "ANNA MARIA", "NX1234567", "NLD", "740813", "F", "341231"))
			}},
		{name: "wrong key PACE-only chip", infos: true, wantErr: docreader.ErrAccessDenied,
			opts: func(*fixture) chiptest.PassportOpts { return chiptest.PassportOpts{NoBAC: true} },
			zone: func(t *testing.T, f *fixture) docreader.Zone {
				return zoneOf(t, chiptest.TD3("NLD", "ERIKSSON", "ANNA MARIA", "NX1234576", "NLD", "740812", "F", "341231"))
			}},
		{name: "card removed mid-read", wantErr: docreader.ErrCardRemoved,
			opts: func(*fixture) chiptest.PassportOpts { return chiptest.PassportOpts{RemoveAfter: 20} }},
		{name: "invalid zone passed on unread", wantErr: mrz.ErrCheckDigit, noChip: true,
			zone: func(t *testing.T, f *fixture) docreader.Zone {
				bad := []byte(f.doc.MRZ[:44] + "\n" + f.doc.MRZ[44:])
				bad[45+9] = '0' + (bad[45+9]-'0'+1)%10 // document number check digit
				return docreader.ZoneOf(mrz.ParseText(string(bad), nil))
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var infos = paceBrainpool
			if !tc.infos {
				infos = nil
			}
			f := newFixture(t, infos)
			var po chiptest.PassportOpts
			if tc.opts != nil {
				po = tc.opts(f)
			}
			card := f.passport(po)
			fr := &fakeReader{card: card}
			r, zones, logs := start(t, f, fr, func(o *docreader.Opts) {
				if tc.trust != nil {
					o.Trust = tc.trust(f)
				}
			})
			z := f.zone(t)
			if tc.zone != nil {
				z = tc.zone(t, f)
			}
			zones <- z
			got := next(t, r, 30*time.Second)
			noPersonal(t, "log", logs.String(), f)
			if tc.wantErr != nil {
				if !errors.Is(got.Err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", got.Err, tc.wantErr)
				}
				if tc.wantErr != mrz.ErrCheckDigit {
					noPersonal(t, "error", got.Err.Error(), f)
				}
				if got.Doc.Chip != nil {
					t.Fatal("chip result on a failed read")
				}
				if tc.noChip && card.Exchanges() != 0 {
					t.Fatalf("the chip was talked to (%d APDUs)", card.Exchanges())
				}
				return
			}
			if got.Err != nil {
				t.Fatal(got.Err)
			}
			if got.Doc.Number != "NX1234567" || !got.Doc.MRZValid {
				t.Fatal("printed fields not passed on")
			}
			c := got.Doc.Chip
			if c == nil {
				t.Fatal("no chip result")
			}
			if c.Access != tc.access {
				t.Fatalf("access %q, want %q", c.Access, tc.access)
			}
			for k, v := range tc.checks {
				if g, ok := c.Checks[k]; !ok || g != v {
					t.Errorf("check %s = %v (ran %v), want %v; all %v", k, g, ok, v, c.Checks)
				}
			}
			if string(c.Portrait) != string(f.face) {
				t.Fatalf("portrait of %d bytes, want the %d-byte DG2 image", len(c.Portrait), len(f.face))
			}
			fr.mu.Lock()
			defer fr.mu.Unlock()
			if fr.disconnects == 0 {
				t.Fatal("card not disconnected after the read")
			}
		})
	}
}

func TestNoCard(t *testing.T) {
	f := newFixture(t, nil)
	fr := &fakeReader{}
	r, zones, _ := start(t, f, fr, nil)
	t0 := time.Now()
	zones <- f.zone(t)
	got := next(t, r, 5*time.Second)
	if got.Err != nil || got.Doc.Chip != nil || got.Doc.Number != "NX1234567" {
		t.Fatalf("no card: err %v chip %v", got.Err, got.Doc.Chip)
	}
	if d := time.Since(t0); d < 300*time.Millisecond {
		t.Fatalf("did not wait CardWait (took %v)", d)
	}
}

func TestNoChipReader(t *testing.T) {
	zones := make(chan docreader.Zone, 1)
	r, err := docreader.New(context.Background(), zones, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Halt()
	f := newFixture(t, nil)
	zones <- f.zone(t)
	got := next(t, r, 5*time.Second)
	if got.Err != nil || got.Doc.Chip != nil || got.Doc.Number != "NX1234567" {
		t.Fatalf("got err %v chip %v", got.Err, got.Doc.Chip)
	}
	if ok, _ := r.Health(); !ok {
		t.Fatal("unhealthy without a chip reader")
	}
}

func TestOptions(t *testing.T) {
	zones := make(chan docreader.Zone)
	open := func() (docreader.ChipReader, error) { return &fakeReader{}, nil }
	for _, tc := range []struct {
		name string
		o    docreader.Opts
	}{
		{"chip reader without trust store", docreader.Opts{Chip: open, CardWait: time.Second, ReadTimeout: time.Second, HealthInterval: time.Second}},
		{"zero waits", docreader.Opts{Chip: open, Trust: &pa.TrustStore{}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := docreader.New(context.Background(), zones, &tc.o); !errors.Is(err, docreader.ErrOpts) {
				t.Fatalf("err = %v, want ErrOpts", err)
			}
		})
	}
	if _, err := docreader.New(context.Background(), nil, nil); !errors.Is(err, docreader.ErrOpts) {
		t.Fatalf("nil zones: %v", err)
	}
}

// TestHealth: a reader missing at start is a fault, reported when it
// appears and when it goes again; a document read meanwhile gets no chip.
func TestHealth(t *testing.T) {
	f := newFixture(t, nil)
	fr := &fakeReader{}
	var avail = make(chan bool, 1)
	avail <- false
	h := newHealthLog()
	r, zones, _ := start(t, f, fr, func(o *docreader.Opts) {
		o.Chip = func() (docreader.ChipReader, error) {
			ok := <-avail
			avail <- ok
			if !ok {
				return nil, pcsc.ErrNoService
			}
			return fr, nil
		}
		o.HealthInterval = 20 * time.Millisecond
		o.OnHealth = h.on
	})
	if ok, detail := r.Health(); ok || !strings.Contains(detail, "pcscd") {
		t.Fatalf("health at start: %v %q", ok, detail)
	}
	h.wait(t, "fault", time.Second)
	zones <- f.zone(t)
	if got := next(t, r, 5*time.Second); got.Err != nil || got.Doc.Chip != nil {
		t.Fatalf("without reader: err %v chip %v", got.Err, got.Doc.Chip)
	}
	<-avail
	avail <- true
	h.wait(t, "ok", 2*time.Second)
	fr.set(nil, pcsc.ErrNoReader)
	s := h.wait(t, "fault", 2*time.Second)
	if !strings.Contains(s, "reader not found") {
		t.Fatalf("fault detail %q", s)
	}
	fr.set(f.passport(chiptest.PassportOpts{}), nil)
	h.wait(t, "ok", 2*time.Second)
	if ev := docreader.HealthEvent(false, "x"); ev != (gate.DeviceFault{Device: "chip_reader", Detail: "x"}) {
		t.Fatalf("HealthEvent %#v", ev)
	}
	if ev := docreader.HealthEvent(true, ""); ev != (gate.DeviceRecovered{Device: "chip_reader"}) {
		t.Fatalf("HealthEvent %#v", ev)
	}
}

// failing is a card whose reader dies after a few APDUs: pcscd gone.
type failing struct {
	inner chip.Transceiver
	left  int
	fr    *fakeReader
}

func (f *failing) Transmit(ctx context.Context, apdu []byte) ([]byte, error) {
	if f.left--; f.left < 0 {
		f.fr.mu.Lock()
		f.fr.presentErr = pcsc.ErrNoService
		f.fr.mu.Unlock()
		return nil, pcsc.ErrNoService
	}
	return f.inner.Transmit(ctx, apdu)
}

// TestReaderFailsMidRead: the read fails with ErrChipRead, the reader is
// reported faulty and closed (no panic on the way), and it recovers.
func TestReaderFailsMidRead(t *testing.T) {
	f := newFixture(t, nil)
	fr := &fakeReader{}
	fr.set(&failing{inner: f.passport(chiptest.PassportOpts{}), left: 12, fr: fr}, nil)
	h := newHealthLog()
	r, zones, logs := start(t, f, fr, func(o *docreader.Opts) {
		o.OnHealth = h.on
		o.HealthInterval = 20 * time.Millisecond
	})
	zones <- f.zone(t)
	got := next(t, r, 10*time.Second)
	if !errors.Is(got.Err, docreader.ErrChipRead) || !errors.Is(got.Err, pcsc.ErrNoService) || got.Doc.Chip != nil {
		t.Fatalf("err = %v", got.Err)
	}
	noPersonal(t, "error", got.Err.Error(), f)
	noPersonal(t, "log", logs.String(), f)
	h.wait(t, "fault", 2*time.Second)
	fr.mu.Lock()
	closed := fr.closed
	fr.mu.Unlock()
	if !closed {
		t.Fatal("failed reader not closed")
	}
	fr.set(f.passport(chiptest.PassportOpts{}), nil)
	h.wait(t, "ok", 2*time.Second)
	zones <- f.zone(t)
	if got := next(t, r, 10*time.Second); got.Err != nil || got.Doc.Chip == nil || !got.Doc.Chip.Checks["passive_auth"] {
		t.Fatalf("after recovery: err %v", got.Err)
	}
}

// TestLifecycle: closing the zone channel stops the Reader, Halt is
// idempotent, and no goroutine is left.
func TestLifecycle(t *testing.T) {
	before := runtime.NumGoroutine()
	f := newFixture(t, nil)
	fr := &fakeReader{}
	zones := make(chan docreader.Zone)
	o := docreader.DefaultOpts
	o.Chip = func() (docreader.ChipReader, error) { return fr, nil }
	o.Trust = f.trust
	r, err := docreader.New(context.Background(), zones, &o)
	if err != nil {
		t.Fatal(err)
	}
	close(zones)
	select {
	case <-r.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("Reader did not stop when its zones ended")
	}
	if _, ok := <-r.Documents(); ok {
		t.Fatal("Documents not closed")
	}
	r.Halt()
	r.Halt()
	fr.mu.Lock()
	closed := fr.closed
	fr.mu.Unlock()
	if !closed {
		t.Fatal("chip reader not closed")
	}

	// Adapters stop with their ctx.
	ctx, cancel := context.WithCancel(context.Background())
	docs := make(fakeDocs)
	a := docreader.FromDocuments(ctx, docs)
	evs := make(chan mrzreader.Event)
	b := docreader.FromEvents(ctx, evs)
	cancel()
	for _, ch := range []<-chan docreader.Zone{a, b} {
		select {
		case _, ok := <-ch:
			if ok {
				t.Fatal("adapter delivered after cancel")
			}
		case <-time.After(5 * time.Second):
			t.Fatal("adapter did not stop")
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Fatalf("%d goroutines left, %d before", n, before)
	}
}

func TestAdapters(t *testing.T) {
	f := newFixture(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	docs := make(fakeDocs, 2)
	z := f.zone(t)
	docs <- sensors.DocumentRead{Doc: z.Doc}
	docs <- sensors.DocumentRead{Err: mrz.ErrGeometry}
	close(docs)
	var got []docreader.Zone
	for z := range docreader.FromDocuments(ctx, docs) {
		got = append(got, z)
	}
	if len(got) != 2 || got[0].Doc.Number != "NX1234567" || got[0].MRZ != nil || !errors.Is(got[1].Err, mrz.ErrGeometry) {
		t.Fatalf("FromDocuments: %+v", got)
	}
	evs := make(chan mrzreader.Event, 4)
	evs <- mrzreader.Event{Kind: mrzreader.KindPresent}
	evs <- mrzreader.Event{Kind: mrzreader.KindZone, Zone: z.MRZ}
	evs <- mrzreader.Event{Kind: mrzreader.KindFrameError, Err: mrzreader.ErrFrame}
	close(evs)
	got = nil
	for z := range docreader.FromEvents(ctx, evs) {
		got = append(got, z)
	}
	if len(got) != 2 || got[0].MRZ == nil || got[0].Doc.Number != "NX1234567" || !errors.Is(got[1].Err, mrzreader.ErrFrame) {
		t.Fatalf("FromEvents: %+v", got)
	}
	if z := docreader.ZoneOf(nil, nil); !errors.Is(z.Err, mrz.ErrGeometry) {
		t.Fatalf("ZoneOf(nil, nil) = %+v", z)
	}
	_ = chip.ErrCardRemoved
}
