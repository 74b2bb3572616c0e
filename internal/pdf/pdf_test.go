package pdf

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
)

func TestEncode(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want string
		lost int
	}{
		{"plain", "plain", 0},
		{"5 €", "5 \x80", 0},
		{"café", "caf\xe9", 0},
		{"王小明 Wang", "??? Wang", 3},
		{"tab\there", "tab?here", 1},
	} {
		got, lost := Encode(tc.in)
		if string(got) != tc.want || lost != tc.lost {
			t.Errorf("Encode(%q) = %q, %d lost; want %q, %d", tc.in, got, lost, tc.want, tc.lost)
		}
	}
}

func TestLiteral(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"":            "()",
		"a (b) c":     `(a \(b\) c)`,
		`back\slash`:  `(back\\slash)`,
		"unbalanced)": `(unbalanced\))`,
	} {
		if got := Literal([]byte(in)); got != want {
			t.Errorf("Literal(%q) = %s, want %s", in, got, want)
		}
	}
}

// TestWrite: the page tree counts the pages, each page names its fonts
// and content, and every cross-reference entry points at its object.
func TestWrite(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		fonts []string
		pages int
	}{
		{"one font, one page", []string{Courier}, 1},
		{"four fonts, three pages", []string{Courier, CourierBold, Helvetica, HelveticaBold}, 3},
		{"no page", []string{Helvetica}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pages := make([][]byte, tc.pages)
			for i := range pages {
				pages[i] = []byte(fmt.Sprintf("BT /F1 10 Tf 50 800 Td (page %d) Tj ET", i+1))
			}
			b := Document{Width: A4Width, Height: A4Height, Fonts: tc.fonts}.Write(pages)
			s := string(b)
			if !strings.HasPrefix(s, "%PDF-1.4\n") || !strings.HasSuffix(s, "%%EOF\n") {
				t.Fatalf("not a PDF file:\n%s", s)
			}
			if !strings.Contains(s, fmt.Sprintf("/Count %d >>", tc.pages)) {
				t.Errorf("page tree does not count %d pages", tc.pages)
			}
			if got := strings.Count(s, "/Type /Page /Parent"); got != tc.pages {
				t.Errorf("%d page objects, want %d", got, tc.pages)
			}
			for i, f := range tc.fonts {
				named := tc.pages == 0 || strings.Contains(s, fmt.Sprintf("/F%d %d 0 R", i+1, 3+i)) // the pages' resources name it
				if !named || !strings.Contains(s, "/BaseFont /"+f+" ") {
					t.Errorf("font %s is not /F%d", f, i+1)
				}
			}
			for i := range pages {
				if !strings.Contains(s, fmt.Sprintf("(page %d) Tj", i+1)) {
					t.Errorf("page %d's content is missing", i+1)
				}
			}
			checkXref(t, s, 2+len(tc.fonts)+2*tc.pages)
		})
	}
}

// checkXref checks that startxref points at the table and each of the n
// entries at its object.
func checkXref(t *testing.T, s string, n int) {
	t.Helper()
	start := s[strings.LastIndex(s, "startxref\n")+len("startxref\n"):]
	at, err := strconv.Atoi(start[:strings.IndexByte(start, '\n')])
	if err != nil || !strings.HasPrefix(s[at:], "xref\n") {
		t.Fatalf("startxref does not point at the table (%v)", err)
	}
	lines := strings.Split(s[at:], "\n")
	if lines[1] != fmt.Sprintf("0 %d", n+1) {
		t.Fatalf("xref subsection %q, want 0 %d", lines[1], n+1)
	}
	for i := 1; i <= n; i++ {
		e := lines[2+i]
		if len(e) != 19 { // 20 bytes with the line feed
			t.Errorf("entry %d is %d bytes: %q", i, len(e)+1, e)
		}
		off, err := strconv.Atoi(e[:10])
		if err != nil || !strings.HasPrefix(s[off:], fmt.Sprintf("%d 0 obj", i)) {
			t.Errorf("xref entry %d: offset %d is not the object", i, off)
		}
	}
}
