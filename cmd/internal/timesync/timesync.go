// Package timesync tells whether the system clock is synchronised, so that
// the daemon can mark audit records stamped with an unsynchronised clock.
//
// A Raspberry Pi has no real-time clock. It boots with the time
// fake-hwclock saved at the last shutdown (hours or months behind) until
// systemd-timesyncd, chrony or ntpsec reaches a time server, which an
// airport network may never allow. A lane must still open safely, so the
// daemon does not wait for synchronisation indefinitely: it may wait a
// bounded time at start-up (Watcher.Wait), then runs, and stamps every
// record with Watcher.Synced() at the moment of the record.
//
// # How synchronisation is detected
//
// The kernel's NTP state, read with adjtimex(2) in read-only mode (modes 0),
// is the source of truth for every NTP client: the clock counts as
// synchronised while the kernel's maximum error estimate is below 16 s,
// exactly the test `timedatectl` uses for "System clock synchronized"
// (systemd src/basic/time-util.c, ntp_synced). When adjtimex(2) is not
// allowed (a seccomp filter such as systemd's ProtectClock=), the marker
// file /run/systemd/timesync/synchronized that systemd-timesyncd writes
// after its first synchronisation is used instead. A clock earlier than
// NotBefore (for example the build date) is never synchronised.
//
// # Imports
//
// Standard library only; cmd/ packages may import it. It reads no clock of
// its own beyond the Now function it is given.
package timesync

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// State is the result of one check.
type State int

const (
	// Unknown: neither the kernel nor timesyncd could be asked.
	Unknown State = iota
	// Synced: an NTP client has disciplined the clock recently.
	Synced
	// Unsynced: the clock may be off by any amount.
	Unsynced
)

func (s State) String() string {
	switch s {
	case Synced:
		return "synced"
	case Unsynced:
		return "unsynced"
	}
	return "unknown"
}

// Status is what a check found.
type Status struct {
	State State
	// Source is how it was decided: "adjtimex", "timesyncd" or "not-before".
	Source string
	// MaxError is the kernel's maximum error estimate (adjtimex only).
	MaxError time.Duration
	// Reason says why the clock is not synced, for the log.
	Reason string
}

// Kernel is the read-only part of adjtimex(2) the check needs.
type Kernel struct {
	MaxError time.Duration // timex.maxerror
	Unsync   bool          // STA_UNSYNC in timex.status
	TimeErr  bool          // the call returned TIME_ERROR
}

// UnsyncedMaxError is the kernel's NTP_PHASE_LIMIT: at or above this maximum
// error the clock is unsynchronised (include/linux/timex.h, and systemd's
// ntp_synced).
const UnsyncedMaxError = 16 * time.Second

// ErrUnsupported is wrapped when this platform has no adjtimex(2).
var ErrUnsupported = errors.New("timesync: adjtimex not supported on this platform")

// Checker checks the clock. The zero value checks the real system.
type Checker struct {
	// Adjtimex reads the kernel state; nil means adjtimex(2).
	Adjtimex func() (Kernel, error)
	// RunDir is the root of the timesyncd marker; "" means "/run".
	RunDir string
	// NotBefore: a clock earlier than this is never synced (zero: no floor).
	NotBefore time.Time
	// Now reads the clock for NotBefore; nil means time.Now.
	Now func() time.Time
}

// Check reports whether the clock is synchronised now.
func (c *Checker) Check() Status {
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	if !c.NotBefore.IsZero() && now().Before(c.NotBefore) {
		return Status{State: Unsynced, Source: "not-before",
			Reason: fmt.Sprintf("clock %s is before %s", now().UTC().Format(time.RFC3339), c.NotBefore.UTC().Format(time.RFC3339))}
	}
	adj := c.Adjtimex
	if adj == nil {
		adj = adjtimex
	}
	k, err := adj()
	if err == nil {
		st := Status{State: Synced, Source: "adjtimex", MaxError: k.MaxError}
		if k.MaxError >= UnsyncedMaxError {
			st.State = Unsynced
			st.Reason = fmt.Sprintf("kernel maximum error %s (no NTP client has disciplined the clock)", k.MaxError)
		}
		return st
	}
	// adjtimex(2) refused (seccomp, non-Linux): ask systemd-timesyncd.
	run := c.RunDir
	if run == "" {
		run = "/run"
	}
	marker := filepath.Join(run, "systemd", "timesync", "synchronized")
	if _, serr := os.Stat(marker); serr == nil {
		return Status{State: Synced, Source: "timesyncd"}
	} else if !errors.Is(serr, os.ErrNotExist) {
		return Status{State: Unknown, Reason: fmt.Sprintf("timesync: %v; %v", err, serr)}
	}
	return Status{State: Unsynced, Source: "timesyncd",
		Reason: fmt.Sprintf("%v, and %s does not exist (timesyncd has not synchronised)", err, marker)}
}
