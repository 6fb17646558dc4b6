package chiptest

import (
	"net"
	"syscall"
)

// quickAck turns off delayed ACKs for the next read. vpcd writes a length
// and then the APDU in two sends; with Nagle on its side and delayed ACK on
// ours every exchange would wait about 40 ms.
func quickAck(c net.Conn) {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return
	}
	tc.SetNoDelay(true)
	raw, err := tc.SyscallConn()
	if err != nil {
		return
	}
	raw.Control(func(fd uintptr) {
		syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_QUICKACK, 1)
	})
}
