package console

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"

	"switchboard/internal/operators"
)

// In a real browser and in Traditional Chinese: a business-centre clerk
// who opens the wake-ups or the operators page sees the 403 page saying
// so in the chosen language; an operator whose PIN was reset lands on the
// PIN page, and after choosing a PIN, on the desk.
func TestBrowserForbiddenAndPINChange(t *testing.T) {
	path := chromium()
	if path == "" {
		t.Skip("chromium is not installed (Debian package chromium; make deps installs it): the browser test is skipped")
	}
	f := newFixture(t, false, nil)
	ctx, base := headless(t, path, f.c)
	signIn := func(code, pin string) error {
		return chromedp.Do(ctx,
			chromedp.Navigate(base+"/signin?lang=zh-Hant"), // the language is remembered in a cookie
			chromedp.WaitVisible("#code"),
			chromedp.SendKeys("#code", code),
			chromedp.SendKeys("#pin", pin),
			chromedp.Click("#signin"),
		)
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(sel))
		if err != nil {
			t.Fatalf("%s: %v", sel, err)
		}
		return s
	}
	location := func() string {
		t.Helper()
		u, err := chromedp.Run(ctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	if err := signIn("0002", "1234"); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible("ul.tiles")); err != nil {
		t.Fatal(err)
	}
	forbidden := translate(langZH, "forbidden.title")
	if forbidden == translate(langEN, "forbidden.title") {
		t.Fatal("the 403 title is not translated: the test would not tell the languages apart")
	}
	for _, page := range []string{"/wakeups", "/operators"} {
		if err := chromedp.Do(ctx, chromedp.Navigate(base+page), chromedp.WaitVisible("main h1")); err != nil {
			t.Fatalf("%s: %v", page, err)
		}
		heading, alert := text("main h1"), text("main p.alert")
		if heading != forbidden || alert != translate(langZH, "forbidden.role") {
			t.Errorf("%s as a business clerk: %q / %q, want the 403 page in 繁體中文 (%q)", page, heading, alert, forbidden)
		}
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/"), chromedp.Click(`form[action="/signout"] button`), chromedp.WaitVisible("#code")); err != nil {
		t.Fatal(err)
	}

	if err := f.ops.As("0004").Reset(context.Background(), "0001", "5555", f.clock.now()); err != nil {
		t.Fatal(err)
	}
	if err := signIn("0001", "5555"); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible("#pinchange")); err != nil {
		t.Fatal(err)
	}
	if heading, url := text("main h1"), location(); heading != translate(langZH, "pin.title") || url != base+pinChangePath {
		t.Fatalf("after signing in with a one-time PIN: %q at %s", heading, url)
	}
	// Another page typed in the address bar comes back to the PIN page.
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/wakeups"), chromedp.WaitVisible("#pinchange")); err != nil {
		t.Fatal(err)
	}
	if url := location(); url != base+pinChangePath {
		t.Fatalf("/wakeups before the PIN is changed: at %s", url)
	}
	err := chromedp.Do(ctx,
		chromedp.SendKeys("#newpin", "97531"),
		chromedp.SendKeys("#newpin2", "97531"),
		chromedp.Click("#setpin"),
		chromedp.WaitVisible("ul.tiles"),
	)
	if err != nil {
		t.Fatal(err)
	}
	if heading := text("main h1"); heading != "Op operator" {
		t.Fatalf("after the PIN change: %q", heading)
	}
}

// The operators page and an operator's card (a locked one, with every
// form) fit the front desk's 1366×768 screens in both languages.
func TestBrowserOperatorsPageFits(t *testing.T) {
	path := chromium()
	if path == "" {
		t.Skip("chromium is not installed (Debian package chromium; make deps installs it): the browser test is skipped")
	}
	f := newFixture(t, false, nil)
	ctx, base := headless(t, path, f.c)
	for range operators.MaxFailures {
		_, _ = f.ops.Verify(context.Background(), "0001", "9999", f.clock.now())
	}
	err := chromedp.Do(ctx, chromedp.EmulateViewport(1366, 768),
		chromedp.Navigate(base+"/signin"),
		chromedp.WaitVisible("#code"),
		chromedp.SendKeys("#code", "0004"),
		chromedp.SendKeys("#pin", "1234"),
		chromedp.Click("#signin"),
		chromedp.WaitVisible("ul.tiles"))
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{langEN, langZH} {
		for _, page := range []struct{ path, sel string }{{"/operators", "#operators"}, {"/operators/0001", "#generate"}} {
			if err := chromedp.Do(ctx, chromedp.Navigate(base+page.path+"?lang="+lang), chromedp.WaitVisible(page.sel)); err != nil {
				t.Fatal(err)
			}
			width, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
			if err != nil {
				t.Fatal(err)
			}
			if width > 1366 {
				t.Errorf("%s in %s is %d px wide, more than a 1366 px screen", page.path, lang, width)
			}
		}
	}
}
