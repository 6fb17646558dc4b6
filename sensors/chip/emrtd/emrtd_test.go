package emrtd_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"math/big"
	mrand "math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/egate/egate/sensors/chip"
	"github.com/egate/egate/sensors/chip/bac"
	"github.com/egate/egate/sensors/chip/chiptest"
	"github.com/egate/egate/sensors/chip/emrtd"
	"github.com/egate/egate/sensors/chip/lds"
	"github.com/egate/egate/sensors/chip/pa"
	"github.com/egate/egate/sensors/chip/pace"
	"github.com/egate/egate/sensors/chip/sm"
	"github.com/osanderson/brainpool"
)

type fixture struct {
	pki   *chiptest.PKI
	doc   *chiptest.Document
	trust *pa.TrustStore
	aa    *ecdsa.PrivateKey
}

func newFixture(t *testing.T, paceInfos []lds.PACEInfo, pkiOpts chiptest.PKIOpts) *fixture {
	t.Helper()
	pki, err := chiptest.NewPKI(pkiOpts)
	if err != nil {
		t.Fatal(err)
	}
	aa, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	doc, err := chiptest.NewDocument(chiptest.DocumentOpts{PKI: pki, PACE: paceInfos, AAKey: aa})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{pki: pki, doc: doc, trust: &pa.TrustStore{CSCAs: []*x509Cert{pki.CSCA}}, aa: aa}
}

func (f *fixture) opts() emrtd.Opts {
	return emrtd.Opts{Key: f.doc.Key, Trust: f.trust, PrintedMRZ: f.doc.MRZ}
}

var camP256 = []lds.PACEInfo{{Protocol: pace.OID(true, pace.ChipAuthenticationMapping, sm.AlgAES128), Version: 2, ParameterID: 12}}

var ecdhAES = []lds.PACEInfo{{Protocol: pace.OID(true, pace.GenericMapping, sm.AlgAES128), Version: 2, ParameterID: 13}}

func mustPass(t *testing.T, res *emrtd.Result) {
	t.Helper()
	if !res.PA.Passed() {
		t.Fatalf("PA failed: %+v", res.PA.Checks)
	}
	for _, c := range res.PA.Checks {
		if c.Status == pa.Fail {
			t.Fatalf("check %s failed: %s", c.Name, c.Reason)
		}
	}
	if res.AA.Status != pa.Pass {
		t.Fatalf("AA = %+v", res.AA)
	}
}

func TestReadBAC(t *testing.T) {
	f := newFixture(t, nil, chiptest.PKIOpts{})
	p := chiptest.NewPassport(f.doc, chiptest.PassportOpts{AAKey: f.aa})
	res, err := emrtd.Read(context.Background(), p, f.opts())
	if err != nil {
		t.Fatal(err)
	}
	if res.Access != emrtd.AccessBAC {
		t.Fatalf("access %q (%s)", res.Access, res.AccessNote)
	}
	mustPass(t, res)
	if res.DG1.MRZ != f.doc.MRZ || res.DG1.DocumentNumber != "NX1234567" || res.DG1.IssuingState != "NLD" {
		t.Fatal("DG1 mismatch")
	}
	if len(res.Faces) != 1 || res.Faces[0].Format != lds.FormatJPEG || res.Faces[0].Width != 180 {
		t.Fatalf("faces %v", res.Faces)
	}
	for _, c := range res.PA.Checks {
		if c.Name == pa.CheckDSRevocation && c.Status != pa.NotChecked {
			t.Fatalf("revocation without CRL: %+v", c)
		}
	}
	if res.MRZ == nil || res.MRZErr != nil || res.MRZ.DocumentNumber != "NX1234567" {
		t.Fatalf("sensors/mrz on DG1: %v", res.MRZErr)
	}
	cr := res.ChipResult()
	if cr.Access != "BAC" || !cr.Checks[pa.CheckSODSignature] || !cr.Checks[emrtd.CheckActiveAuth] || len(cr.Portrait) == 0 {
		t.Fatalf("ChipResult %+v", cr.Checks)
	}
	if pass, ok := cr.Checks[emrtd.CheckPassiveAuth]; !ok || !pass {
		t.Fatalf("passive_auth missing or failed: %+v", cr.Checks)
	}
	if _, ok := cr.Checks[emrtd.CheckChipAuth]; ok {
		t.Fatal("chip_auth reported for a document without chip authentication")
	}
	if _, ok := cr.Checks[pa.CheckDSRevocation]; ok {
		t.Fatal("not-checked item mapped to a boolean")
	}
}

func TestReadPACE(t *testing.T) {
	for _, tc := range []struct {
		name  string
		infos []lds.PACEInfo
		want  string
		can   chip.CAN
	}{
		{"brainpoolP256r1 AES-128 MRZ", ecdhAES, "PACE-ECDH-GM-AES-128", ""},
		{"P-256 AES-256 CAN", []lds.PACEInfo{{Protocol: pace.OID(true, pace.GenericMapping, sm.AlgAES256), Version: 2, ParameterID: 12}}, "PACE-ECDH-GM-AES-256", "123456"},
		{"DH 3DES", []lds.PACEInfo{{Protocol: pace.OID(false, pace.GenericMapping, sm.Alg3DES), Version: 2, ParameterID: 0}}, "PACE-DH-GM-3DES", ""},
		{"IM brainpoolP256r1 AES-128", []lds.PACEInfo{{Protocol: pace.OID(true, pace.IntegratedMapping, sm.AlgAES128), Version: 2, ParameterID: 13}}, "PACE-ECDH-IM-AES-128", ""},
		{"IM DH 2048 AES-256 CAN", []lds.PACEInfo{{Protocol: pace.OID(false, pace.IntegratedMapping, sm.AlgAES256), Version: 2, ParameterID: 2}}, "PACE-DH-IM-AES-256", "123456"},
		{"two infos", append([]lds.PACEInfo{{Protocol: pace.OID(false, pace.GenericMapping, sm.AlgAES128), Version: 2, ParameterID: 0}}, ecdhAES...), "PACE-ECDH-GM-AES-128", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.infos, chiptest.PKIOpts{})
			p := chiptest.NewPassport(f.doc, chiptest.PassportOpts{AAKey: f.aa, NoBAC: true, CAN: "123456"})
			o := f.opts()
			o.CAN = tc.can
			res, err := emrtd.Read(context.Background(), p, o)
			if err != nil {
				t.Fatal(err)
			}
			if res.Access != tc.want {
				t.Fatalf("access %q (%s)", res.Access, res.AccessNote)
			}
			mustPass(t, res)
		})
	}
}

func TestFallbackToBAC(t *testing.T) {
	// The chip offers only integrated mapping on NIST P-224, which the
	// point encoding cannot serve (p ≡ 1 mod 4): BAC.
	im := []lds.PACEInfo{{Protocol: pace.OID(true, pace.IntegratedMapping, sm.AlgAES128), Version: 2, ParameterID: 10}}
	f := newFixture(t, im, chiptest.PKIOpts{})
	p := chiptest.NewPassport(f.doc, chiptest.PassportOpts{AAKey: f.aa})
	res, err := emrtd.Read(context.Background(), p, f.opts())
	if err != nil {
		t.Fatal(err)
	}
	if res.Access != emrtd.AccessBAC || res.AccessNote == "" {
		t.Fatalf("access %q note %q", res.Access, res.AccessNote)
	}
	mustPass(t, res)
}

func TestExtendedLength(t *testing.T) {
	f := newFixture(t, ecdhAES, chiptest.PKIOpts{RSA: true})
	p := chiptest.NewPassport(f.doc, chiptest.PassportOpts{AAKey: f.aa, Extended: true})
	o := f.opts()
	o.File = &chip.Opts{ChunkSize: 4000}
	rec := &chiptest.Record{Inner: p}
	res, err := emrtd.Read(context.Background(), rec, o)
	if err != nil {
		t.Fatal(err)
	}
	mustPass(t, res)
	small := chiptest.NewPassport(f.doc, chiptest.PassportOpts{AAKey: f.aa})
	rec2 := &chiptest.Record{Inner: small}
	if _, err := emrtd.Read(context.Background(), rec2, f.opts()); err != nil {
		t.Fatal(err)
	}
	if len(rec.Ops) >= len(rec2.Ops) {
		t.Fatalf("extended read took %d exchanges, short %d", len(rec.Ops), len(rec2.Ops))
	}
}

// TestRecordReplay records a whole read against the simulated chip and
// replays it with a deterministic terminal; Close must find nothing left.
func TestRecordReplay(t *testing.T) {
	f := newFixture(t, nil, chiptest.PKIOpts{})
	p := chiptest.NewPassport(f.doc, chiptest.PassportOpts{AAKey: f.aa})
	rec := &chiptest.Record{Inner: p}
	o := f.opts()
	o.Rand = mrand.NewChaCha8([32]byte{1})
	if _, err := emrtd.Read(context.Background(), rec, o); err != nil {
		t.Fatal(err)
	}
	pb := rec.Playback()
	o.Rand = mrand.NewChaCha8([32]byte{1})
	res, err := emrtd.Read(context.Background(), pb, o)
	if err != nil {
		t.Fatal(err)
	}
	mustPass(t, res)
	if err := pb.Close(); err != nil {
		t.Fatal(err)
	}
	// A different terminal nonce diverges from the recording.
	pb2 := rec.Playback()
	o.Rand = mrand.NewChaCha8([32]byte{2})
	if _, err := emrtd.Read(context.Background(), pb2, o); !errors.Is(err, chiptest.ErrMismatch) {
		t.Fatalf("err = %v", err)
	}
}

func checkStatus(t *testing.T, res *emrtd.Result, name string, want pa.Status) {
	t.Helper()
	c, ok := res.PA.Get(name)
	if !ok {
		t.Fatalf("no check %s", name)
	}
	if c.Status != want {
		t.Fatalf("%s = %s (%s), want %s", name, c.Status, c.Reason, want)
	}
	if want == pa.Fail && c.Reason == "" {
		t.Fatalf("%s failed without a reason", name)
	}
	if res.PA.Passed() && want == pa.Fail {
		t.Fatal("report passed with a failed check")
	}
}

func TestNegative(t *testing.T) {
	ctx := context.Background()
	t.Run("altered data group", func(t *testing.T) {
		f := newFixture(t, nil, chiptest.PKIOpts{})
		f.doc.DGs[1] = lds.MarshalDG1(chiptest.TD3("NLD", "ERIKSSON", "ANNA", "NX1234567", "NLD", "740812", "F", "341231"))
		res, err := emrtd.Read(ctx, chiptest.NewPassport(f.doc, chiptest.PassportOpts{AAKey: f.aa}), f.opts())
		if err != nil {
			t.Fatal(err)
		}
		checkStatus(t, res, pa.CheckDGHashes, pa.Fail)
		checkStatus(t, res, pa.CheckDG1vsMRZ, pa.Fail)
		checkStatus(t, res, pa.CheckSODSignature, pa.Pass)
	})
	t.Run("altered portrait", func(t *testing.T) {
		f := newFixture(t, nil, chiptest.PKIOpts{})
		j, _ := chiptest.FaceJPEG(180, 240, 99)
		f.doc.DGs[2] = lds.MarshalDG2(lds.FaceImage{Format: lds.FormatJPEG, Width: 180, Height: 240, Data: j})
		res, err := emrtd.Read(ctx, chiptest.NewPassport(f.doc, chiptest.PassportOpts{AAKey: f.aa}), f.opts())
		if err != nil {
			t.Fatal(err)
		}
		checkStatus(t, res, pa.CheckDGHashes, pa.Fail)
	})
	t.Run("bad SOD signature", func(t *testing.T) {
		f := newFixture(t, nil, chiptest.PKIOpts{})
		other, _ := chiptest.NewPKI(chiptest.PKIOpts{})
		// Same DS certificate embedded, signed by another key.
		f.doc.PKI = &chiptest.PKI{Country: "NL", CSCA: f.pki.CSCA, DS: f.pki.DS, DSKey: other.DSKey}
		if err := f.doc.Sign(0x5); err != nil { // crypto.SHA256
			t.Fatal(err)
		}
		res, err := emrtd.Read(ctx, chiptest.NewPassport(f.doc, chiptest.PassportOpts{AAKey: f.aa}), f.opts())
		if err != nil {
			t.Fatal(err)
		}
		checkStatus(t, res, pa.CheckSODSignature, pa.Fail)
		checkStatus(t, res, pa.CheckDGHashes, pa.Pass)
	})
	t.Run("untrusted CSCA", func(t *testing.T) {
		f := newFixture(t, nil, chiptest.PKIOpts{})
		other, _ := chiptest.NewPKI(chiptest.PKIOpts{})
		f.trust = &pa.TrustStore{CSCAs: []*x509Cert{other.CSCA}}
		res, err := emrtd.Read(ctx, chiptest.NewPassport(f.doc, chiptest.PassportOpts{AAKey: f.aa}), f.opts())
		if err != nil {
			t.Fatal(err)
		}
		checkStatus(t, res, pa.CheckDSSignature, pa.Fail)
		checkStatus(t, res, pa.CheckSODSignature, pa.Pass)
	})
	t.Run("revoked DS", func(t *testing.T) {
		f := newFixture(t, nil, chiptest.PKIOpts{})
		crlDER, err := f.pki.CRL(f.pki.DS.SerialNumber)
		if err != nil {
			t.Fatal(err)
		}
		crl, err := parseCRL(crlDER)
		if err != nil {
			t.Fatal(err)
		}
		f.trust.CRLs = append(f.trust.CRLs, crl)
		res, err := emrtd.Read(ctx, chiptest.NewPassport(f.doc, chiptest.PassportOpts{AAKey: f.aa}), f.opts())
		if err != nil {
			t.Fatal(err)
		}
		checkStatus(t, res, pa.CheckDSRevocation, pa.Fail)
	})
	t.Run("CRL without the DS", func(t *testing.T) {
		f := newFixture(t, nil, chiptest.PKIOpts{})
		crlDER, _ := f.pki.CRL(big.NewInt(7))
		crl, _ := parseCRL(crlDER)
		f.trust.CRLs = append(f.trust.CRLs, crl)
		res, err := emrtd.Read(ctx, chiptest.NewPassport(f.doc, chiptest.PassportOpts{AAKey: f.aa}), f.opts())
		if err != nil {
			t.Fatal(err)
		}
		checkStatus(t, res, pa.CheckDSRevocation, pa.Pass)
	})
	t.Run("expired DS", func(t *testing.T) {
		f := newFixture(t, nil, chiptest.PKIOpts{DSNotBefore: time.Now().AddDate(-12, 0, 0), DSNotAfter: time.Now().AddDate(-1, 0, 0)})
		res, err := emrtd.Read(ctx, chiptest.NewPassport(f.doc, chiptest.PassportOpts{AAKey: f.aa}), f.opts())
		if err != nil {
			t.Fatal(err)
		}
		checkStatus(t, res, pa.CheckDSValidity, pa.Fail)
	})
	t.Run("cloned chip (AA key differs from DG15)", func(t *testing.T) {
		f := newFixture(t, nil, chiptest.PKIOpts{})
		clone, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		res, err := emrtd.Read(ctx, chiptest.NewPassport(f.doc, chiptest.PassportOpts{AAKey: clone}), f.opts())
		if err != nil {
			t.Fatal(err)
		}
		if res.AA.Status != pa.Fail || res.AA.Reason == "" {
			t.Fatalf("AA = %+v", res.AA)
		}
		checkStatus(t, res, pa.CheckSODSignature, pa.Pass) // PA alone cannot see a clone
	})
	t.Run("wrong MRZ key BAC", func(t *testing.T) {
		f := newFixture(t, nil, chiptest.PKIOpts{})
		o := f.opts()
		o.Key.DateOfBirth = "740813"
		_, err := emrtd.Read(ctx, chiptest.NewPassport(f.doc, chiptest.PassportOpts{AAKey: f.aa}), o)
		if !errors.Is(err, bac.ErrAuth) || !errors.Is(err, emrtd.ErrAccessDenied) {
			t.Fatalf("err = %v, want bac.ErrAuth and emrtd.ErrAccessDenied", err)
		}
		noSecrets(t, err, f.doc)
	})
	t.Run("wrong MRZ key PACE-only chip", func(t *testing.T) {
		f := newFixture(t, ecdhAES, chiptest.PKIOpts{})
		o := f.opts()
		o.Key.DateOfExpiry = "341230"
		_, err := emrtd.Read(ctx, chiptest.NewPassport(f.doc, chiptest.PassportOpts{AAKey: f.aa, NoBAC: true}), o)
		if !errors.Is(err, pace.ErrAuth) || !errors.Is(err, emrtd.ErrAccessDenied) {
			t.Fatalf("err = %v, want pace.ErrAuth and emrtd.ErrAccessDenied", err)
		}
		noSecrets(t, err, f.doc)
	})
	t.Run("wrong MRZ key PACE and BAC chip", func(t *testing.T) {
		f := newFixture(t, ecdhAES, chiptest.PKIOpts{})
		o := f.opts()
		o.Key.DocumentNumber = "NX1234568"
		_, err := emrtd.Read(ctx, chiptest.NewPassport(f.doc, chiptest.PassportOpts{AAKey: f.aa}), o)
		if !errors.Is(err, pace.ErrAuth) || !errors.Is(err, bac.ErrAuth) || !errors.Is(err, emrtd.ErrAccessDenied) {
			t.Fatalf("err = %v, want both refusals under emrtd.ErrAccessDenied", err)
		}
		noSecrets(t, err, f.doc)
	})
	t.Run("CAN only, PACE-less chip", func(t *testing.T) {
		f := newFixture(t, nil, chiptest.PKIOpts{})
		_, err := emrtd.Read(ctx, chiptest.NewPassport(f.doc, chiptest.PassportOpts{AAKey: f.aa}), emrtd.Opts{CAN: "123456", Trust: f.trust})
		if !errors.Is(err, emrtd.ErrAccess) || errors.Is(err, emrtd.ErrAccessDenied) {
			t.Fatalf("err = %v, want emrtd.ErrAccess", err)
		}
	})
	t.Run("card removed mid-read", func(t *testing.T) {
		f := newFixture(t, nil, chiptest.PKIOpts{})
		_, err := emrtd.Read(ctx, chiptest.NewPassport(f.doc, chiptest.PassportOpts{AAKey: f.aa, RemoveAfter: 30}), f.opts())
		if !errors.Is(err, chip.ErrCardRemoved) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("card removed during PACE", func(t *testing.T) {
		f := newFixture(t, ecdhAES, chiptest.PKIOpts{})
		_, err := emrtd.Read(ctx, chiptest.NewPassport(f.doc, chiptest.PassportOpts{AAKey: f.aa, RemoveAfter: 5}), f.opts())
		if !errors.Is(err, chip.ErrCardRemoved) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("EF.COM and SOD disagree", func(t *testing.T) {
		f := newFixture(t, nil, chiptest.PKIOpts{})
		f.doc.COM = lds.MarshalCOM(&lds.COM{LDSVersion: "0107", UnicodeVersion: "040000", Tags: []byte{0x61, 0x75}})
		res, err := emrtd.Read(ctx, chiptest.NewPassport(f.doc, chiptest.PassportOpts{AAKey: f.aa}), f.opts())
		if err != nil {
			t.Fatal(err)
		}
		checkStatus(t, res, pa.CheckSODvsCOM, pa.Fail)
	})
	t.Run("country mismatch", func(t *testing.T) {
		pki, _ := chiptest.NewPKI(chiptest.PKIOpts{Country: "DE"})
		doc, err := chiptest.NewDocument(chiptest.DocumentOpts{PKI: pki, MRZ: chiptest.TD3("FRA", "X", "Y", "AB1234567", "FRA", "800101", "M", "300101")})
		if err != nil {
			t.Fatal(err)
		}
		res, err := emrtd.Read(ctx, chiptest.NewPassport(doc, chiptest.PassportOpts{}), emrtd.Opts{Key: doc.Key, Trust: &pa.TrustStore{CSCAs: []*x509Cert{pki.CSCA}}})
		if err != nil {
			t.Fatal(err)
		}
		checkStatus(t, res, pa.CheckCountryVsDS, pa.Fail)
		if res.AA.Status != pa.NotChecked {
			t.Fatalf("AA without DG15: %+v", res.AA)
		}
	})
}

func TestNoPersonalDataInLogs(t *testing.T) {
	f := newFixture(t, ecdhAES, chiptest.PKIOpts{})
	var buf bytes.Buffer
	o := f.opts()
	o.Logger = newTextLogger(&buf)
	if _, err := emrtd.Read(context.Background(), chiptest.NewPassport(f.doc, chiptest.PassportOpts{AAKey: f.aa}), o); err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"NX1234567", "740812", "ERIKSSON", f.doc.MRZ[44:60]} {
		if bytes.Contains(buf.Bytes(), []byte(secret)) {
			t.Fatalf("log contains personal data %q", secret)
		}
	}
	if buf.Len() == 0 {
		t.Fatal("nothing logged")
	}
}

func TestChipAuthentication(t *testing.T) {
	for _, tc := range []struct {
		name  string
		alg   sm.Alg
		curve elliptic.Curve
		infos []lds.PACEInfo
		clone bool
	}{
		{"AES-128 P-256 after BAC", sm.AlgAES128, elliptic.P256(), nil, false},
		{"AES-256 P-384 after PACE", sm.AlgAES256, elliptic.P384(), ecdhAES, false},
		{"3DES P-256 after BAC", sm.Alg3DES, elliptic.P256(), nil, false},
		{"cloned chip after BAC", sm.AlgAES128, elliptic.P256(), nil, true},
		{"cloned chip after PACE", sm.AlgAES128, elliptic.P256(), ecdhAES, true},
		{"PACE-CAM P-256", sm.AlgAES128, elliptic.P256(), camP256, false},
		{"AES-128 brainpoolP256r1 after BAC", sm.AlgAES128, brainpool.P256r1(), nil, false},
		{"3DES brainpoolP224r1 after PACE", sm.Alg3DES, brainpool.P224r1(), ecdhAES, false},
		{"AES-256 brainpoolP384r1 explicit parameters", sm.AlgAES256, brainpool.P384r1(), nil, false},
		{"cloned chip brainpoolP256r1", sm.AlgAES128, brainpool.P256r1(), ecdhAES, true},
		{"PACE-CAM brainpoolP256r1", sm.AlgAES128, brainpool.P256r1(), []lds.PACEInfo{{Protocol: pace.OID(true, pace.ChipAuthenticationMapping, sm.AlgAES128), Version: 2, ParameterID: 13}}, false},
		{"cloned chip under PACE-CAM brainpoolP256r1", sm.AlgAES128, brainpool.P256r1(), []lds.PACEInfo{{Protocol: pace.OID(true, pace.ChipAuthenticationMapping, sm.AlgAES128), Version: 2, ParameterID: 13}}, true},
		{"PACE-CAM P-384 AES-256", sm.AlgAES256, elliptic.P384(), []lds.PACEInfo{{Protocol: pace.OID(true, pace.ChipAuthenticationMapping, sm.AlgAES256), Version: 2, ParameterID: 15}}, false},
		{"cloned chip under PACE-CAM", sm.AlgAES128, elliptic.P256(), camP256, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pki, _ := chiptest.NewPKI(chiptest.PKIOpts{})
			caKey, _ := ecdsa.GenerateKey(tc.curve, rand.Reader)
			doc, err := chiptest.NewDocument(chiptest.DocumentOpts{PKI: pki, PACE: tc.infos, CAKey: caKey, CAAlg: tc.alg,
				CAKeyExplicit: strings.Contains(tc.name, "explicit")})
			if err != nil {
				t.Fatal(err)
			}
			held := caKey
			if tc.clone {
				held, _ = ecdsa.GenerateKey(tc.curve, rand.Reader)
			}
			res, err := emrtd.Read(context.Background(), chiptest.NewPassport(doc, chiptest.PassportOpts{CAKey: held}),
				emrtd.Opts{Key: doc.Key, Trust: &pa.TrustStore{CSCAs: []*x509Cert{pki.CSCA}}})
			if err != nil {
				t.Fatal(err)
			}
			if tc.clone {
				if res.CA.Status != pa.Fail || res.CA.Reason == "" {
					t.Fatalf("CA = %+v", res.CA)
				}
				if ok, ran := res.ChipResult().Checks[emrtd.CheckChipAuth]; ok || !ran {
					t.Fatal("clone not mapped to a chip_auth failure")
				}
			} else if res.CA.Status != pa.Pass {
				t.Fatalf("CA = %+v", res.CA)
			}
			if cam := tc.infos != nil && tc.infos[0].Protocol[len(tc.infos[0].Protocol)-2] == 6; cam {
				if !strings.Contains(res.Access, "CAM") {
					t.Fatalf("access %q, want PACE-CAM", res.Access)
				}
				if !tc.clone && !strings.Contains(res.CA.Reason, "mapping") {
					t.Fatalf("CA passed %q, not by the mapping", res.CA.Reason)
				}
			}
			// The read completes either way, and PA still covers DG14.
			if !res.PA.Passed() || len(res.Faces) != 1 {
				t.Fatalf("PA %+v", res.PA.Checks)
			}
		})
	}
}

// TestCAMCardSecurity: after PACE chip authentication mapping, the chip's
// key may live in EF.CardSecurity only; that file must pass its own
// signature and DS chain checks before its key is believed.
func TestCAMCardSecurity(t *testing.T) {
	for _, tc := range []struct {
		name       string
		inCS, inDG bool
		clone      bool
		tamper     bool
		untrusted  bool
		want       pa.Status
		wantReason string
	}{
		{name: "key in EF.CardSecurity only", inCS: true, want: pa.Pass, wantReason: "EF.CardSecurity key"},
		{name: "key in DG14 and EF.CardSecurity", inCS: true, inDG: true, want: pa.Pass, wantReason: "DG14 key"},
		{name: "clone, key in EF.CardSecurity", inCS: true, clone: true, want: pa.Fail, wantReason: "possible clone"},
		{name: "EF.CardSecurity altered", inCS: true, tamper: true, want: pa.Fail, wantReason: "EF.CardSecurity"},
		{name: "EF.CardSecurity from an untrusted signer", inCS: true, untrusted: true, want: pa.Fail, wantReason: "ds_signature"},
		{name: "key nowhere", want: pa.NotChecked, wantReason: "neither DG14 nor EF.CardSecurity"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pki, _ := chiptest.NewPKI(chiptest.PKIOpts{})
			caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			doc, err := chiptest.NewDocument(chiptest.DocumentOpts{PKI: pki, PACE: camP256, CAKey: caKey,
				CardSecurity: tc.inCS, CAOnlyInCardSecurity: !tc.inDG})
			if err != nil {
				t.Fatal(err)
			}
			if !tc.inCS && !tc.inDG {
				// No EF.CardSecurity and a DG14 without the key.
				doc, err = chiptest.NewDocument(chiptest.DocumentOpts{PKI: pki, PACE: camP256, CAKey: caKey, CAOnlyInCardSecurity: true})
				if err != nil {
					t.Fatal(err)
				}
			}
			if tc.tamper {
				doc.CardSecurity[len(doc.CardSecurity)-5] ^= 1 // inside the signature
			}
			trust := []*x509Cert{pki.CSCA}
			if tc.untrusted {
				other, _ := chiptest.NewPKI(chiptest.PKIOpts{})
				cs, err := chiptest.SignCMS(lds.OIDSecurityObject, mustSecurityContent(t, doc.CardSecurity), other.DS, other.DSKey, crypto.SHA256)
				if err != nil {
					t.Fatal(err)
				}
				doc.CardSecurity = cs
			}
			held := caKey
			if tc.clone {
				held, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			}
			res, err := emrtd.Read(context.Background(), chiptest.NewPassport(doc, chiptest.PassportOpts{CAKey: held}),
				emrtd.Opts{Key: doc.Key, Trust: &pa.TrustStore{CSCAs: trust}})
			if err != nil {
				t.Fatal(err)
			}
			if res.Access != "PACE-ECDH-CAM-AES-128" {
				t.Fatalf("access %q (%s)", res.Access, res.AccessNote)
			}
			if res.CA.Status != tc.want || !strings.Contains(res.CA.Reason, tc.wantReason) {
				t.Fatalf("CA = %+v, want %s with %q", res.CA, tc.want, tc.wantReason)
			}
			if tc.inCS != (res.RawCardSecurity != nil) {
				t.Fatalf("EF.CardSecurity read: %v", res.RawCardSecurity != nil)
			}
			if !res.PA.Passed() {
				t.Fatalf("PA %+v", res.PA.Checks)
			}
		})
	}
}

func mustSecurityContent(t *testing.T, cs []byte) []byte {
	t.Helper()
	sd, err := lds.ParseSignedData(cs)
	if err != nil {
		t.Fatal(err)
	}
	return sd.Content
}
