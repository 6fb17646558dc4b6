// Package docreader combines an MRZ reader and an eMRTD chip reader into
// one sensors.DocumentReader: for each zone read it opens the chip with
// the zone's access key, reads it, runs passive, chip and active
// authentication, and delivers a single sensors.DocumentRead carrying the
// printed fields and the chip's results.
//
// Who may import it: cmd/ (the lane daemon, egatectl). It imports the
// chip stack (sensors/chip/...), sensors/mrz and sensors/mrzreader for
// its zone adapters, and gate for the health events; no cgo. The gate
// depends on sensors.DocumentReader, never on this package.
//
// # Sequence (ICAO 9303 Part 11 §4.2)
//
// For each Zone:
//
//  1. A zone with an error (unreadable, invalid check digits) is passed on
//     as it is: the chip is not read.
//  2. Without a chip reader (Opts.Chip nil) the document is passed on with
//     Chip nil: the policy decides (chip.not_read).
//  3. The access key comes from the zone: its MRZ_information exactly as
//     printed (sensors/chip/emrtd.KeyFromMRZ) when the source hands over
//     the parsed zone, else built from the document number and dates of
//     sensors.Document (sources that give only that, such as
//     mrzreader.Device; a birth date with unknown parts then cannot key
//     the chip).
//  4. It waits up to Opts.CardWait for a chip in the field. None: the
//     document is passed on with Chip nil (a document without a chip, or
//     one held outside the field); the policy decides.
//  5. sensors/chip/emrtd reads the chip: PACE from EF.CardAccess, falling
//     back to BAC; DG1, DG2, DG14, DG15 and the rest; chip and active
//     authentication; passive authentication against Opts.Trust. DG1 is
//     compared with the printed zone (dg1_vs_mrz): byte for byte when the
//     zone's lines are known, field by field otherwise.
//  6. The card is disconnected (reset), so the next read starts afresh.
//
// # Results
//
// Doc.Chip.Checks is keyed by the names documented in
// sensors/chip/README-section.md: passive_auth (the whole of passive
// authentication), each PA check that ran (sod_signature, ds_signature,
// ds_validity, ds_revocation, sod_vs_com, dg_hashes, dg1_vs_mrz,
// country_vs_ds), chip_auth and active_auth. A check that did not run is
// absent. Doc.Chip.Portrait is the DG2 face image (JPEG, JPEG 2000, or
// PNG from an ISO/IEC 39794-5 DG2).
//
// A chip that refuses the key (ErrAccessDenied), a card taken away during
// the read (ErrCardRemoved) and any other failed read (ErrChipRead) are
// delivered as DocumentRead.Err: the document could not be read as a whole.
// Errors name the step and the protocol, never the zone, the document
// number or file content; the logger gets the same.
//
// # Health
//
// The chip reader is opened with Opts.Chip (PCSC for pcscd), probed every
// Opts.HealthInterval while idle, and reopened after a failure (pcscd gone,
// reader unplugged). Health gives the state; Opts.OnHealth is called on
// each change, and HealthEvent turns that into gate.DeviceFault or
// gate.DeviceRecovered for DeviceName ("chip_reader"). A reader missing at
// start is a fault, not an error.
//
// # Lifetime
//
// A Reader runs until its ctx ends, Halt is called, or its zone channel is
// closed; then Documents is closed and Done is closed.
package docreader
