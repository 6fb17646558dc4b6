package chiptest

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/egate/egate/sensors/chip"
)

// ATRT1 is a minimal answer-to-reset announcing T=1 (3B 80 80 01 01).
var ATRT1 = []byte{0x3B, 0x80, 0x80, 0x01, 0x01}

// Resetter is implemented by simulated cards that lose their session on a
// reset or power cycle.
type Resetter interface{ Reset() }

// Reset drops the chip's session and selection, as a power cycle does.
func (p *Passport) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.session, p.appSel, p.selected, p.rndIC, p.next, p.caAlg = nil, false, nil, nil, nil, 0
}

// ServeVPCD connects card to the vsmartcard virtual reader driver (vpcd)
// of a pcscd listening on addr (host:port), acting as the virtual ICC, so
// that APDUs travel the real PC/SC stack. The vpcd protocol: each message
// is a two-byte big-endian length and a payload; a one-byte payload is a
// control code (00 power off, 01 power on, 02 reset, 04 get ATR), anything
// longer is a command APDU answered with the response APDU.
//
// It returns when ctx ends, when vpcd closes the connection, or when the
// card returns chip.ErrCardRemoved, in which case it closes the connection
// so that pcscd sees the card leave (the return value is then
// chip.ErrCardRemoved).
func ServeVPCD(ctx context.Context, addr string, card chip.Transceiver, atr []byte) error {
	var conn net.Conn
	var err error
	d := net.Dialer{Timeout: time.Second}
	for i := 0; ; i++ {
		conn, err = d.DialContext(ctx, "tcp", addr)
		if err == nil {
			break
		}
		if i >= 50 || ctx.Err() != nil {
			return fmt.Errorf("chiptest: connect to vpcd at %s: %w", addr, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	send := func(b []byte) error {
		out := make([]byte, 2+len(b))
		binary.BigEndian.PutUint16(out, uint16(len(b)))
		copy(out[2:], b)
		_, err := conn.Write(out)
		return err
	}
	hdr := make([]byte, 2)
	for {
		quickAck(conn)
		if _, err := io.ReadFull(conn, hdr); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("chiptest: vpcd: %w", err)
		}
		msg := make([]byte, binary.BigEndian.Uint16(hdr))
		quickAck(conn)
		if _, err := io.ReadFull(conn, msg); err != nil {
			return fmt.Errorf("chiptest: vpcd: %w", err)
		}
		if len(msg) == 1 {
			switch msg[0] {
			case 0x00, 0x01, 0x02: // power off, power on, reset
				if r, ok := card.(Resetter); ok {
					r.Reset()
				}
			case 0x04:
				if err := send(atr); err != nil {
					return fmt.Errorf("chiptest: vpcd: %w", err)
				}
			}
			continue
		}
		resp, err := card.Transmit(ctx, msg)
		if errors.Is(err, chip.ErrCardRemoved) {
			return chip.ErrCardRemoved
		}
		if err != nil {
			resp = []byte{0x6F, 0x00}
		}
		if err := send(resp); err != nil {
			return fmt.Errorf("chiptest: vpcd: %w", err)
		}
	}
}
