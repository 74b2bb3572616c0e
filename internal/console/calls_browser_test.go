package console

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"switchboard/internal/folio"
)

// A supervisor resolves a flagged call as a person does: the calls page
// fits a 1366×768 screen with a form on each flagged call (in English and
// Chinese), types a reason, picks "write off", presses Resolve, reads the
// confirm step and confirms; the command goes to the desk.
func TestBrowserResolveFlaggedCall(t *testing.T) {
	path := chromium()
	if path == "" {
		t.Skip("chromium is not installed (Debian package chromium; make deps installs it): the browser test is skipped")
	}
	f := newFixture(t, false, nil)
	f.c.o.Gateway = "gw1"
	flaggedDay(t, f)
	ctx, base := headless(t, path, f.c)
	_, err := chromedp.Run(ctx, chromedp.Steps(
		chromedp.EmulateViewport(1366, 768),
		chromedp.Navigate(base+"/signin"),
		chromedp.WaitVisible("#code"),
		chromedp.SendKeys("#code", "0003"),
		chromedp.SendKeys("#pin", "1234"),
		chromedp.Click("#signin"),
		chromedp.WaitVisible("ul.tiles"),
	))
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"zh-Hant", "en"} {
		if _, err := chromedp.Run(ctx, chromedp.Steps(chromedp.Navigate(base+"/calls?lang="+lang), chromedp.WaitVisible("form.resolve"))); err != nil {
			t.Fatal(err)
		}
		width, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
		if err != nil {
			t.Fatal(err)
		}
		if width > 1366 {
			t.Errorf("/calls in %s is %d px wide at 1366×768", lang, width)
		}
		t.Logf("/calls in %s: %d px wide", lang, width)
	}
	_, err = chromedp.Run(ctx, chromedp.Steps(
		chromedp.SetValue(`form.resolve select[name=action]`, folio.ActionWriteOff),
		chromedp.SendKeys(`form.resolve input[name=reason]`, "house phone"),
		chromedp.Click(`form.resolve button`),
		chromedp.WaitVisible("#confirm"),
	))
	if err != nil {
		t.Fatal(err)
	}
	say, err := chromedp.Run(ctx, chromedp.Text("main"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(say, "No room will be charged") || !strings.Contains(say, "house phone") {
		t.Errorf("the confirm step says:\n%s", say)
	}
	if _, err := chromedp.Run(ctx, chromedp.Steps(chromedp.Click("#confirm"), chromedp.WaitVisible("#flagged"))); err != nil {
		t.Fatal(err)
	}
	// Another supervisor resolves it meanwhile: the desk's event marks the
	// row live and offers a refresh.
	if _, err := chromedp.Run(ctx, chromedp.Steps(chromedp.Navigate(base+"/calls"), chromedp.WaitReady(`body[data-live="open"]`))); err != nil {
		t.Fatal(err)
	}
	enqueue(t, f.st, folio.ResolvedType, "c1/resolved", map[string]any{"call": "c1", "action": "write-off"})
	wait, cancelWait := context.WithTimeout(ctx, 2*time.Second)
	defer cancelWait()
	if _, err := chromedp.Run(wait, chromedp.Steps(chromedp.WaitVisible("#flagged-changed"), chromedp.WaitNotVisible(`tr[data-call="c1"] form.resolve`))); err != nil {
		state, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("flagged-changed").outerHTML`))
		t.Errorf("the resolution did not reach the page within 2 s: %v\n%s", err, state)
	}
	host := f.c.o.Host.(*fakeHost)
	if len(host.sent) != 1 || host.sent[0].data != (folio.ResolveData{Call: "c1", Action: "write-off", Reason: "house phone"}) {
		t.Errorf("sent: %+v", host.sent)
	}
}
