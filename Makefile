# egate: open firmware for self-service border e-gates.
#
#   make run    play the bundled scenario of travellers through a simulated lane
#   make test   run every test (installs what it needs first)
#
# Both install missing dependencies themselves: Debian packages (with sudo
# when not root), Go modules and the face model package.

SHELL   := /bin/bash
GO      ?= go
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
GOFLAGS_BUILD := -trimpath -ldflags "$(LDFLAGS)"
SUDO    := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
BIN     := bin
TEST_TIMEOUT ?= 20m

# Debian bookworm / Raspberry Pi OS bookworm packages the build and the
# tests need. Fragments below add their own.
APT_PKGS := gcc g++ pkg-config make git sqlite3 ca-certificates \
	libopencv-dev opencv-data mosquitto mosquitto-clients time
# Commands that may come from elsewhere than Debian (e.g. node with its own
# npm): installed from Debian only when the command is missing.
APT_CMDS := node:nodejs npm:npm

.PHONY: all deps apt-deps go-deps build run test test-short bench bench-go bench-run lint clean

all: build

# Feature fragments: each adds its own targets, APT_PKGS, BENCH_EXTRA and
# TEST_EXTRA.
-include vision/models.mk
-include sensors/mrz/mrz.mk
-include sensors/chip/chip.mk
-include mqtt/mqtt.mk
-include cmd/internal/api/api.mk
-include deploy/deploy.mk

TEST_EXTRA += mrz-fuzz-short
BENCH_EXTRA += mrz-bench

# deps installs what is missing and nothing else; it is safe to run often.
deps: apt-deps go-deps

apt-deps:
	@missing=""; for p in $(APT_PKGS); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	for cp in $(APT_CMDS); do \
		command -v $${cp%%:*} >/dev/null || missing="$$missing $${cp#*:}"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

go-deps:
	@command -v $(GO) >/dev/null || { echo "Go 1.26 is required: see README (Install Go)"; exit 1; }
	@$(GO) mod download

build: go-deps
	@mkdir -p $(BIN)
	$(GO) build $(GOFLAGS_BUILD) -o $(BIN)/egated ./cmd/egated
	$(GO) build $(GOFLAGS_BUILD) -o $(BIN)/egatectl ./cmd/egatectl

# run: the daemon drives the bundled travellers through a simulated lane on
# the real code paths, with its SQLite file in ./run. No broker is needed.
run: deps build $(if $(wildcard vision/models.mk),models)
	@mkdir -p run
	./$(BIN)/egated --config deploy/sim/egate.yaml --scenario deploy/sim/scenario.yaml \
		--state-dir ./run --log-file run/egated.log

test: deps $(if $(wildcard vision/models.mk),models)
	$(GO) vet ./...
	# One package at a time: the simulated lanes run against the wall clock,
	# and two heavy packages side by side on a 2-core machine only add noise.
	$(GO) test -p 1 -timeout $(TEST_TIMEOUT) ./...
	CGO_ENABLED=0 $(GO) test -short ./gate/... ./sensors/... ./mqtt/...
	$(GO) test -short -race ./gate/... ./sensors/... ./cmd/internal/...
	$(MAKE) --no-print-directory $(TEST_EXTRA)

test-short: go-deps
	$(GO) test -short ./...

# bench: Go benchmarks, then whole-process runs. Fragments add their own
# targets to BENCH_EXTRA (e.g. comparisons with a peer in the same run).
bench: deps build bench-go bench-run $(BENCH_EXTRA)

bench-go:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# The whole daemon playing the bundled scenario at 20x: wall time, CPU time
# and peak memory of the process.
bench-run: build
	@rm -rf .cache/bench-run && mkdir -p .cache/bench-run
	/usr/bin/time -f 'egated scenario run: %e s wall, %U s user, %S s sys, %M KB max RSS' \
		./$(BIN)/egated --config deploy/sim/egate.yaml --scenario deploy/sim/scenario.yaml \
		--state-dir .cache/bench-run --log-file .cache/bench-run/egated.log --speed 20 >/dev/null

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

clean:
	rm -rf $(BIN) run
