package timesync

import (
	"fmt"
	"syscall"
	"time"
)

// Linux constants from include/uapi/linux/timex.h.
const (
	staUnsync = 0x0040 // STA_UNSYNC
	timeError = 5      // TIME_ERROR, adjtimex's return when unsynchronised
)

// adjtimex reads the kernel's NTP state without changing it (modes 0 needs
// no privilege and no CAP_SYS_TIME).
func adjtimex() (Kernel, error) {
	var tx syscall.Timex
	state, err := syscall.Adjtimex(&tx)
	if err != nil {
		return Kernel{}, fmt.Errorf("timesync: adjtimex: %w", err)
	}
	return Kernel{
		MaxError: time.Duration(int64(tx.Maxerror)) * time.Microsecond,
		Unsync:   tx.Status&staUnsync != 0,
		TimeErr:  state == timeError,
	}, nil
}
