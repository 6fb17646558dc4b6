// Package chiptest holds the hand-written fakes of the eMRTD chip stack:
//
//   - Playback and Record: record/playback of APDU exchanges, failing on a
//     command that differs from the recording and, at Close, on exchanges
//     left unconsumed.
//   - Passport: a simulated eMRTD applet (LDS1) that answers SELECT, GET
//     CHALLENGE, EXTERNAL AUTHENTICATE (BAC), MSE:Set AT and GENERAL
//     AUTHENTICATE (PACE with generic, integrated and chip authentication
//     mapping; chip authentication), INTERNAL AUTHENTICATE (active
//     authentication) and READ BINARY (even and odd) with secure messaging,
//     serving files the test builds (EF.CardAccess and EF.CardSecurity in
//     the master file). It also backs the daemon's simulated lane.
//   - NewDocument: builds EF.COM, DG1, DG2, DG14, DG15, EF.CardSecurity and
//     an EF.SOD signed by a document signer under a CSCA made at test time.
//
// Who may import it: tests, the simulated lane, and smoke tests. Never the
// gate decision code.
package chiptest
