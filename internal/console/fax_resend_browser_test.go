package console

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"switchboard/internal/events/fax"
	faxjobs "switchboard/internal/fax/jobs"
)

// TestBrowserFaxResendPages: in a 1366×768 window, the failed job's page
// (re-send, printer choice), the re-send's confirm step reached by its
// button, and the register search with its results fit the window's width
// in both languages (issue 13: usable at 1366×768).
func TestBrowserFaxResendPages(t *testing.T) {
	path := chromium()
	if path == "" {
		t.Skip("chromium is not installed (Debian package chromium; make deps installs it): the browser test is skipped")
	}
	f, h, pv := newFaxFixture(t)
	withPrinters(t, f, h, &FaxOptions{Desk: pv, Devices: []string{"fax1"}, SendWait: 100 * time.Millisecond},
		DeviceInfo{ID: "business-centre-laser", Domain: "print"}, DeviceInfo{ID: "lobby-colour", Domain: "print"})
	tif := filepath.Join(t.TempDir(), "out.tif")
	writeChartTIFF(t, tif)
	var pages []fax.Page
	for i := 1; i <= 12; i++ {
		pages = append(pages, fax.Page{Page: i, Code: "RTN", Tries: 3, Attempt: 3, DurationS: 12.5})
	}
	id := endedJob(t, f, "c1", tif, faxjobs.Failed, pages)
	registerFax(t, f.st, faxjobs.Fax{Key: "k1", Device: "fax1", Received: f.clock.now(), Pages: 3, RemoteID: "+86 21 5555 0000 ACME"})
	ctx, base := headless(t, path, f.c)
	if _, err := chromedp.Run(ctx, chromedp.Steps(
		chromedp.EmulateViewport(1366, 768),
		chromedp.Navigate(base+"/signin"),
		chromedp.WaitVisible("#code"),
		chromedp.SendKeys("#code", "0002"),
		chromedp.SendKeys("#pin", "1234"),
		chromedp.Click("#signin"),
		chromedp.WaitVisible("ul.tiles"),
	)); err != nil {
		t.Fatal(err)
	}
	width := func(what string) {
		t.Helper()
		w, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
		if err != nil {
			t.Fatal(err)
		}
		if w > 1366 {
			t.Errorf("%s: %d px wide, wider than the 1366 px window", what, w)
		}
	}
	for _, lang := range []string{"en", "zh-Hant"} {
		job := fmt.Sprintf("%s/fax/jobs/%d?lang=%s", base, id, lang)
		if _, err := chromedp.Run(ctx, chromedp.Steps(chromedp.Navigate(job), chromedp.WaitVisible("#resend button"))); err != nil {
			t.Fatalf("%s job page: %v", lang, err)
		}
		width(lang + " job page")
		if _, err := chromedp.Run(ctx, chromedp.Steps(chromedp.Click("#resend button"), chromedp.WaitVisible("#resend-confirm"))); err != nil {
			t.Fatalf("%s re-send button: %v", lang, err)
		}
		width(lang + " re-send confirm step")
		if _, err := chromedp.Run(ctx, chromedp.Steps(chromedp.Navigate(base+"/fax/inbox?remote=ACME&stand=unclaimed&lang="+lang), chromedp.WaitVisible("#inbox-search"))); err != nil {
			t.Fatalf("%s search: %v", lang, err)
		}
		width(lang + " register search")
	}
}
