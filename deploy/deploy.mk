# deploy/deploy.mk: Debian packages, the arm64 cross-build and its qemu
# check, and the deploy tests. Included by the top-level Makefile
# (-include deploy/deploy.mk).
#
#   make deb            both packages: bin/deb/egate_VERSION_{amd64,arm64}.deb
#   make deb-amd64      the amd64 package only (native build)
#   make deb-arm64      the arm64 package (cgo cross-build against a Debian sysroot)
#   make qemu-check     run the arm64 package's binaries under qemu-aarch64-static
#   make deb-install-check  install, upgrade, roll back and purge the amd64
#                       package in a bookworm chroot (root, debootstrap)
#   make deploy-test    unit verification, udev rules, broker ACL, time sync tests
#   make sysroot-arm64  only (re)build .cache/sysroot-arm64
#   make deploy-clean   remove packages, the sysroot and the chroot
#
# None of the package targets is part of `make test`: the first arm64 build
# fetches about 230 MiB of Debian packages and compiles for arm64 (see
# deploy/README-section.md for measured times). The Go tests under deploy/
# and cmd/internal/timesync are light and already run in `make test` (go
# test ./...); deploy-test runs only them.

DEPLOY_GO        ?= go
# Evaluated once per make run: other commits may land while a build runs.
ifndef DEB_VERSION
DEB_VERSION      := $(shell deploy/deb/version.sh)
endif
DEB_OUT          ?= bin/deb
DEB_BUILD        ?= bin/deb-build
DEB_MODELS       ?= .cache/models
SYSROOT_ARM64    ?= .cache/sysroot-arm64
APT_ARM64        ?= .cache/apt-arm64
QEMU_TMP         ?= $(DEB_BUILD)/qemu-check
DEPLOY_SUDO      := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

# Debian packages for building the .debs (amd64), for the cross-build, and
# for deploy-test.
DEPLOY_APT_PKGS  := gcc g++ pkg-config libopencv-dev binutils xz-utils
DEPLOY_TEST_APT_PKGS := systemd mosquitto mosquitto-clients openssl
CROSS_APT_PKGS   := gcc-aarch64-linux-gnu g++-aarch64-linux-gnu qemu-user-static debian-archive-keyring
INSTALL_CHECK_APT_PKGS := debootstrap

# Packaged binaries: trimmed paths, read-only module graph, PIE, and the
# package version as the binary's version.
DEB_GOFLAGS      := -trimpath -mod=readonly -buildmode=pie -ldflags "-X main.version=$(DEB_VERSION)"
DEB_CMDS         := egated egatectl

SYSROOT_ARM64_ABS = $(abspath $(SYSROOT_ARM64))
ARM64_ENV = CGO_ENABLED=1 GOOS=linux GOARCH=arm64 \
	CC="aarch64-linux-gnu-gcc --sysroot=$(SYSROOT_ARM64_ABS)" \
	CXX="aarch64-linux-gnu-g++ --sysroot=$(SYSROOT_ARM64_ABS)" \
	PKG_CONFIG_SYSROOT_DIR=$(SYSROOT_ARM64_ABS) \
	PKG_CONFIG_LIBDIR=$(SYSROOT_ARM64_ABS)/usr/lib/aarch64-linux-gnu/pkgconfig:$(SYSROOT_ARM64_ABS)/usr/share/pkgconfig
QEMU_ARM64 = QEMU_LD_PREFIX=$(SYSROOT_ARM64_ABS) qemu-aarch64-static

.PHONY: deb deb-amd64 deb-arm64 deb-models deploy-deps cross-deps deploy-test-deps sysroot-arm64 qemu-check deploy-test install-check-deps deb-install-check deploy-clean

deb: deb-amd64 deb-arm64

# Each installs what is missing and nothing else, like the top-level apt-deps.
define deploy_apt_install
	@missing=""; for p in $(1); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		$(DEPLOY_SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(DEPLOY_SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi
endef

deploy-deps:
	$(call deploy_apt_install,$(DEPLOY_APT_PKGS))

cross-deps:
	$(call deploy_apt_install,$(CROSS_APT_PKGS))

deploy-test-deps:
	$(call deploy_apt_install,$(DEPLOY_TEST_APT_PKGS))

install-check-deps:
	$(call deploy_apt_install,$(INSTALL_CHECK_APT_PKGS))

# The converted face models, from vision/models.mk when it is there.
deb-models:
	@if [ -f vision/models.mk ]; then \
		$(MAKE) --no-print-directory -f vision/models.mk models; \
	else \
		echo "deploy: vision/models.mk not found: packaging whatever is in $(DEB_MODELS)"; \
	fi

deb-amd64: deploy-deps deb-models
	@mkdir -p $(DEB_BUILD)/amd64
	@start=$$(date +%s); \
	for c in $(DEB_CMDS); do \
		CGO_ENABLED=1 GOOS=linux GOARCH=amd64 $(DEPLOY_GO) build $(DEB_GOFLAGS) -o $(DEB_BUILD)/amd64/$$c ./cmd/$$c || exit 1; \
	done; \
	deb=$$(deploy/deb/build-deb.sh amd64 $(DEB_VERSION) $(DEB_BUILD)/amd64 $(DEB_MODELS) $(DEB_OUT)) || exit 1; \
	echo "deploy: $$deb ($$(du -h $$deb | cut -f1)) in $$(( $$(date +%s) - start ))s"

# The sysroot is rebuilt only when its script changes; delete the
# directory to refresh it from the archive.
$(SYSROOT_ARM64)/.packages: deploy/cross/sysroot-arm64.sh | cross-deps
	deploy/cross/sysroot-arm64.sh $(SYSROOT_ARM64) $(APT_ARM64)

sysroot-arm64: $(SYSROOT_ARM64)/.packages

deb-arm64: cross-deps deb-models $(SYSROOT_ARM64)/.packages
	@mkdir -p $(DEB_BUILD)/arm64
	@start=$$(date +%s); \
	for c in $(DEB_CMDS); do \
		$(ARM64_ENV) $(DEPLOY_GO) build $(DEB_GOFLAGS) -o $(DEB_BUILD)/arm64/$$c ./cmd/$$c || exit 1; \
	done; \
	deb=$$(deploy/deb/build-deb.sh arm64 $(DEB_VERSION) $(DEB_BUILD)/arm64 $(DEB_MODELS) $(DEB_OUT) $(SYSROOT_ARM64)/.soindex) || exit 1; \
	echo "deploy: $$deb ($$(du -h $$deb | cut -f1)) in $$(( $$(date +%s) - start ))s"

# The arm64 package's own binaries, run under qemu with the sysroot as their
# root: version, the example configuration and the packaged one, a short
# simulated lane (daemon, state machine, SQLite through cgo; at real speed,
# about 45s: faster scaled time misfires under emulation), and cvprobe
# (gocv linked against the sysroot's OpenCV) reading and running every
# packaged face model.
qemu-check: deb-arm64
	@command -v qemu-aarch64-static >/dev/null || { echo "qemu-check: qemu-aarch64-static missing (apt-get install qemu-user-static)"; exit 1; }
	@rm -rf $(QEMU_TMP) && mkdir -p $(QEMU_TMP)/root $(QEMU_TMP)/state
	dpkg-deb -x $(DEB_OUT)/egate_$(DEB_VERSION)_arm64.deb $(QEMU_TMP)/root
	$(ARM64_ENV) $(DEPLOY_GO) build -trimpath -mod=readonly -o $(QEMU_TMP)/cvprobe ./deploy/cvprobe
	@start=$$(date +%s); set -e; \
	r=$(QEMU_TMP)/root; \
	out=$$($(QEMU_ARM64) $$r/usr/bin/egated --version); echo "$$out"; \
	case "$$out" in *"$(DEB_VERSION)"*) ;; *) echo "qemu-check: version is not $(DEB_VERSION)"; exit 1;; esac; \
	$(QEMU_ARM64) $$r/usr/bin/egated --check-config deploy/config/egate.yaml; \
	$(QEMU_ARM64) $$r/usr/bin/egated --check-config $$r/etc/egate/egate.yaml; \
	$(QEMU_ARM64) $$r/usr/bin/egatectl config check $$r/etc/egate/egate.yaml; \
	$(QEMU_ARM64) $$r/usr/bin/egated --config deploy/sim/egate-one-step.yaml \
		--scenario deploy/sim/scenario-one-step.yaml --speed 1 \
		--state-dir $(QEMU_TMP)/state --log-file $(QEMU_TMP)/state/egated.log; \
	(cd $$r/usr/share/egate/models && sha256sum --check --strict --quiet SHA256SUMS); \
	$(QEMU_ARM64) $(QEMU_TMP)/cvprobe $$r/usr/share/egate/models/*.onnx; \
	echo "qemu-check: ok in $$(( $$(date +%s) - start ))s"

# The maintainer scripts and conffile handling, for real, in a chroot made
# once with debootstrap (.cache/chroot-bookworm-amd64, about 200 MiB, plus
# the package's dependencies, kept in .cache/chroot-bookworm-amd64-archives).
deb-install-check: deb-amd64 install-check-deps
	deploy/deb/install-check.sh $(DEB_OUT)/egate_$(DEB_VERSION)_amd64.deb

# Light tests of deploy/ (systemd unit, udev rules, broker ACL) and the
# time sync check.
deploy-test: deploy-test-deps
	$(DEPLOY_GO) test -count=1 ./deploy/... ./cmd/internal/timesync/...

deploy-clean:
	rm -rf $(DEB_OUT) $(DEB_BUILD) $(SYSROOT_ARM64) $(SYSROOT_ARM64).tmp $(APT_ARM64) .cache/chroot-bookworm-*
