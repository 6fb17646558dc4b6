package pace

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"

	"github.com/egate/egate/sensors/chip"
	"github.com/egate/egate/sensors/chip/lds"
	"github.com/egate/egate/sensors/chip/sm"
	"github.com/egate/egate/sensors/chip/tlv"
)

// Errors of PACE.
var (
	// ErrUnsupported means the chip offers only protocols or domain
	// parameters this package does not implement.
	ErrUnsupported = errors.New("pace: unsupported")
	// ErrAuth means the authentication tokens did not verify: a wrong
	// password, or a chip that does not know it.
	ErrAuth = errors.New("pace: authentication failed")
	// ErrProtocol means the chip's answer did not follow §4.4.
	ErrProtocol = errors.New("pace: protocol error")
)

// Mapping of the PACE protocol OID (ICAO 9303 Part 11 §9.2.1 and §4.4.3.3).
type Mapping int

// Mappings.
const (
	GenericMapping Mapping = iota + 1
	IntegratedMapping
	ChipAuthenticationMapping
)

func (m Mapping) String() string {
	switch m {
	case GenericMapping:
		return "GM"
	case IntegratedMapping:
		return "IM"
	case ChipAuthenticationMapping:
		return "CAM"
	}
	return "?"
}

// Protocol is a decoded PACE OID.
type Protocol struct {
	OID     asn1.ObjectIdentifier
	Mapping Mapping
	ECDH    bool
	Alg     sm.Alg
}

func (p Protocol) String() string {
	ka := "DH"
	if p.ECDH {
		ka = "ECDH"
	}
	return fmt.Sprintf("PACE-%s-%s-%v", ka, p.Mapping, p.Alg)
}

// ParseProtocol decodes id-PACE-{DH,ECDH}-{GM,IM,CAM}-{3DES,AES128,...}
// (ICAO 9303 Part 11 §9.2.1): id-PACE.1 DH-GM, .2 ECDH-GM, .3 DH-IM,
// .4 ECDH-IM, .6 ECDH-CAM; last arc 1 3DES-CBC-CBC, 2 AES-128, 3 AES-192,
// 4 AES-256.
func ParseProtocol(oid asn1.ObjectIdentifier) (Protocol, error) {
	if len(oid) != len(lds.OIDPACE)+2 || !asn1.ObjectIdentifier(oid[:len(lds.OIDPACE)]).Equal(lds.OIDPACE) {
		return Protocol{}, fmt.Errorf("%w: %v is not a PACE protocol", ErrUnsupported, oid)
	}
	p := Protocol{OID: oid}
	switch oid[len(oid)-2] {
	case 1:
		p.Mapping = GenericMapping
	case 2:
		p.Mapping, p.ECDH = GenericMapping, true
	case 3:
		p.Mapping = IntegratedMapping
	case 4:
		p.Mapping, p.ECDH = IntegratedMapping, true
	case 6:
		p.Mapping, p.ECDH = ChipAuthenticationMapping, true
	default:
		return Protocol{}, fmt.Errorf("%w: PACE mapping %v", ErrUnsupported, oid)
	}
	switch oid[len(oid)-1] {
	case 1:
		p.Alg = sm.Alg3DES
	case 2:
		p.Alg = sm.AlgAES128
	case 3:
		p.Alg = sm.AlgAES192
	case 4:
		p.Alg = sm.AlgAES256
	default:
		return Protocol{}, fmt.Errorf("%w: PACE cipher %v", ErrUnsupported, oid)
	}
	return p, nil
}

// OID builds the PACE OID for a protocol description.
func OID(ecdh bool, m Mapping, alg sm.Alg) asn1.ObjectIdentifier {
	ka := map[Mapping]int{GenericMapping: 1, IntegratedMapping: 3, ChipAuthenticationMapping: 6}[m]
	if ecdh && m != ChipAuthenticationMapping {
		ka++
	}
	c := map[sm.Alg]int{sm.Alg3DES: 1, sm.AlgAES128: 2, sm.AlgAES192: 3, sm.AlgAES256: 4}[alg]
	return append(append(asn1.ObjectIdentifier{}, lds.OIDPACE...), ka, c)
}

// Supported reports whether this package can run the PACEInfo.
func Supported(info lds.PACEInfo) bool {
	p, err := ParseProtocol(info.Protocol)
	if err != nil || info.Version != 2 {
		return false
	}
	g, err := standardGroup(info.ParameterID)
	if err != nil {
		return false
	}
	switch p.Mapping {
	case GenericMapping:
		return true
	case IntegratedMapping:
		return imSupported(g)
	case ChipAuthenticationMapping:
		_, ec := g.(*ecGroup)
		return ec && p.ECDH
	}
	return false
}

// Choose picks the strongest supported PACEInfo: ECDH before DH, chip
// authentication mapping before the other mappings (it proves the chip
// genuine on the way), then the larger AES key, 3DES last; on a tie the
// one listed first. ok is false when none is supported, and the
// caller falls back to BAC (ICAO 9303 Part 11 §4.2).
func Choose(infos []lds.PACEInfo) (best lds.PACEInfo, ok bool) {
	score := func(i lds.PACEInfo) int {
		p, _ := ParseProtocol(i.Protocol)
		s := int(p.Alg)
		if p.ECDH {
			s += 10
		}
		if p.Mapping == ChipAuthenticationMapping {
			s += 5 // authenticates the chip in the same run
		}
		return s
	}
	for _, i := range infos {
		if !Supported(i) {
			continue
		}
		if !ok || score(i) > score(best) {
			best, ok = i, true
		}
	}
	return best, ok
}

// Password is a PACE password: the MRZ key or the CAN (ICAO 9303 Part 11
// §4.4.1, §9.7.3). Its String method redacts the secret.
type Password struct {
	ref    byte // 01 MRZ, 02 CAN
	secret []byte
}

// String redacts the password.
func (p Password) String() string {
	if p.ref == 2 {
		return "Password{CAN}"
	}
	return "Password{MRZ}"
}

// MRZPassword is π = SHA-1(MRZ information), the whole 20 bytes
// (ICAO 9303 Part 11 §9.7.3).
func MRZPassword(k chip.MRZKey) (Password, error) {
	info, err := k.Info()
	if err != nil {
		return Password{}, err
	}
	h := sha1.Sum([]byte(info))
	return Password{ref: 1, secret: h[:]}, nil
}

// CANPassword is π = the CAN's characters (ICAO 9303 Part 11 §9.7.3).
func CANPassword(can chip.CAN) (Password, error) {
	s := string(can)
	if len(s) == 0 || len(s) > 16 {
		return Password{}, fmt.Errorf("%w: CAN", chip.ErrBadKey)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return Password{}, fmt.Errorf("%w: CAN", chip.ErrBadKey)
		}
	}
	return Password{ref: 2, secret: []byte(s)}, nil
}

// Key returns K_π = KDF(π, 3) for the cipher suite (ICAO 9303 Part 11
// §9.7.3).
func (p Password) Key(alg sm.Alg) ([]byte, error) {
	if len(p.secret) == 0 {
		return nil, fmt.Errorf("%w: empty password", chip.ErrBadKey)
	}
	return sm.KDF(p.secret, sm.CounterPI, alg)
}

// Result describes a completed PACE run.
type Result struct {
	Protocol    Protocol
	ParameterID int
	// CAR is the certification authority reference(s) the chip sent in the
	// last GENERAL AUTHENTICATE (DO'87', DO'88'), if any.
	CAR []string
	// CAM is set after chip authentication mapping: the chip's proof, to
	// be checked with VerifyCAM against its static key once passive
	// authentication has vouched for that key.
	CAM *CAMProof
}

// Opts tunes a PACE run.
type Opts struct {
	// Rand supplies the terminal's private keys; nil means crypto/rand.
	Rand io.Reader
	// SendParameterID adds DO'84' to MSE:Set AT. Required when the chip
	// lists more than one PACEInfo (ICAO 9303 Part 11 §4.4.4.1);
	// Establish sets it itself in that case.
	SendParameterID bool
}

func oidBytes(oid asn1.ObjectIdentifier) []byte {
	b, err := asn1.Marshal(oid)
	if err != nil {
		return nil
	}
	o, _, err := tlv.Next(b)
	if err != nil {
		return nil
	}
	return o.Value
}

// authTokenInput is the public key data object 7F49 of §4.4.3.4 (generic
// mapping): the protocol OID and the other party's ephemeral public key.
func authTokenInput(oid asn1.ObjectIdentifier, tag uint32, pub []byte) []byte {
	return tlv.Encode(0x7F49, tlv.Encode(0x06, oidBytes(oid)), tlv.Encode(tag, pub))
}

func dynAuth(tag uint32, v []byte) []byte {
	if v == nil {
		return tlv.Encode(0x7C)
	}
	return tlv.Encode(0x7C, tlv.Encode(tag, v))
}

func gaResponse(resp []byte, tag uint32) ([]byte, []tlv.Object, error) {
	inner, err := tlv.Single(resp, 0x7C)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: GENERAL AUTHENTICATE answer: %w", ErrProtocol, err)
	}
	objs, err := tlv.Parse(inner)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: GENERAL AUTHENTICATE answer: %w", ErrProtocol, err)
	}
	for _, o := range objs {
		if o.Tag == tag {
			return o.Value, objs, nil
		}
	}
	return nil, nil, fmt.Errorf("%w: GENERAL AUTHENTICATE answer lacks DO'%X'", ErrProtocol, tag)
}

// Establish runs PACE (generic, integrated or chip authentication mapping) over t (ICAO 9303 Part 11
// §4.4.4) and returns the secure messaging session, whose SSC starts at
// zero. infos is the parsed EF.CardAccess; the strongest supported PACEInfo
// is used.
func Establish(ctx context.Context, t chip.Transceiver, infos []lds.PACEInfo, pw Password, o *Opts) (*sm.Session, *Result, error) {
	info, ok := Choose(infos)
	if !ok {
		return nil, nil, fmt.Errorf("%w: no PACEInfo this terminal can run", ErrUnsupported)
	}
	var opts Opts
	if o != nil {
		opts = *o
	}
	if len(infos) > 1 {
		opts.SendParameterID = true
	}
	return EstablishWith(ctx, t, info, pw, &opts)
}

// EstablishWith runs PACE for one PACEInfo.
func EstablishWith(ctx context.Context, t chip.Transceiver, info lds.PACEInfo, pw Password, o *Opts) (*sm.Session, *Result, error) {
	proto, err := ParseProtocol(info.Protocol)
	if err != nil {
		return nil, nil, err
	}
	if !Supported(info) {
		return nil, nil, fmt.Errorf("%w: %v with domain parameter %d", ErrUnsupported, proto, info.ParameterID)
	}
	g, err := standardGroup(info.ParameterID)
	if err != nil {
		return nil, nil, err
	}
	rnd := io.Reader(rand.Reader)
	var opts Opts
	if o != nil {
		opts = *o
	}
	if opts.Rand != nil {
		rnd = opts.Rand
	}
	kpi, err := pw.Key(proto.Alg)
	if err != nil {
		return nil, nil, err
	}

	// MSE:Set AT (§4.4.4.1): 80 protocol OID, 83 password reference,
	// optional 84 domain parameter id.
	mse := append(tlv.Encode(0x80, oidBytes(info.Protocol)), tlv.Encode(0x83, []byte{pw.ref})...)
	if opts.SendParameterID && info.ParameterID >= 0 {
		mse = append(mse, tlv.Encode(0x84, []byte{byte(info.ParameterID)})...)
	}
	if _, err := chip.TransmitOK(ctx, t, chip.Command{INS: chip.InsManageSecurityEnv, P1: 0xC1, P2: 0xA4, Data: mse}); err != nil {
		return nil, nil, fmt.Errorf("pace: %w", err)
	}

	ga := func(last bool, data []byte) ([]byte, error) {
		cla := byte(0x10) // command chaining (§4.4.4.2)
		if last {
			cla = 0
		}
		resp, err := chip.TransmitOK(ctx, t, chip.Command{CLA: cla, INS: chip.InsGeneralAuthenticate, Data: data, Ne: 256})
		if err != nil {
			return nil, fmt.Errorf("pace: %w", err)
		}
		return resp, nil
	}

	// Step 1: encrypted nonce.
	resp, err := ga(false, dynAuth(0, nil))
	if err != nil {
		return nil, nil, err
	}
	z, _, err := gaResponse(resp, 0x80)
	if err != nil {
		return nil, nil, err
	}
	blk, err := sm.NewBlock(proto.Alg, kpi)
	if err != nil {
		return nil, nil, err
	}
	if len(z) == 0 || len(z)%proto.Alg.BlockSize() != 0 {
		return nil, nil, fmt.Errorf("%w: encrypted nonce of %d bytes", ErrProtocol, len(z))
	}
	sBytes, err := sm.CBCDecrypt(blk, nil, z)
	if err != nil {
		return nil, nil, err
	}

	// Step 2: map the nonce (§4.4.3.3).
	var gm group
	var chipMapPub []byte
	switch proto.Mapping {
	case IntegratedMapping:
		// The terminal's nonce t goes in clear; the chip answers with an
		// empty dynamic authentication data object.
		tn := make([]byte, proto.Alg.KeyLen())
		if _, err := io.ReadFull(rnd, tn); err != nil {
			return nil, nil, fmt.Errorf("pace: random: %w", err)
		}
		if resp, err = ga(false, dynAuth(0x81, tn)); err != nil {
			return nil, nil, err
		}
		if _, err := tlv.Single(resp, 0x7C); err != nil {
			return nil, nil, fmt.Errorf("%w: GENERAL AUTHENTICATE answer: %w", ErrProtocol, err)
		}
		x, err := mapNonce(proto.Alg, sBytes, tn, g.prime())
		if err != nil {
			return nil, nil, err
		}
		if gm, err = g.integrated(x); err != nil {
			return nil, nil, err
		}
	default: // generic mapping, also under chip authentication mapping
		mapPriv, mapPub, err := g.generate(rnd)
		if err != nil {
			return nil, nil, err
		}
		if resp, err = ga(false, dynAuth(0x81, mapPub)); err != nil {
			return nil, nil, err
		}
		if chipMapPub, _, err = gaResponse(resp, 0x82); err != nil {
			return nil, nil, err
		}
		if bytes.Equal(chipMapPub, mapPub) {
			return nil, nil, fmt.Errorf("%w: chip echoed the mapping key", ErrProtocol)
		}
		h, err := g.exp(chipMapPub, mapPriv)
		if err != nil {
			return nil, nil, err
		}
		if gm, err = g.mapped(new(big.Int).SetBytes(sBytes), h); err != nil {
			return nil, nil, err
		}
	}

	// Step 3: key agreement on the mapped generator.
	ephPriv, ephPub, err := gm.generate(rnd)
	if err != nil {
		return nil, nil, err
	}
	if resp, err = ga(false, dynAuth(0x83, ephPub)); err != nil {
		return nil, nil, err
	}
	chipEphPub, _, err := gaResponse(resp, 0x84)
	if err != nil {
		return nil, nil, err
	}
	// §4.4.4.2: the chip's ephemeral key must differ from ours.
	if bytes.Equal(chipEphPub, ephPub) {
		return nil, nil, fmt.Errorf("%w: chip echoed the ephemeral key", ErrProtocol)
	}
	shared, err := gm.exp(chipEphPub, ephPriv)
	if err != nil {
		return nil, nil, err
	}
	k := gm.sharedX(shared)
	ksEnc, err := sm.KDF(k, sm.CounterEnc, proto.Alg)
	if err != nil {
		return nil, nil, err
	}
	ksMac, err := sm.KDF(k, sm.CounterMAC, proto.Alg)
	if err != nil {
		return nil, nil, err
	}
	c, err := sm.NewCipher(proto.Alg, ksEnc, ksMac)
	if err != nil {
		return nil, nil, err
	}

	// Step 4: mutual authentication (§4.4.3.4).
	tIFD, err := c.MAC(authTokenInput(info.Protocol, gm.pubTag(), chipEphPub))
	if err != nil {
		return nil, nil, err
	}
	if resp, err = ga(true, dynAuth(0x85, tIFD)); err != nil {
		var se *chip.StatusError
		if errors.As(err, &se) && (se.SW == chip.SWSecurityNotSatisfied || se.SW>>8 == 0x63) {
			return nil, nil, fmt.Errorf("%w: %w", ErrAuth, err)
		}
		return nil, nil, err
	}
	tIC, objs, err := gaResponse(resp, 0x86)
	if err != nil {
		return nil, nil, err
	}
	want, err := c.MAC(authTokenInput(info.Protocol, gm.pubTag(), ephPub))
	if err != nil {
		return nil, nil, err
	}
	if subtle.ConstantTimeCompare(tIC, want) != 1 {
		return nil, nil, fmt.Errorf("%w: chip token T_IC does not verify", ErrAuth)
	}
	res := &Result{Protocol: proto, ParameterID: info.ParameterID}
	for _, o := range objs {
		switch o.Tag {
		case 0x87, 0x88:
			res.CAR = append(res.CAR, string(o.Value))
		case 0x8A:
			if proto.Mapping == ChipAuthenticationMapping {
				ca, err := decryptCAData(proto.Alg, ksEnc, o.Value)
				if err != nil {
					return nil, nil, err
				}
				res.CAM = &CAMProof{g: g, mapPub: chipMapPub, ca: ca}
			}
		}
	}
	if proto.Mapping == ChipAuthenticationMapping && res.CAM == nil {
		return nil, nil, fmt.Errorf("%w: chip authentication mapping without chip authentication data (DO'8A')", ErrProtocol)
	}
	sess, err := sm.NewSession(proto.Alg, ksEnc, ksMac, make([]byte, proto.Alg.BlockSize()))
	if err != nil {
		return nil, nil, err
	}
	return sess, res, nil
}
