package printdesk

import (
	"bytes"
	"fmt"
	"strings"
)

// Plain text is laid out in Courier 10 pt on A4 (595 × 842 pt, ISO 216):
// a 6 pt advance (Courier's 600/1000 em) gives 80 columns and 12 pt lines
// give 60 lines between margins of 56 pt (about 2 cm).
const (
	textCols    = 80
	textLines   = 60
	textTabStop = 8
	pageWidth   = 595
	pageHeight  = 842
	textMargin  = 56
	textLeading = 12
	// maxTextPages bounds a text laid out (20 MiB of line feeds would be
	// a third of a million pages, and a PDF ten times the text's size).
	maxTextPages = 500
)

// winAnsi maps the characters outside Latin-1 that WinAnsiEncoding has
// (ISO 32000-1 Annex D.2) and that text files commonly carry.
var winAnsi = map[rune]byte{
	'€': 0x80, '‚': 0x82, '„': 0x84, '…': 0x85, '‘': 0x91, '’': 0x92, '“': 0x93, '”': 0x94,
	'•': 0x95, '–': 0x96, '—': 0x97, '™': 0x99,
}

// TextPDF lays plain text out as a PDF: lines wrapped at 80 columns, tabs
// to every 8th, a form feed starts a page. A character the standard
// Courier font cannot show (outside WinAnsiEncoding: Chinese, for one) is
// refused: printed, it would come out as the wrong glyphs.
func TextPDF(text string) (pdf []byte, pages int, err error) {
	text = strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\r", "\n")
	var pageLines [][]string
	var cur []string
	flush := func() { pageLines = append(pageLines, cur); cur = nil }
	for ln, raw := range strings.Split(strings.TrimRight(text, "\n\f"), "\n") {
		parts := strings.Split(raw, "\f")
		for pi, part := range parts {
			if pi > 0 {
				flush()
				if len(pageLines) >= maxTextPages {
					return nil, 0, fmt.Errorf("%w: the text runs over %d pages: print it in parts", ErrDocument, maxTextPages)
				}
			}
			line, err := encodeLine(part, ln+1)
			if err != nil {
				return nil, 0, err
			}
			// Wrapped at 80 columns; an empty line still takes its line.
			for first := true; first || len(line) > 0; first = false {
				n := min(len(line), textCols)
				if len(cur) == textLines {
					flush()
				}
				if len(pageLines) >= maxTextPages {
					return nil, 0, fmt.Errorf("%w: the text runs over %d pages: print it in parts", ErrDocument, maxTextPages)
				}
				cur = append(cur, string(line[:n]))
				line = line[n:]
			}
		}
	}
	flush()
	return writeTextPDF(pageLines), len(pageLines), nil
}

// encodeLine expands tabs and encodes a line in WinAnsiEncoding.
func encodeLine(s string, ln int) ([]byte, error) {
	var out []byte
	for _, r := range s {
		switch {
		case r == '\t':
			out = append(out, bytes.Repeat([]byte(" "), textTabStop-len(out)%textTabStop)...)
		case r >= 0x20 && r < 0x7f, r >= 0xa0 && r <= 0xff:
			out = append(out, byte(r))
		default:
			b, ok := winAnsi[r]
			if !ok {
				return nil, fmt.Errorf("%w: line %d has %q, which plain-text printing cannot show (Latin letters only): save the text as PDF first",
					ErrDocument, ln, r)
			}
			out = append(out, b)
		}
	}
	return out, nil
}

// writeTextPDF writes the pages: catalog, page tree, the font, then a page
// and its content stream per page, and the cross-reference table whose
// entries are exactly 20 bytes (ISO 32000-1 §7.5.4).
func writeTextPDF(pages [][]string) []byte {
	var b bytes.Buffer
	var offsets []int
	obj := func(body string) {
		offsets = append(offsets, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", len(offsets), body)
	}
	// A comment of bytes above 127 tells tools the file is binary (§7.5.2).
	b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	kids := make([]string, len(pages))
	for i := range pages {
		kids[i] = fmt.Sprintf("%d 0 R", 4+2*i)
	}
	obj("<< /Type /Catalog /Pages 2 0 R >>")
	obj(fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), len(pages)))
	obj("<< /Type /Font /Subtype /Type1 /BaseFont /Courier /Encoding /WinAnsiEncoding >>")
	for i, lines := range pages {
		var c bytes.Buffer
		fmt.Fprintf(&c, "BT /F1 10 Tf %d TL %d %d Td\n", textLeading, textMargin, pageHeight-textMargin-10)
		for _, l := range lines {
			c.WriteByte('(')
			for j := 0; j < len(l); j++ {
				// §7.3.4.2: backslash and unbalanced parentheses are escaped.
				if l[j] == '\\' || l[j] == '(' || l[j] == ')' {
					c.WriteByte('\\')
				}
				c.WriteByte(l[j])
			}
			c.WriteString(") Tj T*\n")
		}
		c.WriteString("ET")
		obj(fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>",
			pageWidth, pageHeight, 5+2*i))
		obj(fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", c.Len(), c.Bytes()))
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offsets)+1)
	for _, o := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offsets)+1, xref)
	return b.Bytes()
}
