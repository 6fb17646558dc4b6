//go:build !linux

package mrzreader

import "io"

func openEvdev(path string) (io.ReadCloser, error) { return nil, ErrUnsupported }
