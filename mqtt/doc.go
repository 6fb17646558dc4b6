// Package mqtt connects one lane to the control room through an MQTT 3.1.1
// broker: telemetry and alarms out through a durable outbox, signed
// commands in.
//
// # Who may import it
//
// cmd/ (the daemon wires it: New, SetLane once the daemon exists, Run; the
// *Client is the daemon's Telemetry). The gate state machine never does: the lane is
// reached through the small interfaces declared here (LaneCommander,
// StatusSource, WatchlistApplier, ConfigReloader), which *daemon.Daemon and
// the watchlist satisfy. mqtt imports gate/store for the outbox and the
// nonces, and through it go-sqlite3 (cgo); see STYLE.md, "Keeping cgo
// contained": if mqtt has to become cgo-free, the store calls are all in
// outbox.go and client.go behind (*Client).st and can move behind an
// interface.
//
// # Topics
//
// Everything lives under <topic_root>/<site>/<lane>/ (topic_root defaults to
// egate/v1). The AsyncAPI document asyncapi.yaml in this directory is the
// reference; a test checks real published messages against it.
//
//	connection  retained, QoS 1: birth on connect, last will "offline"
//	status      retained, QoS 1: mode, state, doors, faults, versions
//	heartbeat   QoS 0, every heartbeat interval
//	event       QoS 1 via the outbox: passages (decisions), state changes, command results
//	alarm       QoS 1 via the outbox
//	metrics     QoS 1 via the outbox, periodic (dropped first when full)
//	cmd/<name>  inbound signed commands (subscribed as cmd/+)
//	cmd/ack     QoS 1 via the outbox: one per inbound command, with the reason
//
// # Delivery
//
// Publish commits the message to SQLite (same file as the lane records,
// synchronous=FULL) and returns; a drainer publishes the outbox in sequence
// order with QoS 1 and deletes a row only when its PUBACK has arrived
// (the paho token completed without error). Any failed publish drops the
// connection, and the next connection drains again from the oldest row, so
// a subscriber sees every message, first deliveries in order, with
// duplicates only as re-deliveries of the same id (QoS 1 is at least once).
// The outbox is bounded (Opts.Outbox.Max): metrics go first, then state
// events and rejected-command acks; decisions, alarms and command outcomes
// are never dropped. An "outbox_near_full" alarm is raised at 80% of the
// bound and cleared below 60%.
//
// # Connection
//
// One paho client per connection, CleanSession true and paho's own
// reconnect off: our loop reconnects with capped exponential backoff and
// jitter, trying the brokers in order (failover), resubscribes and
// publishes the birth after every connect, and only then drains the outbox. TLS with client certificates is
// read from files; the client certificate is re-read on each handshake so
// it can be rotated without a restart. Paho callbacks only hand work to
// channels; no paho token is waited on without also watching a context.
// Retransmission after a reconnect is the outbox's, not paho's: with a
// clean session the broker keeps no state for us ([MQTT-3.1.2-6]), and paho
// fails the tokens of unacknowledged publishes when the connection drops.
//
// # Commands
//
// A command is a JSON envelope {"v":1,"key":ID,"body":BASE64,"sig":BASE64}
// where sig is Ed25519 over the body bytes exactly, by a key configured in
// Opts.Commands.Keys. The body names the site, lane and command, carries a
// nonce, an issue time and an expiry. Nonces are committed to SQLite before
// the command runs. Every command gets an ack on cmd/ack and an audit row
// (lane_events, kind "command"); a rejected command never reaches the lane.
// See command.go and README-section.md.
//
// # Personal data
//
// None is published. Event fields are copied through an allow-list per kind
// (for passages: number, outcome, reasons, alarms, exit, document type,
// policy, time in lane; never names, document numbers or their HMACs,
// nationality or age), and strings that look like digests are redacted.
//
// # Not built
//
// Sparkplug B output (optional in issue 7).
package mqtt
