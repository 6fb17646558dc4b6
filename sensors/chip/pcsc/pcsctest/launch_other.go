//go:build !linux

package pcsctest

import "fmt"

// Launch reports ErrUnavailable: the rig needs Linux (pcscd with the vpcd
// driver, mount namespaces).
func Launch() (*Daemon, error) {
	return nil, fmt.Errorf("%w: needs Linux", ErrUnavailable)
}
