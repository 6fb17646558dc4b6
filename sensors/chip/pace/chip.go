package pace

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"encoding/asn1"
	"fmt"
	"io"
	"math/big"

	"github.com/egate/egate/sensors/chip/lds"
	"github.com/egate/egate/sensors/chip/sm"
	"github.com/egate/egate/sensors/chip/tlv"
)

// Chip is the chip side of PACE (generic, integrated and chip
// authentication mapping), for the simulated passport
// in sensors/chip/chiptest. It shares the group arithmetic and key
// derivation with the terminal side, so a bug common to both would pass
// the round trip; the ICAO Appendix G example pins both sides to the
// standard (see pace_test.go).
type Chip struct {
	infos     []lds.PACEInfo
	passwords map[byte]Password
	rnd       io.Reader

	step       int
	info       lds.PACEInfo
	proto      Protocol
	g, gm      group
	pw         Password
	s          *big.Int
	sBytes     []byte
	mapPriv    *big.Int
	ephPriv    *big.Int
	ephPub     []byte
	termEphPub []byte
	cipher     *sm.Cipher
	ksEnc      []byte
	ksMac      []byte
	camKey     *big.Int // SK_IC for chip authentication mapping
}

// SetCAMKey gives the chip its static chip authentication private key, so
// that it can answer chip authentication mapping (SK_IC, a scalar on the
// PACE curve). A key other than the one in DG14 makes a cloned chip.
func (c *Chip) SetCAMKey(d *big.Int) { c.camKey = d }

// NewChip returns a chip that offers infos and knows the given passwords
// (either may be the zero Password). rnd nil means crypto/rand.
func NewChip(infos []lds.PACEInfo, mrz, can Password, rnd io.Reader) *Chip {
	if rnd == nil {
		rnd = rand.Reader
	}
	pw := map[byte]Password{}
	if mrz.ref != 0 {
		pw[1] = mrz
	}
	if can.ref != 0 {
		pw[2] = can
	}
	return &Chip{infos: infos, passwords: pw, rnd: rnd}
}

// SetAT handles MSE:Set AT data (§4.4.4.1).
func (c *Chip) SetAT(data []byte) error {
	c.step = 0
	oid, err := tlv.Find(data, 0x80)
	if err != nil {
		return fmt.Errorf("%w: MSE:Set AT without protocol", ErrProtocol)
	}
	ref, err := tlv.Find(data, 0x83)
	if err != nil || len(ref) != 1 {
		return fmt.Errorf("%w: MSE:Set AT without password reference", ErrProtocol)
	}
	pid := -1
	if v, err := tlv.Find(data, 0x84); err == nil {
		if len(v) != 1 {
			return fmt.Errorf("%w: DO'84'", ErrProtocol)
		}
		pid = int(v[0])
	}
	var chosen *lds.PACEInfo
	for i, in := range c.infos {
		if bytes.Equal(oidBytes(in.Protocol), oid) && (pid < 0 || pid == in.ParameterID) {
			chosen = &c.infos[i]
			break
		}
	}
	if chosen == nil {
		return fmt.Errorf("%w: protocol not offered", ErrUnsupported)
	}
	pw, ok := c.passwords[ref[0]]
	if !ok {
		return fmt.Errorf("%w: password %d unknown", ErrUnsupported, ref[0])
	}
	proto, err := ParseProtocol(chosen.Protocol)
	if err != nil {
		return err
	}
	if !Supported(*chosen) || (proto.Mapping == ChipAuthenticationMapping && c.camKey == nil) {
		return fmt.Errorf("%w: %v", ErrUnsupported, proto)
	}
	g, err := standardGroup(chosen.ParameterID)
	if err != nil {
		return err
	}
	c.info, c.proto, c.g, c.pw, c.step = *chosen, proto, g, pw, 1
	return nil
}

// Protocol returns the protocol chosen by the last SetAT.
func (c *Chip) Protocol() asn1.ObjectIdentifier { return c.info.Protocol }

// GeneralAuthenticate handles one GENERAL AUTHENTICATE's data and returns
// the answer data. After the fourth step it returns the chip's secure
// messaging session; any error resets the protocol.
func (c *Chip) GeneralAuthenticate(data []byte) ([]byte, *sm.Session, error) {
	resp, sess, err := c.ga(data)
	if err != nil {
		c.step = 0
	}
	return resp, sess, err
}

func (c *Chip) ga(data []byte) ([]byte, *sm.Session, error) {
	inner, err := tlv.Single(data, 0x7C)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrProtocol, err)
	}
	switch c.step {
	case 1:
		if len(inner) != 0 {
			return nil, nil, fmt.Errorf("%w: step 1 carries data", ErrProtocol)
		}
		kpi, err := c.pw.Key(c.proto.Alg)
		if err != nil {
			return nil, nil, err
		}
		blk, err := sm.NewBlock(c.proto.Alg, kpi)
		if err != nil {
			return nil, nil, err
		}
		s := make([]byte, 16)
		if c.proto.Mapping == IntegratedMapping {
			s = make([]byte, imNonceLen(c.proto.Alg))
		}
		if _, err := io.ReadFull(c.rnd, s); err != nil {
			return nil, nil, err
		}
		z, err := sm.CBCEncrypt(blk, nil, s)
		if err != nil {
			return nil, nil, err
		}
		c.s, c.sBytes = new(big.Int).SetBytes(s), s
		c.step = 2
		return dynAuth(0x80, z), nil, nil
	case 2:
		termMap, err := tlv.Single(inner, 0x81)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: step 2: %w", ErrProtocol, err)
		}
		if c.proto.Mapping == IntegratedMapping {
			x, err := mapNonce(c.proto.Alg, c.sBytes, termMap, c.g.prime())
			if err != nil {
				return nil, nil, err
			}
			if c.gm, err = c.g.integrated(x); err != nil {
				return nil, nil, err
			}
			c.step = 3
			return dynAuth(0, nil), nil, nil
		}
		priv, pub, err := c.g.generate(c.rnd)
		if err != nil {
			return nil, nil, err
		}
		h, err := c.g.exp(termMap, priv)
		if err != nil {
			return nil, nil, err
		}
		if c.gm, err = c.g.mapped(c.s, h); err != nil {
			return nil, nil, err
		}
		c.mapPriv = priv
		c.step = 3
		return dynAuth(0x82, pub), nil, nil
	case 3:
		termEph, err := tlv.Single(inner, 0x83)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: step 3: %w", ErrProtocol, err)
		}
		priv, pub, err := c.gm.generate(c.rnd)
		if err != nil {
			return nil, nil, err
		}
		if bytes.Equal(pub, termEph) {
			return nil, nil, fmt.Errorf("%w: terminal echoed the ephemeral key", ErrProtocol)
		}
		shared, err := c.gm.exp(termEph, priv)
		if err != nil {
			return nil, nil, err
		}
		k := c.gm.sharedX(shared)
		if c.ksEnc, err = sm.KDF(k, sm.CounterEnc, c.proto.Alg); err != nil {
			return nil, nil, err
		}
		if c.ksMac, err = sm.KDF(k, sm.CounterMAC, c.proto.Alg); err != nil {
			return nil, nil, err
		}
		if c.cipher, err = sm.NewCipher(c.proto.Alg, c.ksEnc, c.ksMac); err != nil {
			return nil, nil, err
		}
		c.ephPriv, c.ephPub, c.termEphPub = priv, pub, termEph
		c.step = 4
		return dynAuth(0x84, pub), nil, nil
	case 4:
		tIFD, err := tlv.Single(inner, 0x85)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: step 4: %w", ErrProtocol, err)
		}
		want, err := c.cipher.MAC(authTokenInput(c.info.Protocol, c.gm.pubTag(), c.ephPub))
		if err != nil {
			return nil, nil, err
		}
		if subtle.ConstantTimeCompare(want, tIFD) != 1 {
			return nil, nil, fmt.Errorf("%w: T_IFD does not verify", ErrAuth)
		}
		tIC, err := c.cipher.MAC(authTokenInput(c.info.Protocol, c.gm.pubTag(), c.termEphPub))
		if err != nil {
			return nil, nil, err
		}
		sess, err := sm.NewSession(c.proto.Alg, c.ksEnc, c.ksMac, make([]byte, c.proto.Alg.BlockSize()))
		if err != nil {
			return nil, nil, err
		}
		c.step = 0
		out := tlv.Encode(0x86, tIC)
		if c.proto.Mapping == ChipAuthenticationMapping {
			// CA_IC = SK_IC⁻¹ · SK_Map,IC mod n (§4.4.3.5.1).
			n := c.g.order()
			inv := new(big.Int).ModInverse(c.camKey, n)
			if inv == nil {
				return nil, nil, fmt.Errorf("%w: chip authentication key not invertible", ErrProtocol)
			}
			ca := inv.Mul(inv, c.mapPriv)
			ca.Mod(ca, n)
			aIC, err := encryptCAData(c.proto.Alg, c.ksEnc, ca.FillBytes(make([]byte, (n.BitLen()+7)/8)))
			if err != nil {
				return nil, nil, err
			}
			out = append(out, tlv.Encode(0x8A, aIC)...)
		}
		return tlv.Encode(0x7C, out), sess, nil
	}
	return nil, nil, fmt.Errorf("%w: GENERAL AUTHENTICATE out of sequence", ErrProtocol)
}
