package faxdesk

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"switchboard/internal/events/fax"
	faxjobs "switchboard/internal/fax/jobs"
	"switchboard/internal/folio/stays"
	"switchboard/internal/pdf"
)

// writeReport writes the transmission report PDF (發送傳真程序: check the
// report's page count and result) next to the job's pages: a line a page,
// on as many A4 pages as a long fax needs (pdf.Listing), the remote
// station's id and the guest's name drawn with the Chinese font when the
// gateway has one (Options.PDFFont).
func (d *Desk) writeReport(ctx context.Context, j faxjobs.Job, res fax.SendResult, state string, total int) string {
	file, _ := d.reportPDF(ctx, j, res, state, total)
	path := filepath.Join(d.opt.Dir, "out", fmt.Sprintf("job-%d-report-%d.pdf", j.ID, j.Attempts))
	if err := os.WriteFile(path, file, 0o600); err != nil {
		d.host.Log().Warn("fax transmission report not written", "job", j.ID, "err", err)
		return ""
	}
	return path
}

// reportPDF is the attempt's report and its page count.
func (d *Desk) reportPDF(ctx context.Context, j faxjobs.Job, res fax.SendResult, state string, total int) ([]byte, int) {
	result := "OK"
	if res.Error != "" {
		result = res.Error
	}
	if state == faxjobs.Retry {
		result += fmt.Sprintf(" (attempt %d of %d; next attempt in %s)", j.Attempts, j.MaxAttempts, j.RetryEvery)
	}
	lines := []string{"Destination:      " + j.Number}
	// The guest the fax was sent for; the report is written without it
	// when the store cannot say (it is not worth failing the attempt).
	guest, err := stays.GuestAt(ctx, d.host.Store(), j.Room, j.Created)
	if err != nil {
		d.host.Log().Warn("fax transmission report: the room's guest", "job", j.ID, "room", j.Room, "err", err)
	}
	if guest != "" {
		lines = append(lines, "Guest:            "+guest)
	}
	lines = append(lines,
		"Start:            "+res.Start.In(d.host.Location()).Format("2006-01-02 15:04:05 -07:00"),
		"Duration:         "+res.Duration.Round(time.Second).String(),
		fmt.Sprintf("Speed:            %d bit/s", res.BitRate),
		fmt.Sprintf("Pages sent:       %d", len(res.PerPage)),
		fmt.Sprintf("Pages confirmed:  %d", res.PagesConfirmed),
		"Result:           "+result,
		"",
		fmt.Sprintf("Job: %d   Room: %s   Operator: %s   Attempt: %d of %d", j.ID, j.Room, j.Operator, j.Attempts, j.MaxAttempts),
		fmt.Sprintf("Number dialled: %s (%s, %s)", j.Dial, j.Destination, j.Kind),
	)
	if res.Pages != j.Pages || total != res.PagesConfirmed {
		lines = append(lines, fmt.Sprintf("Pages of the fax: %d; this attempt: %d; confirmed over all attempts: %d", j.Pages, res.Pages, total))
	}
	if res.RemoteID != "" {
		lines = append(lines, "Remote station: "+res.RemoteID)
	}
	lines = append(lines, "")
	for _, p := range res.PerPage {
		ok := "not confirmed"
		if p.Confirmed {
			ok = "confirmed"
		}
		lines = append(lines, fmt.Sprintf("Page %d: %s (%s), %d bit/s, %d tries, %.1f s", p.Page, ok, p.Code, p.BitRate, p.Tries, p.Duration.Seconds()))
	}
	return pdf.Listing{Title: "Fax transmission report", Wide: d.opt.PDFFont,
		Footer: fmt.Sprintf("Fax job %d, attempt %d of %d, to %s", j.ID, j.Attempts, j.MaxAttempts, j.Number)}.Write(lines)
}
