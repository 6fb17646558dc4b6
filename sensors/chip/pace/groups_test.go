package pace

import (
	"math/big"
	"testing"
)

// TestDHGroups checks the RFC 5114 constants arithmetically: p and q prime,
// q divides p-1, g of order q.
func TestDHGroups(t *testing.T) {
	for id := 0; id <= 2; id++ {
		g, err := standardGroup(id)
		if err != nil {
			t.Fatal(err)
		}
		d := g.(*dhGroup)
		if !d.p.ProbablyPrime(20) || !d.q.ProbablyPrime(20) {
			t.Fatalf("group %d: p or q not prime", id)
		}
		pm1 := new(big.Int).Sub(d.p, big.NewInt(1))
		if new(big.Int).Mod(pm1, d.q).Sign() != 0 {
			t.Fatalf("group %d: q does not divide p-1", id)
		}
		if d.g.Cmp(big.NewInt(1)) <= 0 || new(big.Int).Exp(d.g, d.q, d.p).Cmp(big.NewInt(1)) != 0 {
			t.Fatalf("group %d: g is not of order q", id)
		}
	}
}
