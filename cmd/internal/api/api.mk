# Local API, status and kiosk pages, Prometheus metrics, egatectl status,
# events, selftest, maintenance and fleet (issue 8). Included by the
# top-level Makefile after APT_PKGS:
#
#   make test-api      the API, page and egatectl tests (headless Chromium,
#                      a simulated lane, mosquitto)
#   make screenshots   the page tests, keeping their screenshots in
#                      .cache/screenshots (look at them)
#
# make test covers the same tests as part of ./... . The page tests drive
# Debian's chromium headless (no sandbox, no network); without it they
# skip, except under CI, where they fail.

APT_PKGS += chromium fonts-dejavu-core

.PHONY: test-api screenshots

test-api: deps
	$(GO) test -count=1 -timeout 10m ./cmd/internal/api/... ./cmd/egatectl/

screenshots: deps
	@mkdir -p .cache/screenshots
	EGATE_SCREENSHOTS=$(CURDIR)/.cache/screenshots $(GO) test -count=1 -run 'Browser|DumpDOM' ./cmd/internal/api/
	@ls -1 .cache/screenshots
