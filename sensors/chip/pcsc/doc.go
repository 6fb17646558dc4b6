// Package pcsc is the chip.Transceiver of a real reader, through pcscd.
//
// Who may import it: cmd/ and the lane daemon. Tests of the protocol layers
// use sensors/chip/chiptest instead.
//
// # Why a pure-Go pcscd client
//
// It speaks pcscd's UNIX-socket protocol with github.com/gballet/go-libpcsclite
// (pure Go, BSD-3) rather than linking libpcsclite with github.com/ebfe/scard:
// cgo is allowed only in vision/ and the SQLite store (STYLE.md, "Keeping
// cgo contained"), and a pure package cross-compiles for the Pi and builds
// under CGO_ENABLED=0. The cost: that client implements only the calls we
// use (establish context, list readers, connect, transmit, disconnect). It
// has no SCardGetStatusChange and its reader-state decoding is not usable,
// so card presence is found by polling Connect (WaitCard) and removal by
// the transmit error (chip.ErrCardRemoved). The client hard-codes T=1 for
// transmit, which ICAO 9303 Part 10 (ISO/IEC 14443-4) readers present.
//
// Transmit checks ctx before each APDU but cannot interrupt one in flight:
// the client's socket calls take no deadline. pcscd itself times out a card
// that stops answering.
//
// # Reader selection
//
// Opts.Reader picks a reader by exact name, or by prefix when no name
// matches exactly ("Virtual PCD" matches "Virtual PCD 00 00"); empty takes
// the first reader. The name comes from the lane configuration.
//
// # Extended length
//
// Transmit passes extended APDUs through; whether they work depends on the
// reader driver (pcscd announces it per reader). Callers opt in with
// chip.Opts.ChunkSize.
//
// # Health
//
// Present lists pcscd's readers and checks that ours is still among them:
// ErrNoReader when it was unplugged, ErrNoService when pcscd cannot be
// reached. sensors/docreader probes it while idle and reports the chip
// reader's health to the gate.
//
// # Integration test
//
// pcsc_integration_test.go starts a private pcscd (Debian packages pcscd and
// vsmartcard-vpcd) through sensors/chip/pcsc/pcsctest, in its own mount
// namespace and with a vpcd reader on a free port, plugs the simulated
// passport of sensors/chip/chiptest into it with ServeVPCD, and reads it
// with BAC and PACE through the real PC/SC stack. vpicc_test.go reads an
// ePassport emulated by Debian's vsmartcard-vpicc, an independent peer for
// BAC and secure messaging. Both skip when the packages are absent.
package pcsc
