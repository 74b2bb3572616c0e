package faxdesk

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"switchboard/internal/events/fax"
	faxjobs "switchboard/internal/fax/jobs"
	faxpdf "switchboard/internal/fax/pdf"
)

// writeReport writes the transmission report PDF (發送傳真程序: check the
// report's page count and result) next to the job's pages.
func (d *Desk) writeReport(j faxjobs.Job, res fax.SendResult, state string, total int) string {
	result := "OK"
	if res.Error != "" {
		result = res.Error
	}
	if state == faxjobs.Retry {
		result += fmt.Sprintf(" (attempt %d of %d; next attempt in %s)", j.Attempts, j.MaxAttempts, j.RetryEvery)
	}
	extra := []string{
		fmt.Sprintf("Job: %d   Room: %s   Operator: %s   Attempt: %d of %d", j.ID, j.Room, j.Operator, j.Attempts, j.MaxAttempts),
		fmt.Sprintf("Number dialled: %s (%s, %s)", j.Dial, j.Destination, j.Kind),
	}
	if res.Pages != j.Pages || total != res.PagesConfirmed {
		extra = append(extra, fmt.Sprintf("Pages of the fax: %d; this attempt: %d; confirmed over all attempts: %d", j.Pages, res.Pages, total))
	}
	if res.RemoteID != "" {
		extra = append(extra, "Remote station: "+res.RemoteID)
	}
	for _, p := range res.PerPage {
		ok := "not confirmed"
		if p.Confirmed {
			ok = "confirmed"
		}
		extra = append(extra, fmt.Sprintf("Page %d: %s (%s), %d bit/s, %d tries, %.1f s", p.Page, ok, p.Code, p.BitRate, p.Tries, p.Duration.Seconds()))
	}
	doc := faxpdf.New()
	doc.AddReport(faxpdf.Report{Destination: j.Number, Start: res.Start.In(d.host.Location()), Duration: res.Duration, BitRate: res.BitRate,
		PagesSent: len(res.PerPage), PagesConfirmed: res.PagesConfirmed, Result: result, Extra: extra})
	var b bytes.Buffer
	if _, err := doc.WriteTo(&b); err != nil {
		d.host.Log().Warn("fax transmission report not written", "job", j.ID, "err", err)
		return ""
	}
	path := filepath.Join(d.opt.Dir, "out", fmt.Sprintf("job-%d-report-%d.pdf", j.ID, j.Attempts))
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		d.host.Log().Warn("fax transmission report not written", "job", j.ID, "err", err)
		return ""
	}
	return path
}
