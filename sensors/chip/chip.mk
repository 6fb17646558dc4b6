# sensors/chip/chip.mk: the eMRTD chip stack's Debian packages, benchmark
# and tests, included by the top-level Makefile (-include sensors/chip/chip.mk).
#
#   make chip-bench   a full chip read through pcscd and the vsmartcard vpcd
#                     virtual reader, with the simulated passport: BAC and
#                     PACE generic (brainpoolP256r1), integrated
#                     (brainpoolP256r1) and chip authentication mapping
#                     (P-256), DG1 + a ~22 KB DG2, DG14,
#                     DG15, chip and active authentication, passive
#                     authentication; reported per read as access-, read-,
#                     pa-, transport- and terminal-ms/op; part of make bench
#   make chip-test    the chip stack, sensors/docreader and egatectl doc
#                     tests, pcscd ones included (they fail here, rather
#                     than skip, when pcscd or vsmartcard-vpcd is missing),
#                     and the vsmartcard-vpicc peer test
#
# The pcscd tests and the benchmark start a private pcscd each, in its own
# mount namespace (see sensors/chip/pcsc/pcsctest), so they run next to a
# system pcscd and in parallel. make deps installs both packages.
#
# Standalone: make -f sensors/chip/chip.mk chip-bench

CHIP_GO         ?= go
CHIP_BENCHTIME  ?= 50x
CHIP_BENCHCOUNT ?= 3
CHIP_PKGS       ?= ./sensors/chip/... ./sensors/docreader/... ./cmd/egatectl/
CHIP_VPCD       := /usr/lib/pcsc/drivers/serial/libifdvpcd.so

APT_PKGS    += pcscd vsmartcard-vpcd
# The independent peer for BAC and secure messaging (TestVPICCPeer in
# sensors/chip/pcsc; skipped without them): Debian's vpicc ePass emulator
# and the Cryptodome module it needs. Drop this line to skip that test.
APT_PKGS    += vsmartcard-vpicc python3-pycryptodome
BENCH_EXTRA += chip-bench

.PHONY: chip-bench chip-test chip-rig-check

# A missing package would make the benchmark skip and make bench report
# nothing for the chip: refuse instead.
chip-rig-check:
	@command -v pcscd >/dev/null && test -f $(CHIP_VPCD) || \
		{ echo "chip: pcscd and vsmartcard-vpcd are needed: make deps (or apt-get install pcscd vsmartcard-vpcd)"; exit 1; }

chip-bench: chip-rig-check
	$(CHIP_GO) test -run '^$$' -bench '^BenchmarkPCSCDRead$$' -benchtime $(CHIP_BENCHTIME) \
		-count $(CHIP_BENCHCOUNT) ./sensors/chip/pcsc/

chip-test: chip-rig-check
	$(CHIP_GO) test $(CHIP_PKGS)
