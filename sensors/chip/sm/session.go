package sm

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"sync"

	"github.com/egate/egate/sensors/chip"
	"github.com/egate/egate/sensors/chip/tlv"
)

// Errors of secure messaging.
var (
	// ErrMAC means a checksum (DO'8E') did not verify.
	ErrMAC = errors.New("sm: MAC mismatch")
	// ErrSessionBroken means an earlier error ended the session; a new
	// access control run is needed.
	ErrSessionBroken = errors.New("sm: session broken")
	// ErrMalformed means the protected APDU is missing or misplaces a DO.
	ErrMalformed = errors.New("sm: malformed protected APDU")
)

// Session holds the session keys and the send sequence counter. Its methods
// are safe for concurrent use but a session is a strict sequence: commands
// and responses must alternate.
type Session struct {
	mu     sync.Mutex
	c      *Cipher
	ssc    []byte
	broken bool
}

// NewSession starts secure messaging with the given keys and initial SSC
// (8 bytes for 3DES, 16 for AES; BAC derives it from the nonces, PACE
// starts at zero: ICAO 9303 Part 11 §9.8.2).
func NewSession(alg Alg, kEnc, kMac, ssc []byte) (*Session, error) {
	c, err := NewCipher(alg, kEnc, kMac)
	if err != nil {
		return nil, err
	}
	if len(ssc) != alg.BlockSize() {
		return nil, fmt.Errorf("sm: SSC of %d bytes for %v", len(ssc), alg)
	}
	return &Session{c: c, ssc: append([]byte{}, ssc...)}, nil
}

// Alg returns the session's cipher suite.
func (s *Session) Alg() Alg { return s.c.Alg }

// SSC returns a copy of the current send sequence counter.
func (s *Session) SSC() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]byte{}, s.ssc...)
}

// Broken reports whether the session ended on an error.
func (s *Session) Broken() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.broken
}

// incSSC increments the counter as a big-endian integer (wrapping).
func (s *Session) incSSC() {
	for i := len(s.ssc) - 1; i >= 0; i-- {
		s.ssc[i]++
		if s.ssc[i] != 0 {
			return
		}
	}
}

func (s *Session) fail(err error) error {
	s.broken = true
	return err
}

func encodeLe(ne int, extended bool) []byte {
	if !extended && ne <= chip.MaxShortNe {
		return []byte{byte(ne)} // 256 -> 00
	}
	return []byte{byte(ne >> 8), byte(ne)} // 65536 -> 00 00
}

func decodeLe(b []byte) (int, error) {
	switch len(b) {
	case 1:
		if b[0] == 0 {
			return 256, nil
		}
		return int(b[0]), nil
	case 2:
		n := int(b[0])<<8 | int(b[1])
		if n == 0 {
			n = 65536
		}
		return n, nil
	}
	return 0, fmt.Errorf("%w: DO'97' of %d bytes", ErrMalformed, len(b))
}

// dataTag is DO'87' for even INS and DO'85' for odd INS (ICAO 9303 Part 11
// §9.8.6; odd instructions carry BER-TLV data that is not padded-indicated).
func dataTag(ins byte) uint32 {
	if ins&1 == 1 {
		return 0x85
	}
	return 0x87
}

func (s *Session) encryptDO(ins byte, data []byte) ([]byte, error) {
	ct, err := s.c.Encrypt(s.ssc, Pad(data, s.c.BlockSize()))
	if err != nil {
		return nil, err
	}
	if dataTag(ins) == 0x85 {
		return tlv.Encode(0x85, ct), nil
	}
	return tlv.Encode(0x87, []byte{0x01}, ct), nil
}

func (s *Session) decryptDO(o tlv.Object) ([]byte, error) {
	ct := o.Value
	if o.Tag == 0x87 {
		if len(ct) < 1 || ct[0] != 0x01 {
			return nil, fmt.Errorf("%w: DO'87' padding indicator", ErrMalformed)
		}
		ct = ct[1:]
	}
	if len(ct) == 0 || len(ct)%s.c.BlockSize() != 0 {
		return nil, fmt.Errorf("%w: cryptogram of %d bytes", ErrMalformed, len(ct))
	}
	pt, err := s.c.Decrypt(s.ssc, ct)
	if err != nil {
		return nil, err
	}
	return Unpad(pt)
}

func (s *Session) mac(parts ...[]byte) ([]byte, error) {
	var n []byte
	n = append(n, s.ssc...)
	for _, p := range parts {
		n = append(n, p...)
	}
	return s.c.MACPadded(Pad(n, s.c.BlockSize()))
}

// ProtectCommand wraps a plain command (ICAO 9303 Part 11 §9.8.6, the
// terminal side).
func (s *Session) ProtectCommand(cmd chip.Command) (chip.Command, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.broken {
		return chip.Command{}, ErrSessionBroken
	}
	if cmd.CLA&0x0C != 0 {
		return chip.Command{}, fmt.Errorf("%w: CLA %02X already marks secure messaging", ErrMalformed, cmd.CLA)
	}
	s.incSSC()
	cla := cmd.CLA | 0x0C
	header := Pad([]byte{cla, cmd.INS, cmd.P1, cmd.P2}, s.c.BlockSize())
	var do87, do97 []byte
	if len(cmd.Data) > 0 {
		var err error
		if do87, err = s.encryptDO(cmd.INS, cmd.Data); err != nil {
			return chip.Command{}, s.fail(err)
		}
	}
	if cmd.Ne > 0 {
		do97 = tlv.Encode(0x97, encodeLe(cmd.Ne, cmd.NeedsExtended()))
	}
	var mparts []byte
	mparts = append(append(mparts, do87...), do97...)
	cc, err := s.mac(header, mparts)
	if err != nil {
		return chip.Command{}, s.fail(err)
	}
	data := append(mparts, tlv.Encode(0x8E, cc)...)
	out := chip.Command{CLA: cla, INS: cmd.INS, P1: cmd.P1, P2: cmd.P2, Data: data, Ne: chip.MaxShortNe}
	// The protected answer adds up to two blocks of padding and 14 bytes
	// of DO'99' and DO'8E' to the plain one.
	if cmd.NeedsExtended() || cmd.Ne+2*s.c.BlockSize()+18 > chip.MaxShortNe || len(data) > chip.MaxShortNc {
		out.Ne = chip.MaxExtendedNe
		out.Extended = true
	}
	return out, nil
}

// UnprotectResponse verifies and decrypts a protected response (ICAO 9303
// Part 11 §9.8.6, the terminal side). A response that is only a status word
// (the chip refused before secure messaging applied) is returned as is.
func (s *Session) UnprotectResponse(r chip.Response) (chip.Response, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.broken {
		return chip.Response{}, ErrSessionBroken
	}
	s.incSSC()
	if len(r.Data) == 0 {
		if r.SW == chip.SWOK {
			return chip.Response{}, s.fail(fmt.Errorf("%w: 90 00 without secure messaging objects", ErrMalformed))
		}
		if r.SW == chip.SWSMObjectsMissing || r.SW == chip.SWSMObjectsIncorrect {
			s.broken = true
		}
		return r, nil
	}
	objs, err := tlv.Parse(r.Data)
	if err != nil {
		return chip.Response{}, s.fail(fmt.Errorf("%w: %w", ErrMalformed, err))
	}
	var do99, do8E []byte
	var enc *tlv.Object
	for i, o := range objs {
		switch o.Tag {
		case 0x87, 0x85:
			if enc != nil || do99 != nil || do8E != nil {
				return chip.Response{}, s.fail(fmt.Errorf("%w: DO'%X' out of place", ErrMalformed, o.Tag))
			}
			enc = &objs[i]
		case 0x99:
			if do99 != nil || do8E != nil || len(o.Value) != 2 {
				return chip.Response{}, s.fail(fmt.Errorf("%w: DO'99'", ErrMalformed))
			}
			do99 = o.Value
		case 0x8E:
			if do8E != nil || len(o.Value) != 8 || i != len(objs)-1 {
				return chip.Response{}, s.fail(fmt.Errorf("%w: DO'8E'", ErrMalformed))
			}
			do8E = o.Value
		default:
			return chip.Response{}, s.fail(fmt.Errorf("%w: unexpected DO'%X'", ErrMalformed, o.Tag))
		}
	}
	if do99 == nil || do8E == nil {
		return chip.Response{}, s.fail(fmt.Errorf("%w: DO'99' or DO'8E' missing", ErrMalformed))
	}
	cc, err := s.mac(beforeLast(r.Data))
	if err != nil {
		return chip.Response{}, s.fail(err)
	}
	if subtle.ConstantTimeCompare(cc, do8E) != 1 {
		return chip.Response{}, s.fail(ErrMAC)
	}
	out := chip.Response{SW: uint16(do99[0])<<8 | uint16(do99[1])}
	if enc != nil {
		if out.Data, err = s.decryptDO(*enc); err != nil {
			return chip.Response{}, s.fail(err)
		}
	}
	return out, nil
}

// beforeLast returns the bytes of a well-formed TLV sequence b that precede
// its last object (the MACed part before DO'8E').
func beforeLast(b []byte) []byte {
	rest, end := b, 0
	for len(rest) > 0 {
		_, r, err := tlv.Next(rest)
		if err != nil || len(r) == 0 {
			break
		}
		end += len(rest) - len(r)
		rest = r
	}
	return b[:end]
}

// UnprotectCommand verifies and decrypts a protected command (the chip
// side, for the simulated chip).
func (s *Session) UnprotectCommand(cmd chip.Command) (chip.Command, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.broken {
		return chip.Command{}, ErrSessionBroken
	}
	s.incSSC()
	if cmd.CLA&0x0C != 0x0C {
		return chip.Command{}, s.fail(fmt.Errorf("%w: CLA %02X is not protected", ErrMalformed, cmd.CLA))
	}
	objs, err := tlv.Parse(cmd.Data)
	if err != nil {
		return chip.Command{}, s.fail(fmt.Errorf("%w: %w", ErrMalformed, err))
	}
	var enc *tlv.Object
	var do97, do8E []byte
	for i, o := range objs {
		switch o.Tag {
		case dataTag(cmd.INS):
			if enc != nil || do97 != nil || do8E != nil {
				return chip.Command{}, s.fail(fmt.Errorf("%w: DO'%X' out of place", ErrMalformed, o.Tag))
			}
			enc = &objs[i]
		case 0x97:
			if do97 != nil || do8E != nil {
				return chip.Command{}, s.fail(fmt.Errorf("%w: DO'97'", ErrMalformed))
			}
			do97 = o.Value
		case 0x8E:
			if do8E != nil || len(o.Value) != 8 || i != len(objs)-1 {
				return chip.Command{}, s.fail(fmt.Errorf("%w: DO'8E'", ErrMalformed))
			}
			do8E = o.Value
		default:
			return chip.Command{}, s.fail(fmt.Errorf("%w: unexpected DO'%X'", ErrMalformed, o.Tag))
		}
	}
	if do8E == nil {
		return chip.Command{}, s.fail(fmt.Errorf("%w: DO'8E' missing", ErrMalformed))
	}
	header := Pad([]byte{cmd.CLA, cmd.INS, cmd.P1, cmd.P2}, s.c.BlockSize())
	cc, err := s.mac(header, beforeLast(cmd.Data))
	if err != nil {
		return chip.Command{}, s.fail(err)
	}
	if subtle.ConstantTimeCompare(cc, do8E) != 1 {
		return chip.Command{}, s.fail(ErrMAC)
	}
	out := chip.Command{CLA: cmd.CLA &^ 0x0C, INS: cmd.INS, P1: cmd.P1, P2: cmd.P2}
	if enc != nil {
		if out.Data, err = s.decryptDO(*enc); err != nil {
			return chip.Command{}, s.fail(err)
		}
	}
	if do97 != nil {
		if out.Ne, err = decodeLe(do97); err != nil {
			return chip.Command{}, s.fail(err)
		}
		out.Extended = len(do97) == 2
	}
	return out, nil
}

// ProtectResponse wraps a plain response (the chip side). ins selects
// DO'85' for odd instructions.
func (s *Session) ProtectResponse(ins byte, r chip.Response) (chip.Response, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.broken {
		return chip.Response{}, ErrSessionBroken
	}
	s.incSSC()
	var body []byte
	if len(r.Data) > 0 {
		do, err := s.encryptDO(ins, r.Data)
		if err != nil {
			return chip.Response{}, s.fail(err)
		}
		body = append(body, do...)
	}
	body = append(body, 0x99, 0x02, byte(r.SW>>8), byte(r.SW))
	cc, err := s.mac(body)
	if err != nil {
		return chip.Response{}, s.fail(err)
	}
	body = append(body, tlv.Encode(0x8E, cc)...)
	return chip.Response{Data: body, SW: r.SW}, nil
}

// Transceiver protects every command sent through it with Session and
// unprotects the answers. It implements chip.Transceiver, so file reading
// works unchanged inside secure messaging.
type Transceiver struct {
	Inner   chip.Transceiver
	Session *Session
}

// Transmit implements chip.Transceiver.
func (t *Transceiver) Transmit(ctx context.Context, apdu []byte) ([]byte, error) {
	cmd, err := chip.ParseCommand(apdu)
	if err != nil {
		return nil, err
	}
	pc, err := t.Session.ProtectCommand(cmd)
	if err != nil {
		return nil, err
	}
	raw, err := pc.Bytes()
	if err != nil {
		return nil, err
	}
	out, err := t.Inner.Transmit(ctx, raw)
	if err != nil {
		return nil, err
	}
	r, err := chip.ParseResponse(out)
	if err != nil {
		return nil, err
	}
	plain, err := t.Session.UnprotectResponse(r)
	if err != nil {
		return nil, err
	}
	return plain.Bytes(), nil
}
