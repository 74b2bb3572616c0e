package pdf

import (
	"bytes"
	"fmt"
	"strings"
)

// Mono draws text in the monospaced standard fonts (Courier: a column is
// 600/1000 of the size, so text laid out in columns stays in columns) and
// the characters they cannot show (Chinese, for one) in a TrueType font,
// each such glyph set on two columns: a CJK glyph is about an em wide,
// 1.2 of Courier's advances would crowd it, two give it room. It keeps
// the glyphs it drew so that Document embeds only those.
type Mono struct {
	// Fonts are the standard fonts the text selects by number (1 is
	// Fonts[0]); the TrueType font comes after them.
	Fonts []string
	// Wide draws what the standard fonts cannot; nil: such characters
	// are drawn as '?' (Cells 1, Has false).
	Wide *TrueType
	used Glyphs
}

// wide is whether r is drawn in the TrueType font.
func (m *Mono) wide(r rune) bool {
	if _, ok := WinAnsi(r); ok || m.Wide == nil {
		return false
	}
	_, ok := m.Wide.Glyph(r)
	return ok
}

// Has reports whether r can be drawn as itself (not as '?').
func (m *Mono) Has(r rune) bool {
	if _, ok := WinAnsi(r); ok {
		return true
	}
	return m.wide(r)
}

// Cells is how many columns r takes: two in the TrueType font, else one
// (a character neither font has is one '?').
func (m *Mono) Cells(r rune) int {
	if m.wide(r) {
		return 2
	}
	return 1
}

// Width is s's width in columns.
func (m *Mono) Width(s string) int {
	n := 0
	for _, r := range s {
		n += m.Cells(r)
	}
	return n
}

// Text writes s as one text object at x, y in standard font number font
// of size points, the runs the standard fonts cannot show in the
// TrueType font, each glyph moved on to two columns (TJ: a number n moves
// the next glyph left by n/1000 of the size, ISO 32000-1 §9.4.3).
func (m *Mono) Text(c *bytes.Buffer, font, size int, x float64, y int, s string) {
	fmt.Fprintf(c, "BT 1 0 0 1 %.1f %d Tm", x, y)
	var run []rune
	wideRun := false
	flush := func() {
		if len(run) == 0 {
			return
		}
		if wideRun {
			if m.used == nil {
				m.used = Glyphs{}
			}
			var tj strings.Builder
			for _, r := range run {
				g, _ := m.Wide.Glyph(r)
				m.used[g] = r
				fmt.Fprintf(&tj, "%s %d ", Hex([]uint16{g}), m.Wide.Width(g)-1200)
			}
			fmt.Fprintf(c, " /F%d %d Tf [%s] TJ", len(m.Fonts)+1, size, strings.TrimSpace(tj.String()))
		} else {
			b, _ := Encode(string(run))
			fmt.Fprintf(c, " /F%d %d Tf %s Tj", font, size, Literal(b))
		}
		run = run[:0]
	}
	for _, r := range s {
		if w := m.wide(r); w != wideRun {
			flush()
			wideRun = w
		}
		run = append(run, r)
	}
	flush()
	c.WriteString(" ET\n")
}

// Write writes the file of pages drawn with m: the TrueType font is
// embedded only when a page drew with it.
func (m *Mono) Write(width, height int, pages [][]byte) []byte {
	d := Document{Width: width, Height: height, Fonts: m.Fonts}
	if len(m.used) > 0 {
		d.TrueType, d.Used = m.Wide, m.used
	}
	return d.Write(pages)
}
