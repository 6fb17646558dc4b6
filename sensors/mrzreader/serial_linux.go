//go:build linux

package mrzreader

import (
	"fmt"
	"os"
	"syscall"
	"unsafe"
)

// cbaud is the Linux CBAUD mask (asm-generic termbits, as on amd64, arm and
// arm64); the syscall package does not export it.
const cbaud = 0o10017

var baudFlags = map[int]uint32{
	1200: syscall.B1200, 2400: syscall.B2400, 4800: syscall.B4800, 9600: syscall.B9600,
	19200: syscall.B19200, 38400: syscall.B38400, 57600: syscall.B57600,
	115200: syscall.B115200, 230400: syscall.B230400,
}

func ioctl(fd uintptr, req uintptr, arg unsafe.Pointer) error {
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, fd, req, uintptr(arg)); e != 0 {
		return e
	}
	return nil
}

// openSerial opens a tty and sets raw 8N1 at baud: no echo, no line
// editing, no CR/LF translation (the framer sees the reader's bytes as
// sent), reads returning as soon as a byte is there.
func openSerial(path string, baud int) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|syscall.O_NOCTTY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("mrzreader: %w", err) // the PathError names the device
	}
	if err := makeRaw(f, baud); err != nil {
		f.Close()
		return nil, fmt.Errorf("mrzreader: configure %s: %w", path, err)
	}
	return f, nil
}

func makeRaw(f *os.File, baud int) error {
	sc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ierr error
	err = sc.Control(func(fd uintptr) {
		var t syscall.Termios
		if ierr = ioctl(fd, syscall.TCGETS, unsafe.Pointer(&t)); ierr != nil {
			return
		}
		// cfmakeraw(3).
		t.Iflag &^= syscall.IGNBRK | syscall.BRKINT | syscall.PARMRK | syscall.ISTRIP |
			syscall.INLCR | syscall.IGNCR | syscall.ICRNL | syscall.IXON
		t.Oflag &^= syscall.OPOST
		t.Lflag &^= syscall.ECHO | syscall.ECHONL | syscall.ICANON | syscall.ISIG | syscall.IEXTEN
		t.Cflag &^= syscall.CSIZE | syscall.PARENB | cbaud
		t.Cflag |= syscall.CS8 | syscall.CREAD | syscall.CLOCAL | baudFlags[baud]
		t.Ispeed, t.Ospeed = baudFlags[baud], baudFlags[baud]
		t.Cc[syscall.VMIN], t.Cc[syscall.VTIME] = 1, 0
		ierr = ioctl(fd, syscall.TCSETS, unsafe.Pointer(&t))
	})
	if err != nil {
		return err
	}
	return ierr
}
