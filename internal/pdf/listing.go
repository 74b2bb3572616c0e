package pdf

import (
	"bytes"
	"fmt"
	"strings"
)

// Listing lays lines of text out on A4 pages in Courier 10 pt (Mono:
// Chinese, with Wide, on two columns): the title at the top of every
// page, the footer and "page n of m" at its foot, the lines between, as
// many pages as they need. It is the fax transmission reports' layout: a
// fax of 300 pages has a line each.
type Listing struct {
	Title string // bold, on every page
	// Continued follows the title on the pages after the first; "" is
	// " (continued)".
	Continued string
	Footer    string // on every page, left of the page number
	// Page is the page number's format (two %d: the page, the pages); ""
	// is "Page %d / %d".
	Page string
	Wide *TrueType // nil: what Courier cannot show is '?'
}

// Layout of a listing page in points: 80 columns of Courier 10 pt (6 pt
// each) between margins of 56 pt, 53 lines 13 pt apart under the title.
const (
	listingCols  = 80
	listingLines = (listingTop-listingBottom)/listingLeading + 1

	listingMargin  = 56
	listingSize    = 10
	listingLeading = 13
	listingTop     = A4Height - listingMargin - 26 // the first line's baseline
	listingBottom  = 72                            // no line below this baseline
)

// Write lays lines out, each wrapped to the page's width, and returns the
// file and its page count (one page, with the title, when there is no
// line).
func (l Listing) Write(lines []string) (file []byte, pages int) {
	if l.Continued == "" {
		l.Continued = " (continued)"
	}
	if l.Page == "" {
		l.Page = "Page %d / %d"
	}
	m := &Mono{Fonts: []string{Courier, CourierBold}, Wide: l.Wide}
	var body []string
	for _, ln := range lines {
		body = append(body, WrapCells(ln, listingCols, m.Cells)...)
	}
	var paged [][]string
	for len(body) > listingLines {
		paged = append(paged, body[:listingLines])
		body = body[listingLines:]
	}
	paged = append(paged, body)
	contents := make([][]byte, len(paged))
	for i, p := range paged {
		var c bytes.Buffer
		title := l.Title
		if i > 0 {
			title += l.Continued
		}
		m.Text(&c, 2, 12, listingMargin, A4Height-listingMargin, Cut(title, listingCols*10/12, m.Cells))
		fmt.Fprintf(&c, "0.5 w %d %d m %d %d l S\n", listingMargin, A4Height-listingMargin-6, A4Width-listingMargin, A4Height-listingMargin-6)
		for j, ln := range p {
			if ln != "" {
				m.Text(&c, 1, listingSize, listingMargin, listingTop-j*listingLeading, ln)
			}
		}
		fmt.Fprintf(&c, "0.5 w %d %d m %d %d l S\n", listingMargin, listingBottom-14, A4Width-listingMargin, listingBottom-14)
		num := fmt.Sprintf(l.Page, i+1, len(paged))
		m.Text(&c, 1, 8, listingMargin, listingBottom-28, Cut(l.Footer, listingCols*10/8-m.Width(num)-2, m.Cells))
		m.Text(&c, 1, 8, float64(A4Width-listingMargin)-4.8*float64(m.Width(num)), listingBottom-28, num)
		contents[i] = c.Bytes()
	}
	return m.Write(A4Width, A4Height, contents), len(paged)
}

// WrapCells cuts s into lines of at most width columns (a character takes
// cw of them): at the last space that fits where there is one, else in
// the middle of a word; the spaces inside a line are kept (they align
// labels and values), those at a cut are dropped. "" is one empty line.
func WrapCells(s string, width int, cw func(rune) int) []string {
	r := []rune(strings.TrimRight(s, " "))
	var out []string
	for {
		fit, used, space := 0, 0, -1
		for fit < len(r) && used+cw(r[fit]) <= width {
			if r[fit] == ' ' {
				space = fit
			}
			used += cw(r[fit])
			fit++
		}
		if fit == len(r) {
			return append(out, string(r))
		}
		cut := max(fit, 1) // a character wider than the line has one of its own
		if r[fit] == ' ' {
			cut = fit
		} else if space > 0 {
			cut = space
		}
		out = append(out, strings.TrimRight(string(r[:cut]), " "))
		r = []rune(strings.TrimLeft(string(r[cut:]), " "))
		if len(r) == 0 {
			return out
		}
	}
}

// Cut shortens s to n columns (a character takes cw of them), marking
// the cut with an ellipsis (which Courier has).
func Cut(s string, n int, cw func(rune) int) string {
	used := 0
	for _, r := range s {
		used += cw(r)
	}
	if used <= n || n < 1 {
		return s
	}
	used = 0
	for i, r := range s {
		if used+cw(r) > n-1 {
			return s[:i] + "…"
		}
		used += cw(r)
	}
	return s
}
