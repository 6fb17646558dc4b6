package pace

import (
	"bytes"
	"encoding/hex"
	"math/big"
	"strings"
	"testing"

	"github.com/egate/egate/sensors/chip/sm"
	"github.com/osanderson/brainpool"
)

func hx(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The ICAO 9303 Part 11 worked examples of PACE integrated mapping (ECDH
// on brainpoolP256r1 and DH on the RFC 5114 1024-bit group, both AES-128,
// keyed by the CAN 123456). The values are the standard's; they
// were read from an independent reproduction in Java with BouncyCastle
// (zienit/icao-examples, PACE_ECDH_IMTest and PACE_DH_IMTest).

func TestIMWorkedExampleECDH(t *testing.T) {
	pw, _ := CANPassword("123456") // the examples' password is the CAN 123456
	kpi, _ := pw.Key(sm.AlgAES128)
	if !bytes.Equal(kpi, hx(t, "591468CD A83D6521 9CCCB856 0233600F")) {
		t.Fatalf("K_pi = %X", kpi)
	}
	blk, _ := sm.NewBlock(sm.AlgAES128, kpi)
	s, _ := sm.CBCDecrypt(blk, nil, hx(t, "143DC40C 08C8E891 FBED7DED B92B64AD"))
	if !bytes.Equal(s, hx(t, "2923BE84 E16CD6AE 529049F1 F1BBE9EB")) {
		t.Fatalf("s = %X", s)
	}
	tn := hx(t, "5DD4CBFC 96F5453B 130D890A 1CDBAE32")
	g, _ := standardGroup(13)
	r, err := prf(sm.AlgAES128, s, tn, g.prime().BitLen())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(r, hx(t, "E4447E2D FB3586BA C05DDB00 156B57FB B2179A39 49294C97 25418980 0C517BAA 8DA0FF39 7ED8C445 D3E421E4 FEB57322")) {
		t.Fatalf("R(s,t) = %X", r)
	}
	x, _ := mapNonce(sm.AlgAES128, s, tn, g.prime())
	if x.Cmp(new(big.Int).SetBytes(hx(t, "A2F8FF2D F50E52C6 599F386A DCB595D2 29F6A167 ADE2BE5F 2C3296AD D5B7430E"))) != 0 {
		t.Fatalf("R_p(s,t) = %X", x)
	}
	gm, err := g.integrated(x)
	if err != nil {
		t.Fatal(err)
	}
	ec := gm.(*ecGroup)
	if got := ec.encode(ec.gx, ec.gy); !bytes.Equal(got, hx(t, "04 8E82D315 59ED0FDE 92A4D049 8ADD3C23 BABA94FB 77691E31 E90AEA77 FB17D427 4C1AE14B D0C3DBAC 0C871B7F 36081693 64437CA3 0AC243A0 89D3F266 C1E60FAD")) {
		t.Fatalf("G~ = %X", got)
	}
	// Key agreement on G~ with the terminal's key, then the tokens.
	tPriv := hx(t, "A73FB703 AC1436A1 8E0CFA5A BB3F7BEC 7A070E7A 6788486B EE230C4A 22762595")
	x1, y1 := ec.curve.ScalarMult(ec.gx, ec.gy, tPriv)
	tPub := ec.encode(x1, y1)
	if !bytes.Equal(tPub, hx(t, "04 89CBA23F FE96AA18 D824627C 3E934E54 A9FD0B87 A95D1471 DC1C0ABF DCD640D4 6755DE9B 7B778280 B6BEBD57 439ADFEB 0E21FD4E D6DF4257 8C13418A 59B34C37")) {
		t.Fatalf("terminal public key %X", tPub)
	}
	cPub := hx(t, "04 67F78E5F 7F768608 2B293E8D 087E0569 16D0F74B C01A5F89 57D0DE45 691E51E8 932B69A9 62B52A09 85AD2C0A 271EE6A1 3A8ADDDC D1A3A994 B9DED257 F4D22753")
	shared, err := gm.exp(cPub, new(big.Int).SetBytes(tPriv))
	if err != nil {
		t.Fatal(err)
	}
	k := gm.sharedX(shared)
	if !bytes.Equal(k, hx(t, "4F150FDE 1D4F0E38 E95017B8 91BAE171 33A0DF45 B0D3E18B 60BA7BEA FDC2C713")) {
		t.Fatalf("K = %X", k)
	}
	checkTokens(t, k, OID(true, IntegratedMapping, sm.AlgAES128), gm, cPub, tPub,
		"0D3FEB33 251A6370 893D62AE 8DAAF51B", "B01E89E3 D9E8719E 586B50B4 A7506E0B", "450F02B8 6F6A0909", "75D4D96E 8D5B0308")
}

func TestIMWorkedExampleDH(t *testing.T) {
	s := hx(t, "FA5B7E3E 49753A0D B9178B7B 9BD898C8")
	pw, _ := CANPassword("123456")
	kpi, _ := pw.Key(sm.AlgAES128)
	blk, _ := sm.NewBlock(sm.AlgAES128, kpi)
	dec, _ := sm.CBCDecrypt(blk, nil, hx(t, "9ABB8864 CA0FF155 1E620D1E F4E13510"))
	if !bytes.Equal(dec, s) {
		t.Fatalf("s = %X", dec)
	}
	tn := hx(t, "B3A6DB3C 870C3E99 245E0D1C 06B747DE")
	g, _ := standardGroup(0)
	r, err := prf(sm.AlgAES128, s, tn, g.prime().BitLen())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(r, hx(t, "EAB98D13 E0905295 2AA72990 7C3C9461 84DEA0FE 74AD2B3A F506F0A8 3018459C 38099CD1 F7FF4EA0 A078DB1F AC136550 5E3DC855 00EF95E2 0B4EEF2E 88489233 BEE0546B 472F994B 618D1687 02406791 DEEF3CB4 810932EC 278F3533 FDB860EB 4835C36F A4F1BF3F A0B828A7 18C96BDE 88FBA38A 3E6C35AA A1095925 1EB5FC71 0FC18725 8995944C 0F926E24 9373F485")) {
		t.Fatalf("R(s,t) = %X", r)
	}
	x, _ := mapNonce(sm.AlgAES128, s, tn, g.prime())
	gm, err := g.integrated(x)
	if err != nil {
		t.Fatal(err)
	}
	want := "1D7D767F 11E333BC D6DBAEF4 0E799E7A 926B9697 3550656F F3C83072 6D118D61 C276CDCC 61D475CF 03A98E0C 0E79CAEB A5BE2557 8BD4551D 0B109032 36F0B0F9 76852FA7 8EEA14EA 0ACA87D1 E91F688F E0DFF897 BBE35A47 2621D343 564B262F 34223AE8 FC59B664 BFEDFA2B FE7516CA 5510A6BB B633D517 EC25D4E0 BBAA16C2"
	if gm.(*dhGroup).g.Cmp(new(big.Int).SetBytes(hx(t, want))) != 0 {
		t.Fatalf("g~ = %X", gm.(*dhGroup).g)
	}
	tPriv := new(big.Int).SetBytes(hx(t, "4BD0E547 40F9A028 E6A515BF DAF96784 8C4F5F5F FF65AA09 15947FFD 1A0DF2FA 6981271B C905F355 1457B7E0 3AC3B806 6DE4AA40 6C1171FB 43DD939C 4BA16175 103BA3DE E16419AA 248118F9 0CC36A3D 6F4C3736 52E0C3CC E7F0F1D0 C5425B36 00F0F0D6 A67F004C 8BBA33F2 B4733C72 52445C1D FC4F1107 203F71D2 EFB28161"))
	tPub := gm.(*dhGroup).enc(new(big.Int).Exp(gm.(*dhGroup).g, tPriv, gm.(*dhGroup).p))
	if !bytes.Equal(tPub, hx(t, "0F0CC629 45A80292 51FB7EF3 C094E12E C68E4EF0 7F27CB9D 9CD04C5C 4250FAE0 E4F8A951 557E929A EB48E5C6 DD47F2F5 CD7C351A 9BD2CD72 2C07EDE1 66770F08 FFCB3702 62CF308D D7B07F2E 0DA9CAAA 1492344C 85290691 9538C98A 4BA4187E 76CE9D87 832386D3 19CE2E04 3C3343AE AE6EDBA1 A9894DC5 094D22F7 FE1351D5")) {
		t.Fatalf("terminal public key %X", tPub)
	}
	cPub := hx(t, "928D9A0F 9DBA450F 13FC859C 6F290D1D 36E42431 138A4378 500BEB4E 0401854C FF111F71 CB6DC1D0 335807A1 1388CC8E AA87B079 07AAD9FB A6B169AF 6D8C26AF 8DDDC39A DC3AD2E3 FF882B84 D23E9768 E95A80E4 746FB07A 9767679F E92133B4 D379935C 771BD7FB ED6C7BB4 B1708B27 5EA75679 524CDC9C 6A91370C C662A2F3")
	shared, err := gm.exp(cPub, tPriv)
	if err != nil {
		t.Fatal(err)
	}
	k := gm.sharedX(shared)
	checkTokens(t, k, OID(false, IntegratedMapping, sm.AlgAES128), gm, cPub, tPub,
		"01AFC10C F87BE36D 8179E873 70171F07", "23F0FBD0 5FD6C7B8 B88F4C83 09669061", "55D61977 CBF5307E", "C2F04230 187E1525")
}

func checkTokens(t *testing.T, k []byte, oid []int, gm group, chipPub, termPub []byte, wantEnc, wantMac, wantTIFD, wantTIC string) {
	t.Helper()
	enc, _ := sm.KDF(k, sm.CounterEnc, sm.AlgAES128)
	mac, _ := sm.KDF(k, sm.CounterMAC, sm.AlgAES128)
	if !bytes.Equal(enc, hx(t, wantEnc)) || !bytes.Equal(mac, hx(t, wantMac)) {
		t.Fatalf("KS_enc %X KS_mac %X", enc, mac)
	}
	c, _ := sm.NewCipher(sm.AlgAES128, enc, mac)
	tIFD, _ := c.MAC(authTokenInput(oid, gm.pubTag(), chipPub))
	tIC, _ := c.MAC(authTokenInput(oid, gm.pubTag(), termPub))
	if !bytes.Equal(tIFD, hx(t, wantTIFD)) || !bytes.Equal(tIC, hx(t, wantTIC)) {
		t.Fatalf("T_IFD %X T_IC %X", tIFD, tIC)
	}
}

// TestCurveCoefficients pins the coefficients solved from the curve
// implementation against RFC 5639 (brainpoolP256r1) and FIPS 186 (a = -3).
func TestCurveCoefficients(t *testing.T) {
	a, b, err := coefficients(brainpool.P256r1())
	if err != nil {
		t.Fatal(err)
	}
	if a.Cmp(new(big.Int).SetBytes(hx(t, "7D5A0975FC2C3057EEF67530417AFFE7FB8055C126DC5C6CE94A4B44F330B5D9"))) != 0 ||
		b.Cmp(new(big.Int).SetBytes(hx(t, "26DC5C6CE94A4B44F330B5D9BBD77CBF958416295CF7E1CE6BCCDC18FF8C07B6"))) != 0 {
		t.Fatalf("brainpoolP256r1 a = %X, b = %X", a, b)
	}
	for _, id := range []int{12, 15, 18} {
		g, _ := standardGroup(id)
		c := g.(*ecGroup).curve
		a, b, _ := coefficients(c)
		if new(big.Int).Add(a, big.NewInt(3)).Cmp(c.Params().P) != 0 || b.Cmp(c.Params().B) != 0 {
			t.Errorf("%s: a = %X", c.Params().Name, a)
		}
	}
}

func TestPRFRefusesBadNonces(t *testing.T) {
	for _, tc := range []struct {
		alg  sm.Alg
		s, t int
	}{
		{sm.AlgAES128, 15, 16}, {sm.AlgAES128, 16, 15}, {sm.AlgAES256, 16, 32}, {sm.AlgAES192, 32, 16}, {sm.AlgAES128, 0, 16}, {sm.Alg3DES, 16, 8},
	} {
		if _, err := prf(tc.alg, make([]byte, tc.s), make([]byte, tc.t), 256); err == nil {
			t.Errorf("%v s=%d t=%d accepted", tc.alg, tc.s, tc.t)
		}
	}
	for _, alg := range []sm.Alg{sm.Alg3DES, sm.AlgAES128, sm.AlgAES192, sm.AlgAES256} {
		out, err := prf(alg, make([]byte, imNonceLen(alg)), make([]byte, alg.KeyLen()), 521)
		if err != nil || len(out)*8 < 521+64 {
			t.Errorf("%v: %d bytes, %v", alg, len(out), err)
		}
	}
}
