// Package pa implements passive authentication of an eMRTD (ICAO 9303
// Part 11 §5.1 and Part 12): the EF.SOD signature, the data group hashes,
// and the document signer (DS) certificate's chain to a country signing CA
// (CSCA) from a trust store, with validity periods and CRLs.
//
// Who may import it: sensors/chip/emrtd and cmd/egatectl. The gate decision
// consumes its Report, not this package.
//
// # One result per check
//
// Verify returns one Check per item of the Frontex ABC guidelines list,
// each passed, failed (with a reason) or not checked (with a reason, e.g. no
// CRL for the issuer, no printed MRZ supplied):
//
//   - sod_signature: the CMS signature of EF.SOD with the DS key, its
//     signed attributes (contentType, messageDigest) matching the content
//     (RFC 5652 §5.4, ICAO 9303 Part 10 §4.6.2).
//   - ds_signature: the DS certificate is signed by a CSCA in the trust
//     store (Part 12 §5, §7.1).
//   - ds_validity: the DS and the CSCA certificate are inside their
//     validity periods at the time of the check (Part 12 §5.3).
//   - ds_revocation: the DS serial is not on a CRL issued and signed by that
//     CSCA (Part 12 §7.1.4).
//   - sod_vs_com: EF.COM lists exactly the data groups the SOD covers
//     (Part 10 §4.6.1).
//   - dg_hashes: every data group read hashes to the value in the SOD
//     (Part 11 §5.1.1 step 3).
//   - dg1_vs_mrz: DG1 equals the MRZ read optically from the page.
//   - country_vs_ds: the issuing state in DG1 matches the country of the DS
//     and CSCA certificates (Part 12 §7.1.1).
//
// # Trust store
//
// LoadTrustStore reads a folder of CSCA certificates (PEM or DER), CRLs and
// ICAO master lists. ParseMasterList (LoadMasterList for the crypto/x509
// part) reads a master list (a CMS SignedData of type
// id-icao-cscaMasterList, Part 12 §9) and verifies its signer against the
// CSCAs it carries. CSCAs crypto/x509 parses are kept in
// TrustStore.CSCAs, the others (brainpool) in TrustStore.OtherCSCAs; CRLs,
// whoever signed them, in TrustStore.CRLs.
//
// # Brainpool certificates
//
// crypto/x509 parses RSA keys and EC keys on the NIST curves given by name,
// and refuses the rest ("x509: unsupported elliptic curve"), yet many
// states (Germany among them) issue CSCA and DS certificates on the
// brainpool r1 curves (RFC 5639). ParseCertificate takes crypto/x509's
// result when it has one and otherwise parses the certificate itself with
// encoding/asn1 (RFC 5280: TBSCertificate, UTCTime and GeneralizedTime
// validity, names, subject and authority key identifiers, basic
// constraints, key usage) for an id-ecPublicKey key on brainpoolP192r1 to
// P512r1 by name, or given by explicit domain parameters (BSI TR-03111)
// equal to those of a brainpool or NIST curve: p, n and G compared, a and b
// checked through the curve equation at G and 2G, cofactor 1. Curves come
// from github.com/osanderson/brainpool; signatures are verified by
// crypto/ecdsa (its generic path for curves outside the NIST four) and
// crypto/rsa with standard library hashes. No arithmetic of our own signs
// or verifies.
//
// A certificate in this form (Certificate) carries the crypto/x509 one
// when there is one: the DS–CSCA check and CRL signatures go through
// crypto/x509 when it holds both certificates, otherwise through
// crypto/ecdsa or crypto/rsa over the raw TBSCertificate / TBSCertList with
// the issuer's CA constraints checked as crypto/x509 checks them (and
// SHA-1 certificate signatures refused, as crypto/x509 refuses them). So a
// brainpool DS under a brainpool or RSA CSCA, a CRL signed by a brainpool
// CSCA and a master list signed by a brainpool signer all verify; the
// checks and their names do not change. Report.DS and Report.CSCA stay
// *x509.Certificate (nil for a brainpool certificate);
// Report.DSCertificate and Report.CSCACertificate are always set.
//
// lds hands over every embedded certificate as DER
// (SignedData.RawCertificates), whether crypto/x509 parses it or not; this
// package parses them itself (ParseCertificate).
//
// # Limits
//
// EC keys are verified on the brainpool r1 and NIST curves only: another
// curve (secp256k1, brainpool t1, a binary field) is refused with a reason
// naming it; compressed public key points and implicitlyCA parameters too.
// crypto/ecdsa's generic path, used for brainpool, is not constant time
// (verification handles public data only) and is refused in FIPS 140-only
// mode (GODEBUG=fips140=only), where brainpool signatures fail their check
// with that reason. BER-encoded (indefinite length) SODs are refused; ICAO
// requires DER.
package pa
