package console

// Printing a fax job's transmission report on the business centre's
// printer (發送傳真程序: check the report's page count and result, and
// keep it): the report of the whole job (every attempt's pages, not only
// the last attempt's PDF the desk wrote) as a PDF, sent as print.submit to
// the house room, which the print desk does not bill to a guest
// (business.House).

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"switchboard/internal/business"
	"switchboard/internal/events/printer"
	"switchboard/internal/faxdesk"
	"switchboard/internal/folio/stays"
	"switchboard/internal/pdf"
)

// faxPrintReport sends the job's transmission report to the printer the
// form names (the first configured one by default) and goes back to the
// job with the print desk's answer shown once.
func (c *Console) faxPrintReport(w http.ResponseWriter, r *http.Request, s session) {
	v, ok := c.readJobView(w, r, s)
	if !ok {
		return
	}
	refuse := func(status int, problem string) {
		c.faxJobView(w, r, s, status, v, map[string]any{"Problem": problem})
	}
	printers := c.printers()
	dev := r.PostFormValue("printer")
	switch {
	case !v.Final():
		refuse(http.StatusConflict, fmt.Sprintf("not printed: fax job %d is still %s; its transmission report exists once it has ended", v.ID, v.State))
		return
	case len(printers) == 0:
		refuse(http.StatusServiceUnavailable, "not printed: no printer is configured (a device of the print domain); download the report's PDF instead")
		return
	case dev == "":
		dev = printers[0]
	case !slices.Contains(printers, dev):
		refuse(http.StatusUnprocessableEntity, fmt.Sprintf("not printed: printer %q is not configured; want one of %v", dev, printers))
		return
	}
	// In the page's language where the font can draw it (as the
	// reports' PDFs), with the guest the fax was sent for.
	lang := langEN
	if c.o.PDFFont != nil {
		lang = c.lang(w, r)
	}
	guest, err := stays.GuestAt(r.Context(), c.o.Host.Store(), v.Room, v.Created)
	if err != nil {
		c.o.Log.Warn("fax transmission report: the room's guest", "job", v.ID, "room", v.Room, "err", err)
	}
	doc, pages := transmissionReport(v, view{Lang: lang}, c.o.PDFFont, guest, s.code, c.now().In(c.o.Location))
	c.o.Log.Info("fax transmission report", "job", v.ID, "lang", lang, "pages", pages, "bytes", len(doc))
	data := printer.SubmitData{Room: business.House, Operator: s.code, Name: fmt.Sprintf("Fax job %d transmission report", v.ID),
		Format: "application/pdf", Document: base64.StdEncoding.EncodeToString(doc)}
	ctx, cancel := context.WithTimeout(r.Context(), printSubmitWait)
	defer cancel()
	rep, err := c.command(ctx, &s, "print", dev, "print.submit", data)
	status, reason := rep.Status, rep.Reason
	switch {
	case errors.Is(err, errNotYours):
		c.forbidden(w, r, s, "role")
		return
	case errors.Is(err, context.DeadlineExceeded) && rep.CommandID != "":
		status, reason = "accepted", "still printing: see the print page"
	case err != nil:
		c.o.Log.Error("console command", "what", "print.submit (fax report)", "job", v.ID, "err", err)
		status, reason = "failed", err.Error()
	}
	c.setFlashAt(w, flash{What: fmt.Sprintf("print.submit %s (%s)", dev, rep.CommandID), Status: status, Reason: reason}, "/fax")
	http.Redirect(w, r, "/fax/jobs/"+strconv.FormatInt(v.ID, 10), http.StatusSeeOther)
}

// transmissionReport is job v's transmission report as a PDF in t's
// language and its page count: number, pages, each page's result over
// the attempts, times, the remote station, the guest, who sent it and
// who printed it, on as many A4 pages as a long fax needs (pdf.Listing,
// the fax desk's layout). font draws what the standard fonts cannot (the
// Chinese of the labels, the guest's name, the remote id); without it
// the caller keeps to English and such characters print as '?'.
func transmissionReport(v faxdesk.JobView, t view, font *pdf.TrueType, guest, by string, now time.Time) ([]byte, int) {
	loc := now.Location()
	cw := (&pdf.Mono{Wide: font}).Width
	// label: the value 18 columns in, as the desk's report has it (a
	// Chinese label is two columns a character).
	label := func(key, value string) string {
		l := t.T(key)
		return l + strings.Repeat(" ", max(1, 18-cw(l))) + value
	}
	dest := v.Number
	if v.Destination != "" {
		dest += " (" + v.Destination + ")"
	}
	start := ""
	if !v.Started.IsZero() {
		start = v.Started.In(loc).Format("2006-01-02 15:04:05 -07:00")
	}
	result, remote := v.State, v.RemoteID
	if t.Lang != langEN {
		result = t.T("fax.state." + v.State)
	}
	if o := v.Outcome; o != nil {
		switch {
		case t.Lang == langEN:
			result = o.Result
		case o.Result != "OK":
			result += ": " + o.Result // the desk's own words, in English
		}
		if remote == "" {
			remote = o.RemoteID
		}
	} else if v.LastError != "" {
		result += ": " + v.LastError
	}
	lines := []string{
		label("fax.rep.dest", dest),
		label("fax.rep.start", start),
		label("fax.rep.duration", v.Duration.Round(time.Second).String()),
		label("fax.rep.speed", fmt.Sprintf("%d bit/s", v.BitRate)),
		label("fax.rep.sent", strconv.Itoa(v.Pages)),
		label("fax.rep.confirmed", strconv.Itoa(v.Confirmed)),
		label("fax.rep.result", result),
		fmt.Sprintf(t.T("fax.rep.who"), v.Room, v.Operator, v.Attempts, v.MaxAttempts),
	}
	if guest != "" {
		lines = append(lines, label("fax.rep.guest", guest))
	}
	lines = append(lines,
		label("fax.rep.queued", v.Created.In(loc).Format("2006-01-02 15:04:05")),
		label("fax.rep.ended", v.Updated.In(loc).Format("2006-01-02 15:04:05")),
		label("fax.rep.remote", remote))
	if o := v.Outcome; o != nil && o.Billed {
		lines = append(lines, label("fax.rep.charged", fmt.Sprintf("%s %s", o.Amount, o.Currency)))
	}
	lines = append(lines, "")
	for _, p := range pageStates(v) {
		// As the job page says it: confirmed, not confirmed, waiting.
		line := fmt.Sprintf(t.T("fax.rep.page"), p.Page, t.T("fax.page."+p.State))
		if p.Attempt > 0 {
			line += fmt.Sprintf(t.T("fax.rep.page.tried"), p.Code, p.Attempt, p.Tries, p.DurationS)
		}
		lines = append(lines, line)
	}
	return pdf.Listing{Title: fmt.Sprintf(t.T("fax.rep.title"), v.ID), Continued: t.T("rep.pdf.continued"), Page: t.T("rep.pdf.page"),
		Footer: fmt.Sprintf(t.T("fax.rep.printed"), now.Format("2006-01-02 15:04:05"), by), Wide: font}.Write(lines)
}
