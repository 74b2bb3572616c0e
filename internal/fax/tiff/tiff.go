// Package tifff reads and writes TIFF Class F (RFC 2306) fax files: one
// bilevel page per IFD, coded MH or MR (Compression 3) or MMR
// (Compression 4). Pages keep their coded data as stored so that it can
// be embedded in a PDF or sent on the line without re-encoding; the
// decoded bitmap is produced on request.
package tifff

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"

	"switchboard/internal/fax/codec"
)

// TIFF tags used by Class F (RFC 2306 §4, TIFF 6.0 §8, §11).
const (
	tagNewSubfileType         = 254
	tagImageWidth             = 256
	tagImageLength            = 257
	tagBitsPerSample          = 258
	tagCompression            = 259
	tagPhotometric            = 262
	tagFillOrder              = 266
	tagStripOffsets           = 273
	tagSamplesPerPixel        = 277
	tagRowsPerStrip           = 278
	tagStripByteCounts        = 279
	tagXResolution            = 282
	tagYResolution            = 283
	tagPlanarConfig           = 284
	tagT4Options              = 292
	tagT6Options              = 293
	tagResolutionUnit         = 296
	tagPageNumber             = 297
	tagSoftware               = 305
	tagDateTime               = 306
	tagBadFaxLines            = 326
	tagCleanFaxData           = 327
	tagConsecutiveBadFaxLines = 328
)

// CleanFaxData values (RFC 2306 §4.3).
const (
	Clean            = 0 // no errors
	Regenerated      = 1 // errors concealed by the receiver
	UnregeneratedBad = 2 // errors left in the data
	CleanUnknown     = -1
)

// Vertical resolutions in lines per inch (T.4 §2.3: 3.85 and 7.7 lines/mm).
const (
	XRes         = 204
	YResStandard = 98
	YResFine     = 196
)

// Page is one fax page.
type Page struct {
	Width, Height int
	// Params says how Data is coded (scheme, bit order, EOL alignment).
	Params codec.Params
	// XRes, YRes in pels per inch.
	XRes, YRes float64
	// Strips holds the coded strips as stored; most Class F writers use
	// one strip per page. RowsPerStrip gives their height.
	Strips       [][]byte
	RowsPerStrip int
	// PageNumber is 0-based; PageCount is 0 when unknown.
	PageNumber, PageCount int
	// Fax quality tags; CleanFaxData is CleanUnknown when absent.
	BadFaxLines, ConsecutiveBadFaxLines int
	CleanFaxData                        int
	Software, DateTime                  string
	// BlackIsZero is set for Photometric 1 (rare in fax files).
	BlackIsZero bool
}

// Coded returns the page's data as one coded stream when the strips can
// be joined without re-encoding (a single strip, or G3 strips that each
// start with an EOL), else ok is false.
func (p *Page) Coded() (data []byte, ok bool) {
	if len(p.Strips) == 1 {
		return p.Strips[0], true
	}
	if p.Params.Scheme == codec.MMR {
		return nil, false
	}
	var out []byte
	for _, s := range p.Strips {
		out = append(out, s...)
	}
	return out, true
}

// Decode decodes the page strictly.
func (p *Page) Decode() (*codec.Bitmap, error) {
	var out *codec.Bitmap
	err := p.eachStrip(func(data []byte, q codec.Params) error {
		b, err := codec.Decode(data, q)
		if err != nil {
			return err
		}
		out = stack(out, b)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if p.BlackIsZero {
		invert(out)
	}
	return out, nil
}

// invert flips every pel (Photometric BlackIsZero: coded "white" is 1).
func invert(b *codec.Bitmap) {
	for i := range b.Bits {
		b.Bits[i] = ^b.Bits[i]
	}
}

// DecodeReceived decodes with error concealment and counts bad lines.
func (p *Page) DecodeReceived() (*codec.Page, error) {
	res := &codec.Page{EndMark: true}
	err := p.eachStrip(func(data []byte, q codec.Params) error {
		pg, err := codec.DecodePage(data, q)
		if err != nil {
			return err
		}
		res.Bitmap = stack(res.Bitmap, pg.Bitmap)
		res.BadLines += pg.BadLines
		res.MaxConsecutiveBad = max(res.MaxConsecutiveBad, pg.MaxConsecutiveBad)
		res.Errors = append(res.Errors, pg.Errors...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if p.BlackIsZero {
		invert(res.Bitmap)
	}
	return res, nil
}

func (p *Page) eachStrip(f func([]byte, codec.Params) error) error {
	rows := p.RowsPerStrip
	if rows <= 0 || rows > p.Height {
		rows = p.Height
	}
	left := p.Height
	for i, s := range p.Strips {
		if left <= 0 {
			break
		}
		q := p.Params
		q.Width = p.Width
		q.Height = min(rows, left)
		q.MaxLines = max(q.Height, 1)
		if err := f(s, q); err != nil {
			return fmt.Errorf("tiff: page %d strip %d: %w", p.PageNumber, i, err)
		}
		left -= q.Height
	}
	if left > 0 {
		return fmt.Errorf("tiff: page %d: strips hold %d of %d rows", p.PageNumber, p.Height-left, p.Height)
	}
	return nil
}

func stack(a, b *codec.Bitmap) *codec.Bitmap {
	if a == nil {
		return b
	}
	out := &codec.Bitmap{Width: a.Width, Height: a.Height + b.Height, Stride: a.Stride}
	out.Bits = append(append([]byte(nil), a.Bits[:a.Stride*a.Height]...), b.Bits[:b.Stride*b.Height]...)
	return out
}

// NewPage codes a bitmap as a Class F page: EOLs byte-aligned and no RTC
// for G3 (RFC 2306 §4.4), and the resolution given in lines per inch.
func NewPage(b *codec.Bitmap, p codec.Params, yres float64) (*Page, error) {
	p.Width = b.Width
	p.NoRTC = true
	if p.Scheme != codec.MMR {
		p.AlignEOL = true
	}
	p.MinLineBytes = 0
	data, err := codec.Encode(b, p)
	if err != nil {
		return nil, err
	}
	return &Page{
		Width: b.Width, Height: b.Height, Params: p,
		XRes: XRes, YRes: yres,
		Strips: [][]byte{data}, RowsPerStrip: b.Height,
		CleanFaxData: Clean,
	}, nil
}

// Write writes pages as a little-endian TIFF Class F file.
func Write(w io.Writer, pages []*Page) error {
	if len(pages) == 0 {
		return errors.New("tiff: no pages")
	}
	le := binary.LittleEndian
	var out []byte
	out = append(out, 'I', 'I', 42, 0, 0, 0, 0, 0)
	nextPtr := 4 // where the next IFD offset goes
	for i, pg := range pages {
		if len(pg.Strips) == 0 || pg.Width <= 0 || pg.Height <= 0 {
			return fmt.Errorf("tiff: page %d is empty", i)
		}
		var offs, counts []uint32
		for _, s := range pg.Strips {
			offs = append(offs, uint32(len(out)))
			counts = append(counts, uint32(len(s)))
			out = append(out, s...)
			if len(out)%2 == 1 {
				out = append(out, 0)
			}
		}
		if len(out) > math.MaxUint32/2 {
			return errors.New("tiff: file too large")
		}
		rows := pg.RowsPerStrip
		if rows <= 0 {
			rows = pg.Height
		}
		var e ifd
		e.long(tagNewSubfileType, 2) // RFC 2306: bit 1, single page of a multi-page document
		e.long(tagImageWidth, uint32(pg.Width))
		e.long(tagImageLength, uint32(pg.Height))
		e.short(tagBitsPerSample, 1)
		switch pg.Params.Scheme {
		case codec.MMR:
			e.short(tagCompression, 4)
		default:
			e.short(tagCompression, 3)
		}
		ph := uint16(0) // WhiteIsZero
		if pg.BlackIsZero {
			ph = 1
		}
		e.short(tagPhotometric, ph)
		fo := uint16(1)
		if pg.Params.Order == codec.LSBFirst {
			fo = 2
		}
		e.short(tagFillOrder, fo)
		e.longs(tagStripOffsets, offs)
		e.short(tagSamplesPerPixel, 1)
		e.long(tagRowsPerStrip, uint32(rows))
		e.longs(tagStripByteCounts, counts)
		xr, yr := pg.XRes, pg.YRes
		if xr == 0 {
			xr = XRes
		}
		if yr == 0 {
			yr = YResStandard
		}
		e.rational(tagXResolution, xr)
		e.rational(tagYResolution, yr)
		e.short(tagPlanarConfig, 1)
		switch pg.Params.Scheme {
		case codec.MH, codec.MR:
			// TIFF 6.0 §11 T4Options: bit 0 = 2-D coding, bit 2 = fill bits before EOL.
			var t4 uint32
			if pg.Params.Scheme == codec.MR {
				t4 |= 1
			}
			if pg.Params.AlignEOL {
				t4 |= 4
			}
			e.long(tagT4Options, t4)
		case codec.MMR:
			e.long(tagT6Options, 0)
		}
		e.short(tagResolutionUnit, 2) // inch
		count := pg.PageCount
		if count == 0 {
			count = len(pages)
		}
		num := pg.PageNumber
		if num == 0 {
			num = i
		}
		e.shorts(tagPageNumber, []uint16{uint16(num), uint16(count)})
		if pg.Software != "" {
			e.ascii(tagSoftware, pg.Software)
		}
		if pg.DateTime != "" {
			e.ascii(tagDateTime, pg.DateTime)
		}
		if pg.CleanFaxData != CleanUnknown {
			e.long(tagBadFaxLines, uint32(pg.BadFaxLines))
			e.short(tagCleanFaxData, uint16(pg.CleanFaxData))
			e.long(tagConsecutiveBadFaxLines, uint32(pg.ConsecutiveBadFaxLines))
		}
		if len(out)%2 == 1 {
			out = append(out, 0)
		}
		pos := uint32(len(out))
		le.PutUint32(out[nextPtr:], pos)
		out, nextPtr = e.encode(out, pos)
	}
	_, err := w.Write(out)
	return err
}

type field struct {
	tag, typ uint16
	count    uint32
	data     []byte
}

type ifd struct{ fields []field }

func (e *ifd) add(tag, typ uint16, count uint32, data []byte) {
	e.fields = append(e.fields, field{tag, typ, count, data})
}
func (e *ifd) short(tag, v uint16) { e.shorts(tag, []uint16{v}) }
func (e *ifd) shorts(tag uint16, v []uint16) {
	b := make([]byte, 2*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint16(b[2*i:], x)
	}
	e.add(tag, 3, uint32(len(v)), b)
}
func (e *ifd) long(tag uint16, v uint32) { e.longs(tag, []uint32{v}) }
func (e *ifd) longs(tag uint16, v []uint32) {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], x)
	}
	e.add(tag, 4, uint32(len(v)), b)
}
func (e *ifd) rational(tag uint16, v float64) {
	b := make([]byte, 8)
	binary.LittleEndian.PutUint32(b, uint32(math.Round(v*100)))
	binary.LittleEndian.PutUint32(b[4:], 100)
	e.add(tag, 5, 1, b)
}
func (e *ifd) ascii(tag uint16, s string) {
	b := append([]byte(s), 0)
	e.add(tag, 2, uint32(len(b)), b)
}

// encode appends the IFD (entries sorted by tag, TIFF 6.0 §2) at pos,
// followed by the values too large for an entry. It returns where the
// next-IFD offset is.
func (e *ifd) encode(out []byte, pos uint32) ([]byte, int) {
	le := binary.LittleEndian
	slices.SortFunc(e.fields, func(a, b field) int { return int(a.tag) - int(b.tag) })
	n := len(e.fields)
	extra := pos + 2 + uint32(n)*12 + 4
	var tail []byte
	out = le.AppendUint16(out, uint16(n))
	for _, f := range e.fields {
		out = le.AppendUint16(out, f.tag)
		out = le.AppendUint16(out, f.typ)
		out = le.AppendUint32(out, f.count)
		if len(f.data) <= 4 {
			var v [4]byte
			copy(v[:], f.data)
			out = append(out, v[:]...)
		} else {
			out = le.AppendUint32(out, extra+uint32(len(tail)))
			tail = append(tail, f.data...)
			if len(tail)%2 == 1 {
				tail = append(tail, 0)
			}
		}
	}
	next := len(out)
	out = le.AppendUint32(out, 0)
	return append(out, tail...), next
}
