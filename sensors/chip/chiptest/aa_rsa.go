package chiptest

import (
	"crypto"
	"crypto/rsa"
	_ "crypto/sha1"
	_ "crypto/sha256"
	_ "crypto/sha512"
	"fmt"
	"io"
	"math/big"

	"github.com/egate/egate/sensors/chip"
)

// rsaAATrailers are the two-byte trailers (ISO/IEC 10118-3 hash identifier,
// CC) of ISO/IEC 9796-2.
var rsaAATrailers = map[crypto.Hash][2]byte{
	crypto.SHA1:   {0x33, 0xCC},
	crypto.SHA224: {0x38, 0xCC},
	crypto.SHA256: {0x34, 0xCC},
	crypto.SHA384: {0x36, 0xCC},
	crypto.SHA512: {0x35, 0xCC},
}

// SignRSAAA is the chip's half of RSA active authentication (ICAO 9303
// Part 11 §6.1): an ISO/IEC 9796-2 digital signature scheme 1 signature
// with partial message recovery over M = M1 || challenge, M1 being random
// bytes that fill the representative
//
//	F = 6A || M1 || H(M1 || challenge) || trailer
//
// h 0 means SHA-1 with the implicit trailer BC; SHA-1, SHA-224, SHA-256,
// SHA-384 and SHA-512 use the two-byte trailer (SHA-256: 34 CC). F takes
// floor(k/8) bytes of a k-bit modulus, so it stays below N when k is not a
// multiple of 8; the signature is ceil(k/8) bytes.
func SignRSAAA(rnd io.Reader, key *rsa.PrivateKey, challenge []byte, h crypto.Hash) ([]byte, error) {
	trailer := []byte{0xBC}
	if h == 0 {
		h = crypto.SHA1
	} else {
		t, ok := rsaAATrailers[h]
		if !ok {
			return nil, fmt.Errorf("chiptest: no ISO/IEC 9796-2 trailer for %v", h)
		}
		trailer = t[:]
	}
	hh := h.New()
	k := key.N.BitLen()
	m1Len := k/8 - 1 - hh.Size() - len(trailer)
	if m1Len < 1 {
		return nil, fmt.Errorf("chiptest: %d-bit key too short for %v", k, h)
	}
	m1 := make([]byte, m1Len)
	if _, err := io.ReadFull(rnd, m1); err != nil {
		return nil, err
	}
	hh.Write(m1)
	hh.Write(challenge)
	f := append([]byte{0x6A}, m1...)
	f = hh.Sum(f)
	f = append(f, trailer...)
	return RSARaw(key, f), nil
}

// RSARaw is the bare RSA private operation m^d mod N, as a chip's
// coprocessor applies it to a formatted block, returned in ceil(k/8)
// bytes. crypto/rsa offers no raw signing; math/big is not constant time,
// which is acceptable only because this is the simulated chip of tests,
// holding throw-away keys.
func RSARaw(key *rsa.PrivateKey, m []byte) []byte {
	s := new(big.Int).Exp(new(big.Int).SetBytes(m), key.D, key.N)
	return s.FillBytes(make([]byte, (key.N.BitLen()+7)/8))
}

// internalAuthenticateRSA answers INTERNAL AUTHENTICATE with an RSA AAKey
// (see SignRSAAA; PassportOpts.AARSAHash picks the hash).
func (p *Passport) internalAuthenticateRSA(k *rsa.PrivateKey, cmd chip.Command, secure bool) chip.Response {
	if !secure {
		return status(chip.SWSecurityNotSatisfied)
	}
	if len(cmd.Data) != 8 {
		return status(chip.SWWrongData)
	}
	sig, err := SignRSAAA(p.opts.Rand, k, cmd.Data, p.opts.AARSAHash)
	if err != nil {
		return status(chip.SWUnknown)
	}
	return chip.Response{Data: sig, SW: chip.SWOK}
}
