package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/egate/egate/sensors/chip"
	"github.com/egate/egate/sensors/chip/chiptest"
	"github.com/egate/egate/sensors/chip/lds"
	"github.com/egate/egate/sensors/chip/pace"
	"github.com/egate/egate/sensors/chip/pcsc/pcsctest"
	"github.com/egate/egate/sensors/chip/sm"
)

// docPassport is a simulated document with its trust store on disk.
type docPassport struct {
	doc      *chiptest.Document
	aa       *ecdsa.PrivateKey
	face     []byte
	trustDir string
	mrzFile  string
}

func newDocPassport(t *testing.T, infos []lds.PACEInfo) *docPassport {
	t.Helper()
	pki, err := chiptest.NewPKI(chiptest.PKIOpts{})
	if err != nil {
		t.Fatal(err)
	}
	aa, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	face, _ := chiptest.FaceJPEG(210, 280, 5)
	doc, err := chiptest.NewDocument(chiptest.DocumentOpts{PKI: pki, PACE: infos, AAKey: aa, CAKey: aa,
		Face: &lds.FaceImage{Format: lds.FormatJPEG, Width: 210, Height: 280, ImageType: 1, Data: face}})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	trust := filepath.Join(dir, "trust")
	os.Mkdir(trust, 0o755)
	if err := pki.WriteTrustStore(trust, nil); err != nil {
		t.Fatal(err)
	}
	mrzFile := filepath.Join(dir, "zone.txt")
	if err := os.WriteFile(mrzFile, []byte(docZone(doc.MRZ)), 0o644); err != nil {
		t.Fatal(err)
	}
	return &docPassport{doc: doc, aa: aa, face: face, trustDir: trust, mrzFile: mrzFile}
}

// docZone splits a joined TD3 into its two lines.
func docZone(joined string) string { return joined[:44] + "\n" + joined[44:] + "\n" }

func (p *docPassport) card(o chiptest.PassportOpts) *chiptest.Passport {
	if o.AAKey == nil {
		o.AAKey = p.aa
	}
	if o.CAKey == nil {
		o.CAKey = p.aa
	}
	return chiptest.NewPassport(p.doc, o)
}

func runDocCmd(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = dispatch(append([]string{"doc", "read"}, args...), strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func decodeDoc(t *testing.T, stdout string) docReadJSON {
	t.Helper()
	var j docReadJSON
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		t.Fatalf("stdout is not the JSON object: %v\n%s", err, stdout)
	}
	return j
}

func status(j docReadJSON, name string) string { return string(j.Checks[name].Status) }

var (
	docPACE      = []lds.PACEInfo{{Protocol: pace.OID(true, pace.GenericMapping, sm.AlgAES128), Version: 2, ParameterID: 13}}
	docPACEP192  = []lds.PACEInfo{{Protocol: pace.OID(true, pace.GenericMapping, sm.AlgAES128), Version: 2, ParameterID: 8}}
	docPersonal  = []string{"NX1234567", "740812", "341231", "ERIKSSON"}
	docHaveFiles = []int{1, 2, 14, 15}
)

// TestDocRead runs egatectl doc read against simulated passports through
// a private pcscd and the vpcd reader.
func TestDocRead(t *testing.T) {
	d := pcsctest.Start(t)
	rdr := []string{"--socket", d.Socket, "--reader", pcsctest.ReaderPrefix, "--wait", "5s"}
	args := func(extra ...string) []string { return append(append([]string{}, rdr...), extra...) }

	t.Run("BAC, JSON, portrait to a file", func(t *testing.T) {
		p := newDocPassport(t, nil)
		remove, _ := d.Insert(t, p.card(chiptest.PassportOpts{}))
		defer remove()
		face := filepath.Join(t.TempDir(), "face.jpg")
		code, stdout, stderr := runDocCmd(t, "", args("--mrz-file", p.mrzFile, "--trust", p.trustDir, "--portrait-out", face, "--json")...)
		if code != 0 {
			t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
		}
		j := decodeDoc(t, stdout)
		if j.Reader != pcsctest.ReaderName || j.Access.Kind != "BAC" || j.Access.Protocol != "BAC" || j.Access.Password != "MRZ" {
			t.Fatalf("reader/access %+v %+v", j.Reader, j.Access)
		}
		if j.DG1 == nil || *j.DG1.DocumentNumber != "NX1234567" || *j.DG1.Surname != "ERIKSSON" || !j.DG1.Valid {
			t.Fatalf("dg1 %+v", j.DG1)
		}
		for _, c := range []string{"passive_auth", "sod_signature", "ds_signature", "ds_validity", "sod_vs_com", "dg_hashes", "dg1_vs_mrz", "country_vs_ds", "chip_auth", "active_auth"} {
			if status(j, c) != "pass" {
				t.Errorf("%s = %+v", c, j.Checks[c])
			}
		}
		if status(j, "ds_revocation") != "not_checked" || j.Checks["ds_revocation"].Reason == "" {
			t.Errorf("ds_revocation without a CRL: %+v", j.Checks["ds_revocation"])
		}
		if !j.Passed || len(j.Failed) != 0 || j.Error != nil || j.TrustAnchors != 1 {
			t.Fatalf("passed %v failed %v error %v anchors %d", j.Passed, j.Failed, j.Error, j.TrustAnchors)
		}
		if jsonInts(j.DataGroups) != jsonInts(docHaveFiles) {
			t.Fatalf("data groups %v", j.DataGroups)
		}
		pt := j.Portrait
		if pt.Faces != 1 || pt.Format != "jpeg" || pt.Width != 210 || pt.Height != 280 || pt.Bytes != len(p.face) || pt.File == nil || *pt.File != face {
			t.Fatalf("portrait %+v", pt)
		}
		got, err := os.ReadFile(face)
		if err != nil || !bytes.Equal(got, p.face) {
			t.Fatalf("portrait file: %v (%d bytes)", err, len(got))
		}
		if fi, _ := os.Stat(face); fi.Mode().Perm() != 0o600 {
			t.Fatalf("portrait file mode %v", fi.Mode())
		}
		if bytes.Contains([]byte(stdout), p.face[:64]) || strings.Contains(stdout, "\xff\xd8") {
			t.Fatal("portrait bytes on stdout")
		}
	})

	t.Run("PACE from stdin, summary", func(t *testing.T) {
		p := newDocPassport(t, docPACE)
		remove, _ := d.Insert(t, p.card(chiptest.PassportOpts{NoBAC: true}))
		defer remove()
		code, stdout, stderr := runDocCmd(t, docZone(p.doc.MRZ), args("--trust", p.trustDir)...)
		if code != 0 {
			t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
		}
		for _, want := range []string{"PACE-ECDH-GM-AES-128 with the MRZ", "NX1234567", "jpeg 210x280", "not written (use --portrait-out FILE)", "passive_auth", "chip_auth", "active_auth", "result: no check failed"} {
			if !strings.Contains(stdout, want) {
				t.Errorf("summary lacks %q:\n%s", want, stdout)
			}
		}
		if strings.Contains(stdout, "PACE not used") {
			t.Errorf("fallback reported for a PACE read:\n%s", stdout)
		}
	})

	t.Run("PACE not supported: BAC fallback with the reason", func(t *testing.T) {
		p := newDocPassport(t, docPACEP192)
		remove, _ := d.Insert(t, p.card(chiptest.PassportOpts{}))
		defer remove()
		code, stdout, stderr := runDocCmd(t, "", args("--mrz-file", p.mrzFile, "--trust", p.trustDir, "--json")...)
		if code != 0 {
			t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
		}
		j := decodeDoc(t, stdout)
		if j.Access.Kind != "BAC" || j.Access.Fallback == nil || *j.Access.Fallback == "" {
			t.Fatalf("access %+v", j.Access)
		}
		t.Logf("fallback note: %s", *j.Access.Fallback)
	})

	t.Run("CAN", func(t *testing.T) {
		p := newDocPassport(t, docPACE)
		remove, _ := d.Insert(t, p.card(chiptest.PassportOpts{NoBAC: true, CAN: "123456"}))
		defer remove()
		code, stdout, stderr := runDocCmd(t, "", args("--can", "123456", "--trust", p.trustDir, "--json")...)
		if code != 0 {
			t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
		}
		j := decodeDoc(t, stdout)
		if j.Access.Password != "CAN" || j.Access.Kind != "PACE" || j.Printed != nil || status(j, "dg1_vs_mrz") != "not_checked" {
			t.Fatalf("access %+v printed %v dg1_vs_mrz %+v", j.Access, j.Printed, j.Checks["dg1_vs_mrz"])
		}
	})

	// Hostile and failing cases: exit code, stage, and a message that
	// names the problem without quoting the document.
	for _, tc := range []struct {
		name   string
		infos  []lds.PACEInfo
		card   func(p *docPassport) chip.Transceiver // nil: no card
		args   func(p *docPassport) []string
		stdin  func(p *docPassport) string
		code   int
		stage  string // "" for a completed read
		failed []string
		msg    string
	}{
		{name: "wrong MRZ key (BAC chip)", code: 1, stage: "access", msg: "refused the access key",
			card: func(p *docPassport) chip.Transceiver { return p.card(chiptest.PassportOpts{}) },
			stdin: func(*docPassport) string {
				return docZone(chiptest.TD3("NLD", "ERIKSSON", "ANNA MARIA", "NX1234567", "NLD", "740813", "F", "341231"))
			}},
		{name: "wrong MRZ key (PACE-only chip)", infos: docPACE, code: 1, stage: "access", msg: "pace: authentication failed",
			card: func(p *docPassport) chip.Transceiver { return p.card(chiptest.PassportOpts{NoBAC: true}) },
			stdin: func(*docPassport) string {
				return docZone(chiptest.TD3("NLD", "ERIKSSON", "ANNA MARIA", "NX1234576", "NLD", "740812", "F", "341231"))
			}},
		{name: "wrong CAN", infos: docPACE, code: 1, stage: "access", msg: "refused",
			card: func(p *docPassport) chip.Transceiver {
				return p.card(chiptest.PassportOpts{NoBAC: true, CAN: "123456"})
			},
			args: func(p *docPassport) []string { return []string{"--can", "654321", "--trust", p.trustDir} }},
		{name: "untrusted CSCA", code: 1, failed: []string{"passive_auth", "ds_signature"},
			card: func(p *docPassport) chip.Transceiver { return p.card(chiptest.PassportOpts{}) },
			args: func(p *docPassport) []string {
				return []string{"--mrz-file", p.mrzFile, "--trust", newDocPassport(t, nil).trustDir}
			}},
		{name: "no trust store", code: 1, failed: []string{"passive_auth", "ds_signature"},
			card: func(p *docPassport) chip.Transceiver { return p.card(chiptest.PassportOpts{}) },
			args: func(p *docPassport) []string { return []string{"--mrz-file", p.mrzFile} }},
		{name: "cloned chip", code: 1, failed: []string{"chip_auth", "active_auth"},
			card: func(p *docPassport) chip.Transceiver {
				k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
				return p.card(chiptest.PassportOpts{AAKey: k, CAKey: k})
			}},
		{name: "printed zone differs from DG1", code: 1, failed: []string{"passive_auth", "dg1_vs_mrz"},
			card: func(p *docPassport) chip.Transceiver { return p.card(chiptest.PassportOpts{}) },
			stdin: func(*docPassport) string {
				return docZone(chiptest.TD3("NLD", "ERIKSEN", "ANNA MARIA", "NX1234567", "NLD", "740812", "F", "341231"))
			}},
		{name: "card removed mid-read", code: 2, stage: "read", msg: "card removed",
			card: func(p *docPassport) chip.Transceiver { return p.card(chiptest.PassportOpts{RemoveAfter: 30}) }},
		{name: "no card", code: 2, stage: "card", msg: "no card in the reader",
			args: func(p *docPassport) []string {
				return []string{"--mrz-file", p.mrzFile, "--trust", p.trustDir, "--wait", "1s"}
			}},
		{name: "unknown reader", code: 2, stage: "reader", msg: "reader not found",
			args: func(p *docPassport) []string {
				return []string{"--mrz-file", p.mrzFile, "--trust", p.trustDir, "--reader", "no such reader"}
			}},
		{name: "zone check digit broken", code: 2, stage: "mrz", msg: "check digit of document_number",
			stdin: func(*docPassport) string {
				z := []byte(docZone(chiptest.TD3("NLD", "ERIKSSON", "ANNA MARIA", "NX1234567", "NLD", "740812", "F", "341231")))
				z[45+9] = '0' + (z[45+9]-'0'+1)%10
				return string(z)
			}},
		{name: "bad trust store", code: 2, stage: "trust", msg: "trust store",
			args: func(p *docPassport) []string {
				bad := t.TempDir()
				os.WriteFile(filepath.Join(bad, "junk.pem"), []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), 0o644)
				return []string{"--mrz-file", p.mrzFile, "--trust", bad}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newDocPassport(t, tc.infos)
			if tc.card != nil {
				remove, _ := d.Insert(t, tc.card(p))
				defer remove()
			}
			a := []string{"--mrz-file", p.mrzFile, "--trust", p.trustDir}
			if tc.args != nil {
				a = tc.args(p)
			}
			stdin := ""
			if tc.stdin != nil {
				stdin = tc.stdin(p)
				a = []string{"--trust", p.trustDir}
			}
			code, stdout, stderr := runDocCmd(t, stdin, args(append(a, "--json")...)...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\n%s\n%s", code, tc.code, stdout, stderr)
			}
			j := decodeDoc(t, stdout)
			if tc.stage != "" {
				if j.Error == nil || j.Error.Stage != tc.stage || !strings.Contains(j.Error.Message, tc.msg) || !strings.Contains(stderr, tc.msg) {
					t.Fatalf("error %+v, want stage %q with %q; stderr %s", j.Error, tc.stage, tc.msg, stderr)
				}
				for _, s := range docPersonal {
					if strings.Contains(j.Error.Message, s) || strings.Contains(stderr, s) {
						t.Fatalf("error quotes the document (%q): %s", s, stderr)
					}
				}
				return
			}
			if j.Error != nil || j.Passed {
				t.Fatalf("error %+v passed %v", j.Error, j.Passed)
			}
			for _, c := range tc.failed {
				if status(j, c) != "fail" || j.Checks[c].Reason == "" {
					t.Errorf("%s = %+v, want fail with a reason", c, j.Checks[c])
				}
			}
		})
	}
}

func jsonInts(v []int) string { b, _ := json.Marshal(v); return string(b) }

// TestDocReadNoPCSCD needs no pcscd: usage errors and a socket where
// nothing listens.
func TestDocReadNoPCSCD(t *testing.T) {
	p := t.TempDir()
	zone := filepath.Join(p, "zone.txt")
	os.WriteFile(zone, []byte(docZone(chiptest.TD3("NLD", "ERIKSSON", "ANNA MARIA", "NX1234567", "NLD", "740812", "F", "341231"))), 0o644)
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"both keys", []string{"--mrz-file", zone, "--can", "123456"}, 2, "not both"},
		{"portrait to stdout", []string{"--mrz-file", zone, "--portrait-out", "-"}, 2, "never written to stdout"},
		{"CAN without PACE", []string{"--can", "123456", "--no-pace"}, 2, "needs PACE"},
		{"argument", []string{"extra"}, 2, "unexpected argument"},
		{"no pcscd", []string{"--mrz-file", zone, "--socket", filepath.Join(p, "none.comm")}, 2, "pcscd not reachable"},
		{"empty stdin", nil, 2, "unreadable zone"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runDocCmd(t, "", tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, stderr, tc.code, tc.want)
			}
		})
	}
	var out, errOut bytes.Buffer
	if code := dispatch([]string{"doc", "write"}, nil, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "unknown subcommand") {
		t.Fatalf("doc write: exit %d %s", code, errOut.String())
	}
	if code := dispatch([]string{"doc"}, nil, &out, &errOut); code != 2 {
		t.Fatalf("doc: exit %d", code)
	}
}
