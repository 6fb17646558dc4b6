package pcsc_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/egate/egate/sensors/chip/bac"
	"github.com/egate/egate/sensors/chip/chiptest"
	"github.com/egate/egate/sensors/chip/emrtd"
	"github.com/egate/egate/sensors/chip/lds"
	"github.com/egate/egate/sensors/chip/pa"
	"github.com/egate/egate/sensors/chip/pcsc"
	"github.com/egate/egate/sensors/chip/pcsc/pcsctest"
)

// TestVPICCPeer reads an ePassport emulated by Debian's vsmartcard-vpicc
// (virtualsmartcard's ePass card, written by others in Python) through
// pcscd: an independent peer for BAC and 3DES secure messaging (ICAO 9303
// Part 11 §4.3, §9.8). The harness testdata/vpicc_epass.py serves the
// files of a document built here, so passive authentication runs too.
// vpicc's ePass has no PACE, chip or active authentication.
func TestVPICCPeer(t *testing.T) {
	const python = "/usr/bin/python3"
	if _, err := os.Stat("/usr/lib/python3/site-packages/virtualsmartcard/virtualsmartcard/cards/ePass.py"); err != nil {
		t.Skip("vsmartcard-vpicc not installed (apt-get install vsmartcard-vpicc python3-pycryptodome)")
	}
	if err := exec.Command(python, "-c", "import Cryptodome").Run(); err != nil {
		t.Skip("python3-pycryptodome not installed (apt-get install python3-pycryptodome)")
	}
	d := pcsctest.Start(t)

	pki, err := chiptest.NewPKI(chiptest.PKIOpts{})
	if err != nil {
		t.Fatal(err)
	}
	face, _ := chiptest.FaceJPEG(180, 240, 9)
	doc, err := chiptest.NewDocument(chiptest.DocumentOpts{PKI: pki,
		Face: &lds.FaceImage{Format: lds.FormatJPEG, Width: 180, Height: 240, ImageType: 1, Data: face}})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for name, b := range map[string][]byte{"011E": doc.COM, "0101": doc.DGs[1], "0102": doc.DGs[2], "011D": doc.SOD} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var out bytes.Buffer
	cmd := exec.Command(python, "-B", filepath.Join("testdata", "vpicc_epass.py"), fmt.Sprint(d.Port), dir)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("vpicc output:\n%s", out.String())
		}
	})

	rd, err := pcsc.Open(d.Opts())
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	go func() {
		select {
		case <-exited: // the harness died: stop waiting for it
			cancel()
		case <-ctx.Done():
		}
	}()
	if err := rd.WaitCard(ctx); err != nil {
		t.Fatalf("WaitCard: %v\nvpicc: %s", err, out.String())
	}
	timed := &chiptest.Timed{Inner: rd}
	res, err := emrtd.Read(ctx, timed, emrtd.Opts{Key: doc.Key, Trust: &pa.TrustStore{CSCAs: []*x509.Certificate{pki.CSCA}}, PrintedMRZ: doc.MRZ})
	if err != nil {
		t.Fatalf("read from vpicc: %v", err)
	}
	if res.Access != emrtd.AccessBAC {
		t.Fatalf("access %q", res.Access)
	}
	if !bytes.Equal(res.Files[1], doc.DGs[1]) || !bytes.Equal(res.Files[2], doc.DGs[2]) || len(res.Faces) != 1 || !bytes.Equal(res.Faces[0].Data, face) {
		t.Fatal("files differ from what vpicc serves")
	}
	if !res.PA.Passed() {
		t.Fatalf("PA %+v", res.PA.Checks)
	}
	tr, n := timed.Stats()
	t.Logf("vpicc ePass through pcscd: BAC, %d APDUs (transport %v), access %v, read %v, PA %v", n, tr, res.Timing.Access, res.Timing.Read, res.Timing.PA)

	// A wrong MRZ key: vpicc refuses the terminal's cryptogram (its MAC
	// does not verify under the wrong K_mac) with 6988, which must read as
	// a refused key, not as a broken chip.
	if err := rd.Disconnect(); err != nil {
		t.Fatal(err)
	}
	if err := rd.WaitCard(ctx); err != nil {
		t.Fatal(err)
	}
	wrong := doc.Key
	wrong.DateOfBirth = "740813"
	_, err = emrtd.Read(ctx, rd, emrtd.Opts{Key: wrong, DisablePACE: true})
	if !errors.Is(err, emrtd.ErrAccessDenied) || !errors.Is(err, bac.ErrAuth) {
		t.Fatalf("wrong key against vpicc: %v, want emrtd.ErrAccessDenied and bac.ErrAuth", err)
	}
}
