package report

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/image/font/gofont/goregular"

	"switchboard/internal/pdf"
)

// TestWritePDF: the rows are in the file, long tables run over pages with
// their column names repeated, every page has its header and footer, and
// text the standard fonts cannot show is marked.
func TestWritePDF(t *testing.T) {
	t.Parallel()
	rows := func(n int) [][]string {
		out := make([][]string, n)
		for i := range out {
			out[i] = []string{fmt.Sprintf("ROW-%04d", i), "1203", "12.50"}
		}
		return out
	}
	cols := []Column{{Name: "name"}, {Name: "room"}, {Name: "amount", Right: true}}
	for _, tc := range []struct {
		name    string
		heading string
		tables  []Table
		pages   int
		has     []string // in the file, as PDF strings
		hasNot  []string
		lost    bool // the '?' note
	}{
		{name: "one short table", heading: "Business centre 2026-12-04", pages: 1,
			tables: []Table{{Title: "Charges", Columns: cols, Rows: rows(3), Footer: []string{"total", "", "37.50"}}},
			has:    []string{"(Business centre 2026-12-04)", "(Charges)", "(name      room  amount)", "(ROW-0002  1203   12.50)", "(total            37.50)", "(Page 1 / 1)"}},
		{name: "an empty table says so", heading: "h", pages: 1,
			tables: []Table{{Title: "Received faxes", Columns: cols, Empty: "no fax received"}},
			has:    []string{"(Received faxes)", "(no fax received)"}, hasNot: []string{"(name"}},
		// 74 lines a page: heading, blank, title, names and 70 rows; then
		// the title (continued), the names and 72 rows a page.
		{name: "300 rows on five pages", heading: "h", pages: 5,
			tables: []Table{{Title: "Calls", Columns: cols, Rows: rows(300)}},
			has:    []string{"(ROW-0000", "(ROW-0069", "(ROW-0070", "(ROW-0299", "(Calls \\(continued\\))", "(Page 5 / 5)"}},
		{name: "Chinese prints as ? with a note", heading: "h", pages: 1, lost: true,
			tables: []Table{{Title: "Received faxes", Columns: cols, Rows: [][]string{{"王小明", "1203", "0.00"}}}},
			has:    []string{"(???   1203    0.00)"}},
		{name: "a long cell wraps in its column", heading: "h", pages: 1,
			tables: []Table{{Columns: []Column{{Name: "why"}, {Name: "n", Right: true}},
				Rows: [][]string{{strings.Repeat("vacant room ", 12), "1"}}}},
			has: []string{"(vacant room vacant room"}},
		{name: "parentheses are escaped", heading: "Shift 4 (open)", pages: 1,
			tables: []Table{{Title: "t", Columns: cols, Rows: [][]string{{"a) b (c", "", ""}}}},
			has:    []string{`(Shift 4 \(open\))`, `(a\) b \(c`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, n := WritePDF(PDFHeader{Hotel: "Grand", Report: "Test report", Period: "2026-12-04", Printed: "printed by S1"}, tc.heading, tc.tables)
			s := string(b)
			if !strings.HasPrefix(s, "%PDF-") {
				t.Fatalf("not a PDF: %.20q", s)
			}
			if n != tc.pages || strings.Count(s, "/Type /Page /Parent") != tc.pages || !strings.Contains(s, fmt.Sprintf("/Count %d >>", tc.pages)) {
				t.Errorf("%d pages (%d page objects), want %d", n, strings.Count(s, "/Type /Page /Parent"), tc.pages)
			}
			for _, h := range tc.has {
				if !strings.Contains(s, h) {
					t.Errorf("no %q in the file", h)
				}
			}
			for _, h := range tc.hasNot {
				if strings.Contains(s, h) {
					t.Errorf("%q in the file", h)
				}
			}
			for p := 1; p <= n; p++ {
				if !strings.Contains(s, fmt.Sprintf("(Page %d / %d)", p, n)) {
					t.Errorf("no footer on page %d", p)
				}
			}
			if got := strings.Count(s, "(Grand \xb7 Test report)"); got != n {
				t.Errorf("the header is on %d pages of %d", got, n)
			}
			if got := strings.Contains(s, "that the PDF's fonts cannot show"); got != tc.lost {
				t.Errorf("the note on unprintable characters: %v, want %v", got, tc.lost)
			}
			// Each row of a long table is on exactly one page.
			if len(tc.tables[0].Rows) > 100 {
				for i := range tc.tables[0].Rows {
					if c := strings.Count(s, fmt.Sprintf("(ROW-%04d ", i)); c != 1 {
						t.Fatalf("row %d is in the file %d times", i, c)
					}
				}
				if c := len(regexp.MustCompile(`\(name +room +amount\)`).FindAllString(s, -1)); c != tc.pages {
					t.Errorf("the column names are on %d pages of %d", c, tc.pages)
				}
			}
		})
	}
}

func TestWrapText(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in    string
		width int
		want  []string
	}{
		{"", 5, []string{""}},
		{"short", 10, []string{"short"}},
		{"two words", 5, []string{"two", "words"}},
		{"abcdefghij", 4, []string{"abcd", "efgh", "ij"}},
		{"a\nb", 10, []string{"a b"}},
	} {
		if got := wrapText(tc.in, tc.width); strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("wrapText(%q, %d) = %q, want %q", tc.in, tc.width, got, tc.want)
		}
	}
}

// BenchmarkWritePDF lays out a table of 1,000 rows of 11 columns (the
// business-centre report of a busy day).
func BenchmarkWritePDF(b *testing.B) {
	t := Table{Title: "Charges"}
	for i := 0; i < 11; i++ {
		t.Columns = append(t.Columns, Column{Name: fmt.Sprintf("col%d", i), Right: i%3 == 0})
	}
	for i := 0; i < 1000; i++ {
		row := make([]string, 11)
		for j := range row {
			row[j] = fmt.Sprintf("v%d-%d", i, j)
		}
		t.Rows = append(t.Rows, row)
	}
	var pages int
	for i := 0; i < b.N; i++ {
		_, pages = WritePDF(PDFHeader{Hotel: "h", Report: "r", Period: "p"}, "heading", []Table{t})
	}
	b.ReportMetric(float64(pages), "pages")
}

// TestWritePDFWide: with a font for what Courier cannot show, those
// characters are drawn in it, two columns each, the columns still lined
// up, the page texts in the caller's words, and nothing marked lost.
// Go Regular stands in for a Chinese font: its Greek is outside
// WinAnsiEncoding as Chinese is.
func TestWritePDFWide(t *testing.T) {
	t.Parallel()
	wide, err := pdf.ParseTrueType(goregular.TTF)
	if err != nil {
		t.Fatal(err)
	}
	cols := []Column{{Name: "name"}, {Name: "room"}, {Name: "amount", Right: true}}
	var rows [][]string
	for i := 0; i < 100; i++ {
		rows = append(rows, []string{"ΑΒΓ", fmt.Sprint(1200 + i), "0.00"})
	}
	h := PDFHeader{Hotel: "Grand", Report: "Ωmega report", Period: "2026-12-04", Printed: "printed", Wide: wide, Page: "第 %d 頁，共 %d 頁", Continued: "（續）"}
	b, n := WritePDF(h, "h", []Table{{Title: "Λ", Columns: cols, Rows: rows, Footer: []string{"total", "", "0.00"}}})
	s := string(b)
	if n != 2 {
		t.Fatalf("%d pages, want 2", n)
	}
	g := func(r rune) string {
		id, ok := wide.Glyph(r)
		if !ok {
			t.Fatalf("no glyph for %q", r)
		}
		return fmt.Sprintf("%s %d", pdf.Hex([]uint16{id}), wide.Width(id)-1200)
	}
	for _, want := range []string{
		"/Subtype /Type0", "/F3 ",
		"(name    room  amount)", // the name column is 6 wide: 3 wide letters
		"/F3 8 Tf [" + g('Α') + " " + g('Β') + " " + g('Γ') + "] TJ /F1 8 Tf (  1200    0.00) Tj", // and the row lines up
		"/F2 10 Tf (Grand \xb7 ) Tj /F3 10 Tf [" + g('Ω') + "] TJ /F2 10 Tf (mega report) Tj",
		"/F3 8 Tf [" + g('Λ'),
	} {
		if !strings.Contains(s, want) {
			t.Errorf("no %q", want)
		}
	}
	if strings.Contains(s, "fonts cannot show") {
		t.Error("characters the wide font has are counted lost")
	}
	// The page number and "continued" are in the caller's words.
	if strings.Contains(s, "(Page ") || strings.Contains(s, "continued") {
		t.Error("English page texts")
	}
}

func TestWrapCellsWide(t *testing.T) {
	t.Parallel()
	w := func(r rune) int {
		if r > 0x2e80 {
			return 2
		}
		return 1
	}
	for _, tc := range []struct {
		in    string
		width int
		want  string
	}{
		{"王小明王小明", 5, "王小|明王|小明"},
		{"王小明 Chen", 8, "王小明|Chen"},
		{"王", 1, "王"}, // wider than the line: a line of its own
		{"ab王", 3, "ab|王"},
	} {
		if got := strings.Join(wrapCells(tc.in, tc.width, w), "|"); got != tc.want {
			t.Errorf("wrapCells(%q, %d) = %q, want %q", tc.in, tc.width, got, tc.want)
		}
	}
}
