package emrtd

import (
	"context"
	"crypto"
	"crypto/rsa"
	_ "crypto/sha1"
	_ "crypto/sha256"
	_ "crypto/sha512"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"math/big"

	"github.com/egate/egate/sensors/chip"
	"github.com/egate/egate/sensors/chip/pa"
)

// RSA active authentication (ICAO 9303 Part 11 §6.1): the chip signs
// M = M1 || M2, M2 being the terminal's 8-byte challenge, with ISO/IEC
// 9796-2 digital signature scheme 1 and its DG15 key. The signature
// carries the message representative
//
//	F = header+padding || M1 || D || trailer,   D = H(M1 || M2)
//
// whose first nibble is 6 (partial recovery: M2 is not in F; padding is
// the single nibble A, so the first byte is 6A) or 4 (full recovery: M is
// M1 and the challenge must be its last 8 bytes; padding is zero or more
// nibbles B ended by A, so 4A or 4B BB .. BA), and whose trailer is BC
// (implicit SHA-1) or a hash identifier of ISO/IEC 10118-3 followed by CC
// (33 SHA-1, 38 SHA-224, 34 SHA-256, 36 SHA-384, 35 SHA-512).
//
// F fills k' = 8*floor(k/8) bits of a k-bit modulus: for k a multiple of 8
// that is the standard's layout and the ICAO worked example; otherwise F
// keeps whole bytes (M1 stays a byte string the hash can take) and, with
// its leading 0 bit, always lies below N. The signature itself is
// ceil(k/8) bytes.

// Errors of verifyRSAAA, told apart by activeAuth.
var (
	// errRSAAAKey: the DG15 key cannot be used (nothing was asked of the chip).
	errRSAAAKey = errors.New("DG15 RSA key not usable for active authentication")
	// errRSAAAMalformed: the chip's answer is not a signature for this key.
	errRSAAAMalformed = errors.New("malformed INTERNAL AUTHENTICATE answer")
	// errRSAAAMismatch: the answer is a number below N, but it does not
	// open to a valid message representative over the challenge.
	errRSAAAMismatch = errors.New("chip signature does not verify with the DG15 key (possible clone)")
)

const (
	aaChallengeLen = 8
	// Keys below 1024 bits prove nothing; keys above 8192 bits would only
	// cost the lane time (a hostile DG15 is refused by PA anyway).
	rsaAAMinBits = 1024
	rsaAAMaxBits = 8192
)

// checkRSAAAKey refuses keys active authentication cannot rely on.
func checkRSAAAKey(pub *rsa.PublicKey) error {
	if pub == nil || pub.N == nil || pub.N.Sign() <= 0 {
		return fmt.Errorf("%w: no modulus", errRSAAAKey)
	}
	k := pub.N.BitLen()
	switch {
	case k < rsaAAMinBits:
		return fmt.Errorf("%w: %d-bit modulus (at least %d needed)", errRSAAAKey, k, rsaAAMinBits)
	case k > rsaAAMaxBits:
		return fmt.Errorf("%w: %d-bit modulus (at most %d supported)", errRSAAAKey, k, rsaAAMaxBits)
	case pub.N.Bit(0) == 0:
		return fmt.Errorf("%w: even modulus", errRSAAAKey)
	case pub.E < 3 || pub.E%2 == 0:
		// Even exponents are ISO/IEC 9796-2's Rabin-Williams variant,
		// not used by eMRTDs and not built.
		return fmt.Errorf("%w: public exponent %d (odd and at least 3 needed)", errRSAAAKey, pub.E)
	}
	return nil
}

// activeAuthRSA challenges the chip with INTERNAL AUTHENTICATE and checks
// its ISO/IEC 9796-2 answer with the DG15 key.
func activeAuthRSA(ctx context.Context, t chip.Transceiver, k *rsa.PublicKey, rnd io.Reader) Outcome {
	if err := checkRSAAAKey(k); err != nil {
		return Outcome{Status: pa.NotChecked, Reason: err.Error()}
	}
	challenge := make([]byte, aaChallengeLen)
	if _, err := io.ReadFull(rnd, challenge); err != nil {
		return Outcome{Status: pa.Fail, Reason: err.Error()}
	}
	// 256 as for ECDSA; a key above 2048 bits needs its whole signature
	// (extended length).
	ne := max(chip.MaxShortNe, (k.N.BitLen()+7)/8)
	sig, err := chip.TransmitOK(ctx, t, chip.Command{INS: chip.InsInternalAuthenticate, Data: challenge, Ne: ne})
	if err != nil {
		return Outcome{Status: pa.Fail, Reason: err.Error()}
	}
	if err := verifyRSAAA(k, challenge, sig); err != nil {
		return Outcome{Status: pa.Fail, Reason: err.Error()}
	}
	return Outcome{Status: pa.Pass}
}

// iso9796Hashes maps the hash identifiers of ISO/IEC 10118-3 used in a
// two-byte trailer.
var iso9796Hashes = map[byte]crypto.Hash{
	0x33: crypto.SHA1,
	0x38: crypto.SHA224,
	0x34: crypto.SHA256,
	0x36: crypto.SHA384,
	0x35: crypto.SHA512,
}

// iso9796Block is an opened message representative.
type iso9796Block struct {
	partial bool        // header nibble 6: M2 (the challenge) is not in F
	m1      []byte      // recovered message part
	digest  []byte      // D
	hash    crypto.Hash // from the trailer
}

// parseISO9796 splits a message representative F of exactly the
// expected length (see the top of this file). Errors wrap errRSAAAMismatch:
// with the wrong key, F is noise and fails here.
func parseISO9796(f []byte) (iso9796Block, error) {
	var b iso9796Block
	if len(f) < 2 {
		return b, fmt.Errorf("%w: representative of %d bytes", errRSAAAMismatch, len(f))
	}
	switch f[0] >> 4 {
	case 0x6:
		b.partial = true
	case 0x4:
	default:
		return b, fmt.Errorf("%w: bad header %02X (want 6A, 4A or 4B)", errRSAAAMismatch, f[0])
	}
	t := 1
	switch last := f[len(f)-1]; last {
	case 0xBC:
		b.hash = crypto.SHA1
	case 0xCC:
		t = 2
		h, ok := iso9796Hashes[f[len(f)-2]]
		if !ok {
			return b, fmt.Errorf("%w: unknown hash identifier %02X in the trailer", errRSAAAMismatch, f[len(f)-2])
		}
		b.hash = h
	default:
		return b, fmt.Errorf("%w: bad trailer %02X (want BC or ..CC)", errRSAAAMismatch, last)
	}
	lh := b.hash.Size()
	if len(f) < 1+lh+t {
		return b, fmt.Errorf("%w: representative of %d bytes too short for %v", errRSAAAMismatch, len(f), b.hash)
	}
	body := f[:len(f)-lh-t]
	b.digest = f[len(f)-lh-t : len(f)-t]
	// Padding: nibbles B ended by A, from the header byte's low nibble on;
	// A must close a byte so that M1 is a byte string.
	nib := func(i int) byte {
		if i%2 == 0 {
			return body[i/2] >> 4
		}
		return body[i/2] & 0x0F
	}
	i := 1
	for i < 2*len(body) && nib(i) == 0xB {
		i++
	}
	switch {
	case i >= 2*len(body) || nib(i) != 0xA:
		return b, fmt.Errorf("%w: bad padding (no A nibble ending it)", errRSAAAMismatch)
	case i%2 == 0:
		return b, fmt.Errorf("%w: bad padding (A nibble does not end a byte)", errRSAAAMismatch)
	case b.partial && i != 1:
		return b, fmt.Errorf("%w: padding in a partial-recovery representative", errRSAAAMismatch)
	}
	b.m1 = body[(i+1)/2:]
	return b, nil
}

// verifyRSAAA checks an RSA active authentication signature: the chip's
// answer sig to the 8-byte challenge, with the DG15 key pub. It never
// panics; errors wrap errRSAAAKey, errRSAAAMalformed or errRSAAAMismatch.
func verifyRSAAA(pub *rsa.PublicKey, challenge, sig []byte) error {
	if err := checkRSAAAKey(pub); err != nil {
		return err
	}
	if len(challenge) != aaChallengeLen {
		return fmt.Errorf("emrtd: challenge of %d bytes (want %d)", len(challenge), aaChallengeLen)
	}
	k := pub.N.BitLen()
	if want := (k + 7) / 8; len(sig) != want {
		return fmt.Errorf("%w: signature of %d bytes, the %d-bit DG15 key gives %d", errRSAAAMalformed, len(sig), k, want)
	}
	s := new(big.Int).SetBytes(sig)
	if s.Cmp(pub.N) >= 0 {
		// A signature of the right length above N was made with another
		// modulus: a chip that does not hold the DG15 key.
		return fmt.Errorf("%w: signature not below the modulus", errRSAAAMismatch)
	}
	// The RSA public operation on the chip's public answer with the public
	// key: no secret takes part, so math/big's variable-time arithmetic is
	// harmless here (crypto/rsa has no raw verification).
	j := new(big.Int).Exp(s, big.NewInt(int64(pub.E)), pub.N)
	// Signature opening of ISO/IEC 9796-2 for RSA: the representative ends
	// in nibble C (12); a signer may have sent N - F^d, which opens to N - F.
	if j.Uint64()&0x0F != 0x0C {
		j.Sub(pub.N, j)
		if j.Uint64()&0x0F != 0x0C {
			return fmt.Errorf("%w: opened signature does not end in nibble C", errRSAAAMismatch)
		}
	}
	f := make([]byte, k/8)
	if j.BitLen() > 8*len(f) {
		return fmt.Errorf("%w: opened signature wider than the representative (bad header)", errRSAAAMismatch)
	}
	j.FillBytes(f)
	b, err := parseISO9796(f)
	if err != nil {
		return err
	}
	h := b.hash.New() // SHA-1 and SHA-2 are linked in by the blank imports
	h.Write(b.m1)
	if b.partial {
		h.Write(challenge)
	} else if len(b.m1) < aaChallengeLen || subtle.ConstantTimeCompare(b.m1[len(b.m1)-aaChallengeLen:], challenge) != 1 {
		return fmt.Errorf("%w: fully recovered message does not end with the challenge", errRSAAAMismatch)
	}
	if subtle.ConstantTimeCompare(h.Sum(nil), b.digest) != 1 {
		return fmt.Errorf("%w: digest mismatch (%v)", errRSAAAMismatch, b.hash)
	}
	return nil
}
