// Package chip holds the small types of the eMRTD (e-passport) chip reading
// stack: the Transceiver interface that every card transport implements, ISO
// 7816-4 command and response APDUs with status-word errors, and the file
// access commands (SELECT by file identifier, chunked READ BINARY).
//
// Who may import it: anything. It imports only the standard library and
// sensors/chip/tlv. gate/ should not import the protocol subpackages; it
// consumes the results that sensors/chip/emrtd returns, through
// sensors.ChipResult (sensors/docreader fills it for the lane).
//
// # Subpackages
//
//   - tlv: BER-TLV decoding and encoding.
//   - sm: secure messaging (3DES and AES), key derivation, SSC handling.
//   - bac: Basic Access Control.
//   - pace: PACE v2 (generic, integrated and chip authentication mapping;
//     ECDH and DH).
//   - ca: chip authentication (ECDH, keys from DG14).
//   - eckey: EC public keys, brainpool and explicit parameters included.
//   - lds: EF.COM, DG1, DG2 (ISO/IEC 19794-5 and 39794-5), DG14, DG15,
//     EF.SOD and SecurityInfos parsing.
//   - pa: passive authentication (SOD signature, hashes, CSCA chain; also
//     EF.CardSecurity).
//   - emrtd: the whole read (access control, files, PA) over a Transceiver.
//   - pcsc: the Transceiver over a real pcscd, in pure Go.
//   - pcsc/pcsctest: a private pcscd with a vsmartcard vpcd reader, for
//     tests.
//   - chiptest: a record/playback fake and a simulated eMRTD applet.
//
// # APDUs
//
// ISO/IEC 7816-4 §5.1: a command is CLA INS P1 P2 [Lc data] [Le]. Short
// APDUs carry up to 255 data bytes and ask for up to 256; extended APDUs
// (Lc = 00 hi lo) carry up to 65535 and ask for up to 65536. Command.Bytes
// picks the short form when it fits unless told otherwise.
//
// # Status words
//
// Every response ends in SW1 SW2. Check turns anything but 90 00 into a
// *StatusError, with sentinels for the codes the stack acts on. Short data
// is never returned silently: ReadFile fails with ErrShortFile when the chip
// stops before the length its TLV header announced (ICAO 9303 Part 10 §3.6).
//
// # Access keys
//
// MRZKey (document number, birth and expiry dates) and CAN are the secrets
// that open the chip. Their String methods redact them: never log them.
//
// # Files
//
// ICAO 9303 Part 10 §3.6 and Part 11 §9.8.5 (READ BINARY with odd INS for
// offsets above 32767): ReadFile selects an EF by its two-byte file ID, reads
// the first bytes to learn the TLV length, then reads the rest in chunks no
// larger than Opts.ChunkSize.
package chip
