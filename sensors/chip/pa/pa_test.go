package pa_test

import (
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/egate/egate/sensors/chip/chiptest"
	"github.com/egate/egate/sensors/chip/lds"
	"github.com/egate/egate/sensors/chip/pa"
)

func build(t *testing.T, o chiptest.PKIOpts) (*chiptest.PKI, *chiptest.Document) {
	t.Helper()
	pki, err := chiptest.NewPKI(o)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := chiptest.NewDocument(chiptest.DocumentOpts{PKI: pki, ExtraDGs: map[int][]byte{11: {0x6B, 0x02, 0x5F, 0x0E}}})
	if err != nil {
		t.Fatal(err)
	}
	return pki, doc
}

func input(doc *chiptest.Document) pa.Input {
	return pa.Input{SOD: doc.SOD, COM: doc.COM, DataGroups: doc.DGs, PrintedMRZ: doc.MRZ}
}

func want(t *testing.T, r *pa.Report, name string, st pa.Status) {
	t.Helper()
	c, ok := r.Get(name)
	if !ok {
		t.Fatalf("no check %s", name)
	}
	if c.Status != st {
		t.Fatalf("%s = %s (%s), want %s", name, c.Status, c.Reason, st)
	}
}

func TestTrustStoreFolder(t *testing.T) {
	pki, doc := build(t, chiptest.PKIOpts{RSA: true})
	dir := t.TempDir()
	crl, err := pki.CRL()
	if err != nil {
		t.Fatal(err)
	}
	if err := pki.WriteTrustStore(dir, crl); err != nil {
		t.Fatal(err)
	}
	other, _ := build(t, chiptest.PKIOpts{Country: "FR"})
	if err := other.WriteTrustStore(dir, nil); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "README.txt"), []byte("ignored"), 0o644)
	ts, err := pa.LoadTrustStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ts.CSCAs) != 2 || len(ts.CRLs) != 1 {
		t.Fatalf("%d CSCAs, %d CRLs", len(ts.CSCAs), len(ts.CRLs))
	}
	r := pa.Verify(input(doc), ts)
	if !r.Passed() {
		t.Fatalf("checks %+v", r.Checks)
	}
	for _, n := range []string{pa.CheckSODSignature, pa.CheckDSSignature, pa.CheckDSValidity, pa.CheckDSRevocation, pa.CheckSODvsCOM, pa.CheckDGHashes, pa.CheckDG1vsMRZ, pa.CheckCountryVsDS} {
		want(t, r, n, pa.Pass)
	}
	if len(r.Checks) != 8 {
		t.Fatalf("%d checks", len(r.Checks))
	}

	// A broken file is an error, not a silently smaller trust store.
	os.WriteFile(filepath.Join(dir, "broken.pem"), []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), 0o644)
	if _, err := pa.LoadTrustStore(dir); err == nil {
		t.Fatal("broken certificate accepted")
	}
	if _, err := pa.LoadTrustStore(filepath.Join(dir, "nope")); err == nil {
		t.Fatal("missing folder accepted")
	}
}

func TestMasterList(t *testing.T) {
	pki, doc := build(t, chiptest.PKIOpts{})
	other, _ := build(t, chiptest.PKIOpts{Country: "DE"})
	// The master list signer is a DS-like certificate of the NL CSCA.
	content, err := asn1.Marshal(struct {
		Version int
		Certs   []asn1.RawValue `asn1:"set"`
	}{0, []asn1.RawValue{{FullBytes: pki.CSCA.Raw}, {FullBytes: other.CSCA.Raw}}})
	if err != nil {
		t.Fatal(err)
	}
	ml, err := chiptest.SignCMS(lds.OIDMasterList, content, pki.DS, pki.DSKey, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	certs, err := pa.LoadMasterList(ml, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(certs) != 2 {
		t.Fatalf("%d CSCAs", len(certs))
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "icao.ml"), ml, 0o644)
	ts, err := pa.LoadTrustStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	if r := pa.Verify(input(doc), ts); !r.Passed() {
		t.Fatalf("checks %+v", r.Checks)
	}
	// Signed by a signer whose CSCA is not in the list.
	stranger, _ := build(t, chiptest.PKIOpts{})
	bad, _ := chiptest.SignCMS(lds.OIDMasterList, content, stranger.DS, stranger.DSKey, crypto.SHA256)
	if _, err := pa.LoadMasterList(bad, time.Now()); err == nil {
		t.Fatal("master list from an unknown signer accepted")
	}
	// Tampered content.
	tampered := append([]byte{}, ml...)
	tampered[len(tampered)/3] ^= 0x01
	if _, err := pa.LoadMasterList(tampered, time.Now()); err == nil {
		t.Fatal("tampered master list accepted")
	}
}

func TestSHA1AndSHA512SODs(t *testing.T) {
	for _, h := range []crypto.Hash{crypto.SHA1, crypto.SHA384, crypto.SHA512} {
		pki, doc := build(t, chiptest.PKIOpts{})
		if err := doc.Sign(h); err != nil {
			t.Fatal(err)
		}
		r := pa.Verify(input(doc), &pa.TrustStore{CSCAs: []*x509.Certificate{pki.CSCA}})
		if !r.Passed() {
			t.Fatalf("%v: %+v", h, r.Checks)
		}
	}
}

func TestHostileSOD(t *testing.T) {
	pki, doc := build(t, chiptest.PKIOpts{})
	ts := &pa.TrustStore{CSCAs: []*x509.Certificate{pki.CSCA}}
	for name, sod := range map[string][]byte{
		"empty":     nil,
		"truncated": doc.SOD[:len(doc.SOD)/2],
		"wrong tag": append([]byte{0x76}, doc.SOD[1:]...),
		"huge len":  {0x77, 0x84, 0x7F, 0xFF, 0xFF, 0xFF, 0x30},
	} {
		t.Run(name, func(t *testing.T) {
			in := input(doc)
			in.SOD = sod
			r := pa.Verify(in, ts)
			want(t, r, pa.CheckSODSignature, pa.Fail)
			want(t, r, pa.CheckDGHashes, pa.Fail)
			if r.Passed() {
				t.Fatal("passed")
			}
		})
	}
}

func TestPrintedMRZMissing(t *testing.T) {
	pki, doc := build(t, chiptest.PKIOpts{})
	in := input(doc)
	in.PrintedMRZ = ""
	r := pa.Verify(in, &pa.TrustStore{CSCAs: []*x509.Certificate{pki.CSCA}})
	want(t, r, pa.CheckDG1vsMRZ, pa.NotChecked)
	if !r.Passed() {
		t.Fatal("not-checked items must not fail the report")
	}
}

func TestAlpha2(t *testing.T) {
	for a3, a2 := range map[string]string{"NLD": "NL", "D<<": "DE", "D": "DE", "GBR": "GB", "USA": "US", "FRA": "FR"} {
		if got, ok := pa.Alpha2(a3); !ok || got != a2 {
			t.Errorf("Alpha2(%s) = %s %v", a3, got, ok)
		}
	}
	if _, ok := pa.Alpha2("UTO"); ok {
		t.Error("UTO is a specimen code, not ISO")
	}
}

func FuzzVerify(f *testing.F) {
	pki, err := chiptest.NewPKI(chiptest.PKIOpts{})
	if err != nil {
		f.Fatal(err)
	}
	doc, err := chiptest.NewDocument(chiptest.DocumentOpts{PKI: pki})
	if err != nil {
		f.Fatal(err)
	}
	ts := &pa.TrustStore{CSCAs: []*x509.Certificate{pki.CSCA}}
	f.Add(doc.SOD, doc.COM)
	f.Fuzz(func(t *testing.T, sod, com []byte) {
		r := pa.Verify(pa.Input{SOD: sod, COM: com, DataGroups: doc.DGs}, ts)
		if len(r.Checks) != 8 {
			t.Fatalf("%d checks", len(r.Checks))
		}
	})
}
