package report

// A report as a PDF for the business centre to print on paper (issue 13:
// "downloadable (CSV; PDF where the desk prints one)"): the same tables
// as the text and CSV, laid out on A4 in Courier (a standard PDF font, so
// nothing is embedded; monospaced, so columns line up as on a terminal)
// with a header and a footer on every page (hotel, report, period; who
// printed it, page n of m). A table that runs past a page goes on with
// its title and column names repeated; a row wrapped over several lines
// is never cut between pages. The standard fonts have no Chinese glyphs:
// with a TrueType font that has them (PDFHeader.Wide) such characters are
// drawn in it, two columns wide; without one they print as '?' and a note
// at the end says so (the screen and the CSV keep them).

import (
	"bytes"
	"fmt"
	"strings"

	"switchboard/internal/pdf"
)

// PDFHeader is what every page of a report's PDF says beside the tables,
// and how it writes what the standard fonts cannot.
type PDFHeader struct {
	Hotel   string // the property
	Report  string // the report's name
	Period  string // the day, the week or the shift
	Printed string // who printed it, when, with whose approval
	// Wide draws the characters Courier cannot (Chinese), each two
	// columns wide; nil prints them as '?'.
	Wide *pdf.TrueType
	// Page is the page number's format (two %d: the page, the pages) and
	// Continued what a table's title says on the pages it goes on to; ""
	// is English.
	Page, Continued string
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
	if h.Page == "" {
		h.Page = "Page %d / %d"
	}
	if h.Continued == "" {
		h.Continued = " (continued)"
	}
	l := &pdfLayout{h: h, w: cellWidth(h.Wide)}
	for _, s := range l.wrap(heading, pdfCols) {
		l.add(pdfLine{text: s})
	}
	for _, t := range tables {
		l.table(t)
	}
	if l.lost > 0 {
		l.blank()
		l.group(l.wrapped(fmt.Sprintf("%d character(s) that the PDF's fonts cannot show (Chinese, for one, without a Chinese font) are printed as '?': "+
			"the report on screen and its CSV have them.", l.lost), false))
	}
	if len(l.pages) == 0 {
		l.pages = [][]pdfLine{nil}
	}
	d := &pdf.Mono{Fonts: []string{pdf.Courier, pdf.CourierBold}, Wide: h.Wide}
	contents := make([][]byte, len(l.pages))
	for i, lines := range l.pages {
		contents[i] = pdfPage(d, h, lines, i+1, len(l.pages), l.w)
	}
	return d.Write(pdf.A4Width, pdf.A4Height, contents), len(l.pages)
}

// cellWidth is how many columns a character takes: one in Courier, two
// in the wide font (its glyphs are about an em wide, Courier's 0.6 em).
func cellWidth(wide *pdf.TrueType) func(rune) int {
	return (&pdf.Mono{Wide: wide}).Cells
}

// cells is s's width in columns.
func cells(s string, w func(rune) int) int {
	n := 0
	for _, r := range s {
		n += w(r)
	}
	return n
}

// pdfLayout fills pages with lines.
type pdfLayout struct {
	h     PDFHeader
	w     func(rune) int // a character's columns
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
		l.lost += l.lostIn(line.text)
		p := &l.pages[len(l.pages)-1]
		*p = append(*p, line)
	}
}

// lostIn counts the characters of s that no font of the file can draw.
func (l *pdfLayout) lostIn(s string) int {
	m := pdf.Mono{Wide: l.h.Wide}
	n := 0
	for _, r := range s {
		if !m.Has(r) {
			n++
		}
	}
	return n
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
	title := l.wrapped(t.Title, true)
	if len(t.Rows) == 0 {
		lines := title
		if t.Empty != "" {
			lines = append(lines, l.wrapped(t.Empty, false)...)
		}
		l.group(lines)
		return
	}
	widths := pdfWidths(t, l.w)
	names := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		names[i] = c.Name
	}
	head := l.row(t.Columns, widths, names)
	for i := range head {
		head[i].bold = true
	}
	head[len(head)-1].under = true
	// The title, the column names and the first row start a page together.
	first := append(append(append([]pdfLine{}, title...), head...), l.row(t.Columns, widths, t.Rows[0])...)
	l.group(first)
	if t.Title != "" {
		l.repeat = append(l.wrapped(t.Title+l.h.Continued, true), head...)
	} else {
		l.repeat = head
	}
	for _, r := range t.Rows[1:] {
		l.group(l.row(t.Columns, widths, r))
	}
	if t.Footer != nil {
		foot := l.row(t.Columns, widths, t.Footer)
		foot[0].over = true
		for i := range foot {
			foot[i].bold = true
		}
		l.group(foot)
	}
	l.repeat = nil
}

// wrapped is text wrapped to the page's width, bold or not.
func (l *pdfLayout) wrapped(s string, bold bool) []pdfLine {
	if s == "" {
		return nil
	}
	var out []pdfLine
	for _, w := range l.wrap(s, pdfCols) {
		out = append(out, pdfLine{text: w, bold: bold})
	}
	return out
}

// pdfWidths are the columns' widths in characters: each as wide as its
// widest cell, then the widest cut down one character at a time until
// the row fits the page (a cut cell wraps).
func pdfWidths(t Table, cw func(rune) int) []int {
	w := make([]int, len(t.Columns))
	for i, c := range t.Columns {
		w[i] = max(cells(c.Name, cw), 1)
	}
	fit := func(row []string) {
		for i := 0; i < len(row) && i < len(w); i++ {
			w[i] = max(w[i], cells(row[i], cw))
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
		// A wide character needs two columns: no column narrower.
		if sum <= pdfCols || w[widest] <= pdfMinCol {
			return w
		}
		w[widest]--
	}
}

// row is a row's lines: each cell wrapped to its column, numbers
// aligned right.
func (l *pdfLayout) row(cols []Column, widths []int, row []string) []pdfLine {
	parts := make([][]string, len(cols))
	n := 1
	for i := range cols {
		v := ""
		if i < len(row) {
			v = row[i]
		}
		parts[i] = l.wrap(v, widths[i])
		n = max(n, len(parts[i]))
	}
	out := make([]pdfLine, n)
	for k := range out {
		var b strings.Builder
		for i, c := range cols {
			v := ""
			if k < len(parts[i]) {
				v = parts[i][k]
			}
			pad := strings.Repeat(" ", max(0, widths[i]-cells(v, l.w)))
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

// wrap cuts s into lines of at most width columns.
func (l *pdfLayout) wrap(s string, width int) []string { return wrapCells(s, width, l.w) }

// wrapText cuts s into lines of at most width characters of one column.
func wrapText(s string, width int) []string {
	return wrapCells(s, width, func(rune) int { return 1 })
}

// wrapCells cuts s into lines of at most width columns (a character takes
// cw of them), its runs of spaces and line breaks made one space first (a
// line break in a cell is a space on paper): pdf.WrapCells.
func wrapCells(s string, width int, cw func(rune) int) []string {
	return pdf.WrapCells(strings.Join(strings.Fields(s), " "), width, cw)
}

// pdfPage is a page's content stream: the header, the body's lines and
// rules, and the footer with the page number.
func pdfPage(d *pdf.Mono, h PDFHeader, lines []pdfLine, page, pages int, cw func(rune) int) []byte {
	var c bytes.Buffer
	rule := func(y float64) {
		fmt.Fprintf(&c, "0.5 w %d %.1f m %d %.1f l S\n", pdfMargin, y, pdf.A4Width-pdfMargin, y)
	}
	// Header: hotel and report on the left, the period on the right
	// (Courier-Bold 10 pt: 6 pt a column, 85 to the line).
	const headCols = (pdf.A4Width - 2*pdfMargin) / 6
	period := pdf.Cut(h.Period, 30, cw)
	left := pdf.Cut(strings.TrimPrefix(h.Hotel+" · "+h.Report, " · "), headCols-cells(period, cw)-2, cw)
	d.Text(&c, 2, pdfHeadSize, pdfMargin, pdf.A4Height-pdfMargin, left)
	d.Text(&c, 2, pdfHeadSize, float64(pdf.A4Width-pdfMargin)-6*float64(cells(period, cw)), pdf.A4Height-pdfMargin, period)
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
			d.Text(&c, f, pdfSize, pdfMargin, y, ln.text)
		}
		if ln.under {
			rule(float64(y) - 2.5)
		}
	}
	// Footer: who printed it, and the page.
	rule(pdfMargin - 6)
	num := fmt.Sprintf(h.Page, page, pages)
	d.Text(&c, 1, pdfSize, pdfMargin, pdfMargin-16, pdf.Cut(h.Printed, pdfCols-cells(num, cw)-2, cw))
	d.Text(&c, 1, pdfSize, float64(pdf.A4Width-pdfMargin)-pdfAdvance*float64(cells(num, cw)), pdfMargin-16, num)
	return c.Bytes()
}
