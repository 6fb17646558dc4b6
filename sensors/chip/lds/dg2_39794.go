package lds

// ISO/IEC 39794-5:2019 face image data in DG2 (ICAO 9303 Part 10, 8th
// edition, §4.7.2; LDS 1.8).
//
// This software makes use of the Schema from ISO/IEC 39794-5 within
// modifications permitted in the relevant ISO/IEC standard. The tag map
// below is derived from the ASN.1 modules ID-ICAO-ISO-IEC-39794-5-ed-1-v1 and
// ID-ICAO-ISO-IEC-39794-1-ed-1-v1 of the ICAO "ISO/IEC 39794-5 Application
// Profile for eMRTDs" (published by ICAO TRIP / ISO WG3, repository
// ICAO-TRIP-ISO-WG3/39794-5-AP). The DG2 wrapping (the A1 under 7F2E, the
// header's format type 002A) was learned from JMRTD (org.jmrtd.lds.icao.DG2File,
// which cites the profile's Table 2 "Data Structure under DO7F2E", and
// org.jmrtd.lds.iso39794.FaceImageDataBlock / FaceImageInformation2DBlock /
// ISO39794Util) and cross-checked against gmrtd (document/dg2.go,
// document/iso39794). Only the structure was learned; no code was copied.
//
// Use of ISO/IEC copyright in this Schema is licensed for the purpose of
// developing, implementing, and using software based on this Schema, subject
// to the following conditions:
//
//   - Software developed from this Schema must retain the Copyright Notice,
//     this list of conditions and the disclaimer below ("Disclaimer").
//   - Neither the name or logo of ISO or of IEC, nor the names of specific
//     contributors, may be used to endorse or promote software derived from
//     this Schema without specific prior written permission.
//   - The software developer shall attribute the Schema to ISO/IEC and
//     identify the ISO/IEC standard from which it is taken.
//
// The Disclaimer is:
// THE SCHEMA ON WHICH THIS SOFTWARE IS BASED IS PROVIDED BY THE COPYRIGHT
// HOLDERS AND CONTRIBUTORS "AS IS" AND ANY EXPRESS OR IMPLIED WARRANTIES,
// INCLUDING, BUT NOT LIMITED TO, THE IMPLIED WARRANTIES OF MERCHANTABILITY
// AND FITNESS FOR A PARTICULAR PURPOSE ARE DISCLAIMED. IN NO EVENT SHALL
// THE COPYRIGHT OWNER OR CONTRIBUTORS BE LIABLE FOR ANY DIRECT, INDIRECT,
// INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL DAMAGES (INCLUDING, BUT
// NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR SERVICES; LOSS OF USE,
// DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER CAUSED AND ON ANY
// THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY, OR TORT
// (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE OF
// THE CODE COMPONENTS, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
//
// # What is decoded
//
// The module uses IMPLICIT TAGS, so a context tag replaces the SEQUENCE or
// INTEGER tag it marks, except in front of a CHOICE, where it wraps the
// chosen alternative (explicit). DER, definite lengths only.
//
//	75 DG2
//	  7F61 biometric information group template
//	    02 instance count
//	    7F60 biometric information template
//	      A1 biometric header template (format owner 0101, format type 002A)
//	      7F2E biometric data block, constructed
//	        A1                                  (profile, Table 2)
//	          65 FaceImageDataBlock             [APPLICATION 5] SEQUENCE
//	            A0 versionBlock                 80 generation, 81 year
//	            A1 representationBlocks         SEQUENCE OF
//	              30 RepresentationBlock
//	                80 representationId         INTEGER
//	                A1 imageRepresentation      CHOICE
//	                  A0 base                   CHOICE
//	                    A0 imageRepresentation2DBlock
//	                      80 representationData2D   OCTET STRING: the image
//	                      A1 imageInformation2DBlock
//	                        A0 imageDataFormat  CHOICE: 80 code (jpeg 2,
//	                                            jpeg2000Lossy 3,
//	                                            jpeg2000Lossless 4) or
//	                                            A1 extension block
//	                        A1 faceImageKind2D  CHOICE: A1 { 80 code } (mrtd 0)
//	                        A7 imageSizeBlock   80 width, 81 height (0..65535)
//
// Skipped without being decoded (they carry nothing the gate uses, and the
// schema marks every SEQUENCE above as extensible): in RepresentationBlock
// captureDateTimeBlock [2], qualityBlocks [3], padDataBlock [4], sessionId
// [5], derivedFrom [6], captureDeviceBlock [7], identityMetadataBlock [8],
// landmarkBlocks [9]; captureDevice2DBlock [2] of the 2D block; in
// ImageInformation2DBlock postAcquisitionProcessingBlock [2],
// lossyTransformationAttempts [3], cameraToSubjectDistance [4],
// sensorDiagonal [5], lensFocalLength [6], imageFaceMeasurementsBlock [8],
// imageColourSpace [9], referenceColourMappingBlock [10]; and any tag a
// later edition adds. A representation whose imageRepresentation is the
// extension block or another base alternative than the 2D block (a 3D
// shape) is skipped; a data block without any 2D image is an error.

import (
	"bytes"
	"fmt"

	"github.com/egate/egate/sensors/chip/tlv"
)

// FormatPNG is reported for a PNG image, which only an ISO/IEC 39794-5
// block can carry.
const FormatPNG = "png"

// Tags of the ISO/IEC 39794-5 data block in DG2.
const (
	tagBDB39794           = 0x7F2E // biometric data block, constructed
	tagFaceImageDataBlock = 0x65   // [APPLICATION 5] SEQUENCE
	tagSequence           = 0x30
)

// ctxP and ctxC are the primitive and constructed context-specific tags
// [n] for n < 31.
func ctxP(n int) uint32 { return 0x80 | uint32(n) }
func ctxC(n int) uint32 { return 0xA0 | uint32(n) }

// ImageDataFormatCode values (ISO/IEC 39794-5, eMRTD profile).
const (
	code39794JPEG             = 2
	code39794JPEG2000Lossy    = 3
	code39794JPEG2000Lossless = 4
	// faceImageKind2D mrtd: an ICAO portrait, the 19794-5 full frontal
	// image.
	code39794KindMRTD = 0
)

var magicPNG = []byte{0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A}

// sniff39794 is sniff plus PNG.
func sniff39794(b []byte) string {
	if f := sniff(b); f != "" {
		return f
	}
	if bytes.HasPrefix(b, magicPNG) {
		return FormatPNG
	}
	return ""
}

func errf39794(format string, a ...any) error {
	return fmt.Errorf("%w: 39794-5 "+format, append([]any{ErrFormat}, a...)...)
}

// children decodes the direct children of a constructed value.
func children(b []byte, what string) ([]tlv.Object, error) {
	objs, err := tlv.Parse(b)
	if err != nil {
		return nil, errf39794("%s: %w", what, err)
	}
	return objs, nil
}

// field returns the one child with tag; a repeated tag is an error.
func field(objs []tlv.Object, tag uint32, what string) (tlv.Object, bool, error) {
	var out tlv.Object
	found := false
	for _, o := range objs {
		if o.Tag != tag {
			continue
		}
		if found {
			return tlv.Object{}, false, errf39794("%s repeated", what)
		}
		out, found = o, true
	}
	return out, found, nil
}

// required is field for a mandatory element.
func required(objs []tlv.Object, tag uint32, what string) (tlv.Object, error) {
	o, ok, err := field(objs, tag, what)
	if err != nil {
		return tlv.Object{}, err
	}
	if !ok {
		return tlv.Object{}, errf39794("%s missing", what)
	}
	return o, nil
}

// derUint decodes the contents of a non-negative DER INTEGER (or
// ENUMERATED) of at most four bytes, no larger than max.
func derUint(b []byte, max int64, what string) (int, error) {
	if len(b) == 0 || len(b) > 4 {
		return 0, errf39794("%s: integer of %d bytes", what, len(b))
	}
	if b[0]&0x80 != 0 {
		return 0, errf39794("%s: negative integer", what)
	}
	var v int64
	for _, c := range b {
		v = v<<8 | int64(c)
	}
	if v > max {
		return 0, errf39794("%s: %d out of range", what, v)
	}
	return int(v), nil
}

// choiceCode decodes a code CHOICE of the schema: either code [0] directly
// or extensionBlock [1] holding fallback [0]. ok is false when the chosen
// alternative carries no code (an extension block without fallback, or an
// alternative a later edition adds).
func choiceCode(v []byte, what string) (code int, ok bool, err error) {
	o, rest, err := tlv.Next(v)
	if err != nil {
		return 0, false, errf39794("%s: %w", what, err)
	}
	if len(rest) != 0 {
		return 0, false, errf39794("%s: more than one alternative", what)
	}
	switch o.Tag {
	case ctxP(0):
		c, err := derUint(o.Value, 0xFFFF, what)
		return c, err == nil, err
	case ctxC(1):
		objs, err := children(o.Value, what+" extension block")
		if err != nil {
			return 0, false, err
		}
		fb, found, err := field(objs, ctxP(0), what+" fallback")
		if err != nil || !found {
			return 0, false, err
		}
		c, err := derUint(fb.Value, 0xFFFF, what+" fallback")
		return c, err == nil, err
	}
	return 0, false, nil
}

// ParseFaceImageDataBlock decodes the value of a DG2 biometric data block
// 7F2E holding an ISO/IEC 39794-5 FaceImageDataBlock (wrapped in A1 as the
// ICAO profile requires; a bare 65 is accepted too) and returns its 2D face
// images. The image bytes alias b.
func ParseFaceImageDataBlock(b []byte) ([]FaceImage, error) {
	o, rest, err := tlv.Next(b)
	if err != nil {
		return nil, errf39794("data block: %w", err)
	}
	if len(rest) != 0 {
		return nil, errf39794("%d bytes after the data block", len(rest))
	}
	if o.Tag == ctxC(1) {
		inner, err := children(o.Value, "data block")
		if err != nil {
			return nil, err
		}
		if len(inner) == 0 {
			return nil, errf39794("empty data block")
		}
		o = inner[0]
	}
	if o.Tag != tagFaceImageDataBlock {
		return nil, errf39794("want FaceImageDataBlock (tag 65), got tag %X", o.Tag)
	}
	top, err := children(o.Value, "FaceImageDataBlock")
	if err != nil {
		return nil, err
	}
	ver, err := required(top, ctxC(0), "versionBlock")
	if err != nil {
		return nil, err
	}
	if err := checkVersion(ver.Value); err != nil {
		return nil, err
	}
	reps, err := required(top, ctxC(1), "representationBlocks")
	if err != nil {
		return nil, err
	}
	blocks, err := children(reps.Value, "representationBlocks")
	if err != nil {
		return nil, err
	}
	var out []FaceImage
	for i, rb := range blocks {
		if rb.Tag != tagSequence {
			return nil, errf39794("representation %d: want SEQUENCE, got tag %X", i, rb.Tag)
		}
		img, ok, err := parseRepresentation39794(rb.Value)
		if err != nil {
			return nil, fmt.Errorf("%w (representation %d)", err, i)
		}
		if ok {
			out = append(out, img)
		}
	}
	if len(out) == 0 {
		return nil, errf39794("data block holds no 2D face image")
	}
	return out, nil
}

// checkVersion decodes versionBlock: generation [0] and year [1].
func checkVersion(v []byte) error {
	objs, err := children(v, "versionBlock")
	if err != nil {
		return err
	}
	g, err := required(objs, ctxP(0), "version generation")
	if err != nil {
		return err
	}
	if _, err := derUint(g.Value, 0xFFFF, "version generation"); err != nil {
		return err
	}
	y, err := required(objs, ctxP(1), "version year")
	if err != nil {
		return err
	}
	_, err = derUint(y.Value, 9999, "version year")
	return err
}

// parseRepresentation39794 decodes one RepresentationBlock; ok is false for
// a representation that is not a 2D image.
func parseRepresentation39794(v []byte) (FaceImage, bool, error) {
	objs, err := children(v, "representation")
	if err != nil {
		return FaceImage{}, false, err
	}
	id, err := required(objs, ctxP(0), "representationId")
	if err != nil {
		return FaceImage{}, false, err
	}
	if _, err := derUint(id.Value, 1<<31-1, "representationId"); err != nil {
		return FaceImage{}, false, err
	}
	rep, err := required(objs, ctxC(1), "imageRepresentation")
	if err != nil {
		return FaceImage{}, false, err
	}
	// imageRepresentation is a CHOICE: base [0] or extensionBlock [1].
	alt, rest, err := tlv.Next(rep.Value)
	if err != nil {
		return FaceImage{}, false, errf39794("imageRepresentation: %w", err)
	}
	if len(rest) != 0 {
		return FaceImage{}, false, errf39794("imageRepresentation: more than one alternative")
	}
	if alt.Tag != ctxC(0) {
		return FaceImage{}, false, nil
	}
	// base is a CHOICE whose 2D alternative is [0].
	two, rest, err := tlv.Next(alt.Value)
	if err != nil {
		return FaceImage{}, false, errf39794("imageRepresentation base: %w", err)
	}
	if len(rest) != 0 {
		return FaceImage{}, false, errf39794("imageRepresentation base: more than one alternative")
	}
	if two.Tag != ctxC(0) {
		return FaceImage{}, false, nil
	}
	img, err := parse2D39794(two.Value)
	return img, err == nil, err
}

// parse2D39794 decodes an ImageRepresentation2DBlock.
func parse2D39794(v []byte) (FaceImage, error) {
	objs, err := children(v, "imageRepresentation2DBlock")
	if err != nil {
		return FaceImage{}, err
	}
	data, err := required(objs, ctxP(0), "representationData2D")
	if err != nil {
		return FaceImage{}, err
	}
	if len(data.Value) == 0 {
		return FaceImage{}, errf39794("empty image")
	}
	infoObj, err := required(objs, ctxC(1), "imageInformation2DBlock")
	if err != nil {
		return FaceImage{}, err
	}
	info, err := children(infoObj.Value, "imageInformation2DBlock")
	if err != nil {
		return FaceImage{}, err
	}
	img := FaceImage{Data: data.Value}

	df, err := required(info, ctxC(0), "imageDataFormat")
	if err != nil {
		return FaceImage{}, err
	}
	code, known, err := choiceCode(df.Value, "imageDataFormat")
	if err != nil {
		return FaceImage{}, err
	}
	declared := ""
	if known {
		switch code {
		case code39794JPEG:
			declared = FormatJPEG
		case code39794JPEG2000Lossy, code39794JPEG2000Lossless:
			declared = FormatJPEG2000
		}
	}
	got := sniff39794(img.Data)
	if got == "" {
		return FaceImage{}, errf39794("image is not JPEG, JPEG 2000 or PNG")
	}
	if declared != "" && got != declared {
		return FaceImage{}, errf39794("says %s but the data is %s", declared, got)
	}
	img.Format = got

	if k, ok, err := field(info, ctxC(1), "faceImageKind2D"); err != nil {
		return FaceImage{}, err
	} else if ok {
		kind, known, err := choiceCode(k.Value, "faceImageKind2D")
		if err != nil {
			return FaceImage{}, err
		}
		if known && kind == code39794KindMRTD {
			img.ImageType = 1 // 19794-5 full frontal
		}
	}

	if s, ok, err := field(info, ctxC(7), "imageSizeBlock"); err != nil {
		return FaceImage{}, err
	} else if ok {
		size, err := children(s.Value, "imageSizeBlock")
		if err != nil {
			return FaceImage{}, err
		}
		w, err := required(size, ctxP(0), "image width")
		if err != nil {
			return FaceImage{}, err
		}
		h, err := required(size, ctxP(1), "image height")
		if err != nil {
			return FaceImage{}, err
		}
		if img.Width, err = derUint(w.Value, 0xFFFF, "image width"); err != nil {
			return FaceImage{}, err
		}
		if img.Height, err = derUint(h.Value, 0xFFFF, "image height"); err != nil {
			return FaceImage{}, err
		}
	}
	return img, nil
}

// derInt encodes a non-negative INTEGER's contents (negative values as 0).
func derInt(n int) []byte {
	if n <= 0 {
		return []byte{0}
	}
	var b []byte
	for v := uint64(n); v > 0; v >>= 8 {
		b = append([]byte{byte(v)}, b...)
	}
	if b[0]&0x80 != 0 {
		b = append([]byte{0}, b...)
	}
	return b
}

// MarshalDG2ISO39794 builds a DG2 holding one ISO/IEC 39794-5 face image
// data block with the given image (for the simulated chip and tests), in the
// structure ParseFaceImageDataBlock documents: version generation 3, year
// 2019; representation 0; imageDataFormat code jpeg (2) or jpeg2000Lossy
// (3), or an empty extension block for any other format; faceImageKind2D
// mrtd when ImageType is 1 (full frontal); imageSizeBlock when Width or
// Height is set.
func MarshalDG2ISO39794(img FaceImage) []byte {
	var format []byte
	switch img.Format {
	case FormatJPEG:
		format = tlv.Encode(ctxP(0), derInt(code39794JPEG))
	case FormatJPEG2000:
		format = tlv.Encode(ctxP(0), derInt(code39794JPEG2000Lossy))
	default:
		format = tlv.Encode(ctxC(1))
	}
	info := [][]byte{tlv.Encode(ctxC(0), format)}
	if img.ImageType == 1 {
		info = append(info, tlv.Encode(ctxC(1), tlv.Encode(ctxC(1), tlv.Encode(ctxP(0), derInt(code39794KindMRTD)))))
	}
	if img.Width > 0 || img.Height > 0 {
		info = append(info, tlv.Encode(ctxC(7), tlv.Encode(ctxP(0), derInt(img.Width)), tlv.Encode(ctxP(1), derInt(img.Height))))
	}
	twoD := tlv.Encode(ctxC(0), tlv.Encode(ctxP(0), img.Data), tlv.Encode(ctxC(1), info...))
	rep := tlv.Encode(tagSequence,
		tlv.Encode(ctxP(0), derInt(0)),
		tlv.Encode(ctxC(1), tlv.Encode(ctxC(0), twoD)))
	block := tlv.Encode(tagFaceImageDataBlock,
		tlv.Encode(ctxC(0), tlv.Encode(ctxP(0), derInt(3)), tlv.Encode(ctxP(1), derInt(2019))),
		tlv.Encode(ctxC(1), rep))
	// Biometric header template: ICAO header version 0101, format owner
	// 0101 (JTC 1/SC 37), format type 002A (39794-5 face image).
	bht := tlv.Encode(0xA1,
		tlv.Encode(0x80, []byte{0x01, 0x01}),
		tlv.Encode(0x87, []byte{0x01, 0x01}),
		tlv.Encode(0x88, []byte{0x00, 0x2A}))
	bit := tlv.Encode(0x7F60, bht, tlv.Encode(tagBDB39794, tlv.Encode(ctxC(1), block)))
	return tlv.Encode(DGTag(2), tlv.Encode(0x7F61, tlv.Encode(0x02, []byte{1}), bit))
}
