package lds_test

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
	"runtime"
	"strings"
	"testing"
	"unsafe"

	"github.com/egate/egate/sensors/chip/chiptest"
	"github.com/egate/egate/sensors/chip/lds"
)

// te is a DER TLV writer local to these tests, independent of
// sensors/chip/tlv and of lds.MarshalDG2ISO39794, so that the vectors below
// check the parser and the builder against tags written out from the
// ISO/IEC 39794-5 ASN.1 (eMRTD application profile) by hand.
func te(tag uint32, parts ...[]byte) []byte {
	var v []byte
	for _, p := range parts {
		v = append(v, p...)
	}
	var out []byte
	if tag > 0xFF {
		out = append(out, byte(tag>>8))
	}
	out = append(out, byte(tag))
	switch n := len(v); {
	case n < 0x80:
		out = append(out, byte(n))
	case n <= 0xFF:
		out = append(out, 0x81, byte(n))
	case n <= 0xFFFF:
		out = append(out, 0x82, byte(n>>8), byte(n))
	default:
		out = append(out, 0x83, byte(n>>16), byte(n>>8), byte(n))
	}
	return append(out, v...)
}

// dg2Of wraps a 7F2E value in a DG2 with a 39794-5 biometric header.
func dg2Of(bdb []byte) []byte {
	bht := te(0xA1, []byte{0x80, 2, 1, 1, 0x87, 2, 1, 1, 0x88, 2, 0, 0x2A})
	return te(0x75, te(0x7F61, []byte{0x02, 1, 1}, te(0x7F60, bht, te(0x7F2E, bdb))))
}

var (
	tinyJPEG = []byte{0xFF, 0xD8, 0xFF, 0xE0, 0x01, 0x02, 0xFF, 0xD9}
	tinyJP2  = append([]byte{0, 0, 0, 0x0C, 0x6A, 0x50, 0x20, 0x20, 0x0D, 0x0A, 0x87, 0x0A}, bytes.Repeat([]byte{7}, 20)...)
	tinyJ2K  = []byte{0xFF, 0x4F, 0xFF, 0x51, 0, 0x29, 0, 0}
)

// kat1 is a minimal DG2 with one ISO/IEC 39794-5 face image, assembled byte
// by byte from the eMRTD application profile's ASN.1 (IMPLICIT TAGS;
// CHOICE tags explicit) and the DG2 wrapping of ICAO 9303-10 / the
// profile's Table 2 as JMRTD's DG2File reads it. No public sample encoding
// was available in text form (the ICAO profile samples that gmrtd ships
// are binary files), so this is derived independently from the standard.
const kat1 = "" +
	"7556" + // DG2
	"7F6153" + // biometric information group template
	"020101" + // one instance
	"7F604D" + // biometric information template
	"A10C" + "80020101" + "87020101" + "8802002A" + // header: version, owner 0101, type 002A
	"7F2E3C" + // biometric data block, constructed
	"A13A" + // profile wrapper
	"6538" + // FaceImageDataBlock [APPLICATION 5]
	"A007" + "800103" + "810207E3" + // versionBlock: generation 3, year 2019
	"A12D" + // representationBlocks
	"302B" + // RepresentationBlock
	"800100" + // representationId 0
	"A126" + // imageRepresentation (CHOICE)
	"A024" + // base (CHOICE)
	"A022" + // imageRepresentation2DBlock
	"8008" + "FFD8FFE00102FFD9" + // representationData2D
	"A116" + // imageInformation2DBlock
	"A003" + "800102" + // imageDataFormat: code jpeg (2)
	"A105" + "A103" + "800100" + // faceImageKind2D: extensionBlock, fallback mrtd (0)
	"A708" + "800200B4" + "810200F0" // imageSizeBlock 180 x 240

func TestDG2ISO39794KnownStructure(t *testing.T) {
	b := unhex(t, kat1)
	if len(b) != 2+0x56 {
		t.Fatalf("vector length %d", len(b))
	}
	d, err := lds.ParseDG2(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Faces) != 1 {
		t.Fatalf("faces %v", d.Faces)
	}
	f := d.Faces[0]
	if f.Format != lds.FormatJPEG || f.Width != 180 || f.Height != 240 || f.ImageType != 1 || !bytes.Equal(f.Data, tinyJPEG) {
		t.Fatalf("face %v type %d", f, f.ImageType)
	}
	// The builder produces exactly the hand-derived bytes.
	if got := lds.MarshalDG2ISO39794(lds.FaceImage{Format: lds.FormatJPEG, Width: 180, Height: 240, ImageType: 1, Data: tinyJPEG}); !bytes.Equal(got, b) {
		t.Fatalf("builder differs from the known structure:\n got %X\nwant %X", got, b)
	}
}

// kat2 carries optional blocks of every level, extension fallbacks, unknown
// extension tags (single and multi-byte) and representations that are not
// 2D images, all of which are skipped.
func kat2() []byte {
	i := func(b ...byte) []byte { return b }
	rep0 := te(0x30, i(0x80, 1, 0), te(0xA1, te(0xA1))) // imageRepresentation extensionBlock
	info := te(0xA1,
		te(0xA0, te(0xA1, i(0x80, 1, 4))),                        // imageDataFormat via extension fallback: jpeg2000Lossless
		te(0xA2, i(0x80, 1, 0xFF)),                               // postAcquisitionProcessingBlock: rotated
		te(0xA3, te(0xA1, i(0x80, 1, 1))),                        // lossyTransformationAttempts: zero
		i(0x84, 2, 0x01, 0xF4),                                   // cameraToSubjectDistance 500
		te(0xA7, i(0x80, 2, 0x02, 0x58), i(0x81, 2, 0x03, 0x20)), // 600 x 800
		te(0xA9, te(0xA1, i(0x80, 1, 2))),                        // imageColourSpace rgb24Bit
		i(0x9F, 0x30, 1, 0x00),                                   // unknown extension [48]
	)
	rep1 := te(0x30,
		i(0x80, 1, 1),
		te(0xA1, te(0xA0, te(0xA0,
			te(0x80, tinyJP2),
			info,
			te(0xA2, te(0xA0, i(0x80, 1, 0xFF))), // captureDevice2DBlock: white light
		))),
		te(0xA2, i(0x80, 2, 0x07, 0xE8), i(0x81, 1, 5)),                                      // captureDateTimeBlock 2024-05
		te(0xA3, te(0x30, te(0xA0, i(0x80, 1, 1), i(0x81, 1, 1)), te(0xA1, i(0x80, 1, 90)))), // qualityBlocks: one score
		te(0xA8, te(0xA0, te(0xA1, i(0x80, 1, 3)))),                                          // identityMetadataBlock: gender
		i(0x85, 1, 7),                   // sessionId
		i(0xBF, 0x28, 0x02, 0x30, 0x00), // unknown constructed extension [40]
	)
	rep2 := te(0x30, i(0x80, 1, 2), te(0xA1, te(0xA0, te(0xA1, te(0x30))))) // base alternative [1], not 2D
	rep3 := te(0x30, i(0x80, 1, 3), te(0xA1, te(0xA0, te(0xA0,
		te(0x80, pngBytes()),
		te(0xA1, te(0xA0, te(0xA1))), // imageDataFormat: extension block without code
	))))
	block := te(0x65,
		te(0xA0, i(0x80, 1, 3), i(0x81, 2, 0x07, 0xE3), i(0x82, 1, 0)), // versionBlock with an extension
		te(0xA1, rep0, rep1, rep2, rep3),
		te(0xA2), // unknown FaceImageDataBlock extension
	)
	return dg2Of(te(0xA1, block))
}

func pngBytes() []byte {
	img := image.NewGray(image.Rect(0, 0, 4, 4))
	img.Set(1, 1, color.Gray{Y: 200})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

func TestDG2ISO39794OptionalBlocks(t *testing.T) {
	d, err := lds.ParseDG2(kat2())
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Faces) != 2 {
		t.Fatalf("faces %v", d.Faces)
	}
	f := d.Faces[0]
	if f.Format != lds.FormatJPEG2000 || f.Width != 600 || f.Height != 800 || f.ImageType != 0 || !bytes.Equal(f.Data, tinyJP2) {
		t.Fatalf("face 0: %v type %d", f, f.ImageType)
	}
	if p := d.Faces[1]; p.Format != lds.FormatPNG || p.Width != 0 || !bytes.Equal(p.Data, pngBytes()) {
		t.Fatalf("face 1: %v", p)
	}
}

func TestDG2ISO39794RoundTrip(t *testing.T) {
	j, err := chiptest.FaceJPEG(60, 80, 3)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		in   lds.FaceImage
	}{
		{"JPEG", lds.FaceImage{Format: lds.FormatJPEG, Width: 60, Height: 80, ImageType: 1, Data: j}},
		{"JP2", lds.FaceImage{Format: lds.FormatJPEG2000, Width: 413, Height: 531, ImageType: 1, Data: tinyJP2}},
		{"J2K codestream, no size, not MRTD kind", lds.FaceImage{Format: lds.FormatJPEG2000, Data: tinyJ2K}},
		{"PNG", lds.FaceImage{Format: lds.FormatPNG, Width: 4, Height: 4, Data: pngBytes()}},
		{"large JPEG", lds.FaceImage{Format: lds.FormatJPEG, Width: 65535, Height: 1, Data: append(append([]byte{}, j...), make([]byte, 70000)...)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := lds.MarshalDG2ISO39794(tc.in)
			d, err := lds.ParseDG2(b)
			if err != nil {
				t.Fatal(err)
			}
			if len(d.Faces) != 1 {
				t.Fatalf("faces %v", d.Faces)
			}
			got := d.Faces[0]
			if got.Format != tc.in.Format || got.Width != tc.in.Width || got.Height != tc.in.Height ||
				got.ImageType != tc.in.ImageType || !bytes.Equal(got.Data, tc.in.Data) {
				t.Fatalf("got %v type %d, want %v type %d", got, got.ImageType, tc.in, tc.in.ImageType)
			}
			// The image aliases the DG2 bytes: no copy of biometric data.
			start := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
			p := uintptr(unsafe.Pointer(unsafe.SliceData(got.Data)))
			if p < start || p+uintptr(len(got.Data)) > start+uintptr(len(b)) {
				t.Fatal("image data copied out of the DG2 buffer")
			}
			if s := got.String(); strings.Contains(s, string(got.Data[:4])) {
				t.Fatalf("String prints image bytes: %q", s)
			}
		})
	}
	// The 19794-5 path is unchanged next to it.
	d, err := lds.ParseDG2(lds.MarshalDG2(lds.FaceImage{Format: lds.FormatJPEG, Width: 60, Height: 80, Data: j}))
	if err != nil || d.Faces[0].Format != lds.FormatJPEG {
		t.Fatalf("19794-5: %v %v", d, err)
	}
}

// twoD builds a 7F2E value around one 2D block's contents.
func twoD(parts ...[]byte) []byte {
	return te(0xA1, te(0x65,
		te(0xA0, []byte{0x80, 1, 3, 0x81, 2, 0x07, 0xE3}),
		te(0xA1, te(0x30, []byte{0x80, 1, 0}, te(0xA1, te(0xA0, te(0xA0, parts...)))))))
}

// imageLengthOverData is a well-formed block whose representationData2D
// claims 16 MiB with two bytes present.
func imageLengthOverData() []byte {
	return twoD([]byte{0x80, 0x83, 0xFF, 0xFF, 0xFF, 0xFF, 0xD8})
}

var jpegFormat = te(0xA1, te(0xA0, []byte{0x80, 1, 2}))

func hostile39794(t testing.TB) map[string][]byte {
	good := twoD(te(0x80, tinyJPEG), jpegFormat)
	deep := te(0x80, tinyJPEG)
	for range 1000 {
		deep = te(0xA1, deep)
	}
	verOnly := te(0xA0, []byte{0x80, 1, 3, 0x81, 2, 0x07, 0xE3})
	return map[string][]byte{
		"empty":                    nil,
		"SEQUENCE instead of 65":   te(0xA1, te(0x30, verOnly, te(0xA1))),
		"wrapper without block":    te(0xA1),
		"trailing bytes":           append(append([]byte{}, good...), 0x00),
		"no versionBlock":          te(0xA1, te(0x65, te(0xA1, te(0x30)))),
		"no representationBlocks":  te(0xA1, te(0x65, verOnly)),
		"version year too large":   te(0xA1, te(0x65, te(0xA0, []byte{0x80, 1, 3, 0x81, 2, 0x27, 0x10}), te(0xA1))),
		"no representations":       te(0xA1, te(0x65, verOnly, te(0xA1))),
		"representation not SEQ":   te(0xA1, te(0x65, verOnly, te(0xA1, te(0x31, []byte{0x80, 1, 0})))),
		"no representationId":      te(0xA1, te(0x65, verOnly, te(0xA1, te(0x30, te(0xA1, te(0xA0, te(0xA0, te(0x80, tinyJPEG), jpegFormat))))))),
		"two alternatives":         te(0xA1, te(0x65, verOnly, te(0xA1, te(0x30, []byte{0x80, 1, 0}, te(0xA1, te(0xA0, te(0xA0, te(0x80, tinyJPEG), jpegFormat)), te(0xA1)))))),
		"only extension reps":      te(0xA1, te(0x65, verOnly, te(0xA1, te(0x30, []byte{0x80, 1, 0}, te(0xA1, te(0xA1)))))),
		"constructed image":        twoD(te(0xA0, te(0x04, tinyJPEG)), jpegFormat),
		"empty image":              twoD(te(0x80), jpegFormat),
		"image twice":              twoD(te(0x80, tinyJPEG), te(0x80, tinyJPEG), jpegFormat),
		"no image information":     twoD(te(0x80, tinyJPEG)),
		"no imageDataFormat":       twoD(te(0x80, tinyJPEG), te(0xA1, te(0xA7, []byte{0x80, 1, 1, 0x81, 1, 1}))),
		"says JPEG, is J2K":        twoD(te(0x80, tinyJ2K), jpegFormat),
		"says J2K, is JPEG":        twoD(te(0x80, tinyJPEG), te(0xA1, te(0xA0, []byte{0x80, 1, 3}))),
		"not an image":             twoD(te(0x80, []byte("not an image at all")), jpegFormat),
		"width out of range":       twoD(te(0x80, tinyJPEG), te(0xA1, te(0xA0, []byte{0x80, 1, 2}), te(0xA7, []byte{0x80, 3, 1, 0, 0, 0x81, 1, 1}))),
		"negative height":          twoD(te(0x80, tinyJPEG), te(0xA1, te(0xA0, []byte{0x80, 1, 2}), te(0xA7, []byte{0x80, 1, 1, 0x81, 1, 0xFF}))),
		"five-byte integer":        twoD(te(0x80, tinyJPEG), te(0xA1, te(0xA0, []byte{0x80, 5, 0, 0, 0, 0, 2}))),
		"empty integer":            twoD(te(0x80, tinyJPEG), te(0xA1, te(0xA0, []byte{0x80, 0}))),
		"size without height":      twoD(te(0x80, tinyJPEG), te(0xA1, te(0xA0, []byte{0x80, 1, 2}), te(0xA7, []byte{0x80, 1, 1}))),
		"size block twice":         twoD(te(0x80, tinyJPEG), te(0xA1, te(0xA0, []byte{0x80, 1, 2}), te(0xA7, []byte{0x80, 1, 1, 0x81, 1, 1}), te(0xA7, []byte{0x80, 1, 1, 0x81, 1, 1}))),
		"format two alternatives":  twoD(te(0x80, tinyJPEG), te(0xA1, te(0xA0, []byte{0x80, 1, 2, 0x80, 1, 2}))),
		"absurd length":            []byte{0xA1, 0x84, 0x7F, 0xFF, 0xFF, 0xFF, 0x65, 0x00},
		"length over data":         []byte{0xA1, 0x83, 0xFF, 0xFF, 0xFF, 0x65, 0x00},
		"image length over data":   imageLengthOverData(),
		"length of length 5":       []byte{0xA1, 0x85, 0, 0, 0, 0, 1, 0x65},
		"indefinite length":        []byte{0xA1, 0x80, 0x65, 0x00, 0x00, 0x00},
		"tag over 3 bytes":         []byte{0xA1, 0x06, 0x7F, 0xFF, 0xFF, 0xFF, 0x7F, 0x00},
		"nested 1000 deep":         te(0xA1, deep),
		"deep as representations":  te(0xA1, te(0x65, verOnly, deep)),
		"truncated good":           good[:len(good)-1],
		"truncated inside version": good[:9],
	}
}

func TestDG2ISO39794Hostile(t *testing.T) {
	for name, v := range hostile39794(t) {
		t.Run(name, func(t *testing.T) {
			faces, err := lds.ParseFaceImageDataBlock(v)
			if !errors.Is(err, lds.ErrFormat) {
				t.Fatalf("data block: faces %v, err %v", faces, err)
			}
			t.Log(err)
			if d, err := lds.ParseDG2(dg2Of(v)); !errors.Is(err, lds.ErrFormat) {
				t.Fatalf("DG2: %v, err %v", d, err)
			}
		})
	}
	// Every proper prefix of a good block, and of the known-structure DG2,
	// is refused.
	good := lds.MarshalDG2ISO39794(lds.FaceImage{Format: lds.FormatJPEG, Width: 1, Height: 1, ImageType: 1, Data: tinyJPEG})
	for n := range len(good) {
		if _, err := lds.ParseDG2(good[:n]); !errors.Is(err, lds.ErrFormat) {
			t.Fatalf("DG2 prefix %d: %v", n, err)
		}
	}
	k := unhex(t, kat1)
	bdb := k[bytes.Index(k, []byte{0x7F, 0x2E, 0x3C})+3:] // the 7F2E value
	for n := range len(bdb) {
		if _, err := lds.ParseFaceImageDataBlock(bdb[:n]); !errors.Is(err, lds.ErrFormat) {
			t.Fatalf("data block prefix %d: %v", n, err)
		}
	}
	if _, err := lds.ParseFaceImageDataBlock(bdb); err != nil {
		t.Fatalf("the 7F2E value of the known structure: %v", err)
	}
	// A bare FaceImageDataBlock (no A1 wrapper) is tolerated.
	if f, err := lds.ParseFaceImageDataBlock(bdb[2:]); err != nil || len(f) != 1 {
		t.Fatalf("bare block: %v %v", f, err)
	}
	// Errors name tags and lengths, never the image.
	_, err := lds.ParseFaceImageDataBlock(twoD(te(0x80, []byte("SECRET-IMAGE-BYTES")), jpegFormat))
	if err == nil || strings.Contains(err.Error(), "SECRET") {
		t.Fatalf("error %v", err)
	}
}

func TestDG2ISO39794NoHugeAllocation(t *testing.T) {
	// Lengths claiming 16 MiB and more, with a few bytes present.
	inputs := [][]byte{
		dg2Of([]byte{0xA1, 0x83, 0xFF, 0xFF, 0xFF, 0x65, 0x00}),
		{0x75, 0x84, 0x00, 0xFF, 0xFF, 0xFF, 0x7F, 0x61},
		dg2Of(imageLengthOverData()),
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range 100 {
		for _, b := range inputs {
			if _, err := lds.ParseDG2(b); err == nil {
				t.Fatal("accepted")
			}
		}
	}
	runtime.ReadMemStats(&after)
	if d := after.TotalAlloc - before.TotalAlloc; d > 4<<20 {
		t.Fatalf("300 hostile parses allocated %d bytes", d)
	}
}

func FuzzParseDG2ISO39794(f *testing.F) {
	f.Add(unhex(f, kat1))
	f.Add(kat2())
	f.Add(lds.MarshalDG2ISO39794(lds.FaceImage{Format: lds.FormatJPEG2000, Width: 2, Height: 3, Data: tinyJ2K}))
	f.Add(lds.MarshalDG2ISO39794(lds.FaceImage{Format: lds.FormatPNG, Data: pngBytes()}))
	for _, v := range hostile39794(f) {
		if len(v) < 512 {
			f.Add(dg2Of(v))
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		check := func(faces []lds.FaceImage) {
			for _, face := range faces {
				if len(face.Data) == 0 || face.Format == "" || face.Width < 0 || face.Width > 0xFFFF ||
					face.Height < 0 || face.Height > 0xFFFF || len(face.Data) > len(b) {
					t.Fatalf("accepted a bad face %v", face)
				}
			}
		}
		if d, err := lds.ParseDG2(b); err == nil {
			check(d.Faces)
		} else if !errors.Is(err, lds.ErrFormat) {
			t.Fatalf("error not ErrFormat: %v", err)
		}
		if faces, err := lds.ParseFaceImageDataBlock(b); err == nil {
			if len(faces) == 0 {
				t.Fatal("no faces without an error")
			}
			check(faces)
		} else if !errors.Is(err, lds.ErrFormat) {
			t.Fatalf("error not ErrFormat: %v", err)
		}
	})
}
