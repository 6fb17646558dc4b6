package sm

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/aead/cmac"
)

// Alg is a secure messaging cipher suite.
type Alg int

// Cipher suites of ICAO 9303 Part 11 §9.8.
const (
	Alg3DES Alg = iota + 1
	AlgAES128
	AlgAES192
	AlgAES256
)

func (a Alg) String() string {
	switch a {
	case Alg3DES:
		return "3DES"
	case AlgAES128:
		return "AES-128"
	case AlgAES192:
		return "AES-192"
	case AlgAES256:
		return "AES-256"
	default:
		return fmt.Sprintf("Alg(%d)", int(a))
	}
}

// KeyLen returns the key length in bytes.
func (a Alg) KeyLen() int {
	switch a {
	case Alg3DES, AlgAES128:
		return 16
	case AlgAES192:
		return 24
	case AlgAES256:
		return 32
	}
	return 0
}

// BlockSize returns the cipher block size: 8 for 3DES, 16 for AES.
func (a Alg) BlockSize() int {
	if a == Alg3DES {
		return 8
	}
	return 16
}

// KDF counters (ICAO 9303 Part 11 §9.7.1).
const (
	CounterEnc uint32 = 1
	CounterMAC uint32 = 2
	CounterPI  uint32 = 3
)

// ErrPadding means a decrypted block does not end in ISO/IEC 9797-1 padding
// method 2.
var ErrPadding = errors.New("sm: bad padding")

// KDF derives a key of alg from the shared secret k and counter c (ICAO 9303
// Part 11 §9.7.1).
func KDF(k []byte, c uint32, alg Alg) ([]byte, error) {
	var ctr [4]byte
	binary.BigEndian.PutUint32(ctr[:], c)
	switch alg {
	case Alg3DES:
		h := sha1.Sum(append(append([]byte{}, k...), ctr[:]...))
		return AdjustParity(h[:16]), nil
	case AlgAES128:
		h := sha1.Sum(append(append([]byte{}, k...), ctr[:]...))
		return h[:16:16], nil
	case AlgAES192, AlgAES256:
		h := sha256.Sum256(append(append([]byte{}, k...), ctr[:]...))
		return h[:alg.KeyLen():alg.KeyLen()], nil
	}
	return nil, fmt.Errorf("sm: KDF: unknown cipher suite %v", alg)
}

// AdjustParity returns a copy of k with each byte's low bit set for odd
// parity, as DES keys are written (FIPS 46-3). It does not change the key's
// effect; it makes derived keys compare equal to published values.
func AdjustParity(k []byte) []byte {
	out := make([]byte, len(k))
	for i, b := range k {
		b &^= 1
		ones := 0
		for x := b; x != 0; x &= x - 1 {
			ones++
		}
		if ones%2 == 0 {
			b |= 1
		}
		out[i] = b
	}
	return out
}

// Pad applies ISO/IEC 9797-1 padding method 2: 80 then zeros to a multiple
// of bs.
func Pad(b []byte, bs int) []byte {
	n := len(b) + 1
	if r := n % bs; r != 0 {
		n += bs - r
	}
	out := make([]byte, n)
	copy(out, b)
	out[len(b)] = 0x80
	return out
}

// Unpad removes ISO/IEC 9797-1 padding method 2.
func Unpad(b []byte) ([]byte, error) {
	i := len(b) - 1
	for i >= 0 && b[i] == 0 {
		i--
	}
	if i < 0 || b[i] != 0x80 {
		return nil, ErrPadding
	}
	return b[:i:i], nil
}

func tdesKey(k []byte) ([]byte, error) {
	switch len(k) {
	case 16:
		return append(append([]byte{}, k...), k[:8]...), nil
	case 24:
		return k, nil
	}
	return nil, fmt.Errorf("sm: 3DES key of %d bytes", len(k))
}

// NewBlock returns the block cipher of alg with key k (two-key 3DES keys are
// expanded to K1 K2 K1).
func NewBlock(alg Alg, k []byte) (cipher.Block, error) {
	if alg == Alg3DES {
		k3, err := tdesKey(k)
		if err != nil {
			return nil, err
		}
		return des.NewTripleDESCipher(k3)
	}
	if len(k) != alg.KeyLen() {
		return nil, fmt.Errorf("sm: %v key of %d bytes", alg, len(k))
	}
	return aes.NewCipher(k)
}

// CBCEncrypt encrypts data (a multiple of the block size) in CBC mode. A nil
// iv means zeros.
func CBCEncrypt(b cipher.Block, iv, data []byte) ([]byte, error) {
	if len(data)%b.BlockSize() != 0 {
		return nil, fmt.Errorf("sm: CBC input of %d bytes", len(data))
	}
	if iv == nil {
		iv = make([]byte, b.BlockSize())
	}
	out := make([]byte, len(data))
	cipher.NewCBCEncrypter(b, iv).CryptBlocks(out, data)
	return out, nil
}

// CBCDecrypt decrypts data (a multiple of the block size) in CBC mode. A nil
// iv means zeros.
func CBCDecrypt(b cipher.Block, iv, data []byte) ([]byte, error) {
	if len(data)%b.BlockSize() != 0 || len(data) == 0 {
		return nil, fmt.Errorf("sm: CBC input of %d bytes", len(data))
	}
	if iv == nil {
		iv = make([]byte, b.BlockSize())
	}
	out := make([]byte, len(data))
	cipher.NewCBCDecrypter(b, iv).CryptBlocks(out, data)
	return out, nil
}

// RetailMAC computes ISO/IEC 9797-1 MAC algorithm 3 with DES and a 16-byte
// key Ka||Kb over data that is already padded to 8 bytes. It composes
// crypto/des: CBC with Ka over all blocks, then D(Kb) and E(Ka) on the
// result (ICAO 9303 Part 11 §9.8.6.1).
func RetailMAC(key, data []byte) ([]byte, error) {
	if len(key) != 16 {
		return nil, fmt.Errorf("sm: retail MAC key of %d bytes", len(key))
	}
	if len(data) == 0 || len(data)%8 != 0 {
		return nil, fmt.Errorf("sm: retail MAC input of %d bytes", len(data))
	}
	ka, err := des.NewCipher(key[:8])
	if err != nil {
		return nil, err
	}
	kb, err := des.NewCipher(key[8:])
	if err != nil {
		return nil, err
	}
	h, err := CBCEncrypt(ka, nil, data)
	if err != nil {
		return nil, err
	}
	last := h[len(h)-8:]
	out := make([]byte, 8)
	kb.Decrypt(out, last)
	ka.Encrypt(out, out)
	return out, nil
}

// Cipher is one direction-independent set of session keys.
type Cipher struct {
	Alg    Alg
	enc    cipher.Block
	macKey []byte
	macBlk cipher.Block // AES only
}

// NewCipher returns the suite alg keyed with kEnc and kMac.
func NewCipher(alg Alg, kEnc, kMac []byte) (*Cipher, error) {
	enc, err := NewBlock(alg, kEnc)
	if err != nil {
		return nil, err
	}
	c := &Cipher{Alg: alg, enc: enc, macKey: append([]byte{}, kMac...)}
	if alg == Alg3DES {
		if len(kMac) != 16 {
			return nil, fmt.Errorf("sm: 3DES MAC key of %d bytes", len(kMac))
		}
	} else {
		if c.macBlk, err = NewBlock(alg, kMac); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// BlockSize of the suite.
func (c *Cipher) BlockSize() int { return c.Alg.BlockSize() }

// iv returns the CBC IV for ssc: zeros for 3DES, E(KSenc, SSC) for AES
// (ICAO 9303 Part 11 §9.8.6.2).
func (c *Cipher) iv(ssc []byte) ([]byte, error) {
	if c.Alg == Alg3DES {
		return nil, nil
	}
	if len(ssc) != 16 {
		return nil, fmt.Errorf("sm: AES SSC of %d bytes", len(ssc))
	}
	iv := make([]byte, 16)
	c.enc.Encrypt(iv, ssc)
	return iv, nil
}

// Encrypt encrypts padded data for the message counted by ssc.
func (c *Cipher) Encrypt(ssc, padded []byte) ([]byte, error) {
	iv, err := c.iv(ssc)
	if err != nil {
		return nil, err
	}
	return CBCEncrypt(c.enc, iv, padded)
}

// Decrypt decrypts ct for the message counted by ssc (padding kept).
func (c *Cipher) Decrypt(ssc, ct []byte) ([]byte, error) {
	iv, err := c.iv(ssc)
	if err != nil {
		return nil, err
	}
	return CBCDecrypt(c.enc, iv, ct)
}

// MACPadded computes the 8-byte MAC over data already padded to the block
// size (as secure messaging pads N before MACing).
func (c *Cipher) MACPadded(padded []byte) ([]byte, error) {
	if c.Alg == Alg3DES {
		return RetailMAC(c.macKey, padded)
	}
	return cmac.Sum(padded, c.macBlk, 8)
}

// MAC computes the 8-byte MAC over unpadded data as the PACE and BAC
// authentication tokens use it: 3DES pads with method 2 first, AES-CMAC
// takes the data as is (ICAO 9303 Part 11 §4.4.3.4 and §9.8.6).
func (c *Cipher) MAC(data []byte) ([]byte, error) {
	if c.Alg == Alg3DES {
		return RetailMAC(c.macKey, Pad(data, 8))
	}
	return cmac.Sum(data, c.macBlk, 8)
}
