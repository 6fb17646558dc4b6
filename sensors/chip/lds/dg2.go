package lds

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/egate/egate/sensors/chip/tlv"
)

// Image formats of a face image.
const (
	FormatJPEG     = "jpeg"
	FormatJPEG2000 = "jpeg2000"
)

// FaceImage is one portrait from DG2. Data is the encoded image (JPEG or
// JPEG 2000) to hand to the vision step; it is biometric data and must not
// be logged.
type FaceImage struct {
	Format    string // FormatJPEG or FormatJPEG2000 (FormatPNG from 39794-5 only)
	Width     int
	Height    int
	ImageType byte // 19794-5 face image type: 0 basic, 1 full frontal, 2 token frontal
	Data      []byte
}

// String prints the format and size only.
func (f FaceImage) String() string {
	return fmt.Sprintf("FaceImage{%s %dx%d, %d bytes}", f.Format, f.Width, f.Height, len(f.Data))
}

// DG2 is the encoded face.
type DG2 struct {
	Faces []FaceImage
}

// ParseDG2 decodes DG2 (ICAO 9303 Part 10 §4.7.2) and every ISO/IEC
// 19794-5:2005 facial record (5F2E) or ISO/IEC 39794-5 face image data
// block (7F2E, see dg2_39794.go) in it.
func ParseDG2(b []byte) (*DG2, error) {
	v, err := tlv.Single(b, DGTag(2))
	if err != nil {
		return nil, fmt.Errorf("%w: DG2: %w", ErrFormat, err)
	}
	big, err := tlv.Single(v, 0x7F61)
	if err != nil {
		return nil, fmt.Errorf("%w: DG2 group template: %w", ErrFormat, err)
	}
	objs, err := tlv.Parse(big)
	if err != nil {
		return nil, fmt.Errorf("%w: DG2 group template: %w", ErrFormat, err)
	}
	count := -1
	out := &DG2{}
	for _, o := range objs {
		switch o.Tag {
		case 0x02:
			if len(o.Value) != 1 {
				return nil, fmt.Errorf("%w: DG2 instance count", ErrFormat)
			}
			count = int(o.Value[0])
		case 0x7F60:
			faces, err := parseBIT(o.Value)
			if err != nil {
				return nil, err
			}
			out.Faces = append(out.Faces, faces...)
		}
	}
	if count < 0 {
		return nil, fmt.Errorf("%w: DG2 without instance count", ErrFormat)
	}
	if len(out.Faces) == 0 {
		return nil, fmt.Errorf("%w: DG2 holds no face image", ErrFormat)
	}
	return out, nil
}

// parseBIT decodes one biometric information template 7F60.
func parseBIT(b []byte) ([]FaceImage, error) {
	objs, err := tlv.Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%w: DG2 BIT: %w", ErrFormat, err)
	}
	for _, o := range objs {
		switch o.Tag {
		case 0x5F2E:
			return ParseFacialRecord(o.Value)
		case tagBDB39794:
			return ParseFaceImageDataBlock(o.Value)
		}
	}
	return nil, fmt.Errorf("%w: DG2 BIT without biometric data block", ErrFormat)
}

var (
	magicJPEG      = []byte{0xFF, 0xD8, 0xFF}
	magicJP2       = []byte{0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20}
	magicJ2K       = []byte{0xFF, 0x4F, 0xFF, 0x51}
	facHeaderMagic = []byte("FAC\x00")
)

// sniff returns the image format from magic bytes, or "".
func sniff(b []byte) string {
	switch {
	case bytes.HasPrefix(b, magicJPEG):
		return FormatJPEG
	case bytes.HasPrefix(b, magicJP2), bytes.HasPrefix(b, magicJ2K):
		return FormatJPEG2000
	}
	return ""
}

// ParseFacialRecord decodes an ISO/IEC 19794-5:2005 facial record (§5.4 to
// §5.7): a 14-byte general header "FAC\0", version, record length and image
// count, then for each image a 20-byte facial information block, 8 bytes
// per feature point, a 12-byte image information block and the image data.
func ParseFacialRecord(b []byte) ([]FaceImage, error) {
	if len(b) < 14 || !bytes.Equal(b[:4], facHeaderMagic) {
		return nil, fmt.Errorf("%w: 19794-5 header", ErrFormat)
	}
	recLen := binary.BigEndian.Uint32(b[8:12])
	if uint64(recLen) > uint64(len(b)) || recLen < 14 {
		return nil, fmt.Errorf("%w: 19794-5 record length %d of %d", ErrFormat, recLen, len(b))
	}
	n := int(binary.BigEndian.Uint16(b[12:14]))
	if n == 0 {
		return nil, fmt.Errorf("%w: 19794-5 record holds no image", ErrFormat)
	}
	rest := b[14:recLen]
	var out []FaceImage
	for i := 0; i < n; i++ {
		if len(rest) < 20 {
			return nil, fmt.Errorf("%w: 19794-5 facial block %d truncated", ErrFormat, i)
		}
		blockLen := binary.BigEndian.Uint32(rest[0:4])
		if uint64(blockLen) > uint64(len(rest)) || blockLen < 32 {
			return nil, fmt.Errorf("%w: 19794-5 facial block length %d", ErrFormat, blockLen)
		}
		block := rest[:blockLen]
		rest = rest[blockLen:]
		points := int(binary.BigEndian.Uint16(block[4:6]))
		off := 20 + 8*points
		if off+12 > len(block) {
			return nil, fmt.Errorf("%w: 19794-5 feature points overrun", ErrFormat)
		}
		info := block[off : off+12]
		img := FaceImage{
			ImageType: info[0],
			Width:     int(binary.BigEndian.Uint16(info[2:4])),
			Height:    int(binary.BigEndian.Uint16(info[4:6])),
			Data:      block[off+12:],
		}
		if len(img.Data) == 0 {
			return nil, fmt.Errorf("%w: 19794-5 empty image", ErrFormat)
		}
		declared := ""
		switch info[1] {
		case 0:
			declared = FormatJPEG
		case 1:
			declared = FormatJPEG2000
		default:
			return nil, fmt.Errorf("%w: 19794-5 image data type %d", ErrFormat, info[1])
		}
		if got := sniff(img.Data); got != declared {
			return nil, fmt.Errorf("%w: 19794-5 says %s but the data is %q", ErrFormat, declared, got)
		}
		img.Format = declared
		out = append(out, img)
	}
	return out, nil
}

// MarshalDG2 builds a DG2 holding one ISO/IEC 19794-5 facial record with
// the given image (for the simulated chip and tests).
func MarshalDG2(img FaceImage) []byte {
	dataType := byte(0)
	if img.Format == FormatJPEG2000 {
		dataType = 1
	}
	block := make([]byte, 20+12)
	binary.BigEndian.PutUint32(block[0:4], uint32(32+len(img.Data)))
	// Gender, eye and hair colour unspecified; no feature points.
	info := block[20:32]
	info[0] = img.ImageType
	info[1] = dataType
	binary.BigEndian.PutUint16(info[2:4], uint16(img.Width))
	binary.BigEndian.PutUint16(info[4:6], uint16(img.Height))
	block = append(block, img.Data...)
	head := make([]byte, 14)
	copy(head, facHeaderMagic)
	copy(head[4:8], "010\x00")
	binary.BigEndian.PutUint32(head[8:12], uint32(14+len(block)))
	binary.BigEndian.PutUint16(head[12:14], 1)
	record := append(head, block...)
	// Biometric header template (ICAO 9303 Part 10 §4.7.2.1): format owner
	// 0101 and format type 0008 (19794-5).
	bht := tlv.Encode(0xA1,
		tlv.Encode(0x80, []byte{0x01, 0x01}),
		tlv.Encode(0x87, []byte{0x01, 0x01}),
		tlv.Encode(0x88, []byte{0x00, 0x08}))
	bit := tlv.Encode(0x7F60, bht, tlv.Encode(0x5F2E, record))
	return tlv.Encode(DGTag(2), tlv.Encode(0x7F61, tlv.Encode(0x02, []byte{1}), bit))
}
