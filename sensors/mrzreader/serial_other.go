//go:build !linux

package mrzreader

import "os"

func openSerial(path string, baud int) (*os.File, error) { return nil, ErrUnsupported }
