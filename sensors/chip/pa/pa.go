package pa

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/egate/egate/sensors/chip/lds"
)

// Status of one check.
type Status string

// Statuses.
const (
	Pass       Status = "pass"
	Fail       Status = "fail"
	NotChecked Status = "not_checked"
)

// Check names (see the package doc).
const (
	CheckSODSignature = "sod_signature"
	CheckDSSignature  = "ds_signature"
	CheckDSValidity   = "ds_validity"
	CheckDSRevocation = "ds_revocation"
	CheckSODvsCOM     = "sod_vs_com"
	CheckDGHashes     = "dg_hashes"
	CheckDG1vsMRZ     = "dg1_vs_mrz"
	CheckCountryVsDS  = "country_vs_ds"
)

// Check is one result.
type Check struct {
	Name   string `json:"name"`
	Status Status `json:"status"`
	Reason string `json:"reason,omitempty"`
}

// Report is the outcome of passive authentication.
type Report struct {
	Checks []Check `json:"checks"`
	// DS is the document signer certificate from EF.SOD as crypto/x509
	// parsed it: nil if absent, and nil for a certificate crypto/x509
	// cannot parse (a brainpool key). DSCertificate has every DS.
	DS *x509.Certificate `json:"-"`
	// CSCA is the trust anchor that signed DS, nil if none did or if
	// crypto/x509 cannot parse it. CSCACertificate has every CSCA.
	CSCA *x509.Certificate `json:"-"`
	// DSCertificate and CSCACertificate are the same certificates in this
	// package's form, set whichever key they carry.
	DSCertificate   *Certificate `json:"-"`
	CSCACertificate *Certificate `json:"-"`
}

// Get returns the named check.
func (r *Report) Get(name string) (Check, bool) {
	for _, c := range r.Checks {
		if c.Name == name {
			return c, true
		}
	}
	return Check{}, false
}

// Passed reports whether no check failed and the checks that make the chip
// genuine (SOD signature, DS chain, data group hashes) passed.
func (r *Report) Passed() bool {
	for _, c := range r.Checks {
		if c.Status == Fail {
			return false
		}
	}
	for _, n := range []string{CheckSODSignature, CheckDSSignature, CheckDSValidity, CheckDGHashes} {
		if c, ok := r.Get(n); !ok || c.Status != Pass {
			return false
		}
	}
	return true
}

// Failed returns the failed checks.
func (r *Report) Failed() []Check {
	var out []Check
	for _, c := range r.Checks {
		if c.Status == Fail {
			out = append(out, c)
		}
	}
	return out
}

func (r *Report) add(name string, st Status, format string, args ...any) {
	r.Checks = append(r.Checks, Check{Name: name, Status: st, Reason: fmt.Sprintf(format, args...)})
}

// TrustStore holds CSCA certificates and CRLs.
type TrustStore struct {
	CSCAs []*x509.Certificate
	CRLs  []*x509.RevocationList
	// OtherCSCAs holds the CSCA certificates crypto/x509 cannot parse (EC
	// keys on brainpool curves or given by explicit domain parameters), as
	// ParseCertificate parses them. CRLs signed by them go in CRLs:
	// crypto/x509 parses a CRL without its issuer's key.
	OtherCSCAs []*Certificate
}

// Len returns the number of trust anchors.
func (ts *TrustStore) Len() int {
	if ts == nil {
		return 0
	}
	return len(ts.CSCAs) + len(ts.OtherCSCAs)
}

// add files a CSCA in CSCAs or OtherCSCAs.
func (ts *TrustStore) add(c *Certificate) {
	if c.X509 != nil {
		ts.CSCAs = append(ts.CSCAs, c.X509)
		return
	}
	ts.OtherCSCAs = append(ts.OtherCSCAs, c)
}

// issuersOf returns the trust anchors whose subject is c's issuer.
func (ts *TrustStore) issuersOf(c *Certificate) []*Certificate {
	var out []*Certificate
	for _, x := range ts.CSCAs {
		if x == nil || !bytes.Equal(x.RawSubject, c.RawIssuer) {
			continue
		}
		if a, err := fromX509(x); err == nil {
			out = append(out, a)
		}
	}
	for _, a := range ts.OtherCSCAs {
		if a != nil && bytes.Equal(a.RawSubject, c.RawIssuer) {
			out = append(out, a)
		}
	}
	return out
}

// ErrTrustStore wraps trust store loading errors.
var ErrTrustStore = errors.New("pa: trust store")

// LoadTrustStore reads every *.pem, *.crt, *.cer, *.der (certificates),
// *.crl (CRLs, PEM or DER) and *.ml (ICAO master lists) file in dir.
// Certificates crypto/x509 parses go to CSCAs, brainpool ones (see
// ParseCertificate) to OtherCSCAs. A file that does not parse is an error:
// a trust store that silently drops anchors would refuse genuine documents
// without saying why.
func LoadTrustStore(dir string) (*TrustStore, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTrustStore, err)
	}
	ts := &TrustStore{}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		ext := strings.ToLower(filepath.Ext(e.Name()))
		p := filepath.Join(dir, e.Name())
		switch ext {
		case ".pem", ".crt", ".cer", ".der", ".crl":
		case ".ml":
			b, err := os.ReadFile(p)
			if err != nil {
				return nil, fmt.Errorf("%w: %w", ErrTrustStore, err)
			}
			certs, err := ParseMasterList(b, time.Now())
			if err != nil {
				return nil, fmt.Errorf("%w: %s: %w", ErrTrustStore, e.Name(), err)
			}
			for _, c := range certs {
				ts.add(c)
			}
			continue
		default:
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrTrustStore, err)
		}
		for _, der := range derBlocks(b) {
			if ext == ".crl" {
				crl, err := x509.ParseRevocationList(der)
				if err != nil {
					return nil, fmt.Errorf("%w: %s: %w", ErrTrustStore, e.Name(), err)
				}
				ts.CRLs = append(ts.CRLs, crl)
				continue
			}
			c, err := ParseCertificate(der)
			if err != nil {
				return nil, fmt.Errorf("%w: %s: %w", ErrTrustStore, e.Name(), err)
			}
			ts.add(c)
		}
	}
	return ts, nil
}

// derBlocks returns the DER blocks of a PEM file, or the file itself.
func derBlocks(b []byte) [][]byte {
	if !bytes.Contains(b, []byte("-----BEGIN")) {
		return [][]byte{b}
	}
	var out [][]byte
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			return out
		}
		out = append(out, blk.Bytes)
	}
}

// Input is what passive authentication looks at. DataGroups holds the raw
// files read from the chip, by number.
type Input struct {
	SOD        []byte
	COM        []byte
	DataGroups map[int][]byte
	// PrintedMRZ is the MRZ read optically from the data page, without line
	// breaks; empty skips dg1_vs_mrz.
	PrintedMRZ string
	// Now is the time of the check; zero means time.Now().
	Now time.Time
	// CountryAliases maps non-ISO issuing state codes (specimens such as
	// "UTO") to the ISO 3166-1 alpha-2 code their certificates carry.
	CountryAliases map[string]string
}

// Verify runs passive authentication and returns one result per check. It
// never returns early: a failed SOD signature still reports the hashes.
func Verify(in Input, ts *TrustStore) *Report {
	r := &Report{}
	now := in.Now
	if now.IsZero() {
		now = time.Now()
	}
	if ts == nil {
		ts = &TrustStore{}
	}
	sod, err := lds.ParseSOD(in.SOD)
	if err != nil {
		reason := fmt.Sprintf("EF.SOD unreadable: %v", err)
		for _, n := range []string{CheckSODSignature, CheckDSSignature, CheckDSValidity, CheckDSRevocation, CheckSODvsCOM, CheckDGHashes} {
			r.add(n, Fail, "%s", reason)
		}
		checkDG1vsMRZ(r, in)
		r.add(CheckCountryVsDS, NotChecked, "no DS certificate")
		return r
	}

	// sod_signature.
	ds, dsErr := signerCertificate(sod.Signed)
	if dsErr != nil {
		r.add(CheckSODSignature, Fail, "%v", dsErr)
	} else {
		r.DS, r.DSCertificate = ds.X509, ds
		if err := verifySigned(sod.Signed, ds); err != nil {
			r.add(CheckSODSignature, Fail, "%v", err)
		} else {
			r.add(CheckSODSignature, Pass, "")
		}
	}

	// ds_signature, ds_validity, ds_revocation.
	if ds == nil {
		reason := "no DS certificate in EF.SOD"
		if !errors.Is(dsErr, lds.ErrFormat) {
			reason = fmt.Sprintf("DS certificate: %v", dsErr)
		}
		r.add(CheckDSSignature, Fail, "%s", reason)
		r.add(CheckDSValidity, Fail, "%s", reason)
		r.add(CheckDSRevocation, NotChecked, "%s", reason)
	} else {
		checkChainOf(r, ds, ts, now)
	}

	// sod_vs_com.
	checkCOM(r, sod, in.COM)

	// dg_hashes.
	checkHashes(r, sod, in.DataGroups)

	checkDG1vsMRZ(r, in)
	checkCountry(r, in)
	return r
}

// verifySigned checks a SignedData's signature (and signed attributes)
// with the signer's certificate.
func verifySigned(sd *lds.SignedData, ds *Certificate) error {
	signed := sd.Content
	if sd.SignedAttrs != nil {
		if !sd.AttrContentType.Equal(sd.ContentType) {
			return fmt.Errorf("signed contentType %v differs from content %v", sd.AttrContentType, sd.ContentType)
		}
		h, err := lds.HashForOID(sd.DigestAlgorithm)
		if err != nil {
			return err
		}
		hh := h.New()
		hh.Write(sd.Content)
		if !bytes.Equal(hh.Sum(nil), sd.AttrMessageDigest) {
			return errors.New("messageDigest attribute does not match the content")
		}
		signed = sd.SignedAttrs
	}
	if err := verifySignature(ds.PublicKey, sd.SignatureAlgorithm, sd.DigestAlgorithm, signed, sd.Signature); err != nil {
		return fmt.Errorf("SOD signature: %w", err)
	}
	return nil
}

// checkChainOf adds ds_signature, ds_validity and ds_revocation for ds.
func checkChainOf(r *Report, ds *Certificate, ts *TrustStore, now time.Time) {
	var csca *Certificate
	var lastErr error
	candidates := 0
	for _, c := range ts.issuersOf(ds) {
		if len(ds.AuthorityKeyId) > 0 && len(c.SubjectKeyId) > 0 && !bytes.Equal(ds.AuthorityKeyId, c.SubjectKeyId) {
			continue
		}
		candidates++
		if err := checkSignedBy(ds, c); err != nil {
			lastErr = err
			continue
		}
		csca = c
		break
	}
	switch {
	case csca != nil:
		r.CSCA, r.CSCACertificate = csca.X509, csca
		r.add(CheckDSSignature, Pass, "")
	case candidates == 0:
		r.add(CheckDSSignature, Fail, "no trusted CSCA named %q", ds.Issuer.String())
	default:
		r.add(CheckDSSignature, Fail, "DS certificate signature: %v", lastErr)
	}

	var bad []string
	if !ds.validAt(now) {
		bad = append(bad, fmt.Sprintf("DS certificate valid %s to %s", ds.NotBefore.Format(time.DateOnly), ds.NotAfter.Format(time.DateOnly)))
	}
	if csca != nil && !csca.validAt(now) {
		bad = append(bad, fmt.Sprintf("CSCA certificate valid %s to %s", csca.NotBefore.Format(time.DateOnly), csca.NotAfter.Format(time.DateOnly)))
	}
	if len(bad) > 0 {
		r.add(CheckDSValidity, Fail, "%s", strings.Join(bad, "; "))
	} else {
		r.add(CheckDSValidity, Pass, "")
	}

	if csca == nil {
		r.add(CheckDSRevocation, NotChecked, "no trusted CSCA to check revocation against")
		return
	}
	found := false
	for _, crl := range ts.CRLs {
		if crl == nil || !bytes.Equal(crl.RawIssuer, csca.RawSubject) {
			continue
		}
		if err := checkCRLSignedBy(crl, csca); err != nil {
			continue
		}
		found = true
		for _, e := range crl.RevokedCertificateEntries {
			if e.SerialNumber.Cmp(ds.SerialNumber) == 0 {
				r.add(CheckDSRevocation, Fail, "DS certificate revoked on %s", e.RevocationTime.Format(time.DateOnly))
				return
			}
		}
		if !crl.NextUpdate.IsZero() && now.After(crl.NextUpdate) {
			r.add(CheckDSRevocation, NotChecked, "CRL expired %s", crl.NextUpdate.Format(time.DateOnly))
			return
		}
	}
	if !found {
		r.add(CheckDSRevocation, NotChecked, "no CRL from the CSCA in the trust store")
		return
	}
	r.add(CheckDSRevocation, Pass, "")
}

func checkCOM(r *Report, sod *lds.SOD, com []byte) {
	if com == nil {
		r.add(CheckSODvsCOM, NotChecked, "EF.COM not read")
		return
	}
	c, err := lds.ParseCOM(com)
	if err != nil {
		r.add(CheckSODvsCOM, Fail, "%v", err)
		return
	}
	listed := c.DataGroups()
	sort.Ints(listed)
	var covered []int
	for n := range sod.Hashes {
		covered = append(covered, n)
	}
	sort.Ints(covered)
	if !slices.Equal(listed, covered) {
		r.add(CheckSODvsCOM, Fail, "EF.COM lists DG %v, SOD covers DG %v", listed, covered)
		return
	}
	r.add(CheckSODvsCOM, Pass, "")
}

func checkHashes(r *Report, sod *lds.SOD, dgs map[int][]byte) {
	if len(dgs) == 0 {
		r.add(CheckDGHashes, NotChecked, "no data group read")
		return
	}
	var nums []int
	for n := range dgs {
		nums = append(nums, n)
	}
	sort.Ints(nums)
	var bad []string
	for _, n := range nums {
		want, ok := sod.Hashes[n]
		if !ok {
			bad = append(bad, fmt.Sprintf("DG%d not covered by the SOD", n))
			continue
		}
		h := sod.HashAlgorithm.New()
		h.Write(dgs[n])
		if !bytes.Equal(h.Sum(nil), want) {
			bad = append(bad, fmt.Sprintf("DG%d hash mismatch", n))
		}
	}
	if len(bad) > 0 {
		r.add(CheckDGHashes, Fail, "%s", strings.Join(bad, "; "))
		return
	}
	r.add(CheckDGHashes, Pass, "")
}

func checkDG1vsMRZ(r *Report, in Input) {
	if in.PrintedMRZ == "" {
		r.add(CheckDG1vsMRZ, NotChecked, "no printed MRZ supplied")
		return
	}
	raw, ok := in.DataGroups[1]
	if !ok {
		r.add(CheckDG1vsMRZ, NotChecked, "DG1 not read")
		return
	}
	dg1, err := lds.ParseDG1(raw)
	if err != nil {
		r.add(CheckDG1vsMRZ, Fail, "%v", err)
		return
	}
	printed := strings.NewReplacer("\n", "", "\r", "", " ", "").Replace(in.PrintedMRZ)
	if dg1.MRZ != printed {
		// Never put either MRZ in the reason.
		r.add(CheckDG1vsMRZ, Fail, "DG1 differs from the printed MRZ")
		return
	}
	r.add(CheckDG1vsMRZ, Pass, "")
}

func checkCountry(r *Report, in Input) {
	if r.DSCertificate == nil {
		r.add(CheckCountryVsDS, NotChecked, "no DS certificate")
		return
	}
	raw, ok := in.DataGroups[1]
	if !ok {
		r.add(CheckCountryVsDS, NotChecked, "DG1 not read")
		return
	}
	dg1, err := lds.ParseDG1(raw)
	if err != nil {
		r.add(CheckCountryVsDS, Fail, "%v", err)
		return
	}
	state := strings.TrimRight(dg1.IssuingState, "<")
	a2, ok := in.CountryAliases[state]
	if !ok {
		a2, ok = Alpha2(state)
	}
	if !ok {
		r.add(CheckCountryVsDS, NotChecked, "no ISO 3166 alpha-2 code known for issuing state %q", state)
		return
	}
	dsC := r.DSCertificate.Subject.Country
	if len(dsC) != 1 || !strings.EqualFold(dsC[0], a2) {
		r.add(CheckCountryVsDS, Fail, "issuing state %s, DS certificate country %v", state, dsC)
		return
	}
	if r.CSCACertificate != nil {
		cc := r.CSCACertificate.Subject.Country
		if len(cc) != 1 || !strings.EqualFold(cc[0], a2) {
			r.add(CheckCountryVsDS, Fail, "issuing state %s, CSCA certificate country %v", state, cc)
			return
		}
	}
	r.add(CheckCountryVsDS, Pass, "")
}
