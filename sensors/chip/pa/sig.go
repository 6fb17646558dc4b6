package pa

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"

	"github.com/egate/egate/sensors/chip/eckey"
	"github.com/egate/egate/sensors/chip/lds"
)

// Signature algorithm identifiers seen in EF.SOD (RFC 8017, RFC 5758,
// BSI TR-03111).
var (
	oidRSAEncryption = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	oidSHA1WithRSA   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 5}
	oidRSAPSS        = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 10}
	oidSHA256WithRSA = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}
	oidSHA384WithRSA = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 12}
	oidSHA512WithRSA = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 13}
	oidSHA224WithRSA = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 14}
	oidECPublicKey   = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidECDSAWithSHA1 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 1}
	oidECDSASHA224   = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 1}
	oidECDSASHA256   = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
	oidECDSASHA384   = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 3}
	oidECDSASHA512   = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 4}
	// BSI TR-03111 ecdsa-plain-SHA* (r || s signatures).
	oidECDSAPlainSHA256 = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 1, 1, 4, 1, 3}
	oidECDSAPlainSHA384 = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 1, 1, 4, 1, 4}
	oidECDSAPlainSHA512 = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 1, 1, 4, 1, 5}
)

type sigKind int

const (
	kindPKCS1 sigKind = iota + 1
	kindPSS
	kindECDSA
)

// sigScheme resolves the signature algorithm of a SignerInfo; digest is the
// SignerInfo's digest algorithm, used when the signature OID names no hash.
func sigScheme(alg pkix.AlgorithmIdentifier, digest asn1.ObjectIdentifier) (sigKind, crypto.Hash, error) {
	dh, derr := lds.HashForOID(digest)
	withDigest := func(k sigKind) (sigKind, crypto.Hash, error) {
		if derr != nil {
			return 0, 0, derr
		}
		return k, dh, nil
	}
	o := alg.Algorithm
	switch {
	case o.Equal(oidRSAEncryption):
		return withDigest(kindPKCS1)
	case o.Equal(oidSHA1WithRSA):
		return kindPKCS1, crypto.SHA1, nil
	case o.Equal(oidSHA224WithRSA):
		return kindPKCS1, crypto.SHA224, nil
	case o.Equal(oidSHA256WithRSA):
		return kindPKCS1, crypto.SHA256, nil
	case o.Equal(oidSHA384WithRSA):
		return kindPKCS1, crypto.SHA384, nil
	case o.Equal(oidSHA512WithRSA):
		return kindPKCS1, crypto.SHA512, nil
	case o.Equal(oidRSAPSS):
		var params struct {
			Hash pkix.AlgorithmIdentifier `asn1:"explicit,optional,tag:0"`
		}
		h := crypto.SHA1 // RFC 4055 default
		if len(alg.Parameters.FullBytes) > 0 {
			if _, err := asn1.Unmarshal(alg.Parameters.FullBytes, &params); err != nil {
				return 0, 0, fmt.Errorf("RSASSA-PSS parameters: %w", err)
			}
			if len(params.Hash.Algorithm) > 0 {
				var err error
				if h, err = lds.HashForOID(params.Hash.Algorithm); err != nil {
					return 0, 0, err
				}
			}
		}
		return kindPSS, h, nil
	case o.Equal(oidECPublicKey):
		return withDigest(kindECDSA)
	case o.Equal(oidECDSAWithSHA1):
		return kindECDSA, crypto.SHA1, nil
	case o.Equal(oidECDSASHA224):
		return kindECDSA, crypto.SHA224, nil
	case o.Equal(oidECDSASHA256), o.Equal(oidECDSAPlainSHA256):
		return kindECDSA, crypto.SHA256, nil
	case o.Equal(oidECDSASHA384), o.Equal(oidECDSAPlainSHA384):
		return kindECDSA, crypto.SHA384, nil
	case o.Equal(oidECDSASHA512), o.Equal(oidECDSAPlainSHA512):
		return kindECDSA, crypto.SHA512, nil
	}
	return 0, 0, fmt.Errorf("signature algorithm %v not supported", o)
}

var errBadSignature = errors.New("signature does not verify")

// verifySignature checks sig over signed with pub, using crypto/rsa and
// crypto/ecdsa. ECDSA signatures may be DER (X9.62) or plain r||s.
func verifySignature(pub crypto.PublicKey, alg pkix.AlgorithmIdentifier, digest asn1.ObjectIdentifier, signed, sig []byte) error {
	kind, h, err := sigScheme(alg, digest)
	if err != nil {
		return err
	}
	if !h.Available() {
		return fmt.Errorf("hash %v not available", h)
	}
	hh := h.New()
	hh.Write(signed)
	sum := hh.Sum(nil)
	switch k := pub.(type) {
	case *rsa.PublicKey:
		switch kind {
		case kindPKCS1:
			if rsa.VerifyPKCS1v15(k, h, sum, sig) != nil {
				return errBadSignature
			}
			return nil
		case kindPSS:
			if rsa.VerifyPSS(k, h, sum, sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto}) != nil {
				return errBadSignature
			}
			return nil
		}
	case *ecdsa.PublicKey:
		if kind != kindECDSA {
			break
		}
		if ok, err := verifyECDSA(k, sum, sig); ok || err != nil {
			return err
		}
		// Plain format: r and s of the order's byte length each.
		n := (k.Curve.Params().N.BitLen() + 7) / 8
		if len(sig) == 2*n {
			der, err := asn1.Marshal(struct{ R, S *big.Int }{new(big.Int).SetBytes(sig[:n]), new(big.Int).SetBytes(sig[n:])})
			if err == nil {
				if ok, err := verifyECDSA(k, sum, der); ok || err != nil {
					return err
				}
			}
		}
		return errBadSignature
	}
	return fmt.Errorf("key %T does not match signature algorithm %v", pub, alg.Algorithm)
}

// verifyECDSA is ecdsa.VerifyASN1. crypto/ecdsa verifies on the brainpool
// curves through its generic (math/big) path, which panics in FIPS 140-only
// mode (GODEBUG=fips140=only); that becomes an error, not a crash.
func verifyECDSA(k *ecdsa.PublicKey, sum, sig []byte) (ok bool, err error) {
	defer func() {
		if p := recover(); p != nil {
			ok, err = false, fmt.Errorf("ECDSA on %s: %v", eckey.Name(k.Curve), p)
		}
	}()
	return ecdsa.VerifyASN1(k, sum, sig), nil
}
