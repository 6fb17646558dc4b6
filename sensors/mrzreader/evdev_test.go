package mrzreader

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"os"
	"testing"
	"time"
)

// ev encodes one input_event as the kernel writes it on this platform.
func ev(typ, code uint16, value int32) []byte {
	b := make([]byte, eventSize)
	t := eventSize - 8
	binary.NativeEndian.PutUint16(b[t:], typ)
	binary.NativeEndian.PutUint16(b[t+2:], code)
	binary.NativeEndian.PutUint32(b[t+4:], uint32(value))
	return b
}

// usKeys is the reverse of keys for the characters a wedge types.
var usKeys = func() map[byte]struct {
	code  uint16
	shift bool
} {
	m := map[byte]struct {
		code  uint16
		shift bool
	}{}
	for code, c := range keys {
		if code == 86 || code >= 71 && code <= 82 || code == keyKPEnter {
			continue // prefer the main block; the ISO and keypad keys are tested apart
		}
		if _, ok := m[c[0]]; !ok {
			m[c[0]] = struct {
				code  uint16
				shift bool
			}{code, false}
		}
		if _, ok := m[c[1]]; !ok && c[1] != c[0] {
			m[c[1]] = struct {
				code  uint16
				shift bool
			}{code, true}
		}
	}
	return m
}()

// typeText is what a wedge sends for s: Shift down and up around shifted
// characters, a SYN report after each key, like a real keyboard.
func typeText(t *testing.T, s string) []byte {
	var b bytes.Buffer
	for i := 0; i < len(s); i++ {
		k, ok := usKeys[s[i]]
		if !ok {
			t.Fatalf("no key for %q", s[i])
		}
		if k.shift {
			b.Write(ev(evKey, keyLeftShift, 1))
		}
		b.Write(ev(4, 4, 458756)) // EV_MSC MSC_SCAN: ignored
		b.Write(ev(evKey, k.code, 1))
		b.Write(ev(0, 0, 0))
		b.Write(ev(evKey, k.code, 0))
		if k.shift {
			b.Write(ev(evKey, keyLeftShift, 0))
		}
		b.Write(ev(0, 0, 0))
	}
	return b.Bytes()
}

func readAllKeys(t *testing.T, in []byte, chunk int) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for len(in) > 0 {
			n := min(chunk, len(in))
			w.Write(in[:n])
			in = in[n:]
		}
		w.Close()
	}()
	k := newKeyReader(r)
	defer k.Close()
	out, err := io.ReadAll(k)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func TestKeyReader(t *testing.T) {
	zone := td3
	for _, tc := range []struct {
		name  string
		in    []byte
		chunk int
		want  string
	}{
		{"a TD3 zone typed with Shift", typeText(t, zone), 1 << 20, zone},
		{"split mid-event", typeText(t, zone), 5, zone},
		{"lower case without Shift", typeText(t, "p<uto"), 64, "p<uto"},
		{"Caps Lock: letters upper, digits unchanged, Shift inverts it", bytes.Join([][]byte{
			ev(evKey, keyCapsLock, 1), ev(evKey, keyCapsLock, 0), typeText(t, "p1"),
			ev(evKey, keyRightShft, 1), typeText(t, "a"), ev(evKey, keyRightShft, 0),
		}, nil), 64, "P1a"},
		{"ISO key and keypad", bytes.Join([][]byte{
			ev(evKey, 86, 1), ev(evKey, 86, 0), ev(evKey, 82, 1), ev(evKey, 79, 1), ev(evKey, keyKPEnter, 1),
		}, nil), 64, "<01\r"},
		{"autorepeat types again, Shift repeat changes nothing", bytes.Join([][]byte{
			ev(evKey, keyLeftShift, 1), ev(evKey, keyLeftShift, 2), ev(evKey, 30, 1), ev(evKey, 30, 2), ev(evKey, keyLeftShift, 0), ev(evKey, 30, 1),
		}, nil), 64, "AAa"},
		{"unknown keys and event types ignored", bytes.Join([][]byte{ev(evKey, 1, 1), ev(2, 0, 5), ev(evKey, 500, 1)}, nil), 64, ""},
		{"trailing partial event dropped", append(typeText(t, "P"), ev(evKey, 30, 1)[:eventSize-1]...), 64, "P"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := readAllKeys(t, tc.in, tc.chunk); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// A wedge on a (fake) evdev node through a Device: frames end by geometry.
func TestEvdevDevice(t *testing.T) {
	checkNoLeak(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	open := func() (io.ReadCloser, error) { return newKeyReader(r), nil }
	d, err := NewDevice(context.Background(), "wedge", open, deviceOpts(nil, func(o *Opts) {
		o.FrameEnd = EndGeometry
		o.FrameTimeout = 100 * time.Millisecond
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Halt()
	// A partial zone times out through the key reader's deadline.
	w.Write(typeText(t, td1[:40]))
	if rd := nextDoc(t, d); rd.Err == nil {
		t.Fatalf("partial zone: %+v", rd.Doc)
	}
	w.Write(typeText(t, td1))
	if rd := nextDoc(t, d); rd.Err != nil || rd.Doc.Number != "D23145890" {
		t.Fatalf("wedge: %+v %v", rd.Doc, rd.Err)
	}
}

// FuzzKeyReader: any byte stream from an event device translates without
// panic into characters a wedge can type.
func FuzzKeyReader(f *testing.F) {
	f.Add(bytes.Join([][]byte{ev(evKey, keyLeftShift, 1), ev(evKey, 25, 1), ev(evKey, keyEnter, 1)}, nil), uint8(7))
	f.Add([]byte{1, 2, 3}, uint8(1))
	allowed := map[byte]bool{}
	for _, c := range keys {
		allowed[c[0]], allowed[c[1]] = true, true
	}
	f.Fuzz(func(t *testing.T, in []byte, chunk uint8) {
		src := &chunked{data: in, n: int(chunk%32) + 1}
		out, err := io.ReadAll(newKeyReader(src))
		if err != nil {
			t.Fatal(err)
		}
		if len(out) > len(in)/eventSize {
			t.Fatalf("%d characters from %d events", len(out), len(in)/eventSize)
		}
		for _, c := range out {
			if !allowed[c] {
				t.Fatalf("typed %q", c)
			}
		}
	})
}

// chunked reads data n bytes at a time.
type chunked struct {
	data []byte
	n    int
}

func (c *chunked) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), c.n)], c.data)
	c.data = c.data[n:]
	return n, nil
}

func (c *chunked) Close() error { return nil }
