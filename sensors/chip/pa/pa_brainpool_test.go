package pa_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/osanderson/brainpool"

	"github.com/egate/egate/sensors/chip/chiptest"
	"github.com/egate/egate/sensors/chip/lds"
	"github.com/egate/egate/sensors/chip/pa"
	"github.com/egate/egate/sensors/chip/tlv"
)

var allChecks = []string{pa.CheckSODSignature, pa.CheckDSSignature, pa.CheckDSValidity, pa.CheckDSRevocation,
	pa.CheckSODvsCOM, pa.CheckDGHashes, pa.CheckDG1vsMRZ, pa.CheckCountryVsDS}

func bpBuild(t testing.TB, o chiptest.BrainpoolPKIOpts) (*chiptest.BrainpoolPKI, *chiptest.Document) {
	t.Helper()
	bp, err := chiptest.NewBrainpoolPKI(o)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := chiptest.NewBrainpoolDocument(bp, chiptest.DocumentOpts{ExtraDGs: map[int][]byte{11: {0x6B, 0x02, 0x5F, 0x0E}}})
	if err != nil {
		t.Fatal(err)
	}
	return bp, doc
}

func bpCert(t testing.TB, der []byte) *pa.Certificate {
	t.Helper()
	c, err := pa.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// bpTrust files the CSCA where LoadTrustStore would, with the given CRLs.
func bpTrust(t testing.TB, csca []byte, crls ...[]byte) *pa.TrustStore {
	t.Helper()
	ts := &pa.TrustStore{}
	if c := bpCert(t, csca); c.X509 != nil {
		ts.CSCAs = append(ts.CSCAs, c.X509)
	} else {
		ts.OtherCSCAs = append(ts.OtherCSCAs, c)
	}
	for _, der := range crls {
		crl, err := x509.ParseRevocationList(der)
		if err != nil {
			t.Fatal(err)
		}
		ts.CRLs = append(ts.CRLs, crl)
	}
	return ts
}

func bpCRL(t testing.TB, bp *chiptest.BrainpoolPKI, revoke bool) []byte {
	t.Helper()
	var serials []*big.Int
	if revoke {
		s, err := bp.DSSerial()
		if err != nil {
			t.Fatal(err)
		}
		serials = append(serials, s)
	}
	crl, err := bp.CRL(serials...)
	if err != nil {
		t.Fatal(err)
	}
	return crl
}

func wantReason(t *testing.T, r *pa.Report, name string, st pa.Status, reason string) {
	t.Helper()
	want(t, r, name, st)
	if c, _ := r.Get(name); !strings.Contains(c.Reason, reason) {
		t.Fatalf("%s reason %q, want it to mention %q", name, c.Reason, reason)
	}
}

func TestBrainpoolChain(t *testing.T) {
	for _, tc := range []struct {
		name     string
		o        chiptest.BrainpoolPKIOpts
		dsCurve  string
		cscaX509 bool
	}{
		{"P256r1", chiptest.BrainpoolPKIOpts{}, "brainpoolP256r1", false},
		{"P384r1", chiptest.BrainpoolPKIOpts{CSCACurve: brainpool.P384r1(), DSCurve: brainpool.P384r1()}, "brainpoolP384r1", false},
		{"P512r1", chiptest.BrainpoolPKIOpts{CSCACurve: brainpool.P512r1(), DSCurve: brainpool.P512r1()}, "brainpoolP512r1", false},
		{"P192r1", chiptest.BrainpoolPKIOpts{CSCACurve: brainpool.P192r1(), DSCurve: brainpool.P192r1()}, "brainpoolP192r1", false},
		{"P224r1", chiptest.BrainpoolPKIOpts{CSCACurve: brainpool.P224r1(), DSCurve: brainpool.P224r1()}, "brainpoolP224r1", false},
		{"P320r1", chiptest.BrainpoolPKIOpts{CSCACurve: brainpool.P320r1(), DSCurve: brainpool.P320r1()}, "brainpoolP320r1", false},
		{"P512r1 CSCA, P256r1 DS", chiptest.BrainpoolPKIOpts{CSCACurve: brainpool.P512r1()}, "brainpoolP256r1", false},
		{"explicit parameters", chiptest.BrainpoolPKIOpts{Explicit: true}, "brainpoolP256r1", false},
		{"explicit parameters P384r1", chiptest.BrainpoolPKIOpts{CSCACurve: brainpool.P384r1(), DSCurve: brainpool.P384r1(), Explicit: true}, "brainpoolP384r1", false},
		{"explicit parameters P-256 CSCA", chiptest.BrainpoolPKIOpts{CSCACurve: elliptic.P256(), Explicit: true}, "brainpoolP256r1", false},
		{"RSA CSCA", chiptest.BrainpoolPKIOpts{CSCARSA: true}, "brainpoolP256r1", true},
		{"P-384 CSCA", chiptest.BrainpoolPKIOpts{CSCACurve: elliptic.P384(), DSCurve: brainpool.P384r1()}, "brainpoolP384r1", true},
		{"GeneralizedTime", chiptest.BrainpoolPKIOpts{CSCANotAfter: time.Date(2055, 1, 1, 0, 0, 0, 0, time.UTC)}, "brainpoolP256r1", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bp, doc := bpBuild(t, tc.o)
			if _, err := x509.ParseCertificate(bp.DS); err == nil {
				t.Fatal("crypto/x509 parses the DS: the test does not test the brainpool path")
			}
			ts := bpTrust(t, bp.CSCA, bpCRL(t, bp, false))
			if got := len(ts.CSCAs) == 1; got != tc.cscaX509 {
				t.Fatalf("CSCA parsed by crypto/x509: %v", got)
			}
			r := pa.Verify(input(doc), ts)
			for _, n := range allChecks {
				want(t, r, n, pa.Pass)
			}
			if len(r.Checks) != 8 || !r.Passed() {
				t.Fatalf("checks %+v", r.Checks)
			}
			if r.DS != nil || r.DSCertificate == nil || r.DSCertificate.Curve != tc.dsCurve || r.CSCACertificate == nil {
				t.Fatalf("DS %v, DSCertificate %+v, CSCACertificate %v", r.DS, r.DSCertificate, r.CSCACertificate)
			}
			if (r.CSCA != nil) != tc.cscaX509 || r.DSCertificate.Subject.Country[0] != "DE" {
				t.Fatalf("CSCA %v, DS subject %v", r.CSCA, r.DSCertificate.Subject)
			}
		})
	}
}

func TestBrainpoolSODHashes(t *testing.T) {
	for _, h := range []crypto.Hash{crypto.SHA1, crypto.SHA384, crypto.SHA512} {
		bp, doc := bpBuild(t, chiptest.BrainpoolPKIOpts{DSCurve: brainpool.P384r1()})
		if err := doc.Sign(h); err != nil {
			t.Fatal(err)
		}
		if r := pa.Verify(input(doc), bpTrust(t, bp.CSCA)); !r.Passed() {
			t.Fatalf("%v: %+v", h, r.Checks)
		}
	}
}

func TestBrainpoolRefusals(t *testing.T) {
	bp, doc := bpBuild(t, chiptest.BrainpoolPKIOpts{})
	genuine := bpCert(t, bp.CSCA)

	t.Run("altered SOD content", func(t *testing.T) {
		h := sha256Of(doc.DGs[1])
		i := bytes.Index(doc.SOD, h)
		if i < 0 {
			t.Fatal("DG1 hash not in EF.SOD")
		}
		in := input(doc)
		in.SOD = append([]byte{}, doc.SOD...)
		in.SOD[i] ^= 0x01
		r := pa.Verify(in, bpTrust(t, bp.CSCA))
		wantReason(t, r, pa.CheckSODSignature, pa.Fail, "messageDigest")
		wantReason(t, r, pa.CheckDGHashes, pa.Fail, "DG1 hash mismatch")
		want(t, r, pa.CheckDSSignature, pa.Pass)
		if r.Passed() {
			t.Fatal("passed")
		}
	})
	t.Run("altered SOD signature", func(t *testing.T) {
		in := input(doc)
		in.SOD = append([]byte{}, doc.SOD...)
		in.SOD[len(in.SOD)-1] ^= 0x01
		r := pa.Verify(in, bpTrust(t, bp.CSCA))
		wantReason(t, r, pa.CheckSODSignature, pa.Fail, "signature does not verify")
		want(t, r, pa.CheckDSSignature, pa.Pass)
		want(t, r, pa.CheckDGHashes, pa.Pass)
	})
	t.Run("altered data group", func(t *testing.T) {
		in := input(doc)
		in.DataGroups = map[int][]byte{1: doc.DGs[1], 2: append([]byte{}, doc.DGs[2]...)}
		in.DataGroups[2][len(in.DataGroups[2])-3] ^= 0x01
		r := pa.Verify(in, bpTrust(t, bp.CSCA))
		want(t, r, pa.CheckSODSignature, pa.Pass)
		wantReason(t, r, pa.CheckDGHashes, pa.Fail, "DG2 hash mismatch")
	})
	t.Run("untrusted CSCA", func(t *testing.T) {
		other, _ := bpBuild(t, chiptest.BrainpoolPKIOpts{Country: "FR"})
		r := pa.Verify(input(doc), bpTrust(t, other.CSCA))
		want(t, r, pa.CheckSODSignature, pa.Pass)
		wantReason(t, r, pa.CheckDSSignature, pa.Fail, "no trusted CSCA named")
		want(t, r, pa.CheckDSRevocation, pa.NotChecked)
		if r.Passed() || r.CSCACertificate != nil {
			t.Fatal("passed")
		}
	})
	t.Run("forged CSCA with the same name and key identifier", func(t *testing.T) {
		// Another brainpool CSCA copying the genuine one's name and key
		// identifier signed this DS: only the signature tells them apart.
		_, forged := bpBuild(t, chiptest.BrainpoolPKIOpts{CSCAKeyID: genuine.SubjectKeyId})
		r := pa.Verify(input(forged), bpTrust(t, bp.CSCA))
		want(t, r, pa.CheckSODSignature, pa.Pass)
		wantReason(t, r, pa.CheckDSSignature, pa.Fail, "DS certificate signature: signature does not verify")
		if r.Passed() {
			t.Fatal("passed")
		}
	})
	t.Run("expired DS", func(t *testing.T) {
		now := time.Now()
		bp, doc := bpBuild(t, chiptest.BrainpoolPKIOpts{DSNotBefore: now.AddDate(-4, 0, 0), DSNotAfter: now.AddDate(0, 0, -1)})
		r := pa.Verify(input(doc), bpTrust(t, bp.CSCA))
		want(t, r, pa.CheckSODSignature, pa.Pass)
		want(t, r, pa.CheckDSSignature, pa.Pass)
		wantReason(t, r, pa.CheckDSValidity, pa.Fail, "DS certificate valid")
		if r.Passed() {
			t.Fatal("passed")
		}
	})
	t.Run("not yet valid at the given time", func(t *testing.T) {
		in := input(doc)
		in.Now = time.Now().AddDate(-3, 0, 0)
		wantReason(t, pa.Verify(in, bpTrust(t, bp.CSCA)), pa.CheckDSValidity, pa.Fail, "CSCA certificate valid")
	})
	t.Run("revoked DS", func(t *testing.T) {
		r := pa.Verify(input(doc), bpTrust(t, bp.CSCA, bpCRL(t, bp, true)))
		wantReason(t, r, pa.CheckDSRevocation, pa.Fail, "revoked")
		want(t, r, pa.CheckDSSignature, pa.Pass)
		if r.Passed() {
			t.Fatal("passed")
		}
	})
	t.Run("CRL with a bad signature", func(t *testing.T) {
		crl := bpCRL(t, bp, true)
		crl[len(crl)-1] ^= 0x01
		r := pa.Verify(input(doc), bpTrust(t, bp.CSCA, crl))
		wantReason(t, r, pa.CheckDSRevocation, pa.NotChecked, "no CRL from the CSCA")
		if !r.Passed() {
			t.Fatalf("checks %+v", r.Checks)
		}
	})
	t.Run("CRL from a forged CSCA", func(t *testing.T) {
		forger, _ := bpBuild(t, chiptest.BrainpoolPKIOpts{CSCAKeyID: genuine.SubjectKeyId})
		serial, _ := bp.DSSerial()
		crl, err := forger.CRL(serial)
		if err != nil {
			t.Fatal(err)
		}
		r := pa.Verify(input(doc), bpTrust(t, bp.CSCA, crl))
		want(t, r, pa.CheckDSRevocation, pa.NotChecked)
	})
	t.Run("expired CRL", func(t *testing.T) {
		now := time.Now()
		crl, err := chiptest.CreateRawCRL(bp.CSCA, bp.CSCAKey, 0, now.AddDate(0, -2, 0), now.AddDate(0, -1, 0))
		if err != nil {
			t.Fatal(err)
		}
		wantReason(t, pa.Verify(input(doc), bpTrust(t, bp.CSCA, crl)), pa.CheckDSRevocation, pa.NotChecked, "CRL expired")
	})
	t.Run("CSCA without CA constraints", func(t *testing.T) {
		key, _ := ecdsa.GenerateKey(brainpool.P256r1(), rand.Reader)
		notCA := bpTemplate("DE", "Not a CA", &key.PublicKey)
		csca, err := chiptest.CreateRawCertificate(notCA, nil, key, 0)
		if err != nil {
			t.Fatal(err)
		}
		doc := bpDocWithDS(t, csca, key, bpTemplate("DE", "DS", nil), 0)
		wantReason(t, pa.Verify(input(doc), bpTrust(t, csca)), pa.CheckDSSignature, pa.Fail, "not a CA")
	})
	t.Run("SHA-1 DS certificate signature", func(t *testing.T) {
		doc := bpDocWithDS(t, bp.CSCA, bp.CSCAKey, bpTemplate("DE", "DS", nil), crypto.SHA1)
		wantReason(t, pa.Verify(input(doc), bpTrust(t, bp.CSCA)), pa.CheckDSSignature, pa.Fail, "SHA-1")
	})
	t.Run("country", func(t *testing.T) {
		bp, doc := bpBuild(t, chiptest.BrainpoolPKIOpts{Country: "NL"})
		in := input(doc)
		in.DataGroups = map[int][]byte{1: lds.MarshalDG1(chiptest.TD3("D<<", "ERIKSSON", "ANNA", "NX1234567", "D<<", "740812", "F", "341231"))}
		wantReason(t, pa.Verify(in, bpTrust(t, bp.CSCA)), pa.CheckCountryVsDS, pa.Fail, "DS certificate country [NL]")
	})
}

func sha256Of(b []byte) []byte {
	h := crypto.SHA256.New()
	h.Write(b)
	return h.Sum(nil)
}

func bpTemplate(country, cn string, pub crypto.PublicKey) *chiptest.CertTemplate {
	now := time.Now()
	return &chiptest.CertTemplate{
		SerialNumber: big.NewInt(now.UnixNano() & 0xFFFFFFF),
		Subject:      pkix.Name{Country: []string{country}, CommonName: cn},
		NotBefore:    now.AddDate(-1, 0, 0),
		NotAfter:     now.AddDate(5, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		PublicKey:    pub,
	}
}

// bpDocWithDS makes a brainpoolP256r1 DS from tmpl (its key, unless tmpl
// names an SPKI) issued by csca and a document it signs.
func bpDocWithDS(t *testing.T, csca []byte, cscaKey crypto.Signer, tmpl *chiptest.CertTemplate, h crypto.Hash) *chiptest.Document {
	t.Helper()
	key, err := ecdsa.GenerateKey(brainpool.P256r1(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if tmpl.PublicKey == nil {
		tmpl.PublicKey = &key.PublicKey
	}
	ds, err := chiptest.CreateRawCertificate(tmpl, csca, cscaKey, h)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := chiptest.NewBrainpoolDocument(&chiptest.BrainpoolPKI{Country: "DE", CSCA: csca, CSCAKey: cscaKey, DS: ds, DSKey: key}, chiptest.DocumentOpts{})
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// ecSPKI encodes an SPKI for id-ecPublicKey with the given parameters and
// point.
func ecSPKI(t testing.TB, params []byte, point []byte) []byte {
	t.Helper()
	b, err := asn1.Marshal(struct {
		Algorithm pkix.AlgorithmIdentifier
		Key       asn1.BitString
	}{pkix.AlgorithmIdentifier{Algorithm: asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}, Parameters: asn1.RawValue{FullBytes: params}},
		asn1.BitString{Bytes: point, BitLength: 8 * len(point)}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestBrainpoolUnknownCurve(t *testing.T) {
	bp, _ := bpBuild(t, chiptest.BrainpoolPKIOpts{})
	key, _ := ecdsa.GenerateKey(brainpool.P256r1(), rand.Reader)
	secp256k1, _ := asn1.Marshal(asn1.ObjectIdentifier{1, 3, 132, 0, 10})
	point := append([]byte{4}, append(key.X.FillBytes(make([]byte, 32)), key.Y.FillBytes(make([]byte, 32))...)...)
	tmpl := bpTemplate("DE", "DS", nil)
	tmpl.SPKI = ecSPKI(t, secp256k1, point)
	doc := bpDocWithDS(t, bp.CSCA, bp.CSCAKey, tmpl, 0)

	if _, err := pa.ParseCertificate(doc.PKI.DS.Raw); err == nil || !strings.Contains(err.Error(), "unknown curve 1.3.132.0.10") {
		t.Fatalf("ParseCertificate: %v", err)
	}
	r := pa.Verify(input(doc), bpTrust(t, bp.CSCA))
	wantReason(t, r, pa.CheckSODSignature, pa.Fail, "unknown curve 1.3.132.0.10")
	wantReason(t, r, pa.CheckDSSignature, pa.Fail, "unknown curve 1.3.132.0.10")
	wantReason(t, r, pa.CheckDSValidity, pa.Fail, "unknown curve")
	want(t, r, pa.CheckDSRevocation, pa.NotChecked)
	want(t, r, pa.CheckDGHashes, pa.Pass)
	want(t, r, pa.CheckCountryVsDS, pa.NotChecked)
	if r.Passed() || len(r.Checks) != 8 {
		t.Fatalf("checks %+v", r.Checks)
	}

	// As a CSCA in the trust store folder: an error naming file and curve.
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "odd.der"), doc.PKI.DS.Raw, 0o644)
	if _, err := pa.LoadTrustStore(dir); err == nil || !strings.Contains(err.Error(), "odd.der") || !strings.Contains(err.Error(), "unknown curve") {
		t.Fatalf("LoadTrustStore: %v", err)
	}
}

// TestBrainpoolHostileCertificates feeds ParseCertificate broken
// certificates: each is an error, none a panic.
func TestBrainpoolHostileCertificates(t *testing.T) {
	bp, _ := bpBuild(t, chiptest.BrainpoolPKIOpts{Explicit: true})
	for _, der := range [][]byte{bp.CSCA, bp.DS} {
		for n := 0; n < len(der); n++ {
			if _, err := pa.ParseCertificate(der[:n]); err == nil {
				t.Fatalf("truncated to %d bytes: parsed", n)
			}
		}
		for i := range der {
			for _, x := range []byte{0x01, 0x80, 0xFF} {
				b := append([]byte{}, der...)
				b[i] ^= x
				// crypto/x509 takes an unknown key algorithm with a nil key.
				if c, err := pa.ParseCertificate(b); err == nil && c.PublicKey == nil && c.X509 == nil {
					t.Fatalf("byte %d ^ %02X: no key", i, x)
				}
			}
		}
		if _, err := pa.ParseCertificate(append(append([]byte{}, der...), 0)); err == nil {
			t.Fatal("trailing byte accepted")
		}
		for _, tag := range []byte{0x31, 0x04, 0xA0} {
			b := append([]byte{}, der...)
			b[0] = tag
			if _, err := pa.ParseCertificate(b); err == nil {
				t.Fatalf("outer tag %02X accepted", tag)
			}
		}
	}
	if _, err := pa.ParseCertificate(nil); err == nil {
		t.Fatal("empty accepted")
	}

	key, _ := ecdsa.GenerateKey(brainpool.P256r1(), rand.Reader)
	spki, err := chiptest.MarshalECPublicKey(&key.PublicKey, true)
	if err != nil {
		t.Fatal(err)
	}
	x := key.X.FillBytes(make([]byte, 32))
	y := key.Y.FillBytes(make([]byte, 32))
	named, _ := asn1.Marshal(asn1.ObjectIdentifier{1, 3, 36, 3, 3, 2, 8, 1, 1, 7})
	bHex := "26DC5C6CE94A4B44F330B5D9BBD77CBF958416295CF7E1CE6BCCDC18FF8C07B6"
	pHex := "A9FB57DBA1EEA9BC3E660A909D838D726E3BF623D52620282013481D1F6E5377"
	replace := func(b []byte, hexOld string, edit func([]byte)) []byte {
		old := new(big.Int)
		old.SetString(hexOld, 16)
		i := bytes.Index(b, old.Bytes())
		if i < 0 {
			t.Fatalf("%s not in SPKI", hexOld)
		}
		out := append([]byte{}, b...)
		edit(out[i : i+len(old.Bytes())])
		return out
	}
	spkiCofactor2 := bytes.Replace(spki, []byte{0x02, 0x01, 0x01, 0x03}, []byte{0x02, 0x01, 0x02, 0x03}, 1)
	if bytes.Equal(spkiCofactor2, spki) {
		t.Fatal("cofactor not found")
	}
	null, _ := asn1.Marshal(asn1.NullRawValue)
	for name, tc := range map[string]struct {
		spki   []byte
		reason string
	}{
		"compressed point":      {ecSPKI(t, named, append([]byte{2 + byte(key.Y.Bit(0))}, x...)), "compressed"},
		"point off the curve":   {ecSPKI(t, named, append(append([]byte{4}, x...), append(y[:31:31], y[31]^1)...)), "not on the curve"},
		"short point":           {ecSPKI(t, named, append([]byte{4}, x...)), "malformed point"},
		"empty point":           {ecSPKI(t, named, nil), "empty point"},
		"explicit, b altered":   {replace(spki, bHex, func(b []byte) { b[5] ^= 1 }), "match no known curve"},
		"explicit, p altered":   {replace(spki, pHex, func(b []byte) { b[7] ^= 1 }), "match no known curve"},
		"explicit, cofactor 2":  {spkiCofactor2, "cofactor 2"},
		"implicitlyCA":          {ecSPKI(t, null, append(append([]byte{4}, x...), y...)), "implicitlyCA"},
		"no curve":              {ecSPKI(t, nil, append(append([]byte{4}, x...), y...)), "without curve parameters"},
		"unknown named curve":   {ecSPKI(t, []byte{0x06, 0x03, 0x2B, 0x24, 0x63}, append(append([]byte{4}, x...), y...)), "unknown curve 1.3.36.99"},
		"malformed named curve": {ecSPKI(t, []byte{0x06, 0x00}, append(append([]byte{4}, x...), y...)), "malformed named curve"},
	} {
		t.Run(name, func(t *testing.T) {
			tmpl := bpTemplate("DE", "odd", nil)
			tmpl.SPKI = tc.spki
			der, err := chiptest.CreateRawCertificate(tmpl, bp.CSCA, bp.CSCAKey, 0)
			if err != nil {
				t.Fatal(err)
			}
			_, err = pa.ParseCertificate(der)
			if err == nil || !strings.Contains(err.Error(), tc.reason) {
				t.Fatalf("error %v, want %q", err, tc.reason)
			}
			if !errors.Is(err, pa.ErrCertificate) {
				t.Fatalf("error %v is not ErrCertificate", err)
			}
		})
	}
}

func TestBrainpoolTrustStoreFolder(t *testing.T) {
	bp, doc := bpBuild(t, chiptest.BrainpoolPKIOpts{})
	nist, nistDoc := build(t, chiptest.PKIOpts{Country: "NL"})
	dir := t.TempDir()
	pki, err := bp.PKI()
	if err != nil {
		t.Fatal(err)
	}
	if err := pki.WriteTrustStore(dir, bpCRL(t, bp, false)); err != nil {
		t.Fatal(err)
	}
	if err := nist.WriteTrustStore(dir, nil); err != nil {
		t.Fatal(err)
	}
	// A DER copy of a brainpool CSCA of another country, by extension .cer.
	other, _ := bpBuild(t, chiptest.BrainpoolPKIOpts{Country: "AT", CSCACurve: brainpool.P384r1()})
	os.WriteFile(filepath.Join(dir, "csca-at.cer"), other.CSCA, 0o644)
	b, _ := os.ReadFile(filepath.Join(dir, "csca-de.pem"))
	if !bytes.Contains(b, []byte("BEGIN CERTIFICATE")) {
		t.Fatal("brainpool CSCA not written as PEM")
	}
	ts, err := pa.LoadTrustStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ts.CSCAs) != 1 || len(ts.OtherCSCAs) != 2 || len(ts.CRLs) != 1 || ts.Len() != 3 {
		t.Fatalf("%d CSCAs, %d other CSCAs, %d CRLs", len(ts.CSCAs), len(ts.OtherCSCAs), len(ts.CRLs))
	}
	r := pa.Verify(input(doc), ts)
	for _, n := range allChecks {
		want(t, r, n, pa.Pass)
	}
	r = pa.Verify(input(nistDoc), ts)
	if !r.Passed() || r.DS == nil || r.DSCertificate.X509 != r.DS || r.CSCA == nil || r.CSCACertificate.X509 != r.CSCA {
		t.Fatalf("NIST document: %+v", r.Checks)
	}
	if (*pa.TrustStore)(nil).Len() != 0 {
		t.Fatal("nil trust store has anchors")
	}

	// A brainpool certificate PEM broken in the middle is an error.
	broken := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: bp.CSCA[:len(bp.CSCA)-20]})
	os.WriteFile(filepath.Join(dir, "broken.pem"), broken, 0o644)
	if _, err := pa.LoadTrustStore(dir); err == nil || !strings.Contains(err.Error(), "broken.pem") {
		t.Fatalf("broken brainpool certificate: %v", err)
	}
}

func TestBrainpoolMasterList(t *testing.T) {
	bp, doc := bpBuild(t, chiptest.BrainpoolPKIOpts{})
	nist, nistDoc := build(t, chiptest.PKIOpts{Country: "NL"})
	content, err := asn1.Marshal(struct {
		Version int
		Certs   []asn1.RawValue `asn1:"set"`
	}{0, []asn1.RawValue{{FullBytes: bp.CSCA}, {FullBytes: nist.CSCA.Raw}}})
	if err != nil {
		t.Fatal(err)
	}
	// The master list signer is a brainpool certificate of the DE CSCA.
	ml, err := chiptest.SignCMSRaw(lds.OIDMasterList, content, bp.DS, bp.DSKey, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	all, err := pa.ParseMasterList(ml, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 {
		t.Fatalf("%d CSCAs", len(all))
	}
	x509s, err := pa.LoadMasterList(ml, time.Now())
	if err != nil || len(x509s) != 1 || !x509s[0].Equal(nist.CSCA) {
		t.Fatalf("LoadMasterList: %d, %v", len(x509s), err)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "icao.ml"), ml, 0o644)
	ts, err := pa.LoadTrustStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ts.CSCAs) != 1 || len(ts.OtherCSCAs) != 1 {
		t.Fatalf("%d CSCAs, %d other", len(ts.CSCAs), len(ts.OtherCSCAs))
	}
	for _, d := range []*chiptest.Document{doc, nistDoc} {
		if r := pa.Verify(input(d), ts); !r.Passed() {
			t.Fatalf("checks %+v", r.Checks)
		}
	}

	// Signed by a brainpool signer whose CSCA is not in the list.
	stranger, _ := bpBuild(t, chiptest.BrainpoolPKIOpts{})
	bad, _ := chiptest.SignCMSRaw(lds.OIDMasterList, content, stranger.DS, stranger.DSKey, crypto.SHA256)
	if _, err := pa.ParseMasterList(bad, time.Now()); err == nil {
		t.Fatal("master list from an unknown signer accepted")
	}
	// Signed with another key than the signer certificate's.
	bad, _ = chiptest.SignCMSRaw(lds.OIDMasterList, content, bp.DS, stranger.DSKey, crypto.SHA256)
	if _, err := pa.ParseMasterList(bad, time.Now()); err == nil || !strings.Contains(err.Error(), "does not verify") {
		t.Fatalf("master list signed with the wrong key: %v", err)
	}
	// Tampered content.
	i := bytes.Index(ml, bp.CSCA)
	tampered := append([]byte{}, ml...)
	tampered[i+len(bp.CSCA)/2] ^= 0x01
	if _, err := pa.ParseMasterList(tampered, time.Now()); err == nil {
		t.Fatal("tampered master list accepted")
	}
	// Signer expired.
	if _, err := pa.ParseMasterList(ml, time.Now().AddDate(20, 0, 0)); err == nil {
		t.Fatal("expired signer accepted")
	}
}

func FuzzParseCertificate(f *testing.F) {
	for _, o := range []chiptest.BrainpoolPKIOpts{{}, {Explicit: true}, {CSCARSA: true}, {CSCACurve: elliptic.P256(), Explicit: true}} {
		bp, err := chiptest.NewBrainpoolPKI(o)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(bp.CSCA)
		f.Add(bp.DS)
		crl, err := bp.CRL(big.NewInt(7))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(crl)
	}
	pki, err := chiptest.NewPKI(chiptest.PKIOpts{})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(pki.DS.Raw)
	f.Fuzz(func(t *testing.T, der []byte) {
		c, err := pa.ParseCertificate(der)
		if err != nil {
			return
		}
		if c.SerialNumber == nil || len(c.RawTBSCertificate) == 0 || len(c.RawSubject) == 0 || len(c.RawIssuer) == 0 || c.X509 == nil && c.PublicKey == nil {
			t.Fatalf("incomplete certificate %+v", c)
		}
		if k, ok := c.PublicKey.(*ecdsa.PublicKey); ok && c.X509 == nil && !k.Curve.IsOnCurve(k.X, k.Y) {
			t.Fatal("key off its curve")
		}
	})
}

func FuzzVerifyBrainpool(f *testing.F) {
	bp, doc := bpBuild(f, chiptest.BrainpoolPKIOpts{Explicit: true})
	ts := bpTrust(f, bp.CSCA, bpCRL(f, bp, false))
	f.Add(doc.SOD)
	f.Fuzz(func(t *testing.T, sod []byte) {
		r := pa.Verify(pa.Input{SOD: sod, COM: doc.COM, DataGroups: doc.DGs}, ts)
		if len(r.Checks) != 8 {
			t.Fatalf("%d checks", len(r.Checks))
		}
	})
}

// TestBrainpoolOpenSSLPeer checks both directions against OpenSSL, an
// independent implementation: an EF.SOD signed by `openssl cms` with a
// brainpoolP256r1 DS under a brainpoolP384r1 CSCA, both made by OpenSSL,
// passes every check; and OpenSSL verifies the test PKI's brainpool chain
// and CRL and finds the DS revoked. Skipped without the openssl command.
func TestBrainpoolOpenSSLPeer(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not installed")
	}
	dir := t.TempDir()
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command("openssl", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("openssl %v: %v\n%s", args, err, out)
		}
	}
	os.WriteFile(filepath.Join(dir, "ds.ext"), []byte("keyUsage=critical,digitalSignature\n"), 0o644)
	run("ecparam", "-name", "brainpoolP384r1", "-genkey", "-noout", "-out", "csca.key")
	run("req", "-x509", "-new", "-key", "csca.key", "-subj", "/C=DE/O=peer/CN=Peer CSCA", "-days", "3650", "-sha384",
		"-addext", "basicConstraints=critical,CA:true", "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-out", "csca.pem")
	run("ecparam", "-name", "brainpoolP256r1", "-genkey", "-noout", "-out", "ds.key")
	run("req", "-new", "-key", "ds.key", "-subj", "/C=DE/O=peer/CN=Peer DS", "-out", "ds.csr")
	run("x509", "-req", "-in", "ds.csr", "-CA", "csca.pem", "-CAkey", "csca.key", "-days", "365", "-sha384", "-extfile", "ds.ext", "-out", "ds.pem")

	bp, doc := bpBuild(t, chiptest.BrainpoolPKIOpts{})
	hashes := map[int][]byte{}
	for n, b := range doc.DGs {
		hashes[n] = sha256Of(b)
	}
	so, err := lds.MarshalLDSSecurityObject(lds.OIDSHA256, hashes)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "so.der"), so, 0o644)
	run("cms", "-sign", "-binary", "-nodetach", "-in", "so.der", "-signer", "ds.pem", "-inkey", "ds.key", "-md", "sha256",
		"-econtent_type", "2.23.136.1.1.1", "-outform", "DER", "-out", "sod.der")
	cms, err := os.ReadFile(filepath.Join(dir, "sod.der"))
	if err != nil {
		t.Fatal(err)
	}
	trust := t.TempDir()
	pemCSCA, _ := os.ReadFile(filepath.Join(dir, "csca.pem"))
	os.WriteFile(filepath.Join(trust, "csca.pem"), pemCSCA, 0o644)
	ts, err := pa.LoadTrustStore(trust)
	if err != nil {
		t.Fatal(err)
	}
	if len(ts.OtherCSCAs) != 1 || ts.OtherCSCAs[0].Curve != "brainpoolP384r1" {
		t.Fatalf("trust store %+v", ts)
	}
	in := input(doc)
	in.SOD = tlv.Encode(lds.TagSOD, cms)
	r := pa.Verify(in, ts)
	for _, n := range []string{pa.CheckSODSignature, pa.CheckDSSignature, pa.CheckDSValidity, pa.CheckSODvsCOM, pa.CheckDGHashes, pa.CheckDG1vsMRZ, pa.CheckCountryVsDS} {
		want(t, r, n, pa.Pass)
	}
	if !r.Passed() || r.DSCertificate.Curve != "brainpoolP256r1" {
		t.Fatalf("checks %+v", r.Checks)
	}
	in.SOD[len(in.SOD)-1] ^= 0x01
	want(t, pa.Verify(in, ts), pa.CheckSODSignature, pa.Fail)

	// The other way: OpenSSL checks the test PKI.
	writePEM := func(name, typ string, der []byte) {
		os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o644)
	}
	writePEM("bp-csca.pem", "CERTIFICATE", bp.CSCA)
	writePEM("bp-ds.pem", "CERTIFICATE", bp.DS)
	writePEM("bp-crl.pem", "X509 CRL", bpCRL(t, bp, false))
	writePEM("bp-revoked.pem", "X509 CRL", bpCRL(t, bp, true))
	run("verify", "-x509_strict", "-crl_check", "-CAfile", "bp-csca.pem", "-CRLfile", "bp-crl.pem", "bp-ds.pem")
	cmd := exec.Command("openssl", "verify", "-x509_strict", "-crl_check", "-CAfile", "bp-csca.pem", "-CRLfile", "bp-revoked.pem", "bp-ds.pem")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "revoked") {
		t.Fatalf("OpenSSL on the revoked DS: %v\n%s", err, out)
	}
}
