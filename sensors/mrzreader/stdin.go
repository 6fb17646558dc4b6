package mrzreader

import (
	"context"
	"fmt"
	"io"
	"sync/atomic"
)

// Stdin is the Opener of a keyboard-wedge reader typing into this
// process's standard input (a console, or a pipe in tests). It is one
// shot: at end of input the Device stops with an error wrapping ErrGone.
// On Linux stdin is reopened through /dev/stdin, so Halt interrupts a
// pending read and the terminal's own file stays untouched; elsewhere, or
// when that fails (a socket), os.Stdin is read directly and Halt returns
// only once a read ends. A console delivers lines as Enter is pressed, so
// use FrameEnd EndGeometry unless the reader types a blank line.
func Stdin() Opener {
	var used atomic.Bool
	return func() (io.ReadCloser, error) {
		if used.Swap(true) {
			return nil, fmt.Errorf("mrzreader: stdin: end of input: %w", ErrGone)
		}
		return openStdin(), nil
	}
}

// OpenStdin starts a Device on the keyboard wedge at stdin (see Stdin).
func OpenStdin(ctx context.Context, o *Opts) (*Device, error) {
	return NewDevice(ctx, "stdin", Stdin(), o)
}
