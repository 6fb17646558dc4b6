// Package bac implements Basic Access Control (ICAO 9303 Part 11 §4.3 and
// Appendix D): key seed from the MRZ, GET CHALLENGE, EXTERNAL AUTHENTICATE
// with mutual authentication, and session keys for 3DES secure messaging.
//
// Who may import it: sensors/chip/emrtd and the simulated chip in
// sensors/chip/chiptest. It exposes the chip side (Respond) only so that the
// simulated passport uses the same, tested derivations.
//
// # Protocol
//
// ICAO 9303 Part 11 §4.3.3 and §9.7.2:
//
//  1. K_seed = SHA-1(MRZ information)[0:16]; K_enc, K_mac = KDF(K_seed, 1|2).
//  2. GET CHALLENGE (00 84 00 00 08) returns RND.IC.
//  3. S = RND.IFD || RND.IC || K.IFD; E_IFD = 3DES-CBC(K_enc, S);
//     M_IFD = MAC(K_mac, E_IFD); EXTERNAL AUTHENTICATE (00 82 00 00 28).
//  4. The answer E_IC || M_IC is checked and decrypted to RND.IC || RND.IFD
//     || K.IC; both nonces must match.
//  5. KS_seed = K.IFD xor K.IC; SSC = RND.IC[4:8] || RND.IFD[4:8] (§9.8.2).
package bac

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"

	"github.com/egate/egate/sensors/chip"
	"github.com/egate/egate/sensors/chip/sm"
)

// ErrAuth means mutual authentication failed: a wrong MRZ key, or a chip
// that answered with a bad cryptogram.
var ErrAuth = errors.New("bac: mutual authentication failed")

// Keys are the document basic access keys.
type Keys struct {
	Enc, MAC []byte
}

// KeySeed returns SHA-1(MRZ information)[0:16] (ICAO 9303 Part 11 §9.7.2).
func KeySeed(key chip.MRZKey) ([]byte, error) {
	info, err := key.Info()
	if err != nil {
		return nil, err
	}
	h := sha1.Sum([]byte(info))
	return h[:16:16], nil
}

// DeriveKeys returns K_enc and K_mac for the MRZ key.
func DeriveKeys(key chip.MRZKey) (Keys, error) {
	seed, err := KeySeed(key)
	if err != nil {
		return Keys{}, err
	}
	return keysFromSeed(seed)
}

func keysFromSeed(seed []byte) (Keys, error) {
	enc, err := sm.KDF(seed, sm.CounterEnc, sm.Alg3DES)
	if err != nil {
		return Keys{}, err
	}
	mac, err := sm.KDF(seed, sm.CounterMAC, sm.Alg3DES)
	if err != nil {
		return Keys{}, err
	}
	return Keys{Enc: enc, MAC: mac}, nil
}

// Authenticate runs BAC over t and returns the secure messaging session.
// rnd supplies RND.IFD then K.IFD; nil means crypto/rand.
func Authenticate(ctx context.Context, t chip.Transceiver, key chip.MRZKey, rnd io.Reader) (*sm.Session, error) {
	keys, err := DeriveKeys(key)
	if err != nil {
		return nil, err
	}
	return AuthenticateKeys(ctx, t, keys, rnd)
}

// AuthenticateKeys is Authenticate with derived keys.
func AuthenticateKeys(ctx context.Context, t chip.Transceiver, keys Keys, rnd io.Reader) (*sm.Session, error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	rndIC, err := chip.TransmitOK(ctx, t, chip.Command{INS: chip.InsGetChallenge, Ne: 8})
	if err != nil {
		return nil, fmt.Errorf("bac: %w", err)
	}
	if len(rndIC) != 8 {
		return nil, fmt.Errorf("bac: GET CHALLENGE returned %d bytes", len(rndIC))
	}
	buf := make([]byte, 24)
	if _, err := io.ReadFull(rnd, buf); err != nil {
		return nil, fmt.Errorf("bac: random: %w", err)
	}
	rndIFD, kIFD := buf[:8], buf[8:]
	c, err := sm.NewCipher(sm.Alg3DES, keys.Enc, keys.MAC)
	if err != nil {
		return nil, err
	}
	s := append(append(append([]byte{}, rndIFD...), rndIC...), kIFD...)
	eIFD, err := c.Encrypt(nil, s)
	if err != nil {
		return nil, err
	}
	mIFD, err := c.MAC(eIFD)
	if err != nil {
		return nil, err
	}
	resp, err := chip.TransmitOK(ctx, t, chip.Command{INS: chip.InsExternalAuthenticate, Data: append(eIFD, mIFD...), Ne: 40})
	if err != nil {
		// Chips refuse a cryptogram they cannot verify (a wrong MRZ key)
		// with 6300 or 6982; vsmartcard-vpicc's ePass answers 6988, its
		// MAC check of the terminal's cryptogram having failed.
		var se *chip.StatusError
		if errors.As(err, &se) && (se.SW == chip.SWSecurityNotSatisfied || se.SW == chip.SWSMObjectsIncorrect || se.SW>>8 == 0x63) {
			return nil, fmt.Errorf("%w: %w", ErrAuth, err)
		}
		return nil, fmt.Errorf("bac: %w", err)
	}
	if len(resp) != 40 {
		return nil, fmt.Errorf("%w: answer of %d bytes", ErrAuth, len(resp))
	}
	eIC, mIC := resp[:32], resp[32:]
	want, err := c.MAC(eIC)
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare(want, mIC) != 1 {
		return nil, fmt.Errorf("%w: M_IC mismatch", ErrAuth)
	}
	r, err := c.Decrypt(nil, eIC)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(r[:8], rndIC) || !bytes.Equal(r[8:16], rndIFD) {
		return nil, fmt.Errorf("%w: nonces do not match", ErrAuth)
	}
	return sessionFrom(kIFD, r[16:32], rndIC, rndIFD)
}

func sessionFrom(kIFD, kIC, rndIC, rndIFD []byte) (*sm.Session, error) {
	seed := make([]byte, 16)
	subtle.XORBytes(seed, kIFD, kIC)
	ks, err := keysFromSeed(seed)
	if err != nil {
		return nil, err
	}
	ssc := append(append([]byte{}, rndIC[4:8]...), rndIFD[4:8]...)
	return sm.NewSession(sm.Alg3DES, ks.Enc, ks.MAC, ssc)
}

// Respond is the chip side of EXTERNAL AUTHENTICATE: given the document
// keys, the RND.IC the chip issued, the command data E_IFD || M_IFD and the
// chip's K.IC, it returns E_IC || M_IC and the chip's session. It returns
// ErrAuth when the terminal's cryptogram does not verify.
func Respond(keys Keys, rndIC, data, kIC []byte) ([]byte, *sm.Session, error) {
	if len(data) != 40 || len(rndIC) != 8 || len(kIC) != 16 {
		return nil, nil, fmt.Errorf("%w: bad lengths", ErrAuth)
	}
	c, err := sm.NewCipher(sm.Alg3DES, keys.Enc, keys.MAC)
	if err != nil {
		return nil, nil, err
	}
	eIFD, mIFD := data[:32], data[32:]
	want, err := c.MAC(eIFD)
	if err != nil {
		return nil, nil, err
	}
	if subtle.ConstantTimeCompare(want, mIFD) != 1 {
		return nil, nil, fmt.Errorf("%w: M_IFD mismatch", ErrAuth)
	}
	s, err := c.Decrypt(nil, eIFD)
	if err != nil {
		return nil, nil, err
	}
	rndIFD, gotIC, kIFD := s[:8], s[8:16], s[16:32]
	if !bytes.Equal(gotIC, rndIC) {
		return nil, nil, fmt.Errorf("%w: RND.IC mismatch", ErrAuth)
	}
	r := append(append(append([]byte{}, rndIC...), rndIFD...), kIC...)
	eIC, err := c.Encrypt(nil, r)
	if err != nil {
		return nil, nil, err
	}
	mIC, err := c.MAC(eIC)
	if err != nil {
		return nil, nil, err
	}
	sess, err := sessionFrom(kIFD, kIC, rndIC, rndIFD)
	if err != nil {
		return nil, nil, err
	}
	return append(eIC, mIC...), sess, nil
}
