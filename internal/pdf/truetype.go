package pdf

// A TrueType font drawn as a CIDFontType2 font (ISO 32000-1 §9.7.4) with
// Identity-H encoding and an identity CID-to-glyph map: a string is the
// glyphs' ids, two bytes each. Only the glyphs a document draws are
// embedded (a subset: the other glyphs' outlines are emptied, so glyph ids
// stay as they are), with their widths (/W) and a ToUnicode map (§9.10.3)
// so text can be searched and copied. It is how a PDF shows Chinese: the
// standard 14 fonts have no CJK glyphs. Only TrueType outlines ('glyf')
// are read; CFF-based OpenType and font collections are refused.

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"sort"
	"strings"

	"golang.org/x/image/font/sfnt"
)

// TrueType is a parsed TrueType font, read-only once loaded (safe to share
// between documents drawn at the same time).
type TrueType struct {
	name      string // PostScript name, without spaces
	sf        *sfnt.Font
	tables    map[string][]byte
	numGlyphs int
	unitsEm   int
	longLoca  bool
	advances  []uint16 // hmtx advances; glyphs past the last repeat it
}

// LoadTrueType reads and parses the TrueType font file at path.
func LoadTrueType(path string) (*TrueType, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("font: %w", err)
	}
	t, err := ParseTrueType(b)
	if err != nil {
		return nil, fmt.Errorf("font %s: %w", path, err)
	}
	return t, nil
}

// ParseTrueType parses a TrueType font (one font, 'glyf' outlines).
func ParseTrueType(data []byte) (*TrueType, error) {
	if len(data) < 12 {
		return nil, errors.New("not a font: too short")
	}
	if v := binary.BigEndian.Uint32(data); v != 0x00010000 && v != 0x74727565 { // 1.0 or 'true'
		return nil, fmt.Errorf("not a TrueType font (version %#x: a CFF OpenType font or a collection is not supported)", v)
	}
	n := int(binary.BigEndian.Uint16(data[4:]))
	if len(data) < 12+16*n {
		return nil, errors.New("not a font: the table directory is cut")
	}
	t := &TrueType{tables: map[string][]byte{}}
	for i := 0; i < n; i++ {
		e := data[12+16*i:]
		tag := string(e[:4])
		off, ln := binary.BigEndian.Uint32(e[8:]), binary.BigEndian.Uint32(e[12:])
		if uint64(off)+uint64(ln) > uint64(len(data)) {
			return nil, fmt.Errorf("table %q runs past the end of the file", tag)
		}
		t.tables[tag] = data[off : off+ln]
	}
	for _, tag := range []string{"head", "hhea", "hmtx", "maxp", "loca", "glyf", "cmap"} {
		if t.tables[tag] == nil {
			return nil, fmt.Errorf("no %q table (TrueType outlines are needed)", tag)
		}
	}
	head, hhea, maxp := t.tables["head"], t.tables["hhea"], t.tables["maxp"]
	if len(head) < 54 || len(hhea) < 36 || len(maxp) < 6 {
		return nil, errors.New("head, hhea or maxp table too short")
	}
	t.unitsEm = int(binary.BigEndian.Uint16(head[18:]))
	t.longLoca = binary.BigEndian.Uint16(head[50:]) == 1
	t.numGlyphs = int(binary.BigEndian.Uint16(maxp[4:]))
	if t.unitsEm == 0 || t.numGlyphs == 0 {
		return nil, errors.New("no units per em or no glyphs")
	}
	locaN := t.numGlyphs + 1
	if (t.longLoca && len(t.tables["loca"]) < 4*locaN) || (!t.longLoca && len(t.tables["loca"]) < 2*locaN) {
		return nil, errors.New("loca table too short")
	}
	hm := int(binary.BigEndian.Uint16(hhea[34:]))
	if hm == 0 || len(t.tables["hmtx"]) < 4*hm {
		return nil, errors.New("hmtx table too short")
	}
	t.advances = make([]uint16, hm)
	for i := range t.advances {
		t.advances[i] = binary.BigEndian.Uint16(t.tables["hmtx"][4*i:])
	}
	sf, err := sfnt.Parse(data)
	if err != nil {
		return nil, err
	}
	t.sf = sf
	var buf sfnt.Buffer
	name, err := sf.Name(&buf, sfnt.NameIDPostScript)
	if err != nil || name == "" {
		name = "Font"
	}
	t.name = strings.Map(func(r rune) rune {
		if r <= ' ' || r > '~' || strings.ContainsRune("()<>[]{}/%#", r) {
			return -1
		}
		return r
	}, name)
	return t, nil
}

// Glyph is r's glyph id; ok is false when the font has none for it.
func (t *TrueType) Glyph(r rune) (gid uint16, ok bool) {
	var buf sfnt.Buffer
	g, err := t.sf.GlyphIndex(&buf, r)
	if err != nil || g == 0 {
		return 0, false
	}
	return uint16(g), true
}

// Width is glyph gid's advance in thousandths of an em (PDF text space).
func (t *TrueType) Width(gid uint16) int {
	a := t.advances[len(t.advances)-1]
	if int(gid) < len(t.advances) {
		a = t.advances[gid]
	}
	return int(a) * 1000 / t.unitsEm
}

// Glyphs are the glyphs a document drew with a TrueType font and the
// characters they stand for (for ToUnicode).
type Glyphs map[uint16]rune

// Hex is the glyph ids as a PDF hexadecimal string.
func Hex(gids []uint16) string {
	var b strings.Builder
	b.WriteByte('<')
	for _, g := range gids {
		fmt.Fprintf(&b, "%04X", g)
	}
	b.WriteByte('>')
	return b.String()
}

// glyphRange is glyph gid's bytes in 'glyf'.
func (t *TrueType) glyphRange(gid int) (int, int) {
	loca := t.tables["loca"]
	if t.longLoca {
		return int(binary.BigEndian.Uint32(loca[4*gid:])), int(binary.BigEndian.Uint32(loca[4*gid+4:]))
	}
	return 2 * int(binary.BigEndian.Uint16(loca[2*gid:])), 2 * int(binary.BigEndian.Uint16(loca[2*gid+2:]))
}

// glyph is glyph gid's outline ("" for an empty glyph or a broken range).
func (t *TrueType) glyph(gid int) []byte {
	lo, hi := t.glyphRange(gid)
	glyf := t.tables["glyf"]
	if lo >= hi || hi > len(glyf) {
		return nil
	}
	return glyf[lo:hi]
}

// components are the glyphs a composite glyph is made of (TrueType
// 'glyf' composite descriptions: flags, glyph index, then arguments and
// a transform whose sizes the flags give).
func components(g []byte) []int {
	if len(g) < 10 || int16(binary.BigEndian.Uint16(g)) >= 0 {
		return nil
	}
	var out []int
	for p := 10; p+4 <= len(g); {
		flags := binary.BigEndian.Uint16(g[p:])
		out = append(out, int(binary.BigEndian.Uint16(g[p+2:])))
		p += 4
		if flags&0x0001 != 0 { // ARG_1_AND_2_ARE_WORDS
			p += 4
		} else {
			p += 2
		}
		switch {
		case flags&0x0008 != 0: // WE_HAVE_A_SCALE
			p += 2
		case flags&0x0040 != 0: // WE_HAVE_AN_X_AND_Y_SCALE
			p += 4
		case flags&0x0080 != 0: // WE_HAVE_A_TWO_BY_TWO
			p += 8
		}
		if flags&0x0020 == 0 { // MORE_COMPONENTS
			break
		}
	}
	return out
}

// subset is the font with only the outlines of used (and glyph 0, and the
// components of composite glyphs) kept: the tables a PDF reader needs for
// a CIDFontType2 font (§9.9: head, hhea, hmtx, loca, glyf, maxp, and the
// hinting tables cvt, fpgm, prep) and cmap and post (without glyph
// names), loca in the long format.
func (t *TrueType) subset(used Glyphs) []byte {
	keep := map[int]bool{}
	var visit func(g int)
	visit = func(g int) {
		if g >= t.numGlyphs || keep[g] {
			return
		}
		keep[g] = true
		for _, c := range components(t.glyph(g)) {
			visit(c)
		}
	}
	visit(0)
	for g := range used {
		visit(int(g))
	}
	var glyf bytes.Buffer
	loca := make([]byte, 4*(t.numGlyphs+1))
	for g := 0; g < t.numGlyphs; g++ {
		binary.BigEndian.PutUint32(loca[4*g:], uint32(glyf.Len()))
		if keep[g] {
			glyf.Write(t.glyph(g))
			for glyf.Len()%4 != 0 {
				glyf.WriteByte(0)
			}
		}
	}
	binary.BigEndian.PutUint32(loca[4*t.numGlyphs:], uint32(glyf.Len()))
	head := append([]byte(nil), t.tables["head"]...)
	binary.BigEndian.PutUint32(head[8:], 0)  // checkSumAdjustment, set below
	binary.BigEndian.PutUint16(head[50:], 1) // indexToLocFormat: long
	tables := map[string][]byte{"head": head, "hhea": t.tables["hhea"], "hmtx": t.tables["hmtx"], "maxp": t.tables["maxp"],
		"loca": loca, "glyf": glyf.Bytes()}
	// cmap too, which a CIDFontType2 font does not need (its glyphs are
	// found by id) but font tools do to read the file.
	for _, tag := range []string{"cvt ", "fpgm", "prep", "cmap"} {
		if b := t.tables[tag]; b != nil {
			tables[tag] = b
		}
	}
	if post := t.tables["post"]; len(post) >= 32 {
		// Version 3: the header without the glyph names.
		p := append([]byte(nil), post[:32]...)
		binary.BigEndian.PutUint32(p, 0x00030000)
		tables["post"] = p
	}
	tags := make([]string, 0, len(tables))
	for tag := range tables {
		tags = append(tags, tag)
	}
	sort.Strings(tags)
	var out bytes.Buffer
	n := len(tags)
	sel := 0
	for 1<<(sel+1) <= n {
		sel++
	}
	hdr := make([]byte, 12+16*n)
	binary.BigEndian.PutUint32(hdr, 0x00010000)
	binary.BigEndian.PutUint16(hdr[4:], uint16(n))
	binary.BigEndian.PutUint16(hdr[6:], uint16(16<<sel))
	binary.BigEndian.PutUint16(hdr[8:], uint16(sel))
	binary.BigEndian.PutUint16(hdr[10:], uint16(16*n-16<<sel))
	off := len(hdr)
	var headAt int
	var body bytes.Buffer
	for i, tag := range tags {
		b := tables[tag]
		e := hdr[12+16*i:]
		copy(e, tag)
		binary.BigEndian.PutUint32(e[4:], checksum(b))
		binary.BigEndian.PutUint32(e[8:], uint32(off+body.Len()))
		binary.BigEndian.PutUint32(e[12:], uint32(len(b)))
		if tag == "head" {
			headAt = off + body.Len()
		}
		body.Write(b)
		for body.Len()%4 != 0 {
			body.WriteByte(0)
		}
	}
	out.Write(hdr)
	out.Write(body.Bytes())
	font := out.Bytes()
	// The whole font sums to 0xB1B0AFBA (the TrueType 'head' table's rule).
	binary.BigEndian.PutUint32(font[headAt+8:], 0xB1B0AFBA-checksum(font))
	return font
}

// checksum is a TrueType table checksum: the sum of its big-endian
// 32-bit words, the last padded with zeros.
func checksum(b []byte) uint32 {
	var s uint32
	for i := 0; i < len(b); i += 4 {
		var w [4]byte
		copy(w[:], b[i:])
		s += binary.BigEndian.Uint32(w[:])
	}
	return s
}

// cidObjects are the font's objects for a document that drew used, the
// first numbered first: the Type0 font (which /Fn names), the CIDFont,
// its descriptor, the subset font file and the ToUnicode map.
func (t *TrueType) cidObjects(first int, used Glyphs) []string {
	gids := make([]int, 0, len(used))
	for g := range used {
		gids = append(gids, int(g))
	}
	sort.Ints(gids)
	h := fnv.New32a()
	for _, g := range gids {
		fmt.Fprintf(h, "%d,", g)
	}
	tag := make([]byte, 6) // a subset's name starts with six capitals and + (§9.6.4)
	for i, v := 0, h.Sum32(); i < 6; i, v = i+1, v/26 {
		tag[i] = byte('A' + v%26)
	}
	name := string(tag) + "+" + t.name
	var w strings.Builder
	for _, g := range gids {
		fmt.Fprintf(&w, "%d [%d] ", g, t.Width(uint16(g)))
	}
	head, hhea := t.tables["head"], t.tables["hhea"]
	scale := func(v int16) int { return int(v) * 1000 / t.unitsEm }
	bbox := fmt.Sprintf("[%d %d %d %d]", scale(int16(binary.BigEndian.Uint16(head[36:]))), scale(int16(binary.BigEndian.Uint16(head[38:]))),
		scale(int16(binary.BigEndian.Uint16(head[40:]))), scale(int16(binary.BigEndian.Uint16(head[42:]))))
	ascent, descent := scale(int16(binary.BigEndian.Uint16(hhea[4:]))), scale(int16(binary.BigEndian.Uint16(hhea[6:])))
	file := deflate(t.subset(used))
	toUni := deflate(toUnicode(gids, used))
	return []string{
		fmt.Sprintf("<< /Type /Font /Subtype /Type0 /BaseFont /%s /Encoding /Identity-H /DescendantFonts [%d 0 R] /ToUnicode %d 0 R >>", name, first+1, first+4),
		fmt.Sprintf("<< /Type /Font /Subtype /CIDFontType2 /BaseFont /%s /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "+
			"/FontDescriptor %d 0 R /CIDToGIDMap /Identity /DW 1000 /W [%s] >>", name, first+2, strings.TrimSpace(w.String())),
		// Flags 4: symbolic (glyphs outside the standard Latin set).
		fmt.Sprintf("<< /Type /FontDescriptor /FontName /%s /Flags 4 /FontBBox %s /ItalicAngle 0 /Ascent %d /Descent %d /CapHeight %d /StemV 80 /FontFile2 %d 0 R >>",
			name, bbox, ascent, descent, ascent, first+3),
		fmt.Sprintf("<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream", len(file), file),
		fmt.Sprintf("<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream", len(toUni), toUni),
	}
}

// toUnicode is the CMap that maps each glyph id back to its character
// (Adobe Technical Note #5411's bfchar form, at most 100 a block).
func toUnicode(gids []int, used Glyphs) []byte {
	var b bytes.Buffer
	b.WriteString("/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n" +
		"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n" +
		"1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n")
	for i := 0; i < len(gids); i += 100 {
		block := gids[i:min(i+100, len(gids))]
		fmt.Fprintf(&b, "%d beginbfchar\n", len(block))
		for _, g := range block {
			fmt.Fprintf(&b, "<%04X> <", g)
			for _, u := range utf16(used[uint16(g)]) {
				fmt.Fprintf(&b, "%04X", u)
			}
			b.WriteString(">\n")
		}
		b.WriteString("endbfchar\n")
	}
	b.WriteString("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n")
	return b.Bytes()
}

// utf16 is r in UTF-16 code units.
func utf16(r rune) []uint16 {
	if r < 0x10000 {
		return []uint16{uint16(r)}
	}
	r -= 0x10000
	return []uint16{uint16(0xD800 + r>>10), uint16(0xDC00 + r&0x3FF)}
}

// deflate compresses b for /FlateDecode (a zlib stream, §7.4.4).
func deflate(b []byte) []byte {
	var out bytes.Buffer
	z := zlib.NewWriter(&out)
	_, _ = z.Write(b) // writing to memory cannot fail
	_ = z.Close()
	return out.Bytes()
}
