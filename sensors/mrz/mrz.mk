# sensors/mrz/mrz.mk: fuzzing and the npm comparison of the MRZ parser and
# readers, included by the top-level Makefile.
#
#   make mrz-fuzz-short   every fuzz target of sensors/mrz and sensors/mrzreader
#                         for MRZ_FUZZTIME_SHORT (10s) each; part of make test
#   make mrz-fuzz-long    the same for MRZ_FUZZTIME_LONG (5m) each
#   make mrz-bench        parse throughput of sensors/mrz against the npm
#                         package mrz (pinned) on the same corpus in the same
#                         run, with the ratio, and both parsers' correctness
#                         against the corpus labels; part of make bench
#
# A failing fuzz input is written to the package's testdata/fuzz/ and
# becomes a regression case of go test: commit it with the fix.
#
# Standalone: make -f sensors/mrz/mrz.mk mrz-bench

MRZ_GO             ?= go
MRZ_NPM            ?= npm
MRZ_NODE           ?= node
MRZ_FUZZ_PKGS      ?= ./sensors/mrz ./sensors/mrzreader
MRZ_FUZZTIME_SHORT ?= 10s
MRZ_FUZZTIME_LONG  ?= 5m
MRZ_FUZZ_PARALLEL  ?= 2
MRZ_NPM_DIR        ?= .cache/npm-mrz
MRZ_BENCH_ROUNDS   ?= 5
MRZ_BENCH_SECONDS  ?= 1

# The npm peer is pinned by sensors/mrz/bench/package.json and the
# integrity hash in its package-lock.json; this must match them.
MRZ_NPM_VERSION := 5.0.2
MRZ_NPM_STAMP   := $(MRZ_NPM_DIR)/.mrz-$(MRZ_NPM_VERSION).installed
MRZ_BENCH_DIR   := sensors/mrz/bench

.PHONY: mrz-fuzz-short mrz-fuzz-long mrz-bench mrz-bench-clean

# mrz_fuzz runs every Fuzz function of each package for $(1); go test
# -fuzz takes one target and one package at a time.
define mrz_fuzz
	@set -e; for pkg in $(MRZ_FUZZ_PKGS); do \
		targets=$$($(MRZ_GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); \
		if [ -z "$$targets" ]; then echo "mrz-fuzz: no fuzz targets in $$pkg"; exit 1; fi; \
		for t in $$targets; do \
			echo "mrz-fuzz: $$pkg $$t for $(1)"; \
			$(MRZ_GO) test -run '^$$' -fuzz "^$$t\$$" -fuzztime $(1) -parallel $(MRZ_FUZZ_PARALLEL) $$pkg; \
		done; \
	done
endef

mrz-fuzz-short:
	$(call mrz_fuzz,$(MRZ_FUZZTIME_SHORT))

mrz-fuzz-long:
	$(call mrz_fuzz,$(MRZ_FUZZTIME_LONG))

# npm ci installs exactly the locked version and checks the tarball
# against the lock's integrity hash; no install scripts run.
$(MRZ_NPM_STAMP): $(MRZ_BENCH_DIR)/package.json $(MRZ_BENCH_DIR)/package-lock.json
	mkdir -p $(MRZ_NPM_DIR)
	cp $(MRZ_BENCH_DIR)/package.json $(MRZ_BENCH_DIR)/package-lock.json $(MRZ_NPM_DIR)/
	$(MRZ_NPM) ci --prefix $(MRZ_NPM_DIR) --ignore-scripts --no-audit --no-fund
	test "$$($(MRZ_NODE) -p 'require("$(abspath $(MRZ_NPM_DIR))/node_modules/mrz/package.json").version')" = "$(MRZ_NPM_VERSION)"
	touch $@

mrz-bench: $(MRZ_NPM_STAMP)
	$(MRZ_GO) run -trimpath -mod=readonly ./$(MRZ_BENCH_DIR) -npm-prefix $(MRZ_NPM_DIR) -node $(MRZ_NODE) \
		-script $(MRZ_BENCH_DIR)/npm-mrz.mjs -corpus sensors/mrz/testdata/corpus.jsonl \
		-rounds $(MRZ_BENCH_ROUNDS) -seconds $(MRZ_BENCH_SECONDS)

mrz-bench-clean:
	rm -rf $(MRZ_NPM_DIR)
