package console

// Printing a fax job's transmission report on the business centre's
// printer (發送傳真程序: check the report's page count and result, and
// keep it): the report of the whole job (every attempt's pages, not only
// the last attempt's PDF the desk wrote) as a PDF, sent as print.submit to
// the house room, which the print desk does not bill to a guest
// (business.House).

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"switchboard/internal/business"
	"switchboard/internal/events/printer"
	faxpdf "switchboard/internal/fax/pdf"
	"switchboard/internal/faxdesk"
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
	doc, err := transmissionReport(v, s.code, c.now().In(c.o.Location))
	if err != nil {
		c.o.Log.Error("fax transmission report", "job", v.ID, "err", err)
		refuse(http.StatusInternalServerError, "not printed: the report could not be written: see the gateway's log")
		return
	}
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

// Lines of a report page (faxpdf.AddText: 12 pt lines 16 pt apart from
// 770 pt down an A4 page of 842 pt, keeping a 50 pt margin at the foot):
// 45 in all, the first page's report header taking 8 of them.
const (
	reportLinesFirst = 45 - 8
	reportLinesMore  = 45 - 1
)

// transmissionReport is job v's transmission report as a PDF: number,
// pages, each page's result over the attempts, times, the remote station,
// who sent it and who printed it. All the PDF writing is here (the fax
// package's writer), so the writer can move without touching the rest.
func transmissionReport(v faxdesk.JobView, by string, now time.Time) ([]byte, error) {
	loc := now.Location()
	r := faxpdf.Report{Title: fmt.Sprintf("Fax transmission report - job %d", v.ID), Destination: v.Number,
		BitRate: v.BitRate, PagesSent: v.Pages, PagesConfirmed: v.Confirmed, Result: v.State, Duration: v.Duration}
	if v.Destination != "" {
		r.Destination += " (" + v.Destination + ")"
	}
	if !v.Started.IsZero() {
		r.Start = v.Started.In(loc)
	}
	remote := v.RemoteID
	if o := v.Outcome; o != nil {
		r.Result = o.Result
		if remote == "" {
			remote = o.RemoteID
		}
	} else if v.LastError != "" {
		r.Result += ": " + v.LastError
	}
	extra := []string{
		fmt.Sprintf("Room: %s   Operator: %s   Attempts: %d of %d", v.Room, v.Operator, v.Attempts, v.MaxAttempts),
		"Queued:           " + v.Created.In(loc).Format("2006-01-02 15:04:05"),
		"Ended:            " + v.Updated.In(loc).Format("2006-01-02 15:04:05"),
		"Remote station:   " + remote,
	}
	if o := v.Outcome; o != nil && o.Billed {
		extra = append(extra, fmt.Sprintf("Charged:          %s %s", o.Amount, o.Currency))
	}
	for _, p := range pageStates(v) {
		line := fmt.Sprintf("Page %d: %s", p.Page, p.State)
		if p.Attempt > 0 {
			line += fmt.Sprintf(" (%s), attempt %d, %d tries, %.1f s", p.Code, p.Attempt, p.Tries, p.DurationS)
		}
		extra = append(extra, line)
	}
	extra = append(extra, fmt.Sprintf("Printed %s by %s", now.Format("2006-01-02 15:04:05"), by))
	doc := faxpdf.New()
	first := min(len(extra), reportLinesFirst)
	r.Extra = extra[:first]
	doc.AddReport(r)
	for rest := extra[first:]; len(rest) > 0; {
		n := min(len(rest), reportLinesMore)
		doc.AddText(append([]string{r.Title + " (continued)"}, rest[:n]...))
		rest = rest[n:]
	}
	var b bytes.Buffer
	if _, err := doc.WriteTo(&b); err != nil {
		return nil, fmt.Errorf("transmission report of fax job %d: %w", v.ID, err)
	}
	return b.Bytes(), nil
}
