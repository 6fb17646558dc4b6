package emrtd_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"testing"

	"github.com/egate/egate/sensors/chip/chiptest"
	"github.com/egate/egate/sensors/chip/emrtd"
	"github.com/egate/egate/sensors/chip/lds"
	"github.com/egate/egate/sensors/chip/pa"
	"github.com/egate/egate/sensors/chip/tlv"
)

// TestReadISO39794Portrait reads a simulated passport whose DG2 holds an
// ISO/IEC 39794-5 face image data block (7F2E) and checks the portrait and
// passive authentication end to end.
func TestReadISO39794Portrait(t *testing.T) {
	pki, err := chiptest.NewPKI(chiptest.PKIOpts{})
	if err != nil {
		t.Fatal(err)
	}
	aa, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	j, err := chiptest.FaceJPEG(180, 240, 39794)
	if err != nil {
		t.Fatal(err)
	}
	face := lds.FaceImage{Format: lds.FormatJPEG, Width: 180, Height: 240, ImageType: 1, Data: j}
	doc, err := chiptest.NewDocument(chiptest.DocumentOpts{PKI: pki, AAKey: aa, Face: &face, DG2ISO39794: true})
	if err != nil {
		t.Fatal(err)
	}
	// The simulated chip really serves the 39794-5 form.
	bit, err := tlv.Find(mustValue(t, doc.DGs[2], 0x75, 0x7F61), 0x7F60)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tlv.Find(bit, 0x7F2E); err != nil {
		t.Fatalf("DG2 without 7F2E: %v", err)
	}
	if _, err := tlv.Find(bit, 0x5F2E); err == nil {
		t.Fatal("DG2 still holds a 19794-5 record")
	}

	trust := &pa.TrustStore{CSCAs: []*x509.Certificate{pki.CSCA}}
	read := func(d *chiptest.Document) *emrtd.Result {
		t.Helper()
		p := chiptest.NewPassport(d, chiptest.PassportOpts{AAKey: aa, Extended: true})
		res, err := emrtd.Read(context.Background(), p, emrtd.Opts{Key: d.Key, Trust: trust, PrintedMRZ: d.MRZ})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}

	res := read(doc)
	if len(res.Faces) != 1 {
		t.Fatalf("faces %v", res.Faces)
	}
	f := res.Faces[0]
	if f.Format != lds.FormatJPEG || f.Width != 180 || f.Height != 240 || f.ImageType != 1 || !bytes.Equal(f.Data, j) {
		t.Fatalf("portrait %v type %d", f, f.ImageType)
	}
	if !res.PA.Passed() {
		t.Fatalf("PA failed: %+v", res.PA.Checks)
	}
	for _, c := range res.PA.Checks {
		if c.Status == pa.Fail {
			t.Fatalf("check %s failed: %s", c.Name, c.Reason)
		}
	}
	if c, ok := res.PA.Get(pa.CheckDGHashes); !ok || c.Status != pa.Pass {
		t.Fatalf("dg_hashes %+v", c)
	}
	cr := res.ChipResult()
	if !bytes.Equal(cr.Portrait, j) {
		t.Fatal("ChipResult portrait differs")
	}
	if pass, ok := cr.Checks[emrtd.CheckPassiveAuth]; !ok || !pass {
		t.Fatalf("passive_auth: %+v", cr.Checks)
	}

	// A different 39794-5 portrait after signing fails dg_hashes.
	other, err := chiptest.FaceJPEG(180, 240, 7)
	if err != nil {
		t.Fatal(err)
	}
	doc.DGs[2] = lds.MarshalDG2ISO39794(lds.FaceImage{Format: lds.FormatJPEG, Width: 180, Height: 240, ImageType: 1, Data: other})
	res = read(doc)
	if c, ok := res.PA.Get(pa.CheckDGHashes); !ok || c.Status != pa.Fail || c.Reason == "" {
		t.Fatalf("altered 39794-5 portrait: dg_hashes %+v", c)
	}
	if res.PA.Passed() {
		t.Fatal("PA passed with an altered portrait")
	}
}

// mustValue descends through single nested objects with the given tags.
func mustValue(t *testing.T, b []byte, tags ...uint32) []byte {
	t.Helper()
	for i, tag := range tags {
		var err error
		if i == 0 {
			b, err = tlv.Single(b, tag)
		} else {
			b, err = tlv.Find(b, tag)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return b
}
