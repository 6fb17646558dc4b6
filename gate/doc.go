// Package gate is the lane's brain: a pure state machine and decision policy
// for a self-service border e-gate lane.
//
// # Who may import it
//
// Everyone. gate itself imports only the standard library: no I/O, no cgo,
// no goroutines, no clock. Device drivers (sensors/), face comparison
// (vision/), the SQLite store (gate/store) and MQTT (mqtt/) are edges that
// the daemon wires to it; gate never imports them.
//
// # Model
//
// The daemon feeds the Machine events (beams, door positions, the emergency
// input, device faults, document and face results, authorised commands and
// clock ticks) together with the current time, and the Machine answers with
// actions (door commands, indications for the traveller, alarms, requests
// for the face step, decisions). Time is injected: the Machine never reads a
// clock, so tests drive it through hours of lane time in microseconds.
//
// A two-step lane has an entry door, a mantrap and an exit door: the
// traveller presents the document outside the entry door, steps into the
// mantrap, is verified there with the entry door closed behind them, and
// leaves through the exit door. A one-step lane has only the exit door: the
// traveller stands in the verification zone in front of it.
//
// # Safety rules (tested by table tests and by a randomised invariant test)
//
//   - R1: the exit door is commanded open in normal operation only after an
//     accept decision, with exactly one person in the mantrap and (two-step)
//     the entry door confirmed closed.
//   - R2: the emergency input opens every door at once and keeps them open
//     until an authorised clear while the input is inactive. A broken
//     emergency wire reads as active (fail-safe; see sensors.Emergency).
//   - R3: a door that does not reach its commanded position within
//     Timeouts.DoorMove, or leaves its position uncommanded (forced), raises
//     an alarm; a device fault puts the lane out of service with the doors in
//     the configured safe state.
//   - R4: tailgating (a second body), wrong-way entry and an object left in
//     the mantrap raise alarms and never let anyone through.
//   - R5: every waiting state has a deadline that leads towards a safe state;
//     the operator modes (maintenance, out of service, locked, emergency) are
//     left by commands. No state is a dead end.
package gate
