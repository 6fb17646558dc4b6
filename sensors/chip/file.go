package chip

import (
	"context"
	"errors"
	"fmt"

	"github.com/egate/egate/sensors/chip/tlv"
)

// AIDeMRTD is the LDS1 eMRTD application identifier (ICAO 9303 Part 10 §3.1.2).
var AIDeMRTD = []byte{0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01}

// File identifiers (ICAO 9303 Part 10 §3.6 and §4.6, Table 38).
const (
	FIDCardAccess   uint16 = 0x011C
	FIDCardSecurity uint16 = 0x011D
	FIDCOM          uint16 = 0x011E
	FIDSOD          uint16 = 0x011D // EF.SOD shares 011D inside the eMRTD application
	FIDDG1          uint16 = 0x0101
	FIDDG14         uint16 = 0x010E
)

// FIDForDG returns the file identifier of data group n (1 to 16): 01 0n.
func FIDForDG(n int) (uint16, error) {
	if n < 1 || n > 16 {
		return 0, fmt.Errorf("chip: no data group %d", n)
	}
	return 0x0100 + uint16(n), nil
}

// Opts tunes file reading.
type Opts struct {
	// ChunkSize is the Ne of each READ BINARY. 0xDF (223) keeps a 3DES or
	// AES protected answer inside a short APDU; readers and chips that do
	// extended length may use up to 65536 minus SM overhead.
	ChunkSize int
	// MaxFileSize refuses files announcing more than this many bytes.
	MaxFileSize int
}

// DefaultOpts are safe for every reader: short APDUs, 1 MiB files.
var DefaultOpts = Opts{ChunkSize: 0xDF, MaxFileSize: 1 << 20}

func (o *Opts) orDefault() Opts {
	if o == nil {
		return DefaultOpts
	}
	out := *o
	if out.ChunkSize <= 0 {
		out.ChunkSize = DefaultOpts.ChunkSize
	}
	if out.ChunkSize > MaxExtendedNe {
		out.ChunkSize = MaxExtendedNe
	}
	if out.MaxFileSize <= 0 {
		out.MaxFileSize = DefaultOpts.MaxFileSize
	}
	return out
}

// SelectApplication selects an application by AID (SELECT, P1=04, P2=0C:
// no response data; ICAO 9303 Part 10 §3.1.2).
func SelectApplication(ctx context.Context, t Transceiver, aid []byte) error {
	_, err := TransmitOK(ctx, t, Command{INS: InsSelect, P1: 0x04, P2: 0x0C, Data: aid})
	return err
}

// SelectMF selects the master file (SELECT, P1=00, P2=0C, no data), needed
// before reading EF.CardAccess on some chips.
func SelectMF(ctx context.Context, t Transceiver) error {
	_, err := TransmitOK(ctx, t, Command{INS: InsSelect, P1: 0x00, P2: 0x0C, Data: []byte{0x3F, 0x00}})
	return err
}

// SelectEF selects an elementary file by file identifier (SELECT, P1=02,
// P2=0C; ICAO 9303 Part 10 §3.6 and Part 11 §9.8 worked example D.4).
func SelectEF(ctx context.Context, t Transceiver, fid uint16) error {
	_, err := TransmitOK(ctx, t, Command{INS: InsSelect, P1: 0x02, P2: 0x0C, Data: []byte{byte(fid >> 8), byte(fid)}})
	return err
}

// ReadBinary reads up to n bytes of the selected EF at offset. Offsets above
// 32767 use the odd instruction B1 with an offset data object 54 and a
// response wrapped in 53 (ICAO 9303 Part 10 §3.6.3, ISO/IEC 7816-4 §11.3.3).
// It returns the data and whether the chip signalled end of file (62 82).
func ReadBinary(ctx context.Context, t Transceiver, offset, n int) ([]byte, bool, error) {
	if offset < 0 || offset > 0xFFFFFF || n <= 0 || n > MaxExtendedNe {
		return nil, false, fmt.Errorf("chip: READ BINARY offset %d length %d out of range", offset, n)
	}
	var cmd Command
	if offset <= 0x7FFF {
		cmd = Command{INS: InsReadBinary, P1: byte(offset >> 8), P2: byte(offset), Ne: n}
	} else {
		off := []byte{byte(offset >> 16), byte(offset >> 8), byte(offset)}
		if off[0] == 0 {
			off = off[1:]
		}
		// DO'53' wrapping adds up to 4 bytes to the answer.
		cmd = Command{INS: InsReadBinaryOdd, Data: tlv.Encode(0x54, off), Ne: min(n+4, MaxExtendedNe)}
	}
	r, err := Transmit(ctx, t, cmd)
	if err != nil {
		return nil, false, err
	}
	eof := r.SW == SWEndOfFile
	if !eof {
		if err := r.Check(); err != nil {
			return nil, false, fmt.Errorf("chip: READ BINARY at %d: %w", offset, err)
		}
	}
	data := r.Data
	if cmd.INS == InsReadBinaryOdd {
		if data, err = tlv.Single(data, 0x53); err != nil {
			return nil, false, fmt.Errorf("chip: READ BINARY at %d: %w", offset, err)
		}
	}
	if len(data) > n {
		return nil, false, fmt.Errorf("%w: READ BINARY returned %d bytes, asked %d", ErrBadAPDU, len(data), n)
	}
	return data, eof, nil
}

// ReadFile selects fid and reads the whole TLV-encoded file, using its
// header to learn the length.
func ReadFile(ctx context.Context, t Transceiver, fid uint16, o *Opts) ([]byte, error) {
	if err := SelectEF(ctx, t, fid); err != nil {
		return nil, fmt.Errorf("chip: select EF %04X: %w", fid, err)
	}
	return ReadSelected(ctx, t, o)
}

// ReadSelected reads the whole TLV-encoded currently selected EF.
func ReadSelected(ctx context.Context, t Transceiver, o *Opts) ([]byte, error) {
	opts := o.orDefault()
	first := min(8, opts.ChunkSize)
	head, _, err := ReadBinary(ctx, t, 0, first)
	if err != nil {
		return nil, err
	}
	_, hlen, vlen, err := tlv.HeaderLen(head)
	if err != nil {
		return nil, fmt.Errorf("chip: file header: %w", err)
	}
	total := hlen + vlen
	if total > opts.MaxFileSize {
		return nil, fmt.Errorf("chip: file announces %d bytes, limit %d", total, opts.MaxFileSize)
	}
	if len(head) > total {
		head = head[:total]
	}
	buf := make([]byte, 0, total)
	buf = append(buf, head...)
	for len(buf) < total {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n := min(opts.ChunkSize, total-len(buf))
		chunk, _, err := ReadBinary(ctx, t, len(buf), n)
		if err != nil {
			if errors.Is(err, ErrFileNotFound) || isEndError(err) {
				return nil, fmt.Errorf("%w: %d of %d bytes: %w", ErrShortFile, len(buf), total, err)
			}
			return nil, err
		}
		if len(chunk) == 0 {
			return nil, fmt.Errorf("%w: %d of %d bytes", ErrShortFile, len(buf), total)
		}
		buf = append(buf, chunk...)
	}
	return buf, nil
}

func isEndError(err error) bool {
	var se *StatusError
	if !errors.As(err, &se) {
		return false
	}
	return se.SW == SWIncorrectP1P2 || se.SW == SWWrongP1P2 || se.SW == SWEndOfFile || se.SW == SWWrongLength
}
