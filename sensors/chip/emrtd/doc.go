// Package emrtd reads an eMRTD end to end over a chip.Transceiver: access
// control (PACE, falling back to BAC), EF.COM, EF.SOD and the data groups
// under secure messaging, parsing (DG1, DG2, DG14, DG15), active
// authentication, and passive authentication.
//
// Who may import it: cmd/ (egatectl doc read), sensors/docreader and
// integration tests. gate/ consumes its Result through the sensors
// interfaces, not this package directly.
//
// # Sequence (ICAO 9303 Part 11 §4.2, Part 10 §3)
//
//  1. Read EF.CardAccess (011C) from the master file without protection.
//     If it lists a PACEInfo this stack runs, run PACE with the CAN when one
//     is given, else with the MRZ (§4.4; generic, integrated or chip
//     authentication mapping), then select the eMRTD application
//     (A0 00 00 02 47 10 01) inside secure messaging. After chip
//     authentication mapping, EF.CardSecurity (011D in the master file) is
//     read first: it may hold the chip's static key.
//  2. Otherwise, or if PACE fails for any reason other than a removed card
//     or a cancelled context, select the application and run BAC (§4.3).
//     Result.AccessNote says why PACE was not used.
//  3. Read EF.COM and EF.SOD, then DG14. When DG14 offers ECDH chip
//     authentication on a NIST or brainpool curve, run it (Part 11 §6.2,
//     sensors/chip/ca) and prove it by re-reading EF.COM under the new
//     keys; a chip that cannot continue is recorded as a failed CA (possible
//     clone) and access control is run again so the read still completes.
//     After PACE chip authentication mapping no CA runs: the mapping's
//     proof is checked in step 6 instead.
//  4. Read the other data groups EF.COM lists, except DG3 and DG4
//     (fingerprints and irises need EAC terminal authentication, not
//     built). DG1 and DG2 are required; an optional group that fails to
//     read is reported, not fatal. DG1's zone is also parsed by
//     sensors/mrz (Result.MRZ).
//  5. Active authentication (§6.1) when DG15 is present: INTERNAL
//     AUTHENTICATE with an 8-byte challenge. ECDSA keys: the plain r||s
//     signature, hash from DG14's ActiveAuthenticationInfo. RSA keys:
//     ISO/IEC 9796-2 digital signature scheme 1 (aa_rsa.go): the message
//     representative is recovered with the public key (header 6A partial
//     or 4A/4B full recovery, trailer BC for SHA-1 or a hash identifier
//     and CC) and its digest checked over M1 || challenge. A chip whose
//     signature does not verify fails as a possible clone; an RSA key
//     under 1024 or over 8192 bits, or with an even exponent, is not
//     checked.
//  6. Passive authentication (sensors/chip/pa). After chip authentication
//     mapping, its proof is checked against DG14's key, else against
//     EF.CardSecurity's once that file has passed its own signature and DS
//     chain checks (pa.VerifyCardSecurity); the outcome is Result.CA.
//     Result.ChipResult maps everything onto sensors.ChipResult for the
//     gate.
//
// # Results and errors
//
// Result.ChipResult keys sensors.ChipResult.Checks by the names
// gate/policy relies on: CheckPassiveAuth ("passive_auth", the whole of
// PA), the pa check names, CheckChipAuth ("chip_auth") and CheckActiveAuth
// ("active_auth"); checks that did not run are absent. KeyFromMRZ builds
// the access key from an optically read zone exactly as printed.
//
// Read fails with ErrAccessDenied when the chip refused the key (PACE or
// BAC mutual authentication; both reasons are kept), ErrAccess when access
// control could not run, ErrRequiredFile, or chip.ErrCardRemoved.
//
// # Privacy
//
// The logger passed in Opts sees protocol names, file identifiers, sizes
// and timings only; never the MRZ, the document number or image bytes.
package emrtd
