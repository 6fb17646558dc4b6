package pace

import (
	"bytes"
	"crypto/cipher"
	"crypto/subtle"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"

	"github.com/egate/egate/sensors/chip/lds"
	"github.com/egate/egate/sensors/chip/sm"
)

// Chip authentication mapping (ICAO 9303 Part 11 §4.4.3.3.3, §4.4.3.5):
// PACE runs with generic mapping, and with the mutual authentication token
// the chip sends A_IC = E(KS_enc, CA_IC) (DO'8A'), where
// CA_IC = SK_IC⁻¹ · SK_Map,IC mod n ties its ephemeral mapping key to its
// static chip authentication key. The terminal checks
// PK_Map,IC = [CA_IC] PK_IC once passive authentication has vouched for
// PK_IC. A clone that copied the data groups but not SK_IC cannot compute
// CA_IC. A_IC is encrypted in CBC mode with IV = E(KS_enc, -1) (a block of
// ones) and ISO/IEC 9797-1 padding method 2.

// ErrCAM means the chip's chip authentication mapping proof does not match
// its static key: the chip is not the one the data groups describe.
var ErrCAM = errors.New("pace: chip authentication mapping failed")

// CAMProof is what chip authentication mapping leaves to check after
// passive authentication.
type CAMProof struct {
	g      group
	mapPub []byte // PK_Map,IC, the chip's mapping public key
	ca     []byte // CA_IC
}

func camIV(b cipher.Block) []byte {
	ones := bytes.Repeat([]byte{0xFF}, b.BlockSize())
	iv := make([]byte, b.BlockSize())
	b.Encrypt(iv, ones)
	return iv
}

func decryptCAData(alg sm.Alg, ksEnc, aIC []byte) ([]byte, error) {
	b, err := sm.NewBlock(alg, ksEnc)
	if err != nil {
		return nil, err
	}
	if len(aIC) == 0 || len(aIC)%b.BlockSize() != 0 {
		return nil, fmt.Errorf("%w: chip authentication data of %d bytes", ErrProtocol, len(aIC))
	}
	plain, err := sm.CBCDecrypt(b, camIV(b), aIC)
	if err != nil {
		return nil, err
	}
	ca, err := sm.Unpad(plain)
	if err != nil || len(ca) == 0 {
		return nil, fmt.Errorf("%w: chip authentication data badly padded", ErrProtocol)
	}
	return ca, nil
}

func encryptCAData(alg sm.Alg, ksEnc, ca []byte) ([]byte, error) {
	b, err := sm.NewBlock(alg, ksEnc)
	if err != nil {
		return nil, err
	}
	return sm.CBCEncrypt(b, camIV(b), sm.Pad(ca, b.BlockSize()))
}

// SPKIPoint returns the public key bytes (the subjectPublicKey BIT STRING)
// of a DER SubjectPublicKeyInfo.
func SPKIPoint(spki []byte) ([]byte, error) {
	var v struct {
		Algorithm pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}
	rest, err := asn1.Unmarshal(spki, &v)
	if err != nil || len(rest) != 0 {
		return nil, fmt.Errorf("%w: chip authentication key: not a SubjectPublicKeyInfo", ErrProtocol)
	}
	return v.PublicKey.RightAlign(), nil
}

// VerifyCAM checks the proof against the chip's static keys (from DG14 or
// EF.CardSecurity; their integrity is passive authentication's business):
// some key on the PACE curve must satisfy PK_Map,IC = [CA_IC] PK_IC.
func (p *CAMProof) VerifyCAM(keys []lds.ChipAuthenticationPublicKeyInfo) error {
	if p == nil {
		return fmt.Errorf("%w: no proof", ErrCAM)
	}
	ca := new(big.Int).SetBytes(p.ca)
	if ca.Sign() == 0 || ca.Cmp(p.g.order()) >= 0 {
		return fmt.Errorf("%w: CA_IC out of range", ErrCAM)
	}
	tried := 0
	for _, k := range keys {
		pt, err := SPKIPoint(k.Raw)
		if err != nil {
			continue
		}
		got, err := p.g.exp(pt, ca) // validates PK_IC on the PACE curve
		if err != nil {
			continue
		}
		tried++
		if subtle.ConstantTimeCompare(got, p.mapPub) == 1 {
			return nil
		}
	}
	if tried == 0 {
		return fmt.Errorf("%w: no chip authentication key on the PACE curve", ErrCAM)
	}
	return fmt.Errorf("%w: the chip's proof does not match its static key (possible clone)", ErrCAM)
}
