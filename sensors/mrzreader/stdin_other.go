//go:build !linux

package mrzreader

import (
	"io"
	"os"
)

func openStdin() io.ReadCloser { return io.NopCloser(os.Stdin) }
