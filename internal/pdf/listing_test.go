package pdf

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestListing: lines run on as many pages as they need, each line once,
// the title on every page (continued after the first), the footer and
// page n/m at every foot.
func TestListing(t *testing.T) {
	t.Parallel()
	numbered := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("Page %d: confirmed (MCF)", i+1)
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		lines []string
		pages int
		has   []string
	}{
		{"no line", nil, 1, []string{"(Report) Tj", "(Page 1 / 1) Tj"}},
		{"one page full", numbered(listingLines), 1, nil},
		{"one line over", numbered(listingLines + 1), 2, []string{"(Report \\(continued\\)) Tj", "(Page 2 / 2) Tj"}},
		{"a fax of 300 pages", numbered(300), 6, []string{"(Page 6 / 6) Tj"}},
		{"spaces kept, long line wrapped at a space", []string{"Remote station:   +86", strings.Repeat("word ", 20)},
			1, []string{"(Remote station:   +86) Tj", "(" + strings.TrimSpace(strings.Repeat("word ", 16)) + ") Tj", "(word word word word) Tj"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, n := Listing{Title: "Report", Footer: "printed by 0002"}.Write(tc.lines)
			s := string(b)
			if n != tc.pages || strings.Count(s, "/Type /Page /Parent") != tc.pages {
				t.Fatalf("%d pages (%d page objects), want %d", n, strings.Count(s, "/Type /Page /Parent"), tc.pages)
			}
			checkXref(t, s, 2+2+2*n)
			for _, h := range tc.has {
				if !strings.Contains(s, h) {
					t.Errorf("no %q", h)
				}
			}
			for p := 1; p <= n; p++ {
				if !strings.Contains(s, fmt.Sprintf("(Page %d / %d) Tj", p, n)) {
					t.Errorf("no page number on page %d", p)
				}
			}
			if c := strings.Count(s, "(printed by 0002) Tj"); c != n {
				t.Errorf("the footer is on %d pages of %d", c, n)
			}
			if c := strings.Count(s, "(Report) Tj") + strings.Count(s, "(Report \\(continued\\)) Tj"); c != n {
				t.Errorf("the title is on %d pages of %d", c, n)
			}
			for _, l := range tc.lines {
				if len(l) < listingCols {
					if c := strings.Count(s, Literal([]byte(l))+" Tj"); c != 1 {
						t.Errorf("%q is in the file %d times", l, c)
					}
				}
			}
			pdftotext(t, b, tc.lines)
		})
	}
}

// pdftotext checks, where poppler-utils is installed, that a real reader
// opens the file and finds each of lines once.
func pdftotext(t *testing.T, b []byte, lines []string) {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		return
	}
	file := filepath.Join(t.TempDir(), "f.pdf")
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-layout", file, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v\n%s", err, out)
	}
	got := map[string]int{}
	for _, l := range strings.Split(string(out), "\n") {
		got[strings.TrimSpace(l)]++
	}
	for _, l := range lines {
		if len(l) < listingCols && got[strings.TrimSpace(l)] != 1 {
			t.Errorf("pdftotext finds %q %d times", l, got[l])
		}
	}
}

func TestWrapCells(t *testing.T) {
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
		{"", 5, ""},
		{"a  b", 5, "a  b"},
		{"two words", 5, "two|words"},
		{"abcdefghij", 4, "abcd|efgh|ij"},
		{"王小明王小明", 5, "王小|明王|小明"},
		{"王小明 Chen", 8, "王小明|Chen"},
		{"王", 1, "王"},
		{"ab王", 3, "ab|王"},
		{"trailing   ", 4, "trai|ling"},
	} {
		if got := strings.Join(WrapCells(tc.in, tc.width, w), "|"); got != tc.want {
			t.Errorf("WrapCells(%q, %d) = %q, want %q", tc.in, tc.width, got, tc.want)
		}
	}
}

func TestCut(t *testing.T) {
	t.Parallel()
	w := func(r rune) int {
		if r > 0x2e80 {
			return 2
		}
		return 1
	}
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"short", 5, "short"},
		{"too long", 5, "too …"},
		{"王小明王", 8, "王小明王"},
		{"王小明王", 7, "王小明…"},
		{"王小明王", 6, "王小…"},
		{"anything", 0, "anything"},
	} {
		if got := Cut(tc.in, tc.n, w); got != tc.want {
			t.Errorf("Cut(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}
