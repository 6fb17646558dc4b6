# MQTT targets (issue 7). Included by the top-level Makefile after APT_PKGS:
#
#   make test-mqtt    the MQTT and store tests against a real mosquitto, with -race
#   make bench-mqtt   outbox append and drain rates (msgs/s), QoS 1 to a local mosquitto
#   make fuzz-mqtt    fuzz the command envelope parser (FUZZTIME, default 60s)
#
# make test and make bench cover the same tests and benchmarks as part of
# ./...; these targets run only this part. The tests start mosquitto
# themselves on a free loopback port (mosquitto is in APT_PKGS); the signing
# recipe test uses the openssl command line.

APT_PKGS += openssl
FUZZTIME ?= 60s

.PHONY: test-mqtt bench-mqtt fuzz-mqtt

test-mqtt: deps
	$(GO) test -race -count=1 -timeout 10m ./mqtt/... ./gate/store/...

bench-mqtt: deps
	$(GO) test -run '^$$' -bench 'Outbox' -benchmem ./mqtt/

fuzz-mqtt: go-deps
	$(GO) test -run '^$$' -fuzz '^FuzzVerify$$' -fuzztime $(FUZZTIME) ./mqtt/
