//go:build linux

package mrzreader

import (
	"io"
	"os"
)

// openStdin opens /dev/stdin anew: a tty or pipe opened by name is
// registered with the runtime's poller, so Close interrupts a blocked
// Read and deadlines work, and fd 0 keeps its flags.
func openStdin() io.ReadCloser {
	if f, err := os.Open("/dev/stdin"); err == nil {
		return f
	}
	return io.NopCloser(os.Stdin)
}
