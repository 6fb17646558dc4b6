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
// LoadTrustStore reads a folder of CSCA certificates (PEM or DER) and CRLs.
// LoadMasterList reads an ICAO master list (a CMS SignedData of type
// id-icao-cscaMasterList, Part 12 §9) and verifies its signer against the
// CSCAs it carries.
//
// # Limits
//
// Certificates and keys are parsed by crypto/x509, which knows the NIST
// curves and RSA but not brainpool: a DS or CSCA on a brainpool curve is
// reported as a failed check with that reason, not silently passed.
// BER-encoded (indefinite length) SODs are refused; ICAO requires DER.
package pa
