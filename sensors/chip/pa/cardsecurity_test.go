package pa_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"testing"
	"time"

	"github.com/egate/egate/sensors/chip/chiptest"
	"github.com/egate/egate/sensors/chip/lds"
	"github.com/egate/egate/sensors/chip/pa"
	"github.com/egate/egate/sensors/chip/pace"
	"github.com/egate/egate/sensors/chip/sm"
)

func cardSecurityDoc(t testing.TB) (*chiptest.PKI, *chiptest.Document) {
	t.Helper()
	pki, err := chiptest.NewPKI(chiptest.PKIOpts{})
	if err != nil {
		t.Fatal(err)
	}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	doc, err := chiptest.NewDocument(chiptest.DocumentOpts{PKI: pki, CAKey: key, CardSecurity: true,
		PACE: []lds.PACEInfo{{Protocol: pace.OID(true, pace.ChipAuthenticationMapping, sm.AlgAES128), Version: 2, ParameterID: 12}}})
	if err != nil {
		t.Fatal(err)
	}
	return pki, doc
}

func TestVerifyCardSecurity(t *testing.T) {
	pki, doc := cardSecurityDoc(t)
	ts := &pa.TrustStore{CSCAs: []*x509.Certificate{pki.CSCA}}
	infos, err := pa.VerifyCardSecurity(doc.CardSecurity, ts, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(infos.PACE) != 1 || len(infos.CAKeys) != 1 || len(infos.CA) != 1 {
		t.Fatalf("infos %+v", infos)
	}

	// Refusals.
	sod := func() []byte { return doc.SOD[4:] } // EF.SOD's ContentInfo: the wrong content type
	crl, err := pki.CRL(pki.DS.SerialNumber)
	if err != nil {
		t.Fatal(err)
	}
	revoked, err := x509.ParseRevocationList(crl)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := chiptest.NewPKI(chiptest.PKIOpts{})
	for name, tc := range map[string]struct {
		der []byte
		ts  *pa.TrustStore
		now time.Time
	}{
		"no trust store":      {doc.CardSecurity, nil, time.Time{}},
		"other CSCA":          {doc.CardSecurity, &pa.TrustStore{CSCAs: []*x509.Certificate{other.CSCA}}, time.Time{}},
		"revoked DS":          {doc.CardSecurity, &pa.TrustStore{CSCAs: []*x509.Certificate{pki.CSCA}, CRLs: []*x509.RevocationList{revoked}}, time.Time{}},
		"DS expired":          {doc.CardSecurity, ts, time.Now().AddDate(30, 0, 0)},
		"garbage":             {[]byte{0x30, 0x03, 0x02, 0x01}, ts, time.Time{}},
		"empty":               {nil, ts, time.Time{}},
		"EF.SOD content type": {sod(), ts, time.Time{}},
		"altered signature":   {flip(doc.CardSecurity, len(doc.CardSecurity)-3), ts, time.Time{}},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := pa.VerifyCardSecurity(tc.der, tc.ts, tc.now); !errors.Is(err, pa.ErrCardSecurity) {
				t.Fatalf("err = %v", err)
			}
		})
	}
}

func flip(b []byte, i int) []byte {
	out := append([]byte{}, b...)
	out[i] ^= 0x01
	return out
}

func FuzzVerifyCardSecurity(f *testing.F) {
	pki, doc := cardSecurityDoc(f)
	f.Add(doc.CardSecurity)
	f.Add([]byte{0x30, 0x80})
	ts := &pa.TrustStore{CSCAs: []*x509.Certificate{pki.CSCA}}
	f.Fuzz(func(t *testing.T, b []byte) {
		infos, err := pa.VerifyCardSecurity(b, ts, time.Time{})
		if (err == nil) == (infos == nil) {
			t.Fatalf("infos %v with err %v", infos, err)
		}
	})
}

// TestVerifyCardSecurityBrainpool: a brainpool document signer, as many
// states use, signs EF.CardSecurity.
func TestVerifyCardSecurityBrainpool(t *testing.T) {
	bp, err := chiptest.NewBrainpoolPKI(chiptest.BrainpoolPKIOpts{})
	if err != nil {
		t.Fatal(err)
	}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	doc, err := chiptest.NewBrainpoolDocument(bp, chiptest.DocumentOpts{CAKey: key, CardSecurity: true,
		PACE: []lds.PACEInfo{{Protocol: pace.OID(true, pace.ChipAuthenticationMapping, sm.AlgAES128), Version: 2, ParameterID: 12}}})
	if err != nil {
		t.Fatal(err)
	}
	csca, err := pa.ParseCertificate(bp.CSCA)
	if err != nil {
		t.Fatal(err)
	}
	infos, err := pa.VerifyCardSecurity(doc.CardSecurity, &pa.TrustStore{OtherCSCAs: []*pa.Certificate{csca}}, time.Time{})
	if err != nil || len(infos.CAKeys) != 1 {
		t.Fatalf("infos %v, err %v", infos, err)
	}
	if _, err := pa.VerifyCardSecurity(flip(doc.CardSecurity, len(doc.CardSecurity)-3), &pa.TrustStore{OtherCSCAs: []*pa.Certificate{csca}}, time.Time{}); !errors.Is(err, pa.ErrCardSecurity) {
		t.Fatalf("altered: %v", err)
	}
}
