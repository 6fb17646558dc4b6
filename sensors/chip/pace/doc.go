// Package pace implements PACE v2 (Password Authenticated Connection
// Establishment, ICAO 9303 Part 11 §4.4) with generic mapping, integrated
// mapping and chip authentication mapping, for ECDH on the standardized
// NIST and brainpool curves and DH on the RFC 5114 groups, with 3DES and AES
// secure messaging, keyed by the MRZ or the CAN.
//
// Who may import it: sensors/chip/emrtd and sensors/chip/chiptest (which
// uses Chip, the chip side).
//
// # Choosing a protocol
//
// EF.CardAccess lists PACEInfos (§9.2.1). Choose takes the strongest one
// this package runs; when none is offered or supported, the caller falls
// back to BAC as §4.2 allows (the chip must then support BAC).
//
// # Protocol steps (§4.4.4)
//
//  1. MSE:Set AT (00 22 C1 A4) with the protocol OID (DO'80'), the password
//     reference (DO'83': 01 MRZ, 02 CAN) and, when EF.CardAccess is
//     ambiguous, the parameter id (DO'84').
//  2. GENERAL AUTHENTICATE (chained, CLA 10) returns the nonce z encrypted
//     with K_π = KDF(π, 3) (§9.7.3); s = D(K_π, z).
//  3. Mapping (§4.4.3.3). Generic (and chip authentication mapping): both
//     sides exchange ephemeral keys (DO'81'/'82'), H is their shared
//     element, and the new generator is G~ = s·G + H (ECDH) or
//     g~ = g^s · h (DH). Integrated: the terminal sends a nonce t in clear
//     (DO'81', as long as a key), the chip answers with nothing, and both
//     compute G~ = f_G(R_p(s, t)): R is the block-cipher pseudo-random
//     function of §4.4.3.3.2, f_G the point encoding of Appendix B
//     (simplified SWU, needs p ≡ 3 mod 4) or x^((p-1)/q) for DH.
//  4. Key agreement on G~ (DO'83'/'84'); K is the x-coordinate (ECDH) or
//     the shared value (DH); KS_enc, KS_mac = KDF(K, 1|2) (§9.7.1).
//  5. Mutual authentication (§4.4.3.4): T = MAC(KS_mac, 7F49{06 OID,
//     86|84 other party's public key}) sent as DO'85' (CLA 00) and checked
//     in DO'86'. Secure messaging starts with SSC = 0.
//  6. Chip authentication mapping only (§4.4.3.5): the chip adds DO'8A',
//     A_IC = E(KS_enc, CA_IC) with IV = E(KS_enc, -1), where
//     CA_IC = SK_IC⁻¹ · SK_Map,IC mod n. Result.CAM keeps it; after passive
//     authentication the caller checks PK_Map,IC = [CA_IC]·PK_IC with the
//     static key from DG14 (CAMProof.VerifyCAM). This replaces a separate
//     chip authentication.
//
// Every public key from the chip is validated (on the curve, not the
// identity, inside the subgroup for DH) before use: crypto/elliptic would
// panic on an invalid point.
//
// # Proof
//
// Generic mapping reproduces Appendix G (ECDH and DH) on both sides;
// integrated mapping reproduces the ICAO worked examples for ECDH
// (brainpoolP256r1) and DH (R(s,t), R_p, the mapped generator, keys and
// tokens) and runs a whole terminal exchange against the example's chip
// answers. Chip authentication mapping has no published worked example: its
// IV and the CA_IC formula follow §4.4.3.5 and are tested by round trip and
// by clones (a chip with another static key fails VerifyCAM).
//
// # Not built
//
// Explicit domain parameters (PACEDomainParameterInfo), NIST P-192
// (parameter 8, absent from crypto/elliptic), integrated mapping on NIST
// P-224 (p ≡ 1 mod 4: the Appendix B point encoding does not apply), and
// reading the chip's static key from EF.CardSecurity for chip
// authentication mapping (DG14's key is used).
package pace
