package tifff

import (
	"encoding/binary"
	"errors"
	"fmt"

	"switchboard/internal/fax/codec"
)

// Limits that keep a hostile file from costing much memory or time.
const (
	maxPages   = 1000
	maxEntries = 512
	maxStrips  = 1 << 14
	maxHeight  = 1 << 16
)

// Read parses a TIFF file and returns its bilevel fax pages with their
// coded data. Pages that are not CCITT-coded bilevel images are an error.
func Read(data []byte) ([]*Page, error) {
	if len(data) < 8 {
		return nil, errors.New("tiff: file too short")
	}
	var bo binary.ByteOrder
	switch string(data[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return nil, errors.New("tiff: not a TIFF file")
	}
	if bo.Uint16(data[2:]) != 42 {
		return nil, errors.New("tiff: bad magic number (BigTIFF is not supported)")
	}
	r := &reader{data: data, bo: bo}
	var pages []*Page
	seen := map[uint32]bool{}
	off := bo.Uint32(data[4:])
	for off != 0 {
		if seen[off] || len(pages) >= maxPages {
			return nil, errors.New("tiff: IFD loop or too many pages")
		}
		seen[off] = true
		pg, next, err := r.page(off, len(pages))
		if err != nil {
			return nil, err
		}
		pages = append(pages, pg)
		off = next
	}
	if len(pages) == 0 {
		return nil, errors.New("tiff: no pages")
	}
	return pages, nil
}

type reader struct {
	data []byte
	bo   binary.ByteOrder
}

type entry struct {
	typ   uint16
	count uint32
	val   []byte // the value bytes
}

var typeSize = map[uint16]int{1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8}

func (r *reader) ints(e entry) []uint64 {
	var out []uint64
	n := int(e.count)
	for i := 0; i < n; i++ {
		switch e.typ {
		case 1, 6, 7:
			out = append(out, uint64(e.val[i]))
		case 3, 8:
			out = append(out, uint64(r.bo.Uint16(e.val[2*i:])))
		case 4, 9:
			out = append(out, uint64(r.bo.Uint32(e.val[4*i:])))
		default:
			return nil
		}
	}
	return out
}

func (r *reader) page(off uint32, index int) (*Page, uint32, error) {
	d := r.data
	if uint64(off)+2 > uint64(len(d)) {
		return nil, 0, errors.New("tiff: IFD offset out of range")
	}
	n := int(r.bo.Uint16(d[off:]))
	end := uint64(off) + 2 + uint64(n)*12 + 4
	if n > maxEntries || end > uint64(len(d)) {
		return nil, 0, errors.New("tiff: IFD out of range")
	}
	tags := map[uint16]entry{}
	for i := 0; i < n; i++ {
		p := d[int(off)+2+12*i:]
		tag, typ, count := r.bo.Uint16(p), r.bo.Uint16(p[2:]), r.bo.Uint32(p[4:])
		sz, ok := typeSize[typ]
		if !ok {
			continue
		}
		total := uint64(sz) * uint64(count)
		var val []byte
		if total <= 4 {
			val = p[8 : 8+total]
		} else {
			vo := uint64(r.bo.Uint32(p[8:]))
			if vo+total > uint64(len(d)) {
				return nil, 0, fmt.Errorf("tiff: tag %d value out of range", tag)
			}
			val = d[vo : vo+total]
		}
		tags[tag] = entry{typ, count, val}
	}
	next := r.bo.Uint32(d[end-4:])
	one := func(tag uint16, def uint64) uint64 {
		if e, ok := tags[tag]; ok {
			if v := r.ints(e); len(v) > 0 {
				return v[0]
			}
		}
		return def
	}
	rat := func(tag uint16) float64 {
		e, ok := tags[tag]
		if !ok || e.typ != 5 || e.count < 1 {
			return 0
		}
		num, den := r.bo.Uint32(e.val), r.bo.Uint32(e.val[4:])
		if den == 0 {
			return 0
		}
		return float64(num) / float64(den)
	}
	pg := &Page{
		Width:        int(one(tagImageWidth, 0)),
		Height:       int(one(tagImageLength, 0)),
		PageNumber:   index,
		CleanFaxData: CleanUnknown,
	}
	if pg.Width <= 0 || pg.Width > 8192 || pg.Height <= 0 || pg.Height > maxHeight {
		return nil, 0, fmt.Errorf("tiff: page %d: size %dx%d unsupported", index, pg.Width, pg.Height)
	}
	if one(tagBitsPerSample, 1) != 1 || one(tagSamplesPerPixel, 1) != 1 {
		return nil, 0, fmt.Errorf("tiff: page %d is not bilevel", index)
	}
	p := codec.Params{Width: pg.Width}
	switch one(tagCompression, 1) {
	case 3:
		t4 := one(tagT4Options, 0)
		if t4&2 != 0 {
			return nil, 0, fmt.Errorf("tiff: page %d: uncompressed mode (T4Options bit 1) not supported", index)
		}
		p.Scheme = codec.MH
		if t4&1 != 0 {
			p.Scheme = codec.MR
		}
		p.AlignEOL = t4&4 != 0
	case 4:
		p.Scheme = codec.MMR
	default:
		return nil, 0, fmt.Errorf("tiff: page %d: compression %d is not T.4/T.6", index, one(tagCompression, 1))
	}
	if one(tagFillOrder, 1) == 2 {
		p.Order = codec.LSBFirst
	}
	pg.Params = p
	pg.BlackIsZero = one(tagPhotometric, 0) == 1
	pg.XRes, pg.YRes = rat(tagXResolution), rat(tagYResolution)
	if one(tagResolutionUnit, 2) == 3 { // centimetre
		pg.XRes *= 2.54
		pg.YRes *= 2.54
	}
	pg.RowsPerStrip = int(min(one(tagRowsPerStrip, uint64(pg.Height)), uint64(pg.Height)))
	if e, ok := tags[tagPageNumber]; ok {
		if v := r.ints(e); len(v) == 2 {
			pg.PageNumber, pg.PageCount = int(v[0]), int(v[1])
		}
	}
	if e, ok := tags[tagSoftware]; ok && e.typ == 2 {
		pg.Software = cstring(e.val)
	}
	if e, ok := tags[tagDateTime]; ok && e.typ == 2 {
		pg.DateTime = cstring(e.val)
	}
	pg.BadFaxLines = int(one(tagBadFaxLines, 0))
	pg.ConsecutiveBadFaxLines = int(one(tagConsecutiveBadFaxLines, 0))
	if _, ok := tags[tagCleanFaxData]; ok {
		pg.CleanFaxData = int(one(tagCleanFaxData, 0))
	}
	so, sc := tags[tagStripOffsets], tags[tagStripByteCounts]
	offs, counts := r.ints(so), r.ints(sc)
	if len(offs) == 0 || len(offs) != len(counts) || len(offs) > maxStrips {
		return nil, 0, fmt.Errorf("tiff: page %d: bad strip tables", index)
	}
	for i := range offs {
		if offs[i]+counts[i] > uint64(len(d)) {
			return nil, 0, fmt.Errorf("tiff: page %d: strip %d out of range", index, i)
		}
		pg.Strips = append(pg.Strips, d[offs[i]:offs[i]+counts[i]])
	}
	return pg, next, nil
}

func cstring(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}
