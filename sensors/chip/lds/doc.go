// Package lds parses the files of the ICAO 9303 logical data structure
// (LDS 1.7/1.8): EF.COM, DG1 (MRZ), DG2 (face), DG14 (security infos for
// chip authentication), DG15 (active authentication public key), EF.SOD
// (the document security object) and the SecurityInfos of EF.CardAccess.
//
// Who may import it: sensors/chip subpackages and cmd/egatectl. It does no
// I/O and no cryptographic verification (see sensors/chip/pa).
//
// Every parser takes bytes read from an untrusted chip: lengths are checked
// against the data present, and bad input returns an error wrapping
// ErrFormat, never a panic. Each parser is fuzzed.
//
// # Files
//
//   - EF.COM, tag 60 (ICAO 9303 Part 10 §4.6.1): LDS version 5F01, Unicode
//     version 5F36, tag list 5C.
//   - DG1, tag 61 (Part 10 §4.7.1): the MRZ in 5F1F. Fields are cut by
//     position for TD1, TD2 and TD3 (Part 4 §4.2, Part 5 §4.2, Part 6 §4.2).
//     Check digits, dates and names are left to sensors/mrz, which
//     sensors/chip/emrtd applies to the zone (Result.MRZ); this package
//     stays free of it so the fuzzed parsers build on their own.
//   - DG2, tag 75 (Part 10 §4.7.2): biometric information group template
//     7F61 of 7F60 templates, each with a header A1 and a biometric data
//     block: 5F2E holding an ISO/IEC 19794-5:2005 facial record whose image
//     is JPEG or JPEG 2000, or 7F2E holding an ISO/IEC 39794-5:2019
//     FaceImageDataBlock (DER, ICAO 39794-5 eMRTD profile; dg2_39794.go
//     lists the tags and sources) whose 2D images are JPEG, JPEG 2000 or
//     PNG, with size and face image kind. Its other optional blocks
//     (capture, quality, PAD, device, identity metadata, landmarks, colour,
//     measurements) and 3D or extension representations are skipped.
//   - DG14, tag 6E (Part 10 §4.7.14, Part 11 §9.2): SecurityInfos.
//   - DG15, tag 6F (Part 10 §4.7.15): SubjectPublicKeyInfo for active
//     authentication.
//   - EF.SOD, tag 77 (Part 10 §4.6.2): a CMS SignedData (RFC 5652) whose
//     content is the LDSSecurityObject, decoded with encoding/asn1 (DER).
//
// # Privacy
//
// DG1 and DG2 hold personal data. Their String methods print no field
// values; never log the MRZ or document numbers.
package lds
