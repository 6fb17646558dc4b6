package chip

import (
	"context"
	"errors"
	"fmt"
)

// Transceiver sends one command APDU to a card and returns the response
// APDU, status word included. Implementations return an error for transport
// failures (reader gone, card removed); a status word that is not 90 00 is
// not a transport error and is returned as data.
//
// Secure messaging wraps a Transceiver in another Transceiver
// (sensors/chip/sm), so the file commands below work on plain and protected
// channels alike.
type Transceiver interface {
	Transmit(ctx context.Context, apdu []byte) ([]byte, error)
}

// Errors of the transport and file layer.
var (
	// ErrCardRemoved is returned by transports when the card left the field.
	ErrCardRemoved = errors.New("chip: card removed")
	// ErrBadAPDU means a command or response APDU is not well formed.
	ErrBadAPDU = errors.New("chip: malformed APDU")
	// ErrShortFile means the chip returned fewer bytes than the file's TLV
	// header announced.
	ErrShortFile = errors.New("chip: file shorter than announced")
)

// Limits of ISO/IEC 7816-4 §5.1.
const (
	MaxShortNc    = 255
	MaxShortNe    = 256
	MaxExtendedNc = 65535
	MaxExtendedNe = 65536
)

// Command is a command APDU. Ne is the maximum number of response data bytes
// expected; 0 means no Le field.
type Command struct {
	CLA, INS, P1, P2 byte
	Data             []byte
	Ne               int
	// Extended forces the extended length encoding even when short fits.
	Extended bool
}

// NeedsExtended reports whether the command cannot be encoded short.
func (c Command) NeedsExtended() bool {
	return c.Extended || len(c.Data) > MaxShortNc || c.Ne > MaxShortNe
}

// Bytes encodes the command (ISO/IEC 7816-4 §5.1, cases 1 to 4, short and
// extended).
func (c Command) Bytes() ([]byte, error) {
	if len(c.Data) > MaxExtendedNc {
		return nil, fmt.Errorf("%w: %d data bytes", ErrBadAPDU, len(c.Data))
	}
	if c.Ne < 0 || c.Ne > MaxExtendedNe {
		return nil, fmt.Errorf("%w: Ne %d", ErrBadAPDU, c.Ne)
	}
	out := make([]byte, 0, 4+3+len(c.Data)+3)
	out = append(out, c.CLA, c.INS, c.P1, c.P2)
	ext := c.NeedsExtended()
	nc := len(c.Data)
	if !ext {
		if nc > 0 {
			out = append(out, byte(nc))
			out = append(out, c.Data...)
		}
		if c.Ne > 0 {
			out = append(out, byte(c.Ne)) // 256 encodes as 00
		}
		return out, nil
	}
	if nc > 0 {
		out = append(out, 0, byte(nc>>8), byte(nc))
		out = append(out, c.Data...)
	}
	if c.Ne > 0 {
		if nc == 0 {
			out = append(out, 0)
		}
		out = append(out, byte(c.Ne>>8), byte(c.Ne)) // 65536 encodes as 00 00
	}
	return out, nil
}

// ParseCommand decodes a command APDU. It is the card side of Bytes and is
// used by the simulated chip and the secure-messaging wrapper.
func ParseCommand(b []byte) (Command, error) {
	if len(b) < 4 {
		return Command{}, fmt.Errorf("%w: %d bytes", ErrBadAPDU, len(b))
	}
	c := Command{CLA: b[0], INS: b[1], P1: b[2], P2: b[3]}
	body := b[4:]
	switch {
	case len(body) == 0: // case 1
		return c, nil
	case len(body) == 1: // case 2 short
		c.Ne = int(body[0])
		if c.Ne == 0 {
			c.Ne = 256
		}
		return c, nil
	case body[0] != 0: // case 3 or 4 short
		nc := int(body[0])
		switch len(body) {
		case 1 + nc:
		case 2 + nc:
			c.Ne = int(body[1+nc])
			if c.Ne == 0 {
				c.Ne = 256
			}
		default:
			return Command{}, fmt.Errorf("%w: short Lc %d with %d body bytes", ErrBadAPDU, nc, len(body))
		}
		c.Data = body[1 : 1+nc]
		return c, nil
	}
	// Extended: body[0] == 0 and len(body) >= 2.
	c.Extended = true
	if len(body) == 3 { // case 2 extended
		c.Ne = int(body[1])<<8 | int(body[2])
		if c.Ne == 0 {
			c.Ne = 65536
		}
		return c, nil
	}
	if len(body) < 3 {
		return Command{}, fmt.Errorf("%w: extended body of %d bytes", ErrBadAPDU, len(body))
	}
	nc := int(body[1])<<8 | int(body[2])
	if nc == 0 {
		return Command{}, fmt.Errorf("%w: extended Lc 0", ErrBadAPDU)
	}
	switch len(body) {
	case 3 + nc:
	case 5 + nc:
		c.Ne = int(body[3+nc])<<8 | int(body[4+nc])
		if c.Ne == 0 {
			c.Ne = 65536
		}
	default:
		return Command{}, fmt.Errorf("%w: extended Lc %d with %d body bytes", ErrBadAPDU, nc, len(body))
	}
	c.Data = body[3 : 3+nc]
	return c, nil
}

// Response is a response APDU split into data and status word.
type Response struct {
	Data []byte
	SW   uint16
}

// ParseResponse splits a response APDU. Fewer than two bytes is an error.
func ParseResponse(b []byte) (Response, error) {
	if len(b) < 2 {
		return Response{}, fmt.Errorf("%w: response of %d bytes", ErrBadAPDU, len(b))
	}
	n := len(b) - 2
	return Response{Data: b[:n:n], SW: uint16(b[n])<<8 | uint16(b[n+1])}, nil
}

// Bytes encodes the response as data || SW1 SW2.
func (r Response) Bytes() []byte {
	out := make([]byte, 0, len(r.Data)+2)
	out = append(out, r.Data...)
	return append(out, byte(r.SW>>8), byte(r.SW))
}

// Check returns nil for 90 00 and a *StatusError otherwise.
func (r Response) Check() error {
	if r.SW == SWOK {
		return nil
	}
	return &StatusError{SW: r.SW}
}

// Transmit encodes cmd, sends it, and splits the answer. It follows 61 XX
// (GET RESPONSE) and 6C XX (wrong Le, resend) as ISO/IEC 7816-4 §5.1.3 asks;
// status errors are left for the caller (see Response.Check).
func Transmit(ctx context.Context, t Transceiver, cmd Command) (Response, error) {
	raw, err := cmd.Bytes()
	if err != nil {
		return Response{}, err
	}
	out, err := t.Transmit(ctx, raw)
	if err != nil {
		return Response{}, err
	}
	r, err := ParseResponse(out)
	if err != nil {
		return Response{}, err
	}
	if r.SW>>8 == 0x6C && cmd.CLA&0x0C == 0 {
		cmd.Ne = int(r.SW & 0xFF)
		if cmd.Ne == 0 {
			cmd.Ne = 256
		}
		if raw, err = cmd.Bytes(); err != nil {
			return Response{}, err
		}
		if out, err = t.Transmit(ctx, raw); err != nil {
			return Response{}, err
		}
		if r, err = ParseResponse(out); err != nil {
			return Response{}, err
		}
	}
	data := r.Data
	for i := 0; r.SW>>8 == 0x61; i++ {
		if i > 256 || len(data) > MaxExtendedNe {
			return Response{}, fmt.Errorf("%w: endless GET RESPONSE chain", ErrBadAPDU)
		}
		ne := int(r.SW & 0xFF)
		if ne == 0 {
			ne = 256
		}
		gr, _ := Command{CLA: cmd.CLA & 0x03, INS: 0xC0, Ne: ne}.Bytes()
		if out, err = t.Transmit(ctx, gr); err != nil {
			return Response{}, err
		}
		if r, err = ParseResponse(out); err != nil {
			return Response{}, err
		}
		data = append(data[:len(data):len(data)], r.Data...)
	}
	r.Data = data
	return r, nil
}

// TransmitOK is Transmit followed by Response.Check.
func TransmitOK(ctx context.Context, t Transceiver, cmd Command) ([]byte, error) {
	r, err := Transmit(ctx, t, cmd)
	if err != nil {
		return nil, err
	}
	if err := r.Check(); err != nil {
		return nil, fmt.Errorf("chip: %s: %w", insName(cmd.INS), err)
	}
	return r.Data, nil
}

func insName(ins byte) string {
	switch ins {
	case InsSelect:
		return "SELECT"
	case InsReadBinary, InsReadBinaryOdd:
		return "READ BINARY"
	case InsGetChallenge:
		return "GET CHALLENGE"
	case InsExternalAuthenticate:
		return "EXTERNAL AUTHENTICATE"
	case InsInternalAuthenticate:
		return "INTERNAL AUTHENTICATE"
	case InsManageSecurityEnv:
		return "MSE"
	case InsGeneralAuthenticate:
		return "GENERAL AUTHENTICATE"
	default:
		return fmt.Sprintf("INS %02X", ins)
	}
}

// Instruction bytes used by the eMRTD stack (ISO/IEC 7816-4 §5.4, ICAO 9303
// Part 11 §9.8 and §4).
const (
	InsSelect               = 0xA4
	InsReadBinary           = 0xB0
	InsReadBinaryOdd        = 0xB1
	InsGetChallenge         = 0x84
	InsExternalAuthenticate = 0x82
	InsInternalAuthenticate = 0x88
	InsManageSecurityEnv    = 0x22
	InsGeneralAuthenticate  = 0x86
	InsGetResponse          = 0xC0
)
