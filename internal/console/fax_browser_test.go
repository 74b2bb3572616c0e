package console

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	faxjobs "switchboard/internal/fax/jobs"
	"switchboard/internal/store"
)

// A business-centre clerk types a fax number: the form says at once why an
// extension cannot receive a fax, and what a good number is; a fax job's
// page follows the job when its outcome is committed, without a reload by
// hand.
func TestBrowserFax(t *testing.T) {
	path := chromium()
	if path == "" {
		t.Skip("chromium is not installed (Debian package chromium; make deps installs it): the browser test is skipped")
	}
	f, _, _ := newFaxFixture(t)
	now := f.clock.now()
	var id int64
	if err := f.st.InTx(context.Background(), func(tx *store.Tx) (err error) {
		id, err = faxjobs.Enqueue(tx, faxjobs.Job{CommandID: "c1", Device: "fax1", Number: "65123456", Room: "1203", Operator: "0002",
			Document: "x.tif", Pages: 2}, faxjobs.DefaultPolicy(), now)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	ctx, base := headless(t, path, f.c)
	if _, err := chromedp.Run(ctx, chromedp.Steps(
		chromedp.Navigate(base+"/fax"),
		chromedp.WaitVisible("#code"),
		chromedp.SendKeys("#code", "0002"),
		chromedp.SendKeys("#pin", "1234"),
		chromedp.Click("#signin"),
		chromedp.WaitVisible("ul.tiles"),
		chromedp.Navigate(base+"/fax"),
		chromedp.WaitVisible("#to"),
	)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		typed, class, says string
	}{
		{typed: "1203", class: "bad", says: "an extension of the hotel"},
		{typed: "6512 3456", class: "ok", says: "local"},
	} {
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(document.getElementById("to").value = "", true)`)); err != nil {
			t.Fatal(err)
		}
		if _, err := chromedp.Run(ctx, chromedp.Steps(
			chromedp.SendKeys("#to", tc.typed),
			chromedp.WaitVisible("#to-check.check."+tc.class),
		)); err != nil {
			t.Fatalf("%q: no %s answer: %v", tc.typed, tc.class, err)
		}
		said, err := chromedp.Run(ctx, chromedp.Text("#to-check"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(said, tc.says) {
			t.Errorf("%q: the form says %q, want %q", tc.typed, said, tc.says)
		}
	}
	if _, err := chromedp.Run(ctx, chromedp.Steps(
		chromedp.Navigate(fmt.Sprintf("%s/fax/jobs/%d", base, id)),
		chromedp.WaitReady(`body[data-live="open"]`),
	)); err != nil {
		t.Fatal(err)
	}
	if err := f.st.InTx(context.Background(), func(tx *store.Tx) error {
		return faxjobs.Finish(tx, id, faxjobs.Attempt{Outcome: faxjobs.Outcome{Pages: 2, Confirmed: 2}, Start: now, Total: 2}, faxjobs.Sent, now, now)
	}); err != nil {
		t.Fatal(err)
	}
	enqueue(t, f.st, "hotel.fax.sent", fmt.Sprintf("fax1/fax-job/%d", id), map[string]any{"job_id": id, "device": "fax1", "result": "OK"})
	wait, cancelWait := context.WithTimeout(ctx, 2*time.Second)
	defer cancelWait()
	if _, err := chromedp.Run(wait, chromedp.WaitVisible(`#report`)); err != nil {
		t.Fatalf("the job page did not follow the job within 2 s: %v", err)
	}
}
