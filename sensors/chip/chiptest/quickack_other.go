//go:build !linux

package chiptest

import "net"

func quickAck(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
}
