package faxdesk

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"switchboard/internal/desk/desktest"
	faxjobs "switchboard/internal/fax/jobs"
	"switchboard/internal/folio"
)

// TestResend: only a failed job is sent again, with its number, room,
// resolution and stored pages, which the desk's own checks take as a
// document of as many pages; a sent, running or purged one is refused
// with why.
func TestResend(t *testing.T) {
	dir := t.TempDir()
	stored := func(name string, pages int, fine bool) string {
		p := filepath.Join(dir, name)
		if err := writeTIFF(p, textPages(pagesOfText(pages), fine), fine, nil); err != nil {
			t.Fatal(err)
		}
		return p
	}
	loc := time.FixedZone("CST", 8*3600)
	bl := desktest.Biller(t, "1101", "1299")
	pv, err := NewPreview(Options{Tariff: desktest.BusinessTariff(t, ""), Billing: func() *folio.Biller { return bl }}, loc,
		func() time.Time { return time.Date(2026, 12, 4, 10, 0, 0, 0, loc) })
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		job     faxjobs.Job
		refused string // part of the refusal; "" when re-sendable
		res     string
		pages   int
	}{
		{name: "failed fine", job: faxjobs.Job{ID: 1, State: faxjobs.Failed, Number: "010 6512 3456", Room: "1203", Document: stored("a.tif", 2, true), Fine: true},
			res: "fine", pages: 2},
		{name: "failed standard", job: faxjobs.Job{ID: 2, State: faxjobs.Failed, Number: "65123456", Room: "walk-in", Document: stored("b.tif", 1, false)},
			res: "standard", pages: 1},
		{name: "sent", job: faxjobs.Job{ID: 3, State: faxjobs.Sent, Document: stored("c.tif", 1, true)}, refused: "went through"},
		{name: "still sending", job: faxjobs.Job{ID: 4, State: faxjobs.Sending, Document: stored("d.tif", 1, true)}, refused: "still sending"},
		{name: "waiting to retry", job: faxjobs.Job{ID: 5, State: faxjobs.Retry, Document: stored("e.tif", 1, true)}, refused: "still retry"},
		{name: "pages purged", job: faxjobs.Job{ID: 6, State: faxjobs.Failed, Document: filepath.Join(dir, "gone.tif")}, refused: "were deleted"},
		{name: "no pages", job: faxjobs.Job{ID: 7, State: faxjobs.Failed}, refused: "no stored pages"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data, doc, err := Resend(tc.job, "0002")
			if tc.refused != "" {
				if !errors.Is(err, ErrNotResendable) || !strings.Contains(err.Error(), tc.refused) {
					t.Fatalf("err %v, want a refusal saying %q", err, tc.refused)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if data.To != tc.job.Number || data.Room != tc.job.Room || data.Operator != "0002" || data.Resolution != tc.res || data.Format != "image/tiff" {
				t.Errorf("data %+v", data)
			}
			want, _ := os.ReadFile(tc.job.Document)
			if string(doc) != string(want) {
				t.Error("the document is not the stored pages")
			}
			q, err := pv.Quote(context.Background(), "fax1", data, doc)
			if err != nil {
				t.Fatalf("the desk refuses the re-send: %v", err)
			}
			if q.Pages != tc.pages || q.Resolution != tc.res {
				t.Errorf("quoted %d pages at %s, want %d at %s", q.Pages, q.Resolution, tc.pages, tc.res)
			}
		})
	}
}
