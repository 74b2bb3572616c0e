package console

// A report as a PDF (issue 13: "downloadable (CSV; PDF where the desk
// prints one)"): the business centre prints reports on paper, so every
// report has one. It is the same approved download as the CSV (the
// manager's approval, an audit row written first), laid out by
// report.WritePDF. The standard PDF fonts have no Chinese glyphs: with a
// Chinese TrueType font on the machine (Options.PDFFont) the PDF is in
// the page's language and draws the guests' Chinese names; without one it
// is in English and such characters print as '?' (docs/console.md).

import (
	"fmt"
	"net/http"
	"time"

	"switchboard/internal/report"
)

// reportPDF records the approved download and sends the whole report as
// a PDF of A4 pages.
func (c *Console) reportPDF(w http.ResponseWriter, r *http.Request, s session) {
	doc, approver, ok := c.approvedReport(w, r, s, "pdf")
	if !ok {
		return
	}
	lang := langEN
	if c.o.PDFFont != nil {
		lang = c.lang(w, r)
	}
	v := view{Lang: lang}
	at := c.now().In(c.o.Location)
	h := report.PDFHeader{Hotel: c.o.Hotel, Report: v.T("rep." + doc.Kind), Period: doc.Label, Wide: c.o.PDFFont,
		Printed: fmt.Sprintf(v.T("rep.pdf.printed"), at.Format("2006-01-02 15:04 MST"), s.code, v.T("rep.role."+string(s.role)), approver),
		Page:    v.T("rep.pdf.page"), Continued: v.T("rep.pdf.continued")}
	tables := doc.Tables
	if lang != langEN {
		tables = translatedTables(v, tables)
	}
	b, pages := report.WritePDF(h, v.ReportHeading(doc), tables)
	c.o.Log.Info("report pdf", "report", doc.Kind, "period", doc.Label, "lang", lang, "pages", pages, "bytes", len(b))
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-%s.pdf"`, doc.Kind, safeName(doc.Label)))
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Last-Modified", at.UTC().Format(time.RFC1123))
	_, _ = w.Write(b)
}

// translatedTables are tables as the page shows them in v's language:
// titles, column names, empty lines and cells (RT, Cell).
func translatedTables(v view, tables []report.Table) []report.Table {
	out := make([]report.Table, len(tables))
	for i, t := range tables {
		cols := make([]report.Column, len(t.Columns))
		for j, col := range t.Columns {
			cols[j] = report.Column{Name: v.RT("rep.col.", col.Name), Right: col.Right}
		}
		cell := func(row []string, foot bool) []string {
			if row == nil {
				return nil
			}
			o := make([]string, len(row))
			for j, x := range row {
				name := "footer"
				if !foot && j < len(t.Columns) {
					name = t.Columns[j].Name
				}
				o[j] = v.Cell(name, x)
			}
			return o
		}
		tt := report.Table{Columns: cols, Footer: cell(t.Footer, true), Rows: make([][]string, len(t.Rows))}
		if t.Title != "" {
			tt.Title = v.RT("rep.t.", t.Title)
		}
		if t.Empty != "" {
			tt.Empty = v.RT("rep.e.", t.Empty)
		}
		for j, row := range t.Rows {
			tt.Rows[j] = cell(row, false)
		}
		out[i] = tt
	}
	return out
}
