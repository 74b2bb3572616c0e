package report

// A report as a PDF for the business centre to print on paper (issue 13:
// "downloadable (CSV; PDF where the desk prints one)"): the same tables
// as the text and CSV, laid out on A4 in Courier (a standard PDF font, so
// nothing is embedded; monospaced, so columns line up as on a terminal)
// with a header and a footer on every page (hotel, report, period; who
// printed it, page n of m). A table that runs past a page goes on with
// its title and column names repeated; a row wrapped over several lines
// is never cut between pages. The standard fonts have no Chinese glyphs:
// such characters print as '?' and a note at the end says so (the screen
// and the CSV keep them).

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	"switchboard/internal/pdf"
)

// PDFHeader is what every page of a report's PDF says beside the tables.
type PDFHeader struct {
	Hotel   string // the property
	Report  string // the report's name
	Period  string // the day, the week or the shift
	Printed string // who printed it, when, with whose approval
}

// Layout of a report page in points: A4 portrait, Courier 8 pt on a
// 10 pt leading (a 4.8 pt advance: Courier's glyphs are 600/1000 em), so
// 107 columns fit between margins of 40 pt.
const (
	pdfMargin   = 40
	pdfSize     = 8
	pdfLeading  = 10
	pdfAdvance  = 4.8
	pdfCols     = 107
	pdfTop      = pdf.A4Height - 62 // the first body line's baseline
	pdfBottom   = 48                // no body line below this baseline
	pdfLines    = (pdfTop-pdfBottom)/pdfLeading + 1
	pdfColGap   = 2
	pdfMinCol   = 4
	pdfHeadSize = 10
)

// pdfLine is one line of the body.
type pdfLine struct {
	text  string
	bold  bool
	under bool // a rule under it (the column names)
	over  bool // a rule over it (the totals)
}

// WritePDF lays heading and tables out on A4 pages and returns the file
// and its page count.
func WritePDF(h PDFHeader, heading string, tables []Table) ([]byte, int) {
	l := &pdfLayout{}
	for _, s := range wrapText(heading, pdfCols) {
		l.add(pdfLine{text: s})
	}
	for _, t := range tables {
		l.table(t)
	}
	if l.lost > 0 {
		l.blank()
		l.group(pdfWrapped(fmt.Sprintf("%d character(s) that the PDF's standard fonts cannot show (Chinese, for one) are printed as '?': "+
			"the report on screen and its CSV have them.", l.lost), false))
	}
	if len(l.pages) == 0 {
		l.pages = [][]pdfLine{nil}
	}
	contents := make([][]byte, len(l.pages))
	for i, lines := range l.pages {
		contents[i] = pdfPageContent(h, lines, i+1, len(l.pages))
	}
	return pdf.Document{Width: pdf.A4Width, Height: pdf.A4Height, Fonts: []string{pdf.Courier, pdf.CourierBold}}.Write(contents), len(l.pages)
}

// pdfLayout fills pages with lines.
type pdfLayout struct {
	pages [][]pdfLine
	lost  int // characters shown as '?'
	// repeat are the lines that open a page when a table goes on there.
	repeat []pdfLine
}

func (l *pdfLayout) room() int {
	if len(l.pages) == 0 {
		return 0
	}
	return pdfLines - len(l.pages[len(l.pages)-1])
}

func (l *pdfLayout) newPage() {
	l.pages = append(l.pages, nil)
	l.pages[len(l.pages)-1] = append(l.pages[len(l.pages)-1], l.repeat...)
}

func (l *pdfLayout) add(line pdfLine) { l.group([]pdfLine{line}) }

// group adds lines that stay on one page (a wrapped row), unless they
// could not fit on any.
func (l *pdfLayout) group(lines []pdfLine) {
	if l.room() < len(lines) && (len(l.pages) == 0 || len(lines) <= pdfLines-len(l.repeat)) {
		l.newPage()
	}
	for _, line := range lines {
		if l.room() == 0 {
			l.newPage()
		}
		_, lost := pdf.Encode(line.text)
		l.lost += lost
		p := &l.pages[len(l.pages)-1]
		*p = append(*p, line)
	}
}

// blank is an empty line between sections, never at a page's top.
func (l *pdfLayout) blank() {
	if l.room() > 1 {
		l.pages[len(l.pages)-1] = append(l.pages[len(l.pages)-1], pdfLine{})
	}
}

// table lays t out: its title, its column names (both repeated on the
// pages it goes on to), its rows and its totals.
func (l *pdfLayout) table(t Table) {
	l.repeat = nil
	l.blank()
	title := pdfWrapped(t.Title, true)
	if len(t.Rows) == 0 {
		lines := title
		if t.Empty != "" {
			lines = append(lines, pdfWrapped(t.Empty, false)...)
		}
		l.group(lines)
		return
	}
	widths := pdfWidths(t)
	names := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		names[i] = c.Name
	}
	head := pdfRow(t.Columns, widths, names)
	for i := range head {
		head[i].bold = true
	}
	head[len(head)-1].under = true
	// The title, the column names and the first row start a page together.
	first := append(append(append([]pdfLine{}, title...), head...), pdfRow(t.Columns, widths, t.Rows[0])...)
	l.group(first)
	if t.Title != "" {
		l.repeat = append(pdfWrapped(t.Title+" (continued)", true), head...)
	} else {
		l.repeat = head
	}
	for _, r := range t.Rows[1:] {
		l.group(pdfRow(t.Columns, widths, r))
	}
	if t.Footer != nil {
		foot := pdfRow(t.Columns, widths, t.Footer)
		foot[0].over = true
		for i := range foot {
			foot[i].bold = true
		}
		l.group(foot)
	}
	l.repeat = nil
}

// pdfWrapped is text wrapped to the page's width, bold or not.
func pdfWrapped(s string, bold bool) []pdfLine {
	if s == "" {
		return nil
	}
	var out []pdfLine
	for _, w := range wrapText(s, pdfCols) {
		out = append(out, pdfLine{text: w, bold: bold})
	}
	return out
}

// pdfWidths are the columns' widths in characters: each as wide as its
// widest cell, then the widest cut down one character at a time until
// the row fits the page (a cut cell wraps).
func pdfWidths(t Table) []int {
	w := make([]int, len(t.Columns))
	for i, c := range t.Columns {
		w[i] = max(utf8.RuneCountInString(c.Name), 1)
	}
	fit := func(row []string) {
		for i := 0; i < len(row) && i < len(w); i++ {
			w[i] = max(w[i], utf8.RuneCountInString(row[i]))
		}
	}
	for _, r := range t.Rows {
		fit(r)
	}
	fit(t.Footer)
	for {
		sum, widest := pdfColGap*(len(w)-1), 0
		for i, n := range w {
			sum += n
			if n > w[widest] {
				widest = i
			}
		}
		if sum <= pdfCols || w[widest] <= pdfMinCol {
			return w
		}
		w[widest]--
	}
}

// pdfRow is a row's lines: each cell wrapped to its column, numbers
// aligned right.
func pdfRow(cols []Column, widths []int, row []string) []pdfLine {
	cells := make([][]string, len(cols))
	n := 1
	for i := range cols {
		v := ""
		if i < len(row) {
			v = row[i]
		}
		cells[i] = wrapText(v, widths[i])
		n = max(n, len(cells[i]))
	}
	out := make([]pdfLine, n)
	for k := range out {
		var b strings.Builder
		for i, c := range cols {
			v := ""
			if k < len(cells[i]) {
				v = cells[i][k]
			}
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(v))
			if c.Right {
				b.WriteString(pad + v)
			} else {
				b.WriteString(v + pad)
			}
			if i < len(cols)-1 {
				b.WriteString(strings.Repeat(" ", pdfColGap))
			}
		}
		out[k] = pdfLine{text: strings.TrimRight(b.String(), " ")}
	}
	return out
}

// wrapText cuts s into lines of at most width characters, at a space
// where there is one, else in the middle of a word.
func wrapText(s string, width int) []string {
	s = strings.Join(strings.Fields(s), " ") // a line break in a cell is a space on paper
	var out []string
	r := []rune(s)
	for len(r) > width {
		cut := width
		for i := width; i > 0; i-- {
			if r[i] == ' ' {
				cut = i
				break
			}
		}
		out = append(out, strings.TrimRight(string(r[:cut]), " "))
		r = []rune(strings.TrimLeft(string(r[cut:]), " "))
	}
	if len(r) > 0 || len(out) == 0 {
		out = append(out, string(r))
	}
	return out
}

// pdfPageContent is a page's content stream: the header, the body's
// lines and rules, and the footer with the page number.
func pdfPageContent(h PDFHeader, lines []pdfLine, page, pages int) []byte {
	var c bytes.Buffer
	text := func(font, size int, x float64, y int, s string) {
		b, _ := pdf.Encode(s)
		fmt.Fprintf(&c, "BT /F%d %d Tf 1 0 0 1 %.1f %d Tm %s Tj ET\n", font, size, x, y, pdf.Literal(b))
	}
	rule := func(y float64) {
		fmt.Fprintf(&c, "0.5 w %d %.1f m %d %.1f l S\n", pdfMargin, y, pdf.A4Width-pdfMargin, y)
	}
	// Header: hotel and report on the left, the period on the right
	// (Courier-Bold 10 pt: 6 pt a character, 85 to the line).
	const headCols = (pdf.A4Width - 2*pdfMargin) / 6
	period := cut(h.Period, 30)
	left := cut(strings.TrimPrefix(h.Hotel+" · "+h.Report, " · "), headCols-len([]rune(period))-2)
	text(2, pdfHeadSize, pdfMargin, pdf.A4Height-pdfMargin, left)
	text(2, pdfHeadSize, float64(pdf.A4Width-pdfMargin)-6*float64(utf8.RuneCountInString(period)), pdf.A4Height-pdfMargin, period)
	rule(pdf.A4Height - pdfMargin - 5)
	for i, ln := range lines {
		y := pdfTop - i*pdfLeading
		if ln.over {
			rule(float64(y) + pdfLeading - 2.5)
		}
		if ln.text != "" {
			f := 1
			if ln.bold {
				f = 2
			}
			text(f, pdfSize, pdfMargin, y, ln.text)
		}
		if ln.under {
			rule(float64(y) - 2.5)
		}
	}
	// Footer: who printed it, and the page.
	rule(pdfMargin - 6)
	num := fmt.Sprintf("Page %d / %d", page, pages)
	text(1, pdfSize, pdfMargin, pdfMargin-16, cut(h.Printed, pdfCols-len(num)-2))
	text(1, pdfSize, float64(pdf.A4Width-pdfMargin)-pdfAdvance*float64(len(num)), pdfMargin-16, num)
	return c.Bytes()
}

// cut shortens s to n characters, marking the cut with an ellipsis.
func cut(s string, n int) string {
	r := []rune(s)
	if len(r) <= n || n < 1 {
		return s
	}
	return string(r[:n-1]) + "…"
}
