// Package pcsctest starts a private pcscd with one vsmartcard virtual
// reader (Debian packages pcscd and vsmartcard-vpcd) and plugs simulated
// cards into it, so that tests read through the real PC/SC stack: the
// pure-Go client of sensors/chip/pcsc, pcscd, the vpcd driver and, on the
// far side of vpcd's TCP port, a chip.Transceiver such as the simulated
// passport of sensors/chip/chiptest (chiptest.ServeVPCD).
//
// Who may import it: tests and benchmarks only (it imports testing).
//
// # Isolation
//
// pcscd 1.9 always serves /run/pcscd/pcscd.comm and refuses to start when
// another pcscd owns it (it ignores $PCSCLITE_CSOCK_NAME, which only the
// client library reads). Launch therefore runs pcscd in its own mount
// namespace with a temporary directory bound over /run/pcscd: unshare -m
// as root, unshare -r -m (an unprivileged user namespace) otherwise. Each
// test binary then has its own pcscd and socket (Daemon.Socket), packages
// are tested in parallel, and a system pcscd is left alone. Where neither
// works it falls back to the system path, serialised between test binaries
// by a lock file, and reports ErrUnavailable when another pcscd is already
// running or /run/pcscd is not writable.
//
// # Reader
//
// The reader is named "egate vpcd 00 00" (ReaderName); vpcd listens on a
// free port of 127.0.0.1 (Daemon.Port). Insert serves a card on it until
// the returned remove function is called, which is how a card is taken out
// of the field.
package pcsctest
