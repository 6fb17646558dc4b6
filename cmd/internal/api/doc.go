// Package api is egated's local HTTP API: lane status, recent events and
// decisions, counters, self-test and maintenance actions for technicians
// (and egatectl), the technician's status page, the traveller's kiosk page,
// and Prometheus metrics on /metrics.
//
// # Who may import it
//
// cmd/ only: egated wires it (see README-section.md, "Wiring"). It reaches
// the lane through the small Lane and Records interfaces, which
// *daemon.Daemon and *store.Store satisfy, and never imports the gate
// state machine's internals. egatectl imports only the wire contract in
// apiclient, which has no cgo and no Prometheus.
//
// # Access
//
// The API listens on loopback (127.0.0.1:8787 by default). Every /api/v1
// endpoint and /metrics need the bearer token that egated keeps in its
// state directory (api.token, created 0600 at first start; a token file
// readable by others is refused). The status page signs in with the same
// token and keeps it in an HttpOnly, SameSite=Strict cookie; changes made
// with the cookie also need the X-Egate-Request header, which a cross-site
// page cannot send without a CORS preflight we never grant. Requests whose
// Host is not an IP address, localhost or a configured name are refused,
// which stops DNS rebinding. The kiosk page and /kiosk/state are open: they
// show what the lane's screen shows anyway.
//
// # Personal data
//
// None leaves through the API: the status, events and decisions carry no
// names, document numbers or their HMACs, nationality, issuing state, age
// band or face score (decisionView drops them; a test checks).
//
// # Live updates
//
// Pages and egatectl long-poll: GET /api/v1/status?have=KEY&wait=25s (and
// /kiosk/state, /api/v1/events?after=ID&wait=25s) answers at once when the
// view changed, else when it changes or the wait ends. The Hub, installed
// as the daemon's Telemetry and Display, wakes them immediately.
//
// # Maintenance
//
// Door moves, door cycles, and pictogram and buzzer tests run only in
// maintenance mode: the state machine refuses gate.CmdMaintenanceDoor in
// any other state, and the API checks the mode before a signal test. The
// signal tests go through the Hub's Tap, which yields to the daemon: any
// indication the daemon makes during a test (an emergency) wins at once.
//
// # Metrics
//
// The Hub counts from the daemon's telemetry stream (decisions by result
// and reason, passage and step durations, alarms, faults, commands, lane
// state), the Tap counts door cycles, a collector samples doors, beams,
// emergency and faults at scrape time, and the outbox depth and watchlist
// age come through functions (SetOutboxDepth, SetWatchlistAge).
package api
