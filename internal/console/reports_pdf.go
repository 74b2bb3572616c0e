package console

// A report as a PDF (issue 13: "downloadable (CSV; PDF where the desk
// prints one)"): the business centre prints reports on paper, so every
// report has one. It is the same approved download as the CSV (the
// manager's approval, an audit row written first), laid out by
// report.WritePDF in English: the standard PDF fonts have no Chinese
// glyphs (docs/console.md).

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
	at := c.now().In(c.o.Location)
	h := report.PDFHeader{Hotel: c.o.Hotel, Report: translate(langEN, "rep."+doc.Kind), Period: doc.Label,
		Printed: fmt.Sprintf("Printed %s by %s (%s), approved by %s", at.Format("2006-01-02 15:04 MST"), s.code, s.role, approver)}
	b, pages := report.WritePDF(h, doc.Heading, doc.Tables)
	c.o.Log.Info("report pdf", "report", doc.Kind, "period", doc.Label, "pages", pages, "bytes", len(b))
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-%s.pdf"`, doc.Kind, safeName(doc.Label)))
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Last-Modified", at.UTC().Format(time.RFC1123))
	_, _ = w.Write(b)
}
