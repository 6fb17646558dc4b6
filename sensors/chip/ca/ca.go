// Package ca implements chip authentication with ECDH (ICAO 9303 Part 11
// §6.2; BSI TR-03110 CA version 1 for 3DES, version 2 style for AES): the
// terminal agrees a key with the chip's static key from DG14, and secure
// messaging restarts under keys only the genuine chip can compute. A cloned
// chip that copied the data groups but not the private key fails at the
// first protected exchange after it.
//
// Who may import it: sensors/chip/emrtd and sensors/chip/chiptest.
//
// # Protocol (§6.2.3, §6.2.4)
//
//  1. DG14 lists a ChipAuthenticationInfo (id-CA-ECDH-{3DES,AES128,...})
//     and a ChipAuthenticationPublicKeyInfo (id-PK-ECDH with a
//     SubjectPublicKeyInfo), matched by keyId when present.
//  2. The terminal makes an ephemeral key on the chip key's curve.
//  3. AES: MSE:Set AT (00 22 41 A4, DO'80' OID, DO'84' keyId) then GENERAL
//     AUTHENTICATE with DO'80' = the ephemeral public key. 3DES: MSE:Set KAT
//     (00 22 41 A6, DO'91' public key, DO'84' keyId). Both run inside the
//     current secure messaging.
//  4. K = x-coordinate of the shared point; KS_enc, KS_mac = KDF(K, 1|2)
//     (§9.7.1); SSC restarts at zero.
//
// DG14 is only as trustworthy as passive authentication makes it: a CA
// pass counts only together with a dg_hashes pass covering DG14.
//
// # Curves
//
// Keys on NIST P-256, P-384 and P-521 go through crypto/ecdh; keys on the
// brainpool r1 curves (and P-224), which crypto/ecdh does not offer, go
// through the crypto/elliptic implementation of the curve
// (github.com/osanderson/brainpool), the chip's point checked on the curve
// first (sensors/chip/eckey), the ephemeral key drawn by crypto/ecdsa. That
// path is not constant time; the terminal's key is ephemeral and used once.
// DH chip authentication is reported unsupported.
package ca

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"

	"github.com/egate/egate/sensors/chip"
	"github.com/egate/egate/sensors/chip/eckey"
	"github.com/egate/egate/sensors/chip/lds"
	"github.com/egate/egate/sensors/chip/sm"
	"github.com/egate/egate/sensors/chip/tlv"
)

// ErrUnsupported means DG14 offers nothing this package runs.
var ErrUnsupported = errors.New("ca: unsupported")

// OID returns id-CA-ECDH-<alg>.
func OID(alg sm.Alg) asn1.ObjectIdentifier {
	c := map[sm.Alg]int{sm.Alg3DES: 1, sm.AlgAES128: 2, sm.AlgAES192: 3, sm.AlgAES256: 4}[alg]
	return append(append(asn1.ObjectIdentifier{}, lds.OIDCA...), 2, c)
}

// PKOID is id-PK-ECDH.
var PKOID = append(append(asn1.ObjectIdentifier{}, lds.OIDPK...), 2)

func algOf(oid asn1.ObjectIdentifier) (sm.Alg, error) {
	if len(oid) != len(lds.OIDCA)+2 || !asn1.ObjectIdentifier(oid[:len(lds.OIDCA)]).Equal(lds.OIDCA) || oid[len(oid)-2] != 2 {
		return 0, fmt.Errorf("%w: %v", ErrUnsupported, oid)
	}
	switch oid[len(oid)-1] {
	case 1:
		return sm.Alg3DES, nil
	case 2:
		return sm.AlgAES128, nil
	case 3:
		return sm.AlgAES192, nil
	case 4:
		return sm.AlgAES256, nil
	}
	return 0, fmt.Errorf("%w: %v", ErrUnsupported, oid)
}

// Plan is a chosen protocol and chip key.
type Plan struct {
	Info lds.ChipAuthenticationInfo
	Alg  sm.Alg
	Key  *ecdsa.PublicKey
}

// Choose picks the first ECDH chip authentication with a usable key.
func Choose(si *lds.SecurityInfos) (*Plan, error) {
	if si == nil {
		return nil, fmt.Errorf("%w: no DG14", ErrUnsupported)
	}
	for _, info := range si.CA {
		alg, err := algOf(info.Protocol)
		if err != nil {
			continue
		}
		for _, k := range si.CAKeys {
			if !k.Protocol.Equal(PKOID) {
				continue
			}
			if info.KeyID != nil && (k.KeyID == nil || k.KeyID.Cmp(info.KeyID) != 0) {
				continue
			}
			pub, ok := k.PublicKey.(*ecdsa.PublicKey)
			if !ok || pub.Curve == nil || eckey.Name(pub.Curve) == eckey.Unknown {
				continue
			}
			return &Plan{Info: info, Alg: alg, Key: pub}, nil
		}
	}
	return nil, fmt.Errorf("%w: DG14 offers no ECDH chip authentication with a key on a known curve", ErrUnsupported)
}

func keyRef(id *big.Int) []byte {
	if id == nil {
		return nil
	}
	b := id.Bytes()
	if len(b) == 0 {
		b = []byte{0}
	}
	return tlv.Encode(0x84, b)
}

func oidBytes(oid asn1.ObjectIdentifier) []byte {
	b, _ := asn1.Marshal(oid)
	o, _, err := tlv.Next(b)
	if err != nil {
		return nil
	}
	return o.Value
}

// Authenticate runs chip authentication inside st's secure messaging and,
// on success, replaces st.Session with the new session. The chip's
// possession of the key is proven only by the next protected exchange
// succeeding; callers must treat a secure messaging failure right after as
// a failed chip authentication. rnd nil means crypto/rand.
func Authenticate(ctx context.Context, st *sm.Transceiver, p *Plan, rnd io.Reader) error {
	if rnd == nil {
		rnd = rand.Reader
	}
	pub, k, err := agree(p.Key, rnd)
	if err != nil {
		return err
	}
	if p.Alg == sm.Alg3DES {
		data := append(tlv.Encode(0x91, pub), keyRef(p.Info.KeyID)...)
		if _, err := chip.TransmitOK(ctx, st, chip.Command{INS: chip.InsManageSecurityEnv, P1: 0x41, P2: 0xA6, Data: data}); err != nil {
			return fmt.Errorf("ca: MSE:Set KAT: %w", err)
		}
	} else {
		data := append(tlv.Encode(0x80, oidBytes(p.Info.Protocol)), keyRef(p.Info.KeyID)...)
		if _, err := chip.TransmitOK(ctx, st, chip.Command{INS: chip.InsManageSecurityEnv, P1: 0x41, P2: 0xA4, Data: data}); err != nil {
			return fmt.Errorf("ca: MSE:Set AT: %w", err)
		}
		if _, err := chip.TransmitOK(ctx, st, chip.Command{INS: chip.InsGeneralAuthenticate, Data: tlv.Encode(0x7C, tlv.Encode(0x80, pub)), Ne: 256}); err != nil {
			return fmt.Errorf("ca: GENERAL AUTHENTICATE: %w", err)
		}
	}
	sess, err := session(k, p.Alg)
	if err != nil {
		return err
	}
	st.Session = sess
	return nil
}

// agree makes the terminal's ephemeral key on the chip key's curve and
// returns its public point (uncompressed) and the shared secret: the
// x-coordinate of the shared point (ICAO 9303 Part 11 §9.6).
func agree(chipKey *ecdsa.PublicKey, rnd io.Reader) (pub, k []byte, err error) {
	if ek, err := chipKey.ECDH(); err == nil {
		eph, err := ek.Curve().GenerateKey(rnd)
		if err != nil {
			return nil, nil, fmt.Errorf("ca: ephemeral key: %w", err)
		}
		k, err := eph.ECDH(ek)
		if err != nil {
			return nil, nil, fmt.Errorf("ca: key agreement: %w", err)
		}
		return eph.PublicKey().Bytes(), k, nil
	}
	c := chipKey.Curve
	if !c.IsOnCurve(chipKey.X, chipKey.Y) {
		return nil, nil, fmt.Errorf("ca: chip key not on %s", eckey.Name(c))
	}
	eph, err := ecdsa.GenerateKey(c, rnd)
	if err != nil {
		return nil, nil, fmt.Errorf("ca: ephemeral key: %w", err)
	}
	k, err = sharedX(c, chipKey.X, chipKey.Y, eph.D)
	if err != nil {
		return nil, nil, err
	}
	return encodePoint(c, eph.X, eph.Y), k, nil
}

func encodePoint(c elliptic.Curve, x, y *big.Int) []byte {
	n := (c.Params().BitSize + 7) / 8
	out := make([]byte, 1+2*n)
	out[0] = 4
	x.FillBytes(out[1 : 1+n])
	y.FillBytes(out[1+n:])
	return out
}

// sharedX is the x-coordinate of d·(x, y), refused at infinity.
func sharedX(c elliptic.Curve, x, y, d *big.Int) ([]byte, error) {
	sx, sy := c.ScalarMult(x, y, d.Bytes())
	if sx.Sign() == 0 && sy.Sign() == 0 {
		return nil, errors.New("ca: key agreement: shared point at infinity")
	}
	return sx.FillBytes(make([]byte, (c.Params().BitSize+7)/8)), nil
}

func session(k []byte, alg sm.Alg) (*sm.Session, error) {
	enc, err := sm.KDF(k, sm.CounterEnc, alg)
	if err != nil {
		return nil, err
	}
	mac, err := sm.KDF(k, sm.CounterMAC, alg)
	if err != nil {
		return nil, err
	}
	return sm.NewSession(alg, enc, mac, make([]byte, alg.BlockSize()))
}

// ChipSession is the chip side: from the chip's static key and the
// terminal's ephemeral public key (uncompressed point), the session the
// chip switches to after answering.
func ChipSession(static *ecdsa.PrivateKey, terminalPub []byte, alg sm.Alg) (*sm.Session, error) {
	if sk, err := static.ECDH(); err == nil {
		peer, err := sk.Curve().NewPublicKey(terminalPub)
		if err != nil {
			return nil, fmt.Errorf("ca: terminal key: %w", err)
		}
		k, err := sk.ECDH(peer)
		if err != nil {
			return nil, fmt.Errorf("ca: key agreement: %w", err)
		}
		return session(k, alg)
	}
	x, y, err := eckey.Point(static.Curve, terminalPub)
	if err != nil {
		return nil, fmt.Errorf("ca: terminal key: %w", err)
	}
	k, err := sharedX(static.Curve, x, y, static.D)
	if err != nil {
		return nil, err
	}
	return session(k, alg)
}

// AlgForOID is algOf for the chip side.
func AlgForOID(oid asn1.ObjectIdentifier) (sm.Alg, error) { return algOf(oid) }
