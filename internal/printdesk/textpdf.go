package printdesk

import (
	"bytes"
	"fmt"
	"strings"

	"switchboard/internal/pdf"
)

// Plain text is laid out in Courier 10 pt on A4 (595 × 842 pt, ISO 216):
// a 6 pt advance (Courier's 600/1000 em) gives 80 columns and 12 pt lines
// give 60 lines between margins of 56 pt (about 2 cm). A Chinese
// character takes two columns (pdf.Mono), so 40 of them fill a line.
const (
	textCols    = 80
	textLines   = 60
	textTabStop = 8
	pageWidth   = pdf.A4Width
	pageHeight  = pdf.A4Height
	textMargin  = 56
	textLeading = 12
	textSize    = 10
	// maxTextPages bounds a text laid out (20 MiB of line feeds would be
	// a third of a million pages, and a PDF ten times the text's size).
	maxTextPages = 500
)

// TextPDF lays plain text out as a PDF: lines wrapped at 80 columns, tabs
// to every 8th, a form feed starts a page. What Courier cannot show
// (outside WinAnsiEncoding: Chinese, for one) is drawn with font, a
// TrueType font with Chinese glyphs, of which only the glyphs used are
// embedded. A character neither can show is refused (printed, it would
// come out as the wrong glyphs), and so is all Chinese when font is nil:
// the refusal says to install the font.
func TextPDF(text string, font *pdf.TrueType) (file []byte, pages int, err error) {
	m := &pdf.Mono{Fonts: []string{pdf.Courier}, Wide: font}
	text = strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\r", "\n")
	var pageLines [][]string
	var cur []string
	tooLong := func() error {
		return fmt.Errorf("%w: the text runs over %d pages: print it in parts", ErrDocument, maxTextPages)
	}
	flush := func() { pageLines = append(pageLines, cur); cur = nil }
	for ln, raw := range strings.Split(strings.TrimRight(text, "\n\f"), "\n") {
		for pi, part := range strings.Split(raw, "\f") {
			if pi > 0 {
				flush()
				if len(pageLines) >= maxTextPages {
					return nil, 0, tooLong()
				}
			}
			wrapped, err := textLine(m, part, ln+1)
			if err != nil {
				return nil, 0, err
			}
			for _, l := range wrapped {
				if len(cur) == textLines {
					flush()
				}
				if len(pageLines) >= maxTextPages {
					return nil, 0, tooLong()
				}
				cur = append(cur, l)
			}
		}
	}
	flush()
	contents := make([][]byte, len(pageLines))
	for i, lines := range pageLines {
		var c bytes.Buffer
		for j, l := range lines {
			if l != "" {
				m.Text(&c, 1, textSize, textMargin, pageHeight-textMargin-textSize-j*textLeading, l)
			}
		}
		contents[i] = c.Bytes()
	}
	return m.Write(pageWidth, pageHeight, contents), len(pageLines), nil
}

// textLine is line ln of the text (s) with its tabs expanded, cut into
// lines of at most 80 columns (an empty line still takes its line; a
// two-column character that would straddle the edge starts the next
// line), or the refusal of a character m cannot draw.
func textLine(m *pdf.Mono, s string, ln int) ([]string, error) {
	var out []string
	var cur strings.Builder
	col := 0
	put := func(r rune, w int) {
		if col+w > textCols {
			out = append(out, cur.String())
			cur.Reset()
			col = 0
		}
		cur.WriteRune(r)
		col += w
	}
	for _, r := range s {
		if r == '\t' {
			// A tab that ends the line's last stop goes no further.
			for n := textTabStop - col%textTabStop; n > 0 && col < textCols; n-- {
				put(' ', 1)
			}
			continue
		}
		if !m.Has(r) {
			if m.Wide == nil {
				return nil, fmt.Errorf("%w: line %d has %q, which plain-text printing shows only with a Chinese font on the gateway: "+
					"install Debian's fonts-droid-fallback and restart switchboard, or save the text as PDF first", ErrDocument, ln, r)
			}
			return nil, fmt.Errorf("%w: line %d has %q, which neither Courier nor the gateway's Chinese font has: save the text as PDF first",
				ErrDocument, ln, r)
		}
		put(r, m.Cells(r))
	}
	return append(out, cur.String()), nil
}
