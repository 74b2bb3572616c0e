package console

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"switchboard/internal/store"
)

// A supervisor has the day close open while the admin closes the day:
// the page says so within a second, without reloading under them.
func TestBrowserDayClosedElsewhere(t *testing.T) {
	path := chromium()
	if path == "" {
		t.Skip("chromium is not installed (Debian package chromium; make deps installs it): the browser test is skipped")
	}
	f := newFixture(t, false, func(st *store.Store) Host { return &publishingHost{fakeHost{st: st}} })
	ctx, base := headless(t, path, f.c)
	_, err := chromedp.Run(ctx, chromedp.Steps(
		chromedp.Navigate(base+"/signin"),
		chromedp.WaitVisible("#code"),
		chromedp.SendKeys("#code", "0003"),
		chromedp.SendKeys("#pin", "1234"),
		chromedp.Click("#signin"),
		chromedp.WaitVisible("ul.tiles"),
		chromedp.Navigate(base+"/dayclose?date=2026-12-04"),
		chromedp.WaitReady(`body[data-live="open"]`),
	))
	if err != nil {
		t.Fatal(err)
	}
	admin := f.browser(t)
	_, tok := admin.signIn("0004", "1234")
	if res := admin.do("POST", "/dayclose/close", url.Values{"csrf": {tok}, "date": {"2026-12-04"}}); res.code != 303 {
		t.Fatalf("close: %d %s", res.code, res.body)
	}
	wait, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if _, err := chromedp.Run(wait, chromedp.WaitVisible("#dayclose-changed")); err != nil {
		t.Fatalf("the page does not say the day was closed within 1 s: %v", err)
	}
}
