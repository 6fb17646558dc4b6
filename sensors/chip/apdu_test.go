package chip_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/egate/egate/sensors/chip"
	"github.com/egate/egate/sensors/chip/chiptest"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var commandCases = []struct {
	name string
	cmd  chip.Command
	enc  string
}{
	{"case 1", chip.Command{CLA: 0, INS: 0xA4, P1: 0, P2: 0x0C}, "00A4000C"},
	{"case 2 short", chip.Command{INS: 0x84, Ne: 8}, "0084000008"},
	{"case 2 short 256", chip.Command{INS: 0xB0, Ne: 256}, "00B0000000"},
	{"case 3 short", chip.Command{INS: 0xA4, P1: 2, P2: 0x0C, Data: []byte{1, 0x1E}}, "00A4020C02011E"},
	{"case 4 short", chip.Command{INS: 0x82, Data: []byte{1, 2}, Ne: 0x28}, "008200000201 0228"},
	{"case 2 extended", chip.Command{INS: 0xB0, Ne: 1000}, "00B000000003E8"},
	{"case 2 extended 65536", chip.Command{INS: 0xB0, Ne: 65536}, "00B00000000000"},
	{"case 3 extended forced", chip.Command{INS: 0x2A, Data: []byte{0xAA}, Extended: true}, "002A000000 0001AA"},
	{"case 4 extended", chip.Command{INS: 0x2A, Data: []byte{0xAA}, Ne: 300}, "002A0000000001AA012C"},
}

func TestCommandBytes(t *testing.T) {
	for _, tc := range commandCases {
		t.Run(tc.name, func(t *testing.T) {
			want := unhex(t, stripSpaces(tc.enc))
			got, err := tc.cmd.Bytes()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("Bytes = %X, want %X", got, want)
			}
			back, err := chip.ParseCommand(got)
			if err != nil {
				t.Fatal(err)
			}
			if back.INS != tc.cmd.INS || back.Ne != tc.cmd.Ne || !bytes.Equal(back.Data, tc.cmd.Data) {
				t.Fatalf("ParseCommand = %+v", back)
			}
		})
	}
	if _, err := (chip.Command{Data: make([]byte, 70000)}).Bytes(); !errors.Is(err, chip.ErrBadAPDU) {
		t.Fatal("oversized data accepted")
	}
	for _, bad := range []string{"", "00A400", "00A4020C05011E", "00A4020C0000", "00A4020C000002AA"} {
		if _, err := chip.ParseCommand(unhex(t, bad)); !errors.Is(err, chip.ErrBadAPDU) {
			t.Errorf("ParseCommand(%s) = %v", bad, err)
		}
	}
}

func stripSpaces(s string) string { return string(bytes.ReplaceAll([]byte(s), []byte(" "), nil)) }

func TestStatusErrors(t *testing.T) {
	r, _ := chip.ParseResponse([]byte{0x6A, 0x82})
	err := r.Check()
	if !errors.Is(err, chip.ErrFileNotFound) {
		t.Fatalf("err = %v", err)
	}
	if errors.Is(err, chip.ErrSecurityNotSatisfied) {
		t.Fatal("6A82 matched 6982")
	}
	if _, err := chip.ParseResponse([]byte{0x90}); !errors.Is(err, chip.ErrBadAPDU) {
		t.Fatal("one-byte response accepted")
	}
}

func TestGetResponseAndWrongLe(t *testing.T) {
	pb := &chiptest.Playback{Ops: []chiptest.IO{
		{W: unhex(t, "00B0000004"), R: unhex(t, "6C02")},
		{W: unhex(t, "00B0000002"), R: unhex(t, "AABB6102")},
		{W: unhex(t, "00C0000002"), R: unhex(t, "CCDD9000")},
	}}
	got, err := chip.TransmitOK(context.Background(), pb, chip.Command{INS: 0xB0, Ne: 4})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, unhex(t, "AABBCCDD")) {
		t.Fatalf("got %X", got)
	}
	if err := pb.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestReadFileChunks(t *testing.T) {
	file := append([]byte{0x60, 0x81, 0x14}, bytes.Repeat([]byte{0x11}, 0x14)...) // 23 bytes
	pb := &chiptest.Playback{Ops: []chiptest.IO{
		{W: unhex(t, "00A4020C02011E"), R: unhex(t, "9000")},
		{W: unhex(t, "00B0000008"), R: append(file[:8:8], 0x90, 0x00)},
		{W: unhex(t, "00B000080A"), R: append(file[8:18:18], 0x90, 0x00)},
		{W: unhex(t, "00B0001205"), R: append(file[18:23:23], 0x90, 0x00)},
	}}
	got, err := chip.ReadFile(context.Background(), pb, chip.FIDCOM, &chip.Opts{ChunkSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, file) {
		t.Fatalf("file = %X", got)
	}
	if err := pb.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestReadFileShort(t *testing.T) {
	file := append([]byte{0x60, 0x14}, bytes.Repeat([]byte{0x11}, 6)...)
	for _, tc := range []struct {
		name string
		last []byte
	}{
		{"empty answer", unhex(t, "9000")},
		{"end of file", unhex(t, "6282")},
		{"offset past end", unhex(t, "6B00")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pb := &chiptest.Playback{Ops: []chiptest.IO{
				{W: unhex(t, "00A4020C020101"), R: unhex(t, "9000")},
				{W: unhex(t, "00B0000008"), R: append(file[:8:8], 0x90, 0x00)},
				{W: unhex(t, "00B000080E"), R: tc.last},
			}}
			_, err := chip.ReadFile(context.Background(), pb, chip.FIDDG1, nil)
			if !errors.Is(err, chip.ErrShortFile) {
				t.Fatalf("err = %v, want ErrShortFile", err)
			}
		})
	}
}

func TestReadFileTooMuchData(t *testing.T) {
	pb := &chiptest.Playback{Ops: []chiptest.IO{
		{W: unhex(t, "00A4020C020101"), R: unhex(t, "9000")},
		{W: unhex(t, "00B0000008"), R: unhex(t, "61030102030405060708099000")},
	}}
	if _, err := chip.ReadFile(context.Background(), pb, chip.FIDDG1, nil); !errors.Is(err, chip.ErrBadAPDU) {
		t.Fatalf("err = %v", err)
	}
}

func TestReadFileLimit(t *testing.T) {
	pb := &chiptest.Playback{Ops: []chiptest.IO{
		{W: unhex(t, "00A4020C020102"), R: unhex(t, "9000")},
		{W: unhex(t, "00B0000008"), R: unhex(t, "7584FFFFFF000000009000")},
	}}
	if _, err := chip.ReadFile(context.Background(), pb, 0x0102, nil); err == nil {
		t.Fatal("file announcing 4 GiB accepted")
	}
}

func TestReadBinaryOddOffset(t *testing.T) {
	pb := &chiptest.Playback{Ops: []chiptest.IO{
		{W: unhex(t, "00B1000004540280000A"), R: unhex(t, "5306010203040506"+"9000")},
	}}
	got, _, err := chip.ReadBinary(context.Background(), pb, 0x8000, 6)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, unhex(t, "010203040506")) {
		t.Fatalf("got %X", got)
	}
}

func TestCardRemoved(t *testing.T) {
	pb := &chiptest.Playback{Ops: []chiptest.IO{
		{W: unhex(t, "00A4020C020101"), R: unhex(t, "9000")},
		{W: unhex(t, "00B0000008"), Err: chip.ErrCardRemoved},
	}}
	if _, err := chip.ReadFile(context.Background(), pb, chip.FIDDG1, nil); !errors.Is(err, chip.ErrCardRemoved) {
		t.Fatalf("err = %v", err)
	}
}

func TestPlaybackUnconsumed(t *testing.T) {
	pb := &chiptest.Playback{Ops: []chiptest.IO{{W: []byte{0, 0x84, 0, 0, 8}, R: []byte{0x90, 0}}}}
	if err := pb.Close(); err == nil {
		t.Fatal("Close ignored an unconsumed exchange")
	}
	if _, err := pb.Transmit(context.Background(), []byte{0, 0xB0, 0, 0, 1}); !errors.Is(err, chiptest.ErrMismatch) {
		t.Fatalf("mismatch: %v", err)
	}
}

func TestCheckDigit(t *testing.T) {
	for in, want := range map[string]byte{"L898902C<": '3', "690806": '1', "940623": '6', "D23145890734": '9', "520727": '3'} {
		if got := chip.CheckDigit(in); got != want {
			t.Errorf("CheckDigit(%s) = %c, want %c", in, got, want)
		}
	}
}

func FuzzParseCommand(f *testing.F) {
	for _, tc := range commandCases {
		b, _ := hex.DecodeString(stripSpaces(tc.enc))
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := chip.ParseCommand(b)
		if err != nil {
			return
		}
		re, err := c.Bytes()
		if err != nil {
			t.Fatalf("parsed command does not encode: %v", err)
		}
		c2, err := chip.ParseCommand(re)
		if err != nil || c2.Ne != c.Ne || !bytes.Equal(c2.Data, c.Data) {
			t.Fatalf("round trip: %+v vs %+v (%v)", c, c2, err)
		}
	})
}

func FuzzReadFile(f *testing.F) {
	f.Add([]byte{0x60, 0x03, 1, 2, 3}, uint8(4))
	f.Add([]byte{0x75, 0x82, 0x01, 0x00}, uint8(1))
	f.Fuzz(func(t *testing.T, answer []byte, chunk uint8) {
		// A chip that answers every READ BINARY with the same bytes.
		tr := transceiverFunc(func(apdu []byte) []byte {
			if apdu[1] == 0xA4 {
				return []byte{0x90, 0}
			}
			return append(append([]byte{}, answer...), 0x90, 0)
		})
		_, _ = chip.ReadFile(context.Background(), tr, 0x0101, &chip.Opts{ChunkSize: int(chunk) + 1, MaxFileSize: 4096})
	})
}

type transceiverFunc func([]byte) []byte

func (f transceiverFunc) Transmit(_ context.Context, apdu []byte) ([]byte, error) {
	return f(apdu), nil
}
