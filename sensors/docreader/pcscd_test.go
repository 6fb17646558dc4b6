package docreader_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/egate/egate/sensors/chip/chiptest"
	"github.com/egate/egate/sensors/chip/pcsc"
	"github.com/egate/egate/sensors/chip/pcsc/pcsctest"
	"github.com/egate/egate/sensors/docreader"
)

func TestMain(m *testing.M) {
	code := m.Run()
	pcsctest.StopShared()
	os.Exit(code)
}

// startPCSC runs a Reader on the rig's reader through pcscd.
func startPCSC(t *testing.T, d *pcsctest.Daemon, f *fixture, h *healthLog) (*docreader.Reader, chan docreader.Zone, *logBuffer) {
	t.Helper()
	zones := make(chan docreader.Zone)
	logs := &logBuffer{}
	o := docreader.DefaultOpts
	o.Chip = docreader.PCSC(d.Opts())
	o.Name = pcsctest.ReaderPrefix
	o.Trust = f.trust
	o.CardWait = 2 * time.Second
	o.Logger = logs.logger()
	if h != nil {
		o.OnHealth = h.on
	}
	r, err := docreader.New(context.Background(), zones, &o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Halt() })
	return r, zones, logs
}

// TestPCSCD reads simulated passports through pcscd and vpcd: BAC and
// PACE, then the hostile cases the gate must refuse or pass on unread.
func TestPCSCD(t *testing.T) {
	d := pcsctest.Shared(t)
	t.Run("BAC and PACE", func(t *testing.T) {
		for _, tc := range []struct {
			name   string
			pace   bool
			access string
		}{{"BAC", false, "BAC"}, {"PACE brainpoolP256r1", true, "PACE"}} {
			t.Run(tc.name, func(t *testing.T) {
				f := newFixture(t, nil)
				if tc.pace {
					f = newFixture(t, paceBrainpool)
				}
				remove, _ := d.Insert(t, f.passport(chiptest.PassportOpts{NoBAC: tc.pace}))
				defer remove()
				r, zones, logs := startPCSC(t, d, f, nil)
				zones <- f.zone(t)
				got := next(t, r, 60*time.Second)
				if got.Err != nil {
					t.Fatalf("%v\nlog:\n%s", got.Err, logs.String())
				}
				c := got.Doc.Chip
				if c == nil {
					t.Fatalf("no chip read\nlog:\n%s", logs.String())
				}
				for _, k := range []string{"passive_auth", "chip_auth", "active_auth", "dg1_vs_mrz", "dg_hashes", "ds_signature"} {
					if !c.Checks[k] {
						t.Errorf("%s not passed: %v", k, c.Checks)
					}
				}
				if c.Access != tc.access || string(c.Portrait) != string(f.face) {
					t.Fatalf("access %q, portrait %d bytes", c.Access, len(c.Portrait))
				}
				noPersonal(t, "log", logs.String(), f)
				// The same document again: the card was reset, the read starts afresh.
				zones <- f.zone(t)
				if again := next(t, r, 60*time.Second); again.Err != nil || again.Doc.Chip == nil || !again.Doc.Chip.Checks["passive_auth"] {
					t.Fatalf("second read: %v", again.Err)
				}
			})
		}
	})
	t.Run("wrong key", func(t *testing.T) {
		f := newFixture(t, nil)
		remove, _ := d.Insert(t, f.passport(chiptest.PassportOpts{}))
		defer remove()
		r, zones, logs := startPCSC(t, d, f, nil)
		zones <- zoneOf(t, chiptest.TD3("NLD", "ERIKSSON", "ANNA MARIA", "NX1234567", "NLD", "740812", "F", "341230"))
		got := next(t, r, 60*time.Second)
		if !errors.Is(got.Err, docreader.ErrAccessDenied) || got.Doc.Chip != nil {
			t.Fatalf("err = %v", got.Err)
		}
		noPersonal(t, "error", got.Err.Error(), f)
		noPersonal(t, "log", logs.String(), f)
	})
	t.Run("no card", func(t *testing.T) {
		f := newFixture(t, nil)
		r, zones, _ := startPCSC(t, d, f, nil)
		zones <- f.zone(t)
		got := next(t, r, 30*time.Second)
		if got.Err != nil || got.Doc.Chip != nil {
			t.Fatalf("err %v chip %v", got.Err, got.Doc.Chip)
		}
		if ok, detail := r.Health(); !ok {
			t.Fatalf("an empty reader is not a fault: %s", detail)
		}
	})
	t.Run("card removed mid-read", func(t *testing.T) {
		f := newFixture(t, nil)
		remove, _ := d.Insert(t, f.passport(chiptest.PassportOpts{RemoveAfter: 30}))
		defer remove()
		r, zones, _ := startPCSC(t, d, f, nil)
		zones <- f.zone(t)
		got := next(t, r, 60*time.Second)
		if !errors.Is(got.Err, docreader.ErrCardRemoved) {
			t.Fatalf("err = %v, want ErrCardRemoved", got.Err)
		}
		if ok, detail := r.Health(); !ok {
			t.Fatalf("a removed card is not a reader fault: %s", detail)
		}
	})
}

// TestPCSCDHealth: no pcscd at start is a fault; pcscd coming up is a
// recovery; pcscd going away is a fault again, seen by the idle probe.
func TestPCSCDHealth(t *testing.T) {
	if testing.Short() {
		t.Skip("pcscd integration test skipped in -short mode")
	}
	f := newFixture(t, nil)
	var mu sync.Mutex
	socket := t.TempDir() + "/no-pcscd.comm"
	h := newHealthLog()
	zones := make(chan docreader.Zone)
	o := docreader.DefaultOpts
	o.Chip = func() (docreader.ChipReader, error) {
		mu.Lock()
		s := socket
		mu.Unlock()
		r, err := pcsc.Open(&pcsc.Opts{Socket: s, Reader: pcsctest.ReaderPrefix})
		if err != nil {
			return nil, err
		}
		return r, nil
	}
	o.Trust = f.trust
	o.HealthInterval = 100 * time.Millisecond
	o.OnHealth = h.on
	r, err := docreader.New(context.Background(), zones, &o)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Halt()
	if s := h.wait(t, "fault", 5*time.Second); !strings.Contains(s, "pcscd not reachable") {
		t.Fatalf("fault %q", s)
	}
	d := pcsctest.Start(t)
	mu.Lock()
	socket = d.Socket
	mu.Unlock()
	h.wait(t, "ok", 10*time.Second)
	if err := d.Stop(); err != nil {
		t.Fatal(err)
	}
	if s := h.wait(t, "fault", 10*time.Second); !strings.Contains(s, "pcscd not reachable") {
		t.Fatalf("fault %q", s)
	}
}
