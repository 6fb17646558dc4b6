package emrtd

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"time"

	"github.com/egate/egate/sensors"
	"github.com/egate/egate/sensors/chip"
	"github.com/egate/egate/sensors/chip/bac"
	"github.com/egate/egate/sensors/chip/ca"
	"github.com/egate/egate/sensors/chip/lds"
	"github.com/egate/egate/sensors/chip/pa"
	"github.com/egate/egate/sensors/chip/pace"
	"github.com/egate/egate/sensors/chip/sm"
	"github.com/egate/egate/sensors/mrz"
)

// Access protocols reported in Result.Access.
const (
	AccessBAC = "BAC"
)

// Opts configures a read.
type Opts struct {
	// Key is the MRZ key (document number, birth, expiry) from the OCR.
	Key chip.MRZKey
	// CAN, when set, is used as the PACE password instead of the MRZ.
	CAN chip.CAN
	// DisablePACE goes straight to BAC.
	DisablePACE bool
	// File tunes READ BINARY (chunk size, extended length).
	File *chip.Opts
	// Trust is the CSCA trust store for passive authentication; nil means
	// empty (ds_signature then fails).
	Trust *pa.TrustStore
	// PrintedMRZ is the optically read MRZ for dg1_vs_mrz.
	PrintedMRZ string
	// CountryAliases is passed to pa.Input.
	CountryAliases map[string]string
	// Now is the time for certificate checks; zero means time.Now().
	Now time.Time
	// Rand supplies protocol randomness; nil means crypto/rand.
	Rand io.Reader
	// Logger receives no personal data; nil discards.
	Logger *slog.Logger
}

// Outcome is the result of active or chip authentication.
type Outcome struct {
	Status pa.Status `json:"status"`
	Reason string    `json:"reason,omitempty"`
}

// Timing splits a read's time.
type Timing struct {
	Access time.Duration `json:"access"`
	Read   time.Duration `json:"read"`
	AA     time.Duration `json:"aa"`
	PA     time.Duration `json:"pa"`
}

// Result is everything read from the chip.
type Result struct {
	Access     string // "BAC" or the PACE protocol, e.g. "PACE-ECDH-GM-AES-128"
	AccessNote string // why PACE was not used, if it was not
	COM        *lds.COM
	DG1        *lds.DG1
	// MRZ is DG1's zone parsed by sensors/mrz (nil if its geometry is not
	// recognised); MRZErr lists the rules it breaks. A chip zone that does
	// not parse cleanly is itself a finding for the officer.
	MRZ    *mrz.MRZ
	MRZErr error
	Faces  []lds.FaceImage
	DG14   *lds.SecurityInfos
	DG15   *lds.DG15
	// Files are the raw files: data groups by number.
	Files  map[int][]byte
	RawCOM []byte
	RawSOD []byte
	// RawCardSecurity is EF.CardSecurity, read after PACE with chip
	// authentication mapping (nil otherwise, or when the chip has none).
	RawCardSecurity []byte
	Skipped         map[int]string // optional data groups not read, with the reason
	AA              Outcome
	// CA is chip authentication (DG14); it counts only together with a
	// dg_hashes pass, which covers DG14.
	CA     Outcome
	PA     *pa.Report
	Timing Timing

	cam *pace.CAMProof // chip authentication mapping proof, checked against DG14
}

// Errors of a read. Neither they nor the errors they wrap carry the MRZ,
// the access key or any file content.
var (
	// ErrRequiredFile means EF.COM, EF.SOD, DG1 or DG2 could not be read.
	ErrRequiredFile = errors.New("emrtd: required file unreadable")
	// ErrAccessDenied means the chip answered but refused the access key:
	// PACE or BAC mutual authentication failed (bac.ErrAuth, pace.ErrAuth
	// are wrapped too). The MRZ was misread, or it does not belong to this
	// chip.
	ErrAccessDenied = errors.New("emrtd: the chip refused the access key (MRZ misread, or MRZ and chip do not belong together)")
	// ErrAccess means access control could not be run at all (neither PACE
	// nor BAC got to the point of checking the key).
	ErrAccess = errors.New("emrtd: access control failed")
)

// fatal reports errors after which the chip cannot be talked to.
func fatal(err error) bool {
	return errors.Is(err, chip.ErrCardRemoved) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, sm.ErrSessionBroken)
}

// Read performs the whole sequence of the package doc over t.
func Read(ctx context.Context, t chip.Transceiver, o Opts) (*Result, error) {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	rnd := o.Rand
	if rnd == nil {
		rnd = rand.Reader
	}
	res := &Result{Files: map[int][]byte{}, Skipped: map[int]string{}}

	start := time.Now()
	st, err := establish(ctx, t, o, rnd, res, log)
	if err != nil {
		return nil, err
	}
	res.Timing.Access = time.Since(start)
	log.Info("access control done", "protocol", res.Access, "took", res.Timing.Access)

	start = time.Now()
	reauth := func() (chip.Transceiver, error) { return establish(ctx, t, o, rnd, res, log) }
	if st, err = readFiles(ctx, st, reauth, o, rnd, res, log); err != nil {
		return nil, err
	}
	res.Timing.Read = time.Since(start)

	start = time.Now()
	res.AA = activeAuth(ctx, st, res, rnd)
	res.Timing.AA = time.Since(start)

	start = time.Now()
	res.PA = pa.Verify(pa.Input{
		SOD: res.RawSOD, COM: res.RawCOM, DataGroups: res.Files,
		PrintedMRZ: o.PrintedMRZ, Now: o.Now, CountryAliases: o.CountryAliases,
	}, o.Trust)
	if res.cam != nil {
		res.CA = camOutcome(res, o)
		log.Info("chip authentication mapping checked", "status", res.CA.Status)
	}
	res.Timing.PA = time.Since(start)
	for _, c := range res.PA.Checks {
		log.Info("passive authentication", "check", c.Name, "status", c.Status)
	}
	return res, nil
}

func establish(ctx context.Context, t chip.Transceiver, o Opts, rnd io.Reader, res *Result, log *slog.Logger) (chip.Transceiver, error) {
	var paceErr error
	if !o.DisablePACE {
		st, err := tryPACE(ctx, t, o, rnd, res)
		if err == nil {
			return st, nil
		}
		if fatal(err) {
			return nil, err
		}
		paceErr = err
		res.AccessNote = err.Error()
		log.Info("PACE not used, falling back to BAC", "reason", err)
	} else {
		res.AccessNote = "PACE disabled"
	}
	if o.CAN != "" && o.Key == (chip.MRZKey{}) {
		// A CAN is no BAC key (ICAO 9303 Part 11 §4.3 keys BAC with the MRZ only).
		return nil, accessErr(paceErr, errors.New("no MRZ key for BAC (only a CAN was given)"))
	}
	if err := chip.SelectApplication(ctx, t, chip.AIDeMRTD); err != nil {
		if fatal(err) {
			return nil, err
		}
		return nil, accessErr(paceErr, fmt.Errorf("select eMRTD application: %w", err))
	}
	sess, err := bac.Authenticate(ctx, t, o.Key, rnd)
	if err != nil {
		if fatal(err) {
			return nil, err
		}
		return nil, accessErr(paceErr, err)
	}
	res.Access = AccessBAC
	return &sm.Transceiver{Inner: t, Session: sess}, nil
}

// accessErr joins why PACE (nil if not tried) and BAC failed, under
// ErrAccessDenied when either refused the key, else ErrAccess. A chip that
// has only PACE refuses BAC with a status word, so a wrong MRZ shows in
// the PACE error; a BAC-only chip refuses in mutual authentication.
func accessErr(paceErr, bacErr error) error {
	kind := ErrAccess
	if errors.Is(paceErr, pace.ErrAuth) || errors.Is(bacErr, bac.ErrAuth) {
		kind = ErrAccessDenied
	}
	if paceErr == nil {
		return fmt.Errorf("%w: BAC: %w", kind, bacErr)
	}
	return fmt.Errorf("%w: PACE: %w; BAC: %w", kind, paceErr, bacErr)
}

func tryPACE(ctx context.Context, t chip.Transceiver, o Opts, rnd io.Reader, res *Result) (chip.Transceiver, error) {
	ca, err := chip.ReadFile(ctx, t, chip.FIDCardAccess, o.File)
	if errors.Is(err, chip.ErrFileNotFound) {
		// EF.CardAccess lives in the master file; a chip left in the
		// eMRTD application (no reset since the last read) needs the MF
		// selected first (ICAO 9303 Part 10 §3.11.3).
		if chip.SelectMF(ctx, t) == nil {
			ca, err = chip.ReadFile(ctx, t, chip.FIDCardAccess, o.File)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("no EF.CardAccess: %w", err)
	}
	infos, err := lds.ParseSecurityInfos(ca)
	if err != nil {
		return nil, fmt.Errorf("EF.CardAccess: %w", err)
	}
	if len(infos.PACE) == 0 {
		return nil, errors.New("EF.CardAccess lists no PACE protocol")
	}
	var pw pace.Password
	if o.CAN != "" {
		pw, err = pace.CANPassword(o.CAN)
	} else {
		pw, err = pace.MRZPassword(o.Key)
	}
	if err != nil {
		return nil, err
	}
	sess, pr, err := pace.Establish(ctx, t, infos.PACE, pw, &pace.Opts{Rand: rnd})
	if err != nil {
		return nil, err
	}
	st := &sm.Transceiver{Inner: t, Session: sess}
	res.Access = pr.Protocol.String()
	res.cam = pr.CAM
	if pr.CAM != nil {
		// EF.CardSecurity (in the master file, still selected) holds the
		// chip's static key for checking the mapping's proof.
		cs, err := chip.ReadFile(ctx, st, chip.FIDCardSecurity, o.File)
		switch {
		case fatal(err):
			return nil, err
		case err == nil:
			res.RawCardSecurity = cs
		}
	}
	if err := chip.SelectApplication(ctx, st, chip.AIDeMRTD); err != nil {
		return nil, fmt.Errorf("select eMRTD application after PACE: %w", err)
	}
	return st, nil
}

// defaultGroups are read when EF.COM lists them. DG3 and DG4 need EAC.
var defaultGroups = []int{1, 2, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}

// readFiles reads EF.COM, EF.SOD and the data groups, running chip
// authentication as soon as DG14 is read so that the remaining groups come
// through the chip-authenticated channel. It returns the transceiver in use
// at the end (a new one if chip authentication failed and access control
// had to be run again).
func readFiles(ctx context.Context, t chip.Transceiver, reauth func() (chip.Transceiver, error), o Opts, rnd io.Reader, res *Result, log *slog.Logger) (chip.Transceiver, error) {
	var err error
	if res.RawCOM, err = chip.ReadFile(ctx, t, chip.FIDCOM, o.File); err != nil {
		return nil, fmt.Errorf("%w: EF.COM: %w", ErrRequiredFile, err)
	}
	if res.COM, err = lds.ParseCOM(res.RawCOM); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRequiredFile, err)
	}
	if res.RawSOD, err = chip.ReadFile(ctx, t, chip.FIDSOD, o.File); err != nil {
		return nil, fmt.Errorf("%w: EF.SOD: %w", ErrRequiredFile, err)
	}
	listed := map[int]bool{}
	for _, n := range res.COM.DataGroups() {
		listed[n] = true
	}
	for _, n := range []int{3, 4} {
		if listed[n] {
			res.Skipped[n] = "needs EAC terminal authentication (not built)"
		}
	}
	res.CA = Outcome{Status: pa.NotChecked, Reason: "no DG14"}
	if listed[14] {
		b, err := chip.ReadFile(ctx, t, chip.FIDDG14, o.File)
		switch {
		case fatal(err):
			return nil, err
		case err != nil:
			res.Skipped[14] = err.Error()
			res.CA = Outcome{Status: pa.Fail, Reason: "DG14 unreadable: " + err.Error()}
		default:
			res.Files[14] = b
			if res.DG14, err = lds.ParseDG14(b); err != nil {
				res.Skipped[14] = err.Error()
				res.CA = Outcome{Status: pa.Fail, Reason: "DG14 unparsable: " + err.Error()}
			} else if res.cam != nil {
				// Chip authentication mapping already proved the chip
				// during PACE (ICAO 9303 Part 11 §4.4.3.5); its proof is
				// checked against the chip's key after passive
				// authentication (camOutcome) instead of running CA again.
			} else if t, err = chipAuth(ctx, t, reauth, o, rnd, res, log); err != nil {
				return nil, err
			}
		}
	}
	for _, n := range defaultGroups {
		required := n == 1 || n == 2
		if (!listed[n] && !required) || n == 14 {
			continue
		}
		fid, _ := chip.FIDForDG(n)
		b, err := chip.ReadFile(ctx, t, fid, o.File)
		if err != nil {
			if required || fatal(err) {
				return nil, fmt.Errorf("%w: DG%d: %w", ErrRequiredFile, n, err)
			}
			res.Skipped[n] = err.Error()
			log.Warn("optional data group not read", "dg", n, "err", err)
			continue
		}
		res.Files[n] = b
		log.Debug("read data group", "dg", n, "bytes", len(b))
	}
	if res.DG1, err = lds.ParseDG1(res.Files[1]); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRequiredFile, err)
	}
	res.MRZ, res.MRZErr = mrz.ParseText(res.DG1.MRZ, &mrz.Options{Today: o.Now})
	dg2, err := lds.ParseDG2(res.Files[2])
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRequiredFile, err)
	}
	res.Faces = dg2.Faces
	if b, ok := res.Files[15]; ok {
		if res.DG15, err = lds.ParseDG15(b); err != nil {
			res.Skipped[15] = err.Error()
		}
	}
	return t, nil
}

// chipAuth runs chip authentication (sensors/chip/ca) and proves it by
// re-reading EF.COM under the new keys. A chip that cannot continue is
// recorded as failed and access control is run again, so the read still
// completes for the officer.
func chipAuth(ctx context.Context, t chip.Transceiver, reauth func() (chip.Transceiver, error), o Opts, rnd io.Reader, res *Result, log *slog.Logger) (chip.Transceiver, error) {
	plan, err := ca.Choose(res.DG14)
	if err != nil {
		res.CA = Outcome{Status: pa.NotChecked, Reason: err.Error()}
		return t, nil
	}
	st, ok := t.(*sm.Transceiver)
	if !ok {
		res.CA = Outcome{Status: pa.NotChecked, Reason: "no secure messaging channel"}
		return t, nil
	}
	err = ca.Authenticate(ctx, st, plan, rnd)
	if err == nil {
		var com []byte
		com, err = chip.ReadFile(ctx, st, chip.FIDCOM, o.File)
		if err == nil && !bytes.Equal(com, res.RawCOM) {
			err = errors.New("EF.COM differs after chip authentication")
		}
	}
	if err == nil {
		res.CA = Outcome{Status: pa.Pass}
		log.Info("chip authentication passed", "protocol", plan.Info.Protocol.String())
		return st, nil
	}
	if errors.Is(err, chip.ErrCardRemoved) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return nil, err
	}
	res.CA = Outcome{Status: pa.Fail, Reason: "chip could not continue under chip authentication keys (possible clone): " + err.Error()}
	log.Warn("chip authentication failed, running access control again", "err", err)
	access, note := res.Access, res.AccessNote
	nt, rerr := reauth()
	if rerr != nil {
		return nil, fmt.Errorf("emrtd: access control after failed chip authentication: %w", rerr)
	}
	res.Access, res.AccessNote = access, note
	return nt, nil
}

// camOutcome checks the chip authentication mapping proof against the
// chip's static key: DG14's (like CA, a pass then counts only together with
// a dg_hashes pass covering DG14), else EF.CardSecurity's, which must pass
// its own signature and DS chain checks (pa.VerifyCardSecurity).
func camOutcome(res *Result, o Opts) Outcome {
	var dgErr error
	if res.DG14 != nil {
		if dgErr = res.cam.VerifyCAM(res.DG14.CAKeys); dgErr == nil {
			return Outcome{Status: pa.Pass, Reason: "by PACE chip authentication mapping (DG14 key)"}
		}
	}
	if res.RawCardSecurity == nil {
		if dgErr != nil {
			return Outcome{Status: pa.Fail, Reason: dgErr.Error()}
		}
		return Outcome{Status: pa.NotChecked, Reason: "PACE chip authentication mapping ran, but neither DG14 nor EF.CardSecurity holds the chip's key"}
	}
	infos, err := pa.VerifyCardSecurity(res.RawCardSecurity, o.Trust, o.Now)
	if err != nil {
		return Outcome{Status: pa.Fail, Reason: err.Error()}
	}
	if err := res.cam.VerifyCAM(infos.CAKeys); err != nil {
		return Outcome{Status: pa.Fail, Reason: err.Error()}
	}
	return Outcome{Status: pa.Pass, Reason: "by PACE chip authentication mapping (EF.CardSecurity key)"}
}

var (
	oidECDSASHA1   = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 1}
	oidECDSASHA224 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 1}
	oidECDSASHA256 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
	oidECDSASHA384 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 3}
	oidECDSASHA512 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 4}
)

// activeAuth runs INTERNAL AUTHENTICATE (ICAO 9303 Part 11 §6.1).
func activeAuth(ctx context.Context, t chip.Transceiver, res *Result, rnd io.Reader) Outcome {
	if res.DG15 == nil {
		if _, ok := res.Files[15]; ok {
			return Outcome{Status: pa.Fail, Reason: "DG15 unreadable: " + res.Skipped[15]}
		}
		return Outcome{Status: pa.NotChecked, Reason: "no DG15"}
	}
	switch k := res.DG15.PublicKey.(type) {
	case *rsa.PublicKey:
		return activeAuthRSA(ctx, t, k, rnd)
	case *ecdsa.PublicKey:
		h := crypto.SHA256
		if res.DG14 != nil && len(res.DG14.AA) > 0 {
			alg := res.DG14.AA[0].SignatureAlgorithm
			switch {
			case alg.Equal(oidECDSASHA1):
				h = crypto.SHA1
			case alg.Equal(oidECDSASHA224):
				h = crypto.SHA224
			case alg.Equal(oidECDSASHA256):
				h = crypto.SHA256
			case alg.Equal(oidECDSASHA384):
				h = crypto.SHA384
			case alg.Equal(oidECDSASHA512):
				h = crypto.SHA512
			default:
				return Outcome{Status: pa.Fail, Reason: fmt.Sprintf("DG14 names AA algorithm %v", alg)}
			}
		}
		challenge := make([]byte, 8)
		if _, err := io.ReadFull(rnd, challenge); err != nil {
			return Outcome{Status: pa.Fail, Reason: err.Error()}
		}
		sig, err := chip.TransmitOK(ctx, t, chip.Command{INS: chip.InsInternalAuthenticate, Data: challenge, Ne: 256})
		if err != nil {
			return Outcome{Status: pa.Fail, Reason: err.Error()}
		}
		hh := h.New()
		hh.Write(challenge)
		sum := hh.Sum(nil)
		n := (k.Curve.Params().N.BitLen() + 7) / 8
		ok := ecdsa.VerifyASN1(k, sum, sig)
		if !ok && len(sig) == 2*n {
			der, err := asn1.Marshal(struct{ R, S *big.Int }{new(big.Int).SetBytes(sig[:n]), new(big.Int).SetBytes(sig[n:])})
			ok = err == nil && ecdsa.VerifyASN1(k, sum, der)
		}
		if !ok {
			return Outcome{Status: pa.Fail, Reason: "chip signature does not verify with the DG15 key (possible clone)"}
		}
		return Outcome{Status: pa.Pass}
	}
	return Outcome{Status: pa.NotChecked, Reason: fmt.Sprintf("DG15 key type %T not supported", res.DG15.PublicKey)}
}

// Check names in sensors.ChipResult.Checks beyond the per-check names of
// passive authentication (pa.CheckSODSignature ... pa.CheckCountryVsDS).
// They are a contract with gate/policy (policy.CheckPA, CheckCA, CheckAA)
// and the lane configuration (policy.chip_checks): never rename them.
const (
	// CheckPassiveAuth is passive authentication as a whole
	// (pa.Report.Passed): no check failed, and the SOD signature, the DS
	// chain, the DS validity and the data group hashes passed.
	CheckPassiveAuth = "passive_auth"
	// CheckChipAuth is chip authentication (DG14, ICAO 9303 Part 11 §6.2).
	CheckChipAuth = "chip_auth"
	// CheckActiveAuth is active authentication (DG15, §6.1).
	CheckActiveAuth = "active_auth"
)

// Access kinds in sensors.ChipResult.Access.
const (
	KindPACE = "PACE"
	KindBAC  = "BAC"
)

// AccessKind is "PACE" or "BAC" for a Result.Access protocol name.
func AccessKind(protocol string) string {
	if len(protocol) >= 4 && protocol[:4] == KindPACE {
		return KindPACE
	}
	return KindBAC
}

// ChipResult maps the read onto sensors.ChipResult for the gate: Access is
// "PACE" or "BAC"; Checks holds passive_auth (always, once PA ran), every
// PA check that ran, chip_auth and active_auth when they ran (passed or
// failed; checks that did not run are left out, so that the policy's
// "missing" rule applies to them); Portrait is the first face image.
func (r *Result) ChipResult() *sensors.ChipResult {
	out := &sensors.ChipResult{Access: AccessKind(r.Access), Checks: map[string]bool{}}
	if r.PA != nil {
		out.Checks[CheckPassiveAuth] = r.PA.Passed()
		for _, c := range r.PA.Checks {
			if c.Status != pa.NotChecked {
				out.Checks[c.Name] = c.Status == pa.Pass
			}
		}
	}
	if r.AA.Status != pa.NotChecked && r.AA.Status != "" {
		out.Checks[CheckActiveAuth] = r.AA.Status == pa.Pass
	}
	if r.CA.Status != pa.NotChecked && r.CA.Status != "" {
		out.Checks[CheckChipAuth] = r.CA.Status == pa.Pass
	}
	if len(r.Faces) > 0 {
		out.Portrait = r.Faces[0].Data
	}
	return out
}
