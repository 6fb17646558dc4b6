//go:build linux

package mrzreader

import (
	"fmt"
	"io"
	"os"
	"syscall"
)

// eviocgrab is EVIOCGRAB, _IOW('E', 0x90, int) (linux/input.h).
const eviocgrab = 0x40044590

func openEvdev(path string) (io.ReadCloser, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("mrzreader: %w", err) // the PathError names the device
	}
	sc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, err
	}
	var gerr error
	if err := sc.Control(func(fd uintptr) {
		if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, fd, eviocgrab, 1); e != 0 {
			gerr = e
		}
	}); err != nil {
		gerr = err
	}
	if gerr != nil {
		f.Close()
		return nil, fmt.Errorf("mrzreader: grab %s (is it an evdev keyboard, and not grabbed by another program?): %w", path, gerr)
	}
	return newKeyReader(f), nil
}
