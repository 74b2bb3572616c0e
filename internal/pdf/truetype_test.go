package pdf

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
)

// streams are the decompressed FlateDecode streams of a file, in order.
func streams(t *testing.T, s string) [][]byte {
	t.Helper()
	var out [][]byte
	for _, m := range regexp.MustCompile(`(?s)/Filter /FlateDecode >>\nstream\n(.*?)\nendstream`).FindAllStringSubmatch(s, -1) {
		z, err := zlib.NewReader(strings.NewReader(m[1]))
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(z)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// TestTrueTypeSubset: a document that draws some glyphs of a TrueType font
// embeds a font file that parses, has those glyphs' outlines and no
// others', and maps them back to their characters.
func TestTrueTypeSubset(t *testing.T) {
	t.Parallel()
	tt, err := ParseTrueType(goregular.TTF)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		text  string
		other string // characters not drawn: no outline in the subset
	}{
		{"a word", "Hello", "xyz"},
		{"accents (composite glyphs)", "éà", "Q"},
		{"one glyph", "W", "M"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			used := Glyphs{}
			var gids []uint16
			for _, r := range tc.text {
				g, ok := tt.Glyph(r)
				if !ok {
					t.Fatalf("Go Regular has no %q", r)
				}
				used[g] = r
				gids = append(gids, g)
			}
			page := fmt.Sprintf("BT /F2 12 Tf 50 800 Td %s Tj ET", Hex(gids))
			s := string(Document{Width: A4Width, Height: A4Height, Fonts: []string{Courier}, TrueType: tt, Used: used}.Write([][]byte{[]byte(page)}))
			checkXref(t, s, 2+1+5+2)
			for _, want := range []string{"/Subtype /Type0", "/Encoding /Identity-H", "/Subtype /CIDFontType2", "/CIDToGIDMap /Identity",
				"/F2 4 0 R", "/FontFile2 7 0 R", "/ToUnicode 8 0 R"} {
				if !strings.Contains(s, want) {
					t.Errorf("no %q", want)
				}
			}
			if !regexp.MustCompile(`/BaseFont /[A-Z]{6}\+GoRegular `).MatchString(s) {
				t.Error("the subset's name is not TAG+GoRegular")
			}
			st := streams(t, s)
			if len(st) != 2 {
				t.Fatalf("%d compressed streams, want the font file and the ToUnicode map", len(st))
			}
			if len(st[0]) >= len(goregular.TTF) {
				t.Errorf("subset of %d bytes, the font is %d", len(st[0]), len(goregular.TTF))
			}
			sub, err := sfnt.Parse(st[0])
			if err != nil {
				t.Fatalf("the embedded font does not parse: %v", err)
			}
			var buf sfnt.Buffer
			outline := func(r rune) int {
				g, _ := tt.Glyph(r)
				segs, err := sub.LoadGlyph(&buf, sfnt.GlyphIndex(g), fixed.I(12), nil)
				if err != nil {
					t.Fatalf("glyph %q: %v", r, err)
				}
				return len(segs)
			}
			for _, r := range tc.text {
				if outline(r) == 0 {
					t.Errorf("%q has no outline in the subset", r)
				}
			}
			for _, r := range tc.other {
				if outline(r) != 0 {
					t.Errorf("%q was not drawn but has an outline", r)
				}
			}
			for g, r := range used {
				if !bytes.Contains(st[1], []byte(fmt.Sprintf("<%04X> <%04X>", g, r))) {
					t.Errorf("ToUnicode lacks %q", r)
				}
				if !strings.Contains(s, fmt.Sprintf("%d [%d]", g, tt.Width(g))) {
					t.Errorf("/W lacks %q", r)
				}
			}
		})
	}
}

func TestParseTrueTypeRefuses(t *testing.T) {
	t.Parallel()
	for name, b := range map[string][]byte{
		"empty":      nil,
		"text":       []byte("not a font at all, just words"),
		"OpenType":   append([]byte("OTTO"), make([]byte, 40)...),
		"collection": append([]byte("ttcf"), make([]byte, 40)...),
		"cut":        goregular.TTF[:200],
	} {
		if _, err := ParseTrueType(b); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
}

// FuzzParseTrueType: a font file, however broken, is refused or embedded
// without a panic.
func FuzzParseTrueType(f *testing.F) {
	f.Add(goregular.TTF)
	f.Add(goregular.TTF[:1024])
	f.Fuzz(func(t *testing.T, b []byte) {
		tt, err := ParseTrueType(b)
		if err != nil {
			return
		}
		used := Glyphs{}
		for _, r := range "Aé王" {
			if g, ok := tt.Glyph(r); ok {
				used[g] = r
			}
		}
		used[uint16(tt.numGlyphs-1)] = 'z'
		Document{Width: A4Width, Height: A4Height, TrueType: tt, Used: used}.Write([][]byte{nil})
	})
}
