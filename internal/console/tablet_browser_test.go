package console

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// The console on a tablet (issue 13: usable at 1366×768 and on a tablet):
// every page a supervisor or an admin opens, in both languages, fits an
// iPad held upright (768 CSS px wide: the narrowest tablet a front desk
// uses) without the page scrolling sideways; a wide table scrolls inside
// itself instead.
func TestBrowserTabletWidth(t *testing.T) {
	path := chromium()
	if path == "" {
		t.Skip("chromium is not installed (Debian package chromium; make deps installs it): the browser test is skipped")
	}
	const tabletW, tabletH = 768, 1024
	f := newFixture(t, false, nil)
	f.c.o.Gateway = "gw1"
	flaggedDay(t, f)
	for _, who := range []struct {
		code  string
		pages []string
	}{
		// A browser each few pages: each has a minute (headless).
		{"0003", []string{"/", "/wakeups", "/rooms", "/calls", "/devices", "/shift"}},
		{"0003", []string{"/fax", "/fax/inbox", "/print", "/copy", "/reports"}},
		{"0003", []string{"/reports/calls", "/reports/business", "/reports/faxes", "/reports/special", "/dayclose"}},
		{"0004", []string{"/operators", "/operators/0001"}},
	} {
		ctx, base := headless(t, path, f.c)
		_, err := chromedp.Run(ctx, chromedp.Steps(
			chromedp.EmulateViewport(tabletW, tabletH, chromedp.EmulateMobile, chromedp.EmulateTouch),
			chromedp.Navigate(base+"/signin"),
			chromedp.WaitVisible("#code"),
			chromedp.SendKeys("#code", who.code),
			chromedp.SendKeys("#pin", "1234"),
			chromedp.Click("#signin"),
			chromedp.WaitVisible("ul.tiles"),
		))
		if err != nil {
			t.Fatal(err)
		}
		for _, page := range who.pages {
			for _, lang := range []string{"en", "zh-Hant"} {
				if _, err := chromedp.Run(ctx, chromedp.Steps(chromedp.Navigate(base+page+"?lang="+lang), chromedp.WaitReady("body"))); err != nil {
					t.Fatalf("%s: %v", page, err)
				}
				// A page that failed (no <main>) would measure nothing.
				if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("main").length`)); err != nil || n != 1 {
					t.Fatalf("%s in %s is no console page (%v)", page, lang, err)
				}
				width, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
				if err != nil {
					t.Fatal(err)
				}
				if width > tabletW {
					t.Errorf("%s in %s is %d px wide on a %d px tablet", page, lang, width, tabletW)
				}
			}
		}
	}
}
