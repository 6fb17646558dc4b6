package chiptest

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/asn1"
	"errors"
	"io"
	"sync"

	"github.com/egate/egate/sensors/chip"
	"github.com/egate/egate/sensors/chip/bac"
	"github.com/egate/egate/sensors/chip/ca"
	"github.com/egate/egate/sensors/chip/lds"
	"github.com/egate/egate/sensors/chip/pace"
	"github.com/egate/egate/sensors/chip/sm"
	"github.com/egate/egate/sensors/chip/tlv"
)

// PassportOpts shapes the simulated chip.
type PassportOpts struct {
	// NoBAC makes the chip refuse GET CHALLENGE (a PACE-only chip).
	NoBAC bool
	// CAN is the card access number PACE accepts besides the MRZ.
	CAN chip.CAN
	// Extended lets READ BINARY ask for more than 256 bytes.
	Extended bool
	// AAKey answers INTERNAL AUTHENTICATE: an *ecdsa.PrivateKey (plain
	// r||s over SHA-256) or an *rsa.PrivateKey (ISO/IEC 9796-2 scheme 1,
	// see SignRSAAA). It may differ from the key in DG15 to simulate a
	// cloned chip.
	AAKey crypto.Signer
	// AARSAHash is the hash of RSA active authentication: 0 is SHA-1 with
	// the implicit trailer BC; SHA-1 to SHA-512 use the two-byte trailer
	// (SHA-256: 34 CC).
	AARSAHash crypto.Hash
	// CAKey is the chip authentication private key the chip holds. It may
	// differ from the key in DG14 to simulate a cloned chip.
	CAKey *ecdsa.PrivateKey
	// RemoveAfter takes the card out of the field after that many APDUs
	// (0: never).
	RemoveAfter int
	// Rand drives the chip's nonces; nil means crypto/rand.
	Rand io.Reader
}

// Passport is a simulated LDS1 eMRTD applet. It implements
// chip.Transceiver; use it directly in unit tests or behind a virtual
// reader for integration tests.
type Passport struct {
	doc  *Document
	opts PassportOpts

	mu        sync.Mutex
	removed   bool
	count     int
	appSel    bool
	selected  []byte
	session   *sm.Session
	rndIC     []byte
	paceChip  *pace.Chip
	bacKeys   bac.Keys
	bacKeyErr error
	caAlg     sm.Alg // set by MSE:Set AT for chip authentication
	next      *sm.Session
}

// NewPassport returns a chip serving doc.
func NewPassport(doc *Document, o PassportOpts) *Passport {
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	p := &Passport{doc: doc, opts: o}
	p.bacKeys, p.bacKeyErr = bac.DeriveKeys(doc.Key)
	if doc.CardAccess != nil {
		infos, err := lds.ParseSecurityInfos(doc.CardAccess)
		if err == nil {
			mrz, _ := pace.MRZPassword(doc.Key)
			var can pace.Password
			if o.CAN != "" {
				can, _ = pace.CANPassword(o.CAN)
			}
			p.paceChip = pace.NewChip(infos.PACE, mrz, can, o.Rand)
			if o.CAKey != nil {
				p.paceChip.SetCAMKey(o.CAKey.D) // chip authentication mapping, if offered
			}
		}
	}
	return p
}

// Remove takes the card out of the field: every later Transmit fails with
// chip.ErrCardRemoved until Insert.
func (p *Passport) Remove() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.removed = true
}

// Insert puts the card back; like a real chip it has lost its session.
func (p *Passport) Insert() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.removed, p.session, p.appSel, p.selected, p.count = false, nil, false, nil, 0
	p.opts.RemoveAfter = 0
}

// Exchanges returns the number of APDUs received since the last Insert.
func (p *Passport) Exchanges() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.count
}

// Transmit implements chip.Transceiver.
func (p *Passport) Transmit(ctx context.Context, apdu []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.removed {
		return nil, chip.ErrCardRemoved
	}
	p.count++
	if p.opts.RemoveAfter > 0 && p.count > p.opts.RemoveAfter {
		p.removed = true
		return nil, chip.ErrCardRemoved
	}
	cmd, err := chip.ParseCommand(apdu)
	if err != nil {
		return sw(chip.SWWrongLength), nil
	}
	if cmd.CLA&0x0C == 0x0C {
		if p.session == nil {
			return sw(chip.SWSMObjectsMissing), nil
		}
		plain, err := p.session.UnprotectCommand(cmd)
		if err != nil {
			p.session = nil
			return sw(chip.SWSMObjectsIncorrect), nil
		}
		resp := p.handle(plain, true)
		if p.session == nil { // the command ended the session
			return resp.Bytes(), nil
		}
		pr, err := p.session.ProtectResponse(plain.INS, resp)
		if err != nil {
			p.session = nil
			return sw(chip.SWUnknown), nil
		}
		if p.next != nil {
			// Chip authentication: the answer went out under the old
			// keys, everything after uses the new ones.
			p.session, p.next = p.next, nil
		}
		return pr.Bytes(), nil
	}
	// A plain command ends secure messaging (ICAO 9303 Part 11 §9.8.1).
	p.session = nil
	return p.handle(cmd, false).Bytes(), nil
}

func sw(s uint16) []byte { return []byte{byte(s >> 8), byte(s)} }

func status(s uint16) chip.Response { return chip.Response{SW: s} }

func (p *Passport) file(fid []byte) []byte {
	id := uint16(fid[0])<<8 | uint16(fid[1])
	if !p.appSel {
		switch id {
		case chip.FIDCardAccess:
			return p.doc.CardAccess
		case chip.FIDCardSecurity:
			return p.doc.CardSecurity
		}
		return nil
	}
	switch id {
	case chip.FIDCOM:
		return p.doc.COM
	case chip.FIDSOD:
		return p.doc.SOD
	}
	if id > 0x0100 && id <= 0x0110 {
		return p.doc.DGs[int(id-0x0100)]
	}
	return nil
}

func (p *Passport) handle(cmd chip.Command, secure bool) chip.Response {
	if cmd.CLA&0x10 != 0 && cmd.INS != chip.InsGeneralAuthenticate {
		return status(0x6884) // command chaining not supported
	}
	switch cmd.INS {
	case chip.InsSelect:
		return p.selectFile(cmd)
	case chip.InsGetChallenge:
		if p.opts.NoBAC || p.bacKeyErr != nil {
			return status(chip.SWInsNotSupported)
		}
		if cmd.Ne != 8 {
			return status(chip.SWWrongLength)
		}
		p.rndIC = make([]byte, 8)
		if _, err := io.ReadFull(p.opts.Rand, p.rndIC); err != nil {
			return status(chip.SWUnknown)
		}
		return chip.Response{Data: append([]byte{}, p.rndIC...), SW: chip.SWOK}
	case chip.InsExternalAuthenticate:
		if p.rndIC == nil {
			return status(chip.SWConditionsNotMet)
		}
		kIC := make([]byte, 16)
		if _, err := io.ReadFull(p.opts.Rand, kIC); err != nil {
			return status(chip.SWUnknown)
		}
		resp, sess, err := bac.Respond(p.bacKeys, p.rndIC, cmd.Data, kIC)
		p.rndIC = nil
		if err != nil {
			return status(chip.SWSecurityNotSatisfied)
		}
		p.session = sess
		return chip.Response{Data: resp, SW: chip.SWOK}
	case chip.InsManageSecurityEnv:
		if cmd.P1 == 0x41 && secure {
			return p.mseCA(cmd)
		}
		if cmd.P1 != 0xC1 || cmd.P2 != 0xA4 || p.paceChip == nil {
			return status(chip.SWIncorrectP1P2)
		}
		if err := p.paceChip.SetAT(cmd.Data); err != nil {
			return status(chip.SWWrongData)
		}
		return status(chip.SWOK)
	case chip.InsGeneralAuthenticate:
		if p.caAlg != 0 && secure {
			inner, err := tlv.Single(cmd.Data, 0x7C)
			if err != nil {
				return status(chip.SWWrongData)
			}
			pub, err := tlv.Find(inner, 0x80)
			if err != nil {
				return status(chip.SWWrongData)
			}
			return p.caAgree(pub, p.caAlg, chip.Response{Data: []byte{0x7C, 0x00}, SW: chip.SWOK})
		}
		if p.paceChip == nil {
			return status(chip.SWInsNotSupported)
		}
		resp, sess, err := p.paceChip.GeneralAuthenticate(cmd.Data)
		if errors.Is(err, pace.ErrAuth) {
			return status(0x6300)
		}
		if err != nil {
			return status(chip.SWWrongData)
		}
		if sess != nil {
			p.session = sess
		}
		return chip.Response{Data: resp, SW: chip.SWOK}
	case chip.InsReadBinary, chip.InsReadBinaryOdd:
		return p.readBinary(cmd, secure)
	case chip.InsInternalAuthenticate:
		return p.internalAuthenticate(cmd, secure)
	}
	return status(chip.SWInsNotSupported)
}

func (p *Passport) selectFile(cmd chip.Command) chip.Response {
	switch cmd.P1 {
	case 0x04:
		if !bytes.Equal(cmd.Data, chip.AIDeMRTD) {
			return status(chip.SWFileNotFound)
		}
		p.appSel, p.selected = true, nil
		return status(chip.SWOK)
	case 0x00, 0x02:
		if len(cmd.Data) != 2 {
			return status(chip.SWWrongData)
		}
		if cmd.P1 == 0x00 && cmd.Data[0] == 0x3F && cmd.Data[1] == 0x00 {
			p.appSel, p.selected = false, nil
			return status(chip.SWOK)
		}
		if p.file(cmd.Data) == nil {
			return status(chip.SWFileNotFound)
		}
		p.selected = append([]byte{}, cmd.Data...)
		return status(chip.SWOK)
	}
	return status(chip.SWIncorrectP1P2)
}

func (p *Passport) readBinary(cmd chip.Command, secure bool) chip.Response {
	if p.selected == nil {
		return status(0x6986) // no current EF
	}
	if p.appSel && !secure {
		return status(chip.SWSecurityNotSatisfied)
	}
	if !p.opts.Extended && cmd.Ne > chip.MaxShortNe {
		return status(chip.SWWrongLength)
	}
	f := p.file(p.selected)
	var off int
	if cmd.INS == chip.InsReadBinary {
		if cmd.P1&0x80 != 0 {
			return status(chip.SWFuncNotSupported) // short EF identifiers not simulated
		}
		off = int(cmd.P1)<<8 | int(cmd.P2)
	} else {
		v, err := tlv.Single(cmd.Data, 0x54)
		if err != nil || len(v) == 0 || len(v) > 3 {
			return status(chip.SWWrongData)
		}
		for _, b := range v {
			off = off<<8 | int(b)
		}
	}
	if off >= len(f) {
		return status(chip.SWWrongP1P2)
	}
	n := cmd.Ne
	if cmd.INS == chip.InsReadBinaryOdd {
		n -= 4
	}
	end := min(off+n, len(f))
	data := append([]byte{}, f[off:end]...)
	s := chip.SWOK
	if end-off < n {
		s = chip.SWEndOfFile
	}
	if cmd.INS == chip.InsReadBinaryOdd {
		data = tlv.Encode(0x53, data)
	}
	return chip.Response{Data: data, SW: s}
}

// internalAuthenticate is active authentication (ICAO 9303 Part 11 §6.1):
// the chip signs the 8-byte challenge. With an ECDSA key the signature is
// plain r||s over SHA-256 (BSI TR-03111), as named in DG14's
// ActiveAuthenticationInfo; an RSA key is handled by internalAuthenticateRSA.
func (p *Passport) internalAuthenticate(cmd chip.Command, secure bool) chip.Response {
	if rk, ok := p.opts.AAKey.(*rsa.PrivateKey); ok {
		return p.internalAuthenticateRSA(rk, cmd, secure)
	}
	k, ok := p.opts.AAKey.(*ecdsa.PrivateKey)
	if !ok {
		return status(chip.SWInsNotSupported)
	}
	if !secure {
		return status(chip.SWSecurityNotSatisfied)
	}
	if len(cmd.Data) != 8 {
		return status(chip.SWWrongData)
	}
	h := sha256.Sum256(cmd.Data)
	r, s, err := ecdsa.Sign(p.opts.Rand, k, h[:])
	if err != nil {
		return status(chip.SWUnknown)
	}
	n := (k.Curve.Params().N.BitLen() + 7) / 8
	sig := make([]byte, 2*n)
	r.FillBytes(sig[:n])
	s.FillBytes(sig[n:])
	return chip.Response{Data: sig, SW: chip.SWOK}
}

// mseCA handles MSE:Set AT (41 A4) and MSE:Set KAT (41 A6) of chip
// authentication (ICAO 9303 Part 11 §6.2.4).
func (p *Passport) mseCA(cmd chip.Command) chip.Response {
	if p.opts.CAKey == nil {
		return status(chip.SWIncorrectP1P2)
	}
	switch cmd.P2 {
	case 0xA4:
		oid, err := tlv.Find(cmd.Data, 0x80)
		if err != nil {
			return status(chip.SWWrongData)
		}
		var o asn1.ObjectIdentifier
		if _, err := asn1.Unmarshal(tlv.Encode(0x06, oid), &o); err != nil {
			return status(chip.SWWrongData)
		}
		alg, err := ca.AlgForOID(o)
		if err != nil {
			return status(chip.SWWrongData)
		}
		p.caAlg = alg
		return status(chip.SWOK)
	case 0xA6:
		pub, err := tlv.Find(cmd.Data, 0x91)
		if err != nil {
			return status(chip.SWWrongData)
		}
		return p.caAgree(pub, sm.Alg3DES, status(chip.SWOK))
	}
	return status(chip.SWIncorrectP1P2)
}

func (p *Passport) caAgree(pub []byte, alg sm.Alg, ok chip.Response) chip.Response {
	p.caAlg = 0
	sess, err := ca.ChipSession(p.opts.CAKey, pub, alg)
	if err != nil {
		return status(chip.SWWrongData)
	}
	p.next = sess
	return ok
}
