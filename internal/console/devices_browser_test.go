package console

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"switchboard/internal/store"
)

// A device's event redraws its row on the devices page within a second:
// the alert cleared is gone from the row, the row is marked, and the
// handover checklist being ticked is kept (no reload).
func TestBrowserDeviceRowRedrawn(t *testing.T) {
	path := chromium()
	if path == "" {
		t.Skip("chromium is not installed (Debian package chromium; make deps installs it): the browser test is skipped")
	}
	f := newFixture(t, false, nil)
	f.c.o.Devices = []DeviceInfo{{ID: "pbx1", Driver: "pbx", Profile: "avaya-ipoffice", Domain: "pbx", Kind: "smdr"}}
	at := f.clock.now().Add(-10 * time.Minute)
	seedDevices(t, f.st, at)
	ctx, base := headless(t, path, f.c)
	row := `table[data-live="devices"] tr[data-device="pbx1"]`
	if _, err := chromedp.Run(ctx, chromedp.Steps(
		chromedp.Navigate(base+"/devices"),
		chromedp.WaitVisible("#code"),
		chromedp.SendKeys("#code", "0001"),
		chromedp.SendKeys("#pin", "1234"),
		chromedp.Click("#signin"),
		chromedp.WaitVisible("ul.tiles"),
		chromedp.Navigate(base+"/devices"),
		chromedp.WaitReady(`body[data-live="open"]`),
		chromedp.WaitVisible(row+` li.sev-critical`),
		chromedp.Click(`input[name="check"][value="pbx.smdr"]`),
	)); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.keptSinceLoad = true`)); err != nil {
		t.Fatal(err)
	}
	err := f.st.InTx(context.Background(), func(tx *store.Tx) error {
		if err := tx.ClearDeviceAlert("pbx1", "link-down", f.clock.now()); err != nil {
			return err
		}
		_, _, err := tx.Enqueue(store.Event{Type: "hotel.pbx.device.alert", Topic: "t", Source: "/s", IdemKey: "pbx1/link-down/cleared",
			Data: map[string]any{"device": "pbx1", "alert": "link-down", "cleared": true}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	wait, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if _, err := chromedp.Run(wait, chromedp.Steps(chromedp.WaitNotPresent(row+` li.sev-critical`), chromedp.WaitVisible(row+`.changed`))); err != nil {
		t.Fatalf("pbx1's row not redrawn within 1 s: %v", err)
	}
	text, err := chromedp.Run(ctx, chromedp.Text(row))
	if err != nil || strings.Contains(text, "no call records") {
		t.Fatalf("pbx1's row %q (%v)", text, err)
	}
	kept, err := chromedp.Run(ctx, chromedp.Evaluate[bool](
		`window.keptSinceLoad === true && document.querySelector('input[name="check"][value="pbx.smdr"]').checked`))
	if err != nil || !kept {
		t.Fatalf("the page was reloaded or the checklist lost (%v)", err)
	}
}
