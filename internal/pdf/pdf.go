// Package pdf writes small PDF files of text: the print desk's plain-text
// documents, the fax desk's transmission reports and the console's report
// downloads. Text is drawn with the standard 14 fonts (ISO 32000-1
// §9.6.2.2: every reader has them, so nothing is embedded) and, for what
// they cannot show (Chinese), a TrueType font of the machine's of which
// only the glyphs drawn are embedded (truetype.go; Mono draws both in
// columns). A caller lays its pages out as content streams; this package
// encodes text in WinAnsiEncoding, escapes strings and writes the objects
// and the cross-reference table.
package pdf

import (
	"bytes"
	"fmt"
	"strings"
)

// A4 in points (ISO 216: 210 × 297 mm), rounded as the print desk always
// wrote it.
const (
	A4Width  = 595
	A4Height = 842
)

// Standard fonts a Document may name (ISO 32000-1 §9.6.2.2).
const (
	Courier       = "Courier"
	CourierBold   = "Courier-Bold"
	Helvetica     = "Helvetica"
	HelveticaBold = "Helvetica-Bold"
)

// winAnsi maps the characters outside Latin-1 that WinAnsiEncoding has
// (ISO 32000-1 Annex D.2) and that text commonly carries.
var winAnsi = map[rune]byte{
	'€': 0x80, '‚': 0x82, '„': 0x84, '…': 0x85, '‘': 0x91, '’': 0x92, '“': 0x93, '”': 0x94,
	'•': 0x95, '–': 0x96, '—': 0x97, '™': 0x99,
}

// WinAnsi is r's code in WinAnsiEncoding; ok is false for a character the
// standard fonts cannot show (Chinese, for one) or a control character.
func WinAnsi(r rune) (b byte, ok bool) {
	switch {
	case r >= 0x20 && r < 0x7f, r >= 0xa0 && r <= 0xff:
		return byte(r), true
	}
	b, ok = winAnsi[r]
	return b, ok
}

// Encode encodes s in WinAnsiEncoding, each character the fonts cannot
// show replaced by '?'; lost counts them, so a caller can say so.
func Encode(s string) (out []byte, lost int) {
	out = make([]byte, 0, len(s))
	for _, r := range s {
		b, ok := WinAnsi(r)
		if !ok {
			b = '?'
			lost++
		}
		out = append(out, b)
	}
	return out, lost
}

// Literal is b as a PDF literal string: backslash and parentheses are
// escaped (ISO 32000-1 §7.3.4.2), so unbalanced ones are safe.
func Literal(b []byte) string {
	var s strings.Builder
	s.Grow(len(b) + 2)
	s.WriteByte('(')
	for _, c := range b {
		if c == '\\' || c == '(' || c == ')' {
			s.WriteByte('\\')
		}
		s.WriteByte(c)
	}
	s.WriteByte(')')
	return s.String()
}

// Document is the frame of a file: its page size in points and its fonts,
// which the content streams select as /F1, /F2, ... in this order; a
// TrueType font, when there is one, comes after them (/F{len(Fonts)+1})
// with the glyphs the pages drew with it (Used).
type Document struct {
	Width, Height int
	Fonts         []string
	TrueType      *TrueType
	Used          Glyphs
}

// Write writes the file of the pages' content streams: the catalog, the
// page tree, the fonts, then each page and its content stream, and the
// cross-reference table whose entries are exactly 20 bytes (§7.5.4).
func (d Document) Write(pages [][]byte) []byte {
	var b bytes.Buffer
	var offsets []int
	obj := func(body string) {
		offsets = append(offsets, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", len(offsets), body)
	}
	// A comment of bytes above 127 tells tools the file is binary (§7.5.2).
	b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	first := 3 + len(d.Fonts) // the first page's object number
	if d.TrueType != nil {
		first += 5 // cidObjects
	}
	kids := make([]string, len(pages))
	for i := range pages {
		kids[i] = fmt.Sprintf("%d 0 R", first+2*i)
	}
	fonts := make([]string, len(d.Fonts))
	obj("<< /Type /Catalog /Pages 2 0 R >>")
	obj(fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), len(pages)))
	for i, f := range d.Fonts {
		obj(fmt.Sprintf("<< /Type /Font /Subtype /Type1 /BaseFont /%s /Encoding /WinAnsiEncoding >>", f))
		fonts[i] = fmt.Sprintf("/F%d %d 0 R", i+1, 3+i)
	}
	if d.TrueType != nil {
		fonts = append(fonts, fmt.Sprintf("/F%d %d 0 R", len(d.Fonts)+1, 3+len(d.Fonts)))
		for _, o := range d.TrueType.cidObjects(3+len(d.Fonts), d.Used) {
			obj(o)
		}
	}
	res := fmt.Sprintf("<< /Font << %s >> >>", strings.Join(fonts, " "))
	for i, c := range pages {
		obj(fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Resources %s /Contents %d 0 R >>",
			d.Width, d.Height, res, first+2*i+1))
		obj(fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(c), c))
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offsets)+1)
	for _, o := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offsets)+1, xref)
	return b.Bytes()
}
