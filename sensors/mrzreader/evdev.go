package mrzreader

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"syscall"
	"time"
	"unsafe"
)

// Evdev is the Opener of a keyboard-wedge reader seen by Linux as a
// keyboard: an evdev node such as /dev/input/by-id/usb-...-event-kbd (a
// stable link; /dev/input/eventN numbers change on replug). The device is
// grabbed (EVIOCGRAB), so its keystrokes reach no console or other
// program, and its key presses are translated with a US layout into the
// bytes a serial reader would send: letters (upper case with Shift or
// Caps Lock), digits from the top row or the keypad, < from Shift+comma
// or the ISO key left of Z, and Enter as CR. Other keys give their US
// character or nothing. Readers type no blank line after a zone, so use
// FrameEnd EndGeometry. On other platforms it returns ErrUnsupported.
func Evdev(path string) Opener {
	return func() (io.ReadCloser, error) { return openEvdev(path) }
}

// OpenEvdev starts a Device on the keyboard wedge at an evdev node.
func OpenEvdev(ctx context.Context, path string, o *Opts) (*Device, error) {
	return NewDevice(ctx, path, Evdev(path), o)
}

// Linux input event codes (linux/input-event-codes.h).
const (
	evKey        = 1
	keyEnter     = 28
	keyKPEnter   = 96
	keyLeftShift = 42
	keyRightShft = 54
	keyCapsLock  = 58
)

// keys maps key codes to their US characters, unshifted and shifted.
// Letters are listed lower case; Shift xor Caps Lock makes them upper.
var keys = func() map[uint16][2]byte {
	m := map[uint16][2]byte{
		2: {'1', '!'}, 3: {'2', '@'}, 4: {'3', '#'}, 5: {'4', '$'}, 6: {'5', '%'},
		7: {'6', '^'}, 8: {'7', '&'}, 9: {'8', '*'}, 10: {'9', '('}, 11: {'0', ')'},
		12: {'-', '_'}, 13: {'=', '+'}, 15: {'\t', '\t'}, 51: {',', '<'}, 52: {'.', '>'},
		53: {'/', '?'}, 57: {' ', ' '}, 86: {'<', '>'}, // 86: KEY_102ND, the ISO key left of Z
		keyEnter: {'\r', '\r'}, keyKPEnter: {'\r', '\r'},
		71: {'7', '7'}, 72: {'8', '8'}, 73: {'9', '9'}, 75: {'4', '4'}, 76: {'5', '5'},
		77: {'6', '6'}, 79: {'1', '1'}, 80: {'2', '2'}, 81: {'3', '3'}, 82: {'0', '0'},
	}
	for code, rows := range map[uint16]string{16: "qwertyuiop", 30: "asdfghjkl", 44: "zxcvbnm"} {
		for i := 0; i < len(rows); i++ {
			m[code+uint16(i)] = [2]byte{rows[i], rows[i] - 'a' + 'A'}
		}
	}
	return m
}()

// eventSize is sizeof(struct input_event): a struct timeval, then type
// and code (u16) and value (s32). It is 24 bytes on 64-bit Linux and 16
// on 32-bit ARM (Raspberry Pi OS armhf).
var eventSize = int(unsafe.Sizeof(syscall.Timeval{})) + 8

// keyReader turns a stream of input events into typed bytes.
type keyReader struct {
	src     io.ReadCloser
	buf     []byte // whole events read, plus a partial one at the end
	n       int
	out     []byte // translated bytes not yet returned
	shift   [2]bool
	caps    bool
	pending error
}

func newKeyReader(src io.ReadCloser) *keyReader {
	return &keyReader{src: src, buf: make([]byte, 64*eventSize)}
}

func (k *keyReader) Read(p []byte) (int, error) {
	for len(k.out) == 0 {
		if k.pending != nil {
			err := k.pending
			k.pending = nil
			return 0, err
		}
		n, err := k.src.Read(k.buf[k.n:])
		k.n += n
		whole := k.n - k.n%eventSize
		for off := 0; off < whole; off += eventSize {
			k.event(k.buf[off : off+eventSize])
		}
		k.n = copy(k.buf, k.buf[whole:k.n])
		if err != nil {
			if len(k.out) == 0 {
				return 0, err
			}
			k.pending = err
		}
	}
	n := copy(p, k.out)
	k.out = k.out[n:]
	return n, nil
}

func (k *keyReader) event(e []byte) {
	t := len(e) - 8
	typ := binary.NativeEndian.Uint16(e[t:])
	code := binary.NativeEndian.Uint16(e[t+2:])
	value := int32(binary.NativeEndian.Uint32(e[t+4:]))
	if typ != evKey {
		return
	}
	switch code {
	case keyLeftShift, keyRightShft:
		if value != 2 { // 1 press, 0 release, 2 autorepeat
			i := 0
			if code == keyRightShft {
				i = 1
			}
			k.shift[i] = value == 1
		}
		return
	case keyCapsLock:
		if value == 1 {
			k.caps = !k.caps
		}
		return
	}
	if value == 0 {
		return
	}
	c, ok := keys[code]
	if !ok {
		return
	}
	up := k.shift[0] || k.shift[1]
	if c[0] >= 'a' && c[0] <= 'z' && k.caps {
		up = !up
	}
	if up {
		k.out = append(k.out, c[1])
	} else {
		k.out = append(k.out, c[0])
	}
}

// SetReadDeadline passes a deadline to the event device, so that the
// reader's frame timeout works on a wedge too.
func (k *keyReader) SetReadDeadline(t time.Time) error {
	if d, ok := k.src.(deadliner); ok {
		return d.SetReadDeadline(t)
	}
	return errors.ErrUnsupported
}

func (k *keyReader) Close() error { return k.src.Close() }
