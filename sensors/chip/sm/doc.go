// Package sm implements ICAO 9303 secure messaging: session key derivation,
// the 3DES and AES cipher suites, the send sequence counter, and the
// protection of command and response APDUs, on both the terminal side
// (Transceiver) and the chip side (used by the simulated chip in
// sensors/chip/chiptest).
//
// Who may import it: sensors/chip and its subpackages.
//
// # Key derivation
//
// ICAO 9303 Part 11 §9.7.1: keydata = H(K || c) with c a 32-bit big-endian
// counter (1 = encryption, 2 = MAC, 3 = PACE password). H is SHA-1 for 3DES
// and AES-128, SHA-256 for AES-192 and AES-256. 3DES keys are the first 16
// bytes with DES parity adjusted (two-key 3DES, K1 K2 K1).
//
// # Cipher suites
//
// ICAO 9303 Part 11 §9.8.6.1 (3DES): CBC with a zero IV, MAC is ISO/IEC
// 9797-1 MAC algorithm 3 (retail MAC) with DES, built here from crypto/des
// by composition: single-DES CBC with Ka, then decrypt with Kb and encrypt
// with Ka on the last block.
//
// ICAO 9303 Part 11 §9.8.6.2 (AES): CBC with IV = E(KSenc, SSC), MAC is
// AES-CMAC (github.com/aead/cmac) truncated to 8 bytes.
//
// # Message structure
//
// ICAO 9303 Part 11 §9.8.6 and §9.8.7: a protected command has CLA | 0C,
// DO'87' (padding-content indicator 01 and the encrypted padded data; DO'85'
// for odd instructions), DO'97' (Le), and DO'8E' (MAC over the padded SSC,
// padded header and those DOs), and always an Le of 00. The response carries
// DO'87', DO'99' (the status word) and DO'8E'. The SSC is incremented
// before each command and each response.
//
// A MAC mismatch or a response without DO'99' and DO'8E' ends the session
// (ErrSessionBroken): the chip's keys can no longer be trusted to be in step.
package sm
