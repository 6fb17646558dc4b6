package pace

import (
	"crypto/elliptic"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"

	"github.com/egate/egate/sensors/chip/sm"
)

// Integrated mapping (ICAO 9303 Part 11 §4.4.3.3.2): the terminal sends a
// second nonce t in clear, and both sides map the pair (s, t) straight to
// a new generator, G~ = f_G(R_p(s, t)), without an extra key agreement.

// Constants c0, c1 of the pseudo-random number mapping R(s, t), for nonce
// lengths l of 128 and 256 bits (§4.4.3.3.2).
var (
	imC0l128 = mustHex("a668892a7c41e3ca739f40b057d85904")
	imC1l128 = mustHex("a4e136ac725f738b01c1f60217c188ad")
	imC0l256 = mustHex("d463d65234124ef7897054986dca0a174e28df758cbaa03f240616414d5a1676")
	imC1l256 = mustHex("54bd7255f0aaf831bec3423fcf39d69b6cbf066677d0faae5aadd99df8e53517")
)

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic("pace: bad constant " + s)
	}
	return b
}

// imNonceLen is the length of the chip's nonce s for integrated mapping: l
// = 128 bits for 3DES and AES-128, 256 bits for AES-192 and AES-256 (the
// block cipher's output must cover a key).
func imNonceLen(alg sm.Alg) int {
	if alg.KeyLen() > 16 {
		return 32
	}
	return 16
}

// prf is the pseudo-random number mapping R(s, t) of §4.4.3.3.2, built on
// the suite's block cipher E in CBC mode with a zero IV: k_1 = E(t, s);
// then for i = 1..n, x_i = E(k_i, c1) and k_{i+1} = E(k_i, c0), where each
// k_i is cut to the key length. n is the smallest number with
// n·l >= log2(p) + 64. The caller reduces int(x_1||...||x_n) mod p.
func prf(alg sm.Alg, s, t []byte, pBits int) ([]byte, error) {
	var c0, c1 []byte
	switch len(s) {
	case 16:
		c0, c1 = imC0l128, imC1l128
	case 32:
		c0, c1 = imC0l256, imC1l256
	default:
		return nil, fmt.Errorf("%w: integrated mapping nonce of %d bytes", ErrProtocol, len(s))
	}
	kl := alg.KeyLen()
	if kl == 0 || len(t) != kl {
		return nil, fmt.Errorf("%w: integrated mapping nonce t of %d bytes for %v", ErrProtocol, len(t), alg)
	}
	if len(s) < kl {
		return nil, fmt.Errorf("%w: integrated mapping nonce of %d bytes is shorter than a %v key", ErrProtocol, len(s), alg)
	}
	l := len(s) * 8
	n := (pBits + 64 + l - 1) / l
	enc := func(key, data []byte) ([]byte, error) {
		b, err := sm.NewBlock(alg, key)
		if err != nil {
			return nil, err
		}
		return sm.CBCEncrypt(b, nil, data)
	}
	k, err := enc(t, s)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, n*len(s))
	for range n {
		ki := k[:kl]
		x, err := enc(ki, c1)
		if err != nil {
			return nil, err
		}
		out = append(out, x...)
		if k, err = enc(ki, c0); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// mapNonce is R_p(s, t) = int(R(s, t)) mod p.
func mapNonce(alg sm.Alg, s, t []byte, p *big.Int) (*big.Int, error) {
	r, err := prf(alg, s, t, p.BitLen())
	if err != nil {
		return nil, err
	}
	x := new(big.Int).SetBytes(r)
	return x.Mod(x, p), nil
}

// coefficients returns a and b of y² = x³ + ax + b. crypto/elliptic keeps
// neither for the brainpool curves (and assumes a = -3 for its own), so
// they are solved from two points the curve implementation itself gives:
// G and 2G. No constant is typed in, so none can be mistyped.
func coefficients(c elliptic.Curve) (a, b *big.Int, err error) {
	p := c.Params().P
	x1, y1 := c.Params().Gx, c.Params().Gy
	x2, y2 := c.Double(x1, y1)
	rhs := func(x, y *big.Int) *big.Int { // y² - x³
		v := new(big.Int).Mul(y, y)
		x3 := new(big.Int).Exp(x, big.NewInt(3), p)
		v.Sub(v, x3)
		return v.Mod(v, p)
	}
	dx := new(big.Int).Sub(x1, x2)
	dx.Mod(dx, p)
	inv := new(big.Int).ModInverse(dx, p)
	if inv == nil {
		return nil, nil, errors.New("pace: curve coefficients: degenerate points")
	}
	a = new(big.Int).Sub(rhs(x1, y1), rhs(x2, y2))
	a.Mul(a, inv)
	a.Mod(a, p)
	b = new(big.Int).Mul(a, x1)
	b.Sub(rhs(x1, y1), b)
	b.Mod(b, p)
	return a, b, nil
}

// encodePoint is the point encoding f_G of ICAO 9303 Part 11 Appendix B
// (affine coordinates; the simplified SWU map of Brier et al.), for curves
// with p ≡ 3 (mod 4) and cofactor 1, which all standardized curves of IM
// except NIST P-224 are:
//
//	α = -t² ; X2 = -b·(1 + α + α²) / (a·(α + α²)) ; X3 = α·X2
//	h2 = X2³ + a·X2 + b ; U = t³·h2 ; A = h2^(p - 1 - (p+1)/4)
//	(x, y) = (X2, A·h2) if A²·h2 = 1, else (X3, A·U)
func encodePoint(c elliptic.Curve, t *big.Int) (x, y *big.Int, err error) {
	p := c.Params().P
	if p.Bit(0) != 1 || p.Bit(1) != 1 {
		return nil, nil, fmt.Errorf("%w: integrated mapping needs p ≡ 3 mod 4", ErrUnsupported)
	}
	a, b, err := coefficients(c)
	if err != nil {
		return nil, nil, err
	}
	mod := func(v *big.Int) *big.Int { return v.Mod(v, p) }
	mul := func(u, v *big.Int) *big.Int { return mod(new(big.Int).Mul(u, v)) }
	alpha := mod(new(big.Int).Neg(mul(t, t)))
	aa := mod(new(big.Int).Add(alpha, mul(alpha, alpha))) // α + α²
	den := mul(a, aa)
	inv := new(big.Int).ModInverse(den, p)
	if aa.Sign() == 0 || inv == nil {
		return nil, nil, fmt.Errorf("%w: integrated mapping hit a degenerate nonce", ErrProtocol)
	}
	num := mod(new(big.Int).Add(big.NewInt(1), aa))
	x2 := mul(mod(new(big.Int).Neg(b)), mul(num, inv))
	x3 := mul(alpha, x2)
	h2 := mod(new(big.Int).Add(new(big.Int).Add(new(big.Int).Exp(x2, big.NewInt(3), p), mul(a, x2)), b))
	u := mul(new(big.Int).Exp(t, big.NewInt(3), p), h2)
	e := new(big.Int).Add(p, big.NewInt(1))
	e.Rsh(e, 2)
	e.Sub(new(big.Int).Sub(p, big.NewInt(1)), e)
	A := new(big.Int).Exp(h2, e, p)
	if mul(mul(A, A), h2).Cmp(big.NewInt(1)) == 0 {
		x, y = x2, mul(A, h2)
	} else {
		x, y = x3, mul(A, u)
	}
	if !c.IsOnCurve(x, y) {
		return nil, nil, fmt.Errorf("%w: integrated mapping gave a point off the curve", ErrBadPoint)
	}
	return x, y, nil
}

func (g *ecGroup) prime() *big.Int { return g.curve.Params().P }

func (g *ecGroup) integrated(x *big.Int) (group, error) {
	mx, my, err := encodePoint(g.curve, x)
	if err != nil {
		return nil, err
	}
	return &ecGroup{curve: g.curve, gx: mx, gy: my}, nil
}

func (d *dhGroup) prime() *big.Int { return d.p }

// integrated is f_g(x) = x^a mod p with a = (p-1)/q (§4.4.3.3.2): it
// lands in the order-q subgroup; the result 1 is refused.
func (d *dhGroup) integrated(x *big.Int) (group, error) {
	e := new(big.Int).Sub(d.p, big.NewInt(1))
	e.Div(e, d.q)
	gm := new(big.Int).Exp(x, e, d.p)
	if gm.Cmp(big.NewInt(1)) <= 0 {
		return nil, fmt.Errorf("%w: integrated mapping gave generator %d", ErrBadPoint, gm.Int64())
	}
	return &dhGroup{p: d.p, q: d.q, g: gm}, nil
}

// imSupported reports whether integrated mapping runs on the group:
// p ≡ 3 mod 4 for ECDH (NIST P-224 is not).
func imSupported(g group) bool {
	if ec, ok := g.(*ecGroup); ok {
		p := ec.curve.Params().P
		return p.Bit(0) == 1 && p.Bit(1) == 1
	}
	return true
}
