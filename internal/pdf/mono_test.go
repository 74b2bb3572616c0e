package pdf

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/image/font/gofont/goregular"
)

// TestMono: what Courier shows is drawn in the standard font, what it
// cannot in the TrueType font on two columns, and the TrueType font is
// embedded only in a file that drew with it. Go Regular stands in for a
// Chinese font: its Greek is outside WinAnsiEncoding as Chinese is.
func TestMono(t *testing.T) {
	t.Parallel()
	tt, err := ParseTrueType(goregular.TTF)
	if err != nil {
		t.Fatal(err)
	}
	glyph := func(r rune) string {
		g, _ := tt.Glyph(r)
		return fmt.Sprintf("%s %d", Hex([]uint16{g}), tt.Width(g)-1200)
	}
	for _, tc := range []struct {
		name     string
		wide     *TrueType
		text     string
		width    int
		stream   string
		embedded bool
		has      bool
	}{
		{"Latin, no font", nil, "café (1)", 8, `BT 1 0 0 1 50.0 700 Tm /F1 10 Tf (caf` + "\xe9" + ` \(1\)) Tj ET`, false, true},
		{"Latin, font unused", tt, "room 1203", 9, `/F1 10 Tf (room 1203) Tj ET`, false, true},
		{"Greek, no font: '?'", nil, "ΑΒ", 2, `/F1 10 Tf (??) Tj ET`, false, false},
		{"Greek in the font", tt, "ΑΒ x", 6, `/F3 10 Tf [` + glyph('Α') + " " + glyph('Β') + `] TJ /F1 10 Tf ( x) Tj ET`, true, true},
		{"a character neither has", tt, "王", 1, `/F1 10 Tf (?) Tj ET`, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := &Mono{Fonts: []string{Courier, CourierBold}, Wide: tc.wide}
			if got := m.Width(tc.text); got != tc.width {
				t.Errorf("Width = %d, want %d", got, tc.width)
			}
			has := true
			for _, r := range tc.text {
				has = has && m.Has(r)
			}
			if has != tc.has {
				t.Errorf("Has = %v, want %v", has, tc.has)
			}
			var c bytes.Buffer
			m.Text(&c, 1, 10, 50, 700, tc.text)
			if !strings.Contains(c.String(), tc.stream) {
				t.Errorf("stream %q lacks %q", c.String(), tc.stream)
			}
			s := string(m.Write(A4Width, A4Height, [][]byte{c.Bytes()}))
			if got := strings.Contains(s, "/Subtype /Type0"); got != tc.embedded {
				t.Errorf("TrueType font embedded: %v, want %v", got, tc.embedded)
			}
			n := 2 + 2 + 2 // catalog, pages, two fonts, one page and its content
			if tc.embedded {
				n += 5
			}
			checkXref(t, s, n)
		})
	}
}
