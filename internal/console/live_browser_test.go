package console

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// An operator watches the call log: a call charged by the gateway appears
// at the top within a second, without a reload, its device text as text.
func TestBrowserLiveCall(t *testing.T) {
	path := chromium()
	if path == "" {
		t.Skip("chromium is not installed (Debian package chromium; make deps installs it): the browser test is skipped")
	}
	f := newFixture(t, false, nil)
	ctx, base := headless(t, path, f.c)
	_, err := chromedp.Run(ctx, chromedp.Steps(
		chromedp.Navigate(base+"/calls"),
		chromedp.WaitVisible("#code"),
		chromedp.SendKeys("#code", "0001"),
		chromedp.SendKeys("#pin", "1234"),
		chromedp.Click("#signin"),
		chromedp.WaitVisible("ul.tiles"),
		chromedp.Navigate(base+"/calls"),
		chromedp.WaitReady(`body[data-live="open"]`), // the stream is open
	))
	if err != nil {
		t.Fatal(err)
	}
	enqueue(t, f.st, "hotel.pbx.call.charged", "live-1", chargedData("1203", `<img src=x onerror=alert(1)>`))
	wait, cancelWait := context.WithTimeout(ctx, time.Second)
	defer cancelWait()
	if _, err := chromedp.Run(wait, chromedp.WaitVisible("#calls tbody tr.fresh")); err != nil {
		t.Fatalf("no live row within 1 s: %v", err)
	}
	row, err := chromedp.Run(ctx, chromedp.Text("#calls tbody tr.fresh"))
	if err != nil {
		t.Fatal(err)
	}
	imgs, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#calls img").length`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(row, "<img src=x onerror=alert(1)>") || !strings.Contains(row, "12.40 CNY") || imgs != 0 {
		t.Fatalf("live row %q, %d img elements (want the extension as text)", row, imgs)
	}

	// An internal call is neither charged nor flagged: its only event is
	// call.recorded, and the log is read again when nothing follows it.
	internal := loggedCall("int-1", f.clock.now().Add(-time.Minute), "1207", "1208", "internal", "[]", false)
	internal.Direction, internal.JournalID = "internal", 2
	addCalls(t, f.st, internal)
	enqueue(t, f.st, "hotel.pbx.call.recorded", "int-1", map[string]any{"device": "pbx1", "journal_id": 2, "profile": "p",
		"line": 1, "kind": "call", "direction": "internal", "start": "2026-12-04T21:40:00+08:00", "end": "2026-12-04T21:41:35+08:00",
		"duration_s": 95, "extension": "1207", "dialed": "1208", "raw": "x"})
	wait2, cancelWait2 := context.WithTimeout(ctx, 3*time.Second)
	defer cancelWait2()
	if _, err := chromedp.Run(wait2, chromedp.Poll[bool](`[...document.querySelectorAll("#calls tbody td")].some(td => td.textContent === "1207")`)); err != nil {
		t.Fatalf("the internal call is not on the log within 3 s of its call.recorded: %v", err)
	}
}
