package ca_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"math/big"
	"testing"

	"github.com/egate/egate/sensors/chip/ca"
	"github.com/egate/egate/sensors/chip/lds"
	"github.com/egate/egate/sensors/chip/sm"
	"github.com/osanderson/brainpool"
)

func TestChoose(t *testing.T) {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	key := lds.ChipAuthenticationPublicKeyInfo{Protocol: ca.PKOID, PublicKey: &k.PublicKey, KeyID: big.NewInt(2)}
	for _, tc := range []struct {
		name string
		si   *lds.SecurityInfos
		ok   bool
	}{
		{"nil", nil, false},
		{"no key", &lds.SecurityInfos{CA: []lds.ChipAuthenticationInfo{{Protocol: ca.OID(sm.AlgAES128), Version: 1}}}, false},
		{"matching key id", &lds.SecurityInfos{CA: []lds.ChipAuthenticationInfo{{Protocol: ca.OID(sm.AlgAES128), Version: 1, KeyID: big.NewInt(2)}}, CAKeys: []lds.ChipAuthenticationPublicKeyInfo{key}}, true},
		{"other key id", &lds.SecurityInfos{CA: []lds.ChipAuthenticationInfo{{Protocol: ca.OID(sm.AlgAES128), Version: 1, KeyID: big.NewInt(3)}}, CAKeys: []lds.ChipAuthenticationPublicKeyInfo{key}}, false},
		{"DH protocol", &lds.SecurityInfos{CA: []lds.ChipAuthenticationInfo{{Protocol: append(append([]int{}, lds.OIDCA...), 1, 2), Version: 1}}, CAKeys: []lds.ChipAuthenticationPublicKeyInfo{key}}, false},
		{"unparsed key", &lds.SecurityInfos{CA: []lds.ChipAuthenticationInfo{{Protocol: ca.OID(sm.AlgAES128), Version: 1}}, CAKeys: []lds.ChipAuthenticationPublicKeyInfo{{Protocol: ca.PKOID}}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ca.Choose(tc.si)
			if tc.ok != (err == nil) {
				t.Fatalf("Choose = %v, %v", p, err)
			}
			if err != nil && !errors.Is(err, ca.ErrUnsupported) {
				t.Fatalf("err = %v", err)
			}
		})
	}
}

func TestChipSessionRejectsBadPoint(t *testing.T) {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	for _, bad := range [][]byte{nil, {4}, append([]byte{4}, make([]byte, 64)...)} {
		if _, err := ca.ChipSession(k, bad, sm.AlgAES128); err == nil {
			t.Errorf("accepted point %X", bad)
		}
	}
}

// TestChooseAndAgreeBrainpool: a DG14 key on a brainpool curve (which
// crypto/ecdh does not offer) is chosen, and terminal and chip agree on it.
func TestChooseAndAgreeBrainpool(t *testing.T) {
	k, err := ecdsa.GenerateKey(brainpool.P320r1(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	si := &lds.SecurityInfos{CA: []lds.ChipAuthenticationInfo{{Protocol: ca.OID(sm.AlgAES256), Version: 1}},
		CAKeys: []lds.ChipAuthenticationPublicKeyInfo{{Protocol: ca.PKOID, PublicKey: &k.PublicKey}}}
	p, err := ca.Choose(si)
	if err != nil || p.Key.Curve != brainpool.P320r1() {
		t.Fatalf("Choose = %v, %v", p, err)
	}
	for _, bad := range [][]byte{nil, {4}, append([]byte{4}, make([]byte, 80)...)} {
		if _, err := ca.ChipSession(k, bad, sm.AlgAES256); err == nil {
			t.Errorf("chip accepted point %X", bad)
		}
	}
}
