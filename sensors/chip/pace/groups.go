package pace

import (
	"crypto/elliptic"
	"errors"
	"fmt"
	"io"
	"math/big"

	"github.com/osanderson/brainpool"
)

// ErrBadPoint means a public key from the other side is not a valid group
// element (not on the curve, the point at infinity, or outside the
// subgroup).
var ErrBadPoint = errors.New("pace: invalid public key")

// group is the arithmetic one key agreement needs. Elements are kept in their
// wire encoding's decoded form: *ecPoint or *big.Int.
type group interface {
	// generate returns a private scalar and the public element for the
	// group's current generator.
	generate(rnd io.Reader) (priv *big.Int, pub []byte, err error)
	// exp raises (multiplies) the encoded peer element by priv and returns
	// the result encoded; it validates the peer element.
	exp(peer []byte, priv *big.Int) ([]byte, error)
	// mapped returns the group with generator g^s * h (generic mapping,
	// ICAO 9303 Part 11 §4.4.3.3.1).
	mapped(s *big.Int, h []byte) (group, error)
	// sharedX returns the shared secret K from an encoded element: the
	// x-coordinate for ECDH, the element for DH (§4.4.3.4, §9.6).
	sharedX(elem []byte) []byte
	// pubTag is 86 (ECDH point) or 84 (DH value) in the public key
	// template (§4.4.3.4).
	pubTag() uint32
	order() *big.Int
	// prime is the field prime p.
	prime() *big.Int
	// integrated returns the group with generator f_G(x) (integrated
	// mapping, §4.4.3.3.2); x = R_p(s, t).
	integrated(x *big.Int) (group, error)
}

// randScalar draws a uniform scalar in [1, n-1] by rejection sampling.
func randScalar(rnd io.Reader, n *big.Int) (*big.Int, error) {
	bits := n.BitLen()
	buf := make([]byte, (bits+7)/8)
	for range 128 {
		if _, err := io.ReadFull(rnd, buf); err != nil {
			return nil, fmt.Errorf("pace: random: %w", err)
		}
		if extra := len(buf)*8 - bits; extra > 0 {
			buf[0] &= byte(0xFF >> extra)
		}
		k := new(big.Int).SetBytes(buf)
		if k.Sign() > 0 && k.Cmp(n) < 0 {
			return k, nil
		}
	}
	return nil, errors.New("pace: random source keeps failing")
}

// ecGroup is an elliptic curve with a (possibly mapped) generator.
type ecGroup struct {
	curve  elliptic.Curve
	gx, gy *big.Int
}

func (g *ecGroup) byteLen() int { return (g.curve.Params().BitSize + 7) / 8 }

func (g *ecGroup) encode(x, y *big.Int) []byte {
	n := g.byteLen()
	out := make([]byte, 1+2*n)
	out[0] = 4
	x.FillBytes(out[1 : 1+n])
	y.FillBytes(out[1+n:])
	return out
}

// decode parses an uncompressed point and checks it is on the curve
// (crypto/elliptic's NIST curves panic on invalid points, so this check
// must come first).
func (g *ecGroup) decode(b []byte) (x, y *big.Int, err error) {
	n := g.byteLen()
	if len(b) != 1+2*n || b[0] != 4 {
		return nil, nil, fmt.Errorf("%w: point of %d bytes", ErrBadPoint, len(b))
	}
	x = new(big.Int).SetBytes(b[1 : 1+n])
	y = new(big.Int).SetBytes(b[1+n:])
	p := g.curve.Params().P
	if x.Cmp(p) >= 0 || y.Cmp(p) >= 0 || (x.Sign() == 0 && y.Sign() == 0) || !g.curve.IsOnCurve(x, y) {
		return nil, nil, fmt.Errorf("%w: not on the curve", ErrBadPoint)
	}
	return x, y, nil
}

func (g *ecGroup) order() *big.Int { return g.curve.Params().N }
func (g *ecGroup) pubTag() uint32  { return 0x86 }

func (g *ecGroup) generate(rnd io.Reader) (*big.Int, []byte, error) {
	k, err := randScalar(rnd, g.order())
	if err != nil {
		return nil, nil, err
	}
	x, y := g.curve.ScalarMult(g.gx, g.gy, k.Bytes())
	return k, g.encode(x, y), nil
}

func (g *ecGroup) exp(peer []byte, priv *big.Int) ([]byte, error) {
	px, py, err := g.decode(peer)
	if err != nil {
		return nil, err
	}
	x, y := g.curve.ScalarMult(px, py, priv.Bytes())
	if x.Sign() == 0 && y.Sign() == 0 {
		return nil, fmt.Errorf("%w: shared point at infinity", ErrBadPoint)
	}
	return g.encode(x, y), nil
}

func (g *ecGroup) mapped(s *big.Int, h []byte) (group, error) {
	hx, hy, err := g.decode(h)
	if err != nil {
		return nil, err
	}
	sx, sy := g.curve.ScalarMult(g.gx, g.gy, s.Bytes())
	if sx.Sign() == 0 && sy.Sign() == 0 {
		return nil, fmt.Errorf("%w: s*G at infinity", ErrBadPoint)
	}
	if sx.Cmp(hx) == 0 {
		// s*G = ±H: the sum is a doubling or infinity; no honest run
		// reaches this, refuse it.
		return nil, fmt.Errorf("%w: degenerate mapping", ErrBadPoint)
	}
	mx, my := g.curve.Add(sx, sy, hx, hy)
	if (mx.Sign() == 0 && my.Sign() == 0) || !g.curve.IsOnCurve(mx, my) {
		return nil, fmt.Errorf("%w: mapped generator invalid", ErrBadPoint)
	}
	return &ecGroup{curve: g.curve, gx: mx, gy: my}, nil
}

func (g *ecGroup) sharedX(elem []byte) []byte {
	n := g.byteLen()
	return append([]byte{}, elem[1:1+n]...)
}

// dhGroup is a prime-order subgroup of Z_p* with generator g.
type dhGroup struct {
	p, q, g *big.Int
}

func (d *dhGroup) byteLen() int    { return (d.p.BitLen() + 7) / 8 }
func (d *dhGroup) order() *big.Int { return d.q }
func (d *dhGroup) pubTag() uint32  { return 0x84 }
func (d *dhGroup) enc(y *big.Int) []byte {
	return y.FillBytes(make([]byte, d.byteLen()))
}

// decode checks 1 < y < p-1 and y^q = 1 (subgroup membership).
func (d *dhGroup) decode(b []byte) (*big.Int, error) {
	if len(b) == 0 || len(b) > d.byteLen() {
		return nil, fmt.Errorf("%w: DH value of %d bytes", ErrBadPoint, len(b))
	}
	y := new(big.Int).SetBytes(b)
	pm1 := new(big.Int).Sub(d.p, big.NewInt(1))
	if y.Cmp(big.NewInt(1)) <= 0 || y.Cmp(pm1) >= 0 {
		return nil, fmt.Errorf("%w: DH value out of range", ErrBadPoint)
	}
	if new(big.Int).Exp(y, d.q, d.p).Cmp(big.NewInt(1)) != 0 {
		return nil, fmt.Errorf("%w: DH value outside the subgroup", ErrBadPoint)
	}
	return y, nil
}

func (d *dhGroup) generate(rnd io.Reader) (*big.Int, []byte, error) {
	k, err := randScalar(rnd, d.q)
	if err != nil {
		return nil, nil, err
	}
	return k, d.enc(new(big.Int).Exp(d.g, k, d.p)), nil
}

func (d *dhGroup) exp(peer []byte, priv *big.Int) ([]byte, error) {
	y, err := d.decode(peer)
	if err != nil {
		return nil, err
	}
	return d.enc(new(big.Int).Exp(y, priv, d.p)), nil
}

func (d *dhGroup) mapped(s *big.Int, h []byte) (group, error) {
	hv, err := d.decode(h)
	if err != nil {
		return nil, err
	}
	gs := new(big.Int).Exp(d.g, s, d.p)
	gm := gs.Mul(gs, hv)
	gm.Mod(gm, d.p)
	if gm.Cmp(big.NewInt(1)) == 0 {
		return nil, fmt.Errorf("%w: mapped generator is 1", ErrBadPoint)
	}
	return &dhGroup{p: d.p, q: d.q, g: gm}, nil
}

func (d *dhGroup) sharedX(elem []byte) []byte { return append([]byte{}, elem...) }

func hexInt(s string) *big.Int {
	v, ok := new(big.Int).SetString(s, 16)
	if !ok {
		panic("pace: bad constant " + s)
	}
	return v
}

// RFC 5114 §2.1: 1024-bit MODP group with 160-bit prime order subgroup,
// standardized domain parameter 0 (ICAO 9303 Part 11 §9.5.1).
var modp1024_160 = &dhGroup{
	p: hexInt("B10B8F96A080E01DDE92DE5EAE5D54EC52C99FBCFB06A3C69A6A9DCA52D23B616073E28675A23D189838EF1E2EE652C013ECB4AEA906112324975C3CD49B83BFACCBDD7D90C4BD7098488E9C219A73724EFFD6FAE5644738FAA31A4FF55BCCC0A151AF5F0DC8B4BD45BF37DF365C1A65E68CFDA76D4DA708DF1FB2BC2E4A4371"),
	g: hexInt("A4D1CBD5C3FD34126765A442EFB99905F8104DD258AC507FD6406CFF14266D31266FEA1E5C41564B777E690F5504F213160217B4B01B886A5E91547F9E2749F4D7FBD7D3B9A92EE1909D0D2263F80A76A6A24C087A091F531DBF0A0169B6A28AD662A4D18E73AFA32D779D5918D08BC8858F4DCEF97C2A24855E6EEB22B3B2E5"),
	q: hexInt("F518AA8781A8DF278ABA4E7D64B7CB9D49462353"),
}

// RFC 5114 §2.2: 2048-bit MODP group with 224-bit prime order subgroup,
// standardized domain parameter 1.
var modp2048_224 = &dhGroup{
	p: hexInt("AD107E1E9123A9D0D660FAA79559C51FA20D64E5683B9FD1B54B1597B61D0A75E6FA141DF95A56DBAF9A3C407BA1DF15EB3D688A309C180E1DE6B85A1274A0A66D3F8152AD6AC2129037C9EDEFDA4DF8D91E8FEF55B7394B7AD5B7D0B6C12207C9F98D11ED34DBF6C6BA0B2C8BBC27BE6A00E0A0B9C49708B3BF8A317091883681286130BC8985DB1602E714415D9330278273C7DE31EFDC7310F7121FD5A07415987D9ADC0A486DCDF93ACC44328387315D75E198C641A480CD86A1B9E587E8BE60E69CC928B2B9C52172E413042E9B23F10B0E16E79763C9B53DCF4BA80A29E3FB73C16B8E75B97EF363E2FFA31F71CF9DE5384E71B81C0AC4DFFE0C10E64F"),
	g: hexInt("AC4032EF4F2D9AE39DF30B5C8FFDAC506CDEBE7B89998CAF74866A08CFE4FFE3A6824A4E10B9A6F0DD921F01A70C4AFAAB739D7700C29F52C57DB17C620A8652BE5E9001A8D66AD7C17669101999024AF4D027275AC1348BB8A762D0521BC98AE247150422EA1ED409939D54DA7460CDB5F6C6B250717CBEF180EB34118E98D119529A45D6F834566E3025E316A330EFBB77A86F0C1AB15B051AE3D428C8F8ACB70A8137150B8EEB10E183EDD19963DDD9E263E4770589EF6AA21E7F5F2FF381B539CCE3409D13CD566AFBB48D6C019181E1BCFE94B30269EDFE72FE9B6AA4BD7B5A0F1C71CFFF4C19C418E1F6EC017981BC087F2A7065B384B890D3191F2BFA"),
	q: hexInt("801C0D34C58D93FE997177101F80535A4738CEBCBF389A99B36371EB"),
}

// RFC 5114 §2.3: 2048-bit MODP group with 256-bit prime order subgroup,
// standardized domain parameter 2.
var modp2048_256 = &dhGroup{
	p: hexInt("87A8E61DB4B6663CFFBBD19C651959998CEEF608660DD0F25D2CEED4435E3B00E00DF8F1D61957D4FAF7DF4561B2AA3016C3D91134096FAA3BF4296D830E9A7C209E0C6497517ABD5A8A9D306BCF67ED91F9E6725B4758C022E0B1EF4275BF7B6C5BFC11D45F9088B941F54EB1E59BB8BC39A0BF12307F5C4FDB70C581B23F76B63ACAE1CAA6B7902D52526735488A0EF13C6D9A51BFA4AB3AD8347796524D8EF6A167B5A41825D967E144E5140564251CCACB83E6B486F6B3CA3F7971506026C0B857F689962856DED4010ABD0BE621C3A3960A54E710C375F26375D7014103A4B54330C198AF126116D2276E11715F693877FAD7EF09CADB094AE91E1A1597"),
	g: hexInt("3FB32C9B73134D0B2E77506660EDBD484CA7B18F21EF205407F4793A1A0BA12510DBC15077BE463FFF4FED4AAC0BB555BE3A6C1B0C6B47B1BC3773BF7E8C6F62901228F8C28CBB18A55AE31341000A650196F931C77A57F2DDF463E5E9EC144B777DE62AAAB8A8628AC376D282D6ED3864E67982428EBC831D14348F6F2F9193B5045AF2767164E1DFC967C1FB3F2E55A4BD1BFFE83B9C80D052B985D182EA0ADB2A3B7313D3FE14C8484B1E052588B9B7D2BBD2DF016199ECD06E1557CD0915B3353BBB64E0EC377FD028370DF92B52C7891428CDC67EB6184B523D1DB246C32F63078490F00EF8D647D148D47954515E2327CFEF98C582664B4C0F6CC41659"),
	q: hexInt("8CF83642A709A097B447997640129DA299B1A47D1EB3750BA308B0FE64F5FBD3"),
}

// standardGroup returns the standardized domain parameters of ICAO 9303
// Part 11 §9.5.1 (Table 6). Parameter 8 (NIST P-192) is not offered by
// crypto/elliptic and is refused.
func standardGroup(id int) (group, error) {
	ec := func(c elliptic.Curve) group {
		p := c.Params()
		return &ecGroup{curve: c, gx: p.Gx, gy: p.Gy}
	}
	switch id {
	case 0:
		return modp1024_160, nil
	case 1:
		return modp2048_224, nil
	case 2:
		return modp2048_256, nil
	case 9:
		return ec(brainpool.P192r1()), nil
	case 10:
		return ec(elliptic.P224()), nil
	case 11:
		return ec(brainpool.P224r1()), nil
	case 12:
		return ec(elliptic.P256()), nil
	case 13:
		return ec(brainpool.P256r1()), nil
	case 14:
		return ec(brainpool.P320r1()), nil
	case 15:
		return ec(elliptic.P384()), nil
	case 16:
		return ec(brainpool.P384r1()), nil
	case 17:
		return ec(brainpool.P512r1()), nil
	case 18:
		return ec(elliptic.P521()), nil
	}
	return nil, fmt.Errorf("%w: domain parameter %d", ErrUnsupported, id)
}
