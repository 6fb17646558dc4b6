//go:build !linux

package timesync

// adjtimex is Linux-only; elsewhere the timesyncd marker decides (and is
// normally absent, so the clock counts as unsynced).
func adjtimex() (Kernel, error) { return Kernel{}, ErrUnsupported }
