package lds_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/egate/egate/sensors/chip/chiptest"
	"github.com/egate/egate/sensors/chip/internal/icaovec"
	"github.com/egate/egate/sensors/chip/lds"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// td3 is the ICAO 9303 Part 4 specimen.
const td3 = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<" + "L898902C36UTO7408122F1204159ZE184226B<<<<<10"

func TestCOM(t *testing.T) {
	// ICAO 9303 Part 11 D.4: EF.COM read in two pieces.
	b := unhex(t, "60145F0104303130365F36063034303030305C026175")
	c, err := lds.ParseCOM(b)
	if err != nil {
		t.Fatal(err)
	}
	if c.LDSVersion != "0106" || c.UnicodeVersion != "040000" {
		t.Fatalf("COM = %+v", c)
	}
	if got := c.DataGroups(); len(got) != 2 || got[0] != 1 || got[1] != 2 {
		t.Fatalf("data groups %v", got)
	}
	if again, _ := lds.ParseCOM(lds.MarshalCOM(c)); !bytes.Equal(again.Tags, c.Tags) {
		t.Fatal("round trip")
	}
}

func TestCOMFromVectors(t *testing.T) {
	v := icaovec.Load(t)
	// The two READ BINARY answers of D.4 concatenated are EF.COM.
	a := v.Hex(t, "secure_messaging_3des_icao_p11_D4.3.unprotected_rapdu")
	b := v.Hex(t, "secure_messaging_3des_icao_p11_D4.5.unprotected_rapdu")
	file := append(a[:len(a)-2:len(a)-2], b[:len(b)-2]...)
	if _, err := lds.ParseCOM(file); err != nil {
		t.Fatal(err)
	}
}

func TestDG1(t *testing.T) {
	for _, tc := range []struct {
		name, mrz, format, doc, state, dob, exp string
	}{
		{"TD3 specimen", td3, lds.TD3, "L898902C3", "UTO", "740812", "120415"},
		{"TD1 specimen", "I<UTOD231458907<<<<<<<<<<<<<<<" + "7408122F1204159UTO<<<<<<<<<<<6" + "ERIKSSON<<ANNA<MARIA<<<<<<<<<<", lds.TD1, "D23145890", "UTO", "740812", "120415"},
		{"TD1 long number", "I<UTOD23145890<7349<<<<<<<<<<<" + "3407127M9507122UTO<<<<<<<<<<<2" + "STEVENSON<<PETER<JOHN<<<<<<<<<", lds.TD1, "D23145890734", "UTO", "340712", "950712"},
		{"TD2 specimen", "I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<" + "D231458907UTO7408122F1204159<<<<<<<6", lds.TD2, "D23145890", "UTO", "740812", "120415"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := lds.ParseDG1(lds.MarshalDG1(tc.mrz))
			if err != nil {
				t.Fatal(err)
			}
			if d.Format != tc.format || d.DocumentNumber != tc.doc || d.IssuingState != tc.state || d.DateOfBirth != tc.dob || d.DateOfExpiry != tc.exp {
				t.Fatalf("fields: %s %s %s %s %s", d.Format, d.DocumentNumber, d.IssuingState, d.DateOfBirth, d.DateOfExpiry)
			}
			if bytes.Contains([]byte(d.String()), []byte(tc.doc)) {
				t.Fatal("String prints the document number")
			}
		})
	}
	for _, bad := range [][]byte{
		lds.MarshalDG1("P<UTO"),
		lds.MarshalDG1(td3[:87] + "a"),
		unhex(t, "61035F1F05"),
		unhex(t, "6100"),
	} {
		if _, err := lds.ParseDG1(bad); !errors.Is(err, lds.ErrFormat) {
			t.Errorf("ParseDG1(%X) = %v", bad, err)
		}
	}
}

func TestDG2(t *testing.T) {
	j, err := chiptest.FaceJPEG(60, 80, 3)
	if err != nil {
		t.Fatal(err)
	}
	img := lds.FaceImage{Format: lds.FormatJPEG, Width: 60, Height: 80, ImageType: 1, Data: j}
	d, err := lds.ParseDG2(lds.MarshalDG2(img))
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Faces) != 1 || !bytes.Equal(d.Faces[0].Data, j) || d.Faces[0].Width != 60 || d.Faces[0].Height != 80 {
		t.Fatalf("faces %v", d.Faces)
	}
	jp2 := append([]byte{0, 0, 0, 0x0C, 0x6A, 0x50, 0x20, 0x20, 0x0D, 0x0A, 0x87, 0x0A}, bytes.Repeat([]byte{1}, 50)...)
	d, err = lds.ParseDG2(lds.MarshalDG2(lds.FaceImage{Format: lds.FormatJPEG2000, Width: 1, Height: 1, Data: jp2}))
	if err != nil || d.Faces[0].Format != lds.FormatJPEG2000 {
		t.Fatalf("JPEG 2000: %v %v", d, err)
	}
	// Declared JPEG 2000 but JPEG bytes.
	if _, err := lds.ParseDG2(lds.MarshalDG2(lds.FaceImage{Format: lds.FormatJPEG2000, Data: j})); !errors.Is(err, lds.ErrFormat) {
		t.Fatalf("format mismatch: %v", err)
	}
}

func dg2Seeds(t testing.TB) [][]byte {
	j := []byte{0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3, 4}
	good := lds.MarshalDG2(lds.FaceImage{Format: lds.FormatJPEG, Width: 1, Height: 1, Data: j})
	truncated := append([]byte{}, good...)
	truncated = truncated[:len(truncated)-3]
	// Record length field claims more than present.
	lying := append([]byte{}, good...)
	i := bytes.Index(lying, []byte("FAC\x00"))
	lying[i+8] = 0x7F
	// Feature point count overruns the block.
	points := append([]byte{}, good...)
	points[i+14+4] = 0xFF
	return [][]byte{good, truncated, lying, points}
}

func TestDG2Hostile(t *testing.T) {
	seeds := dg2Seeds(t)
	for i, b := range seeds[1:] {
		if _, err := lds.ParseDG2(b); err == nil {
			t.Errorf("hostile DG2 %d accepted", i+1)
		}
	}
	if _, err := lds.ParseDG2(unhex(t, "75077F6104020101")); err == nil {
		t.Error("DG2 without a face accepted")
	}
	if _, err := lds.ParseDG2(unhex(t, "750C7F6109020101"+"7F6004"+"7F2E0100")); !errors.Is(err, lds.ErrFormat) {
		t.Error("39794-5 block not reported")
	}
}

func TestSecurityInfos(t *testing.T) {
	v := icaovec.Load(t)
	si, err := lds.ParseSecurityInfos(v.Hex(t, "pace_gm_dh_modp1024_icao_p11_G2.ef_cardaccess"))
	if err != nil {
		t.Fatal(err)
	}
	if len(si.PACE) != 1 || si.PACE[0].ParameterID != 0 || si.PACE[0].Version != 2 {
		t.Fatalf("PACE %+v", si.PACE)
	}
	// Round trip through the encoder, with and without parameter id.
	infos := []lds.PACEInfo{
		{Protocol: asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 2, 2, 4, 2, 2}, Version: 2, ParameterID: 0},
		{Protocol: asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 2, 2, 4, 2, 4}, Version: 2, ParameterID: -1},
	}
	b, err := lds.MarshalPACEInfos(infos)
	if err != nil {
		t.Fatal(err)
	}
	si, err = lds.ParseSecurityInfos(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(si.PACE) != 2 {
		t.Fatalf("round trip %+v", si.PACE)
	}
	for _, p := range si.PACE { // DER sorts the SET OF
		want := 0
		if p.Protocol[len(p.Protocol)-1] == 4 {
			want = -1
		}
		if p.ParameterID != want {
			t.Fatalf("round trip %+v", si.PACE)
		}
	}
}

func TestDG14AndDG15(t *testing.T) {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	pki, err := chiptest.NewPKI(chiptest.PKIOpts{})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := chiptest.NewDocument(chiptest.DocumentOpts{PKI: pki, AAKey: k})
	if err != nil {
		t.Fatal(err)
	}
	dg15, err := lds.ParseDG15(doc.DGs[15])
	if err != nil {
		t.Fatal(err)
	}
	if !dg15.PublicKey.(*ecdsa.PublicKey).Equal(&k.PublicKey) {
		t.Fatal("DG15 key")
	}
	dg14, err := lds.ParseDG14(doc.DGs[14])
	if err != nil {
		t.Fatal(err)
	}
	if len(dg14.AA) != 1 || !dg14.AA[0].SignatureAlgorithm.Equal(asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}) {
		t.Fatalf("DG14 %+v", dg14)
	}
	// A chip authentication public key info (ECDH, P-256) with key id.
	spki, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	pk, _ := asn1.Marshal(struct {
		P   asn1.ObjectIdentifier
		Key asn1.RawValue
		ID  int
	}{asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 2, 2, 1, 2}, asn1.RawValue{FullBytes: spki}, 5})
	ca, _ := asn1.Marshal(struct {
		P  asn1.ObjectIdentifier
		V  int
		ID int
	}{asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 2, 2, 3, 2, 2}, 1, 5})
	set, _ := asn1.MarshalWithParams([]asn1.RawValue{{FullBytes: pk}, {FullBytes: ca}}, "set")
	si, err := lds.ParseSecurityInfos(set)
	if err != nil {
		t.Fatal(err)
	}
	if len(si.CAKeys) != 1 || si.CAKeys[0].KeyID.Int64() != 5 || si.CAKeys[0].PublicKey == nil || len(si.CA) != 1 {
		t.Fatalf("CA infos %+v", si)
	}
}

func TestSOD(t *testing.T) {
	for _, rsa := range []bool{false, true} {
		pki, err := chiptest.NewPKI(chiptest.PKIOpts{RSA: rsa})
		if err != nil {
			t.Fatal(err)
		}
		doc, err := chiptest.NewDocument(chiptest.DocumentOpts{PKI: pki})
		if err != nil {
			t.Fatal(err)
		}
		sod, err := lds.ParseSOD(doc.SOD)
		if err != nil {
			t.Fatal(err)
		}
		if len(sod.Hashes) != 2 || len(sod.Hashes[1]) != 32 {
			t.Fatalf("hashes %v", sod.Hashes)
		}
		c, err := sod.Signed.SignerCertificate()
		if err != nil || !c.Equal(pki.DS) {
			t.Fatalf("signer %v", err)
		}
		if sod.Signed.SignedAttrs == nil || len(sod.Signed.AttrMessageDigest) != 32 {
			t.Fatal("signed attributes")
		}
	}
}

func FuzzParseSOD(f *testing.F) {
	pki, err := chiptest.NewPKI(chiptest.PKIOpts{})
	if err != nil {
		f.Fatal(err)
	}
	doc, err := chiptest.NewDocument(chiptest.DocumentOpts{PKI: pki})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(doc.SOD)
	f.Add(doc.SOD[:100])
	f.Add([]byte{0x77, 0x03, 0x30, 0x01, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = lds.ParseSOD(b)
	})
}

func FuzzParseDG1(f *testing.F) {
	f.Add(lds.MarshalDG1(td3))
	f.Add(lds.MarshalDG1(td3[:72]))
	f.Add(lds.MarshalDG1(td3[:44] + td3[:46]))
	f.Add([]byte{0x61, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := lds.ParseDG1(b)
		if err == nil && d.Format == "" {
			t.Fatal("accepted DG1 without a format")
		}
	})
}

func FuzzParseDG2(f *testing.F) {
	for _, s := range dg2Seeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := lds.ParseDG2(b)
		if err == nil {
			for _, face := range d.Faces {
				if len(face.Data) == 0 || face.Format == "" {
					t.Fatal("accepted an empty face")
				}
			}
		}
	})
}

func FuzzParseSecurityInfos(f *testing.F) {
	f.Add(unhex(f, "31143012060A04007F0007020204020202010202010D"))
	f.Add(unhex(f, "31143012060A04007F00070202040102020102020100"))
	f.Add(unhex(f, "3100"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = lds.ParseSecurityInfos(b)
		_, _ = lds.ParseDG14(append([]byte{0x6E, byte(len(b) & 0x7F)}, b...))
	})
}

func FuzzParseCOM(f *testing.F) {
	f.Add(unhex(f, "60145F0104303130365F36063034303030305C026175"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = lds.ParseCOM(b)
		_, _ = lds.ParseDG15(b)
	})
}

// TestSignedDataKeepsUnparsedCertificates: a certificate crypto/x509
// cannot parse (a brainpool document signer) neither sinks the SignedData
// nor disappears: it stays in RawCertificates for passive authentication.
func TestSignedDataKeepsUnparsedCertificates(t *testing.T) {
	bp, err := chiptest.NewBrainpoolPKI(chiptest.BrainpoolPKIOpts{})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := chiptest.NewBrainpoolDocument(bp, chiptest.DocumentOpts{})
	if err != nil {
		t.Fatal(err)
	}
	sod, err := lds.ParseSOD(doc.SOD)
	if err != nil {
		t.Fatal(err)
	}
	if len(sod.Signed.RawCertificates) != 1 || !bytes.Equal(sod.Signed.RawCertificates[0], bp.DS) || len(sod.Signed.Certificates) != 0 {
		t.Fatalf("%d raw, %d parsed certificates", len(sod.Signed.RawCertificates), len(sod.Signed.Certificates))
	}
	pki, _ := chiptest.NewPKI(chiptest.PKIOpts{})
	doc, _ = chiptest.NewDocument(chiptest.DocumentOpts{PKI: pki})
	if sod, err = lds.ParseSOD(doc.SOD); err != nil || len(sod.Signed.Certificates) != 1 || len(sod.Signed.RawCertificates) != 1 {
		t.Fatalf("NIST signer: %v", err)
	}
}
