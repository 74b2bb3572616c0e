package printdesk

import (
	"bytes"
	"fmt"
	"strings"

	"switchboard/internal/pdf"
)

// Plain text is laid out in Courier 10 pt on A4 (595 × 842 pt, ISO 216):
// a 6 pt advance (Courier's 600/1000 em) gives 80 columns and 12 pt lines
// give 60 lines between margins of 56 pt (about 2 cm).
const (
	textCols    = 80
	textLines   = 60
	textTabStop = 8
	pageWidth   = pdf.A4Width
	pageHeight  = pdf.A4Height
	textMargin  = 56
	textLeading = 12
	// maxTextPages bounds a text laid out (20 MiB of line feeds would be
	// a third of a million pages, and a PDF ten times the text's size).
	maxTextPages = 500
)

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
		if r == '\t' {
			out = append(out, bytes.Repeat([]byte(" "), textTabStop-len(out)%textTabStop)...)
			continue
		}
		b, ok := pdf.WinAnsi(r)
		if !ok {
			return nil, fmt.Errorf("%w: line %d has %q, which plain-text printing cannot show (Latin letters only): save the text as PDF first",
				ErrDocument, ln, r)
		}
		out = append(out, b)
	}
	return out, nil
}

// writeTextPDF writes the pages in Courier 10 pt, a line every 12 pt.
func writeTextPDF(pages [][]string) []byte {
	contents := make([][]byte, len(pages))
	for i, lines := range pages {
		var c bytes.Buffer
		fmt.Fprintf(&c, "BT /F1 10 Tf %d TL %d %d Td\n", textLeading, textMargin, pageHeight-textMargin-10)
		for _, l := range lines {
			c.WriteString(pdf.Literal([]byte(l)))
			c.WriteString(" Tj T*\n")
		}
		c.WriteString("ET")
		contents[i] = c.Bytes()
	}
	return pdf.Document{Width: pageWidth, Height: pageHeight, Fonts: []string{pdf.Courier}}.Write(contents)
}
