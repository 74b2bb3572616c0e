package console

import (
	"context"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// droppable serves h and can end every open /events stream at once, as a
// proxy or a network that drops them would: the browser reconnects.
type droppable struct {
	h       http.Handler
	mu      sync.Mutex
	cancels []context.CancelFunc
}

func (d *droppable) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/events" {
		ctx, cancel := context.WithCancel(r.Context())
		d.mu.Lock()
		d.cancels = append(d.cancels, cancel)
		d.mu.Unlock()
		r = r.WithContext(ctx)
	}
	d.h.ServeHTTP(w, r)
}

func (d *droppable) drop() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, cancel := range d.cancels {
		cancel()
	}
	d.cancels = nil
}

// An operator watches the room grid: DND switched off from another
// session takes the room's badge away within a second, without a reload;
// after the stream drops and comes back, the grid is read again (a lamp
// put out meanwhile, with no event, shows).
func TestBrowserRoomGridLive(t *testing.T) {
	path := chromium()
	if path == "" {
		t.Skip("chromium is not installed (Debian package chromium; make deps installs it): the browser test is skipped")
	}
	f, _ := newStayFixture(t, "link1")
	seedRooms(t, f)
	srv := &droppable{h: f.c}
	ctx, base := headless(t, path, srv)
	if _, err := chromedp.Run(ctx, chromedp.Steps(
		chromedp.Navigate(base+"/rooms"),
		chromedp.WaitVisible("#code"),
		chromedp.SendKeys("#code", "0001"),
		chromedp.SendKeys("#pin", "1234"),
		chromedp.Click("#signin"),
		chromedp.WaitVisible("ul.tiles"),
		chromedp.Navigate(base+"/rooms"),
		chromedp.WaitReady(`body[data-live="open"]`),
		chromedp.WaitVisible(`#room-1203 .badge.dnd`),
		chromedp.WaitVisible(`#room-1301 .badge.mwl`),
	)); err != nil {
		t.Fatal(err)
	}
	// A mark a reload would lose.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.keptSinceLoad = true`)); err != nil {
		t.Fatal(err)
	}
	kept := func(t *testing.T) {
		t.Helper()
		if ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.keptSinceLoad === true`)); err != nil || !ok {
			t.Fatalf("the page was reloaded (%v)", err)
		}
	}

	sup := f.browser(t)
	_, tok := sup.signIn("0003", "1234")
	sent := time.Now()
	if res := sup.do("POST", "/rooms/1203/dnd", url.Values{"csrf": {tok}, "on": {"false"}}); res.code != http.StatusSeeOther {
		t.Fatalf("the supervisor's DND: %d\n%s", res.code, res.body)
	}
	wait, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if _, err := chromedp.Run(wait, chromedp.WaitNotPresent(`#room-1203 .badge.dnd`)); err != nil {
		t.Fatalf("1203's DND badge still shown 1 s after the command: %v", err)
	}
	t.Logf("DND off: cell redrawn %v after the command was sent", time.Since(sent).Round(time.Millisecond))
	kept(t)
	if label, err := chromedp.Run(ctx, chromedp.AttributeValue(`#room-1203`, "aria-label")); err != nil ||
		label.Value != "Room 1203, occupied, class of service local, next wake-up 06:30" {
		t.Fatalf("1203's label %q (%v)", label.Value, err)
	}

	srv.drop()
	// The lamp goes out with no event (written as the desk records it):
	// only reading the grid again shows it.
	if err := f.st.Put(context.Background(), roomNS, "1301", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	back, cancelBack := context.WithTimeout(ctx, 6*time.Second) // the stream's retry is 2 s
	defer cancelBack()
	if _, err := chromedp.Run(back, chromedp.WaitNotPresent(`#room-1301 .badge.mwl`)); err != nil {
		t.Fatalf("the grid was not read again after the stream came back: %v", err)
	}
	kept(t)

	// A room's card follows its room too: its state table is read again.
	if _, err := chromedp.Run(ctx, chromedp.Steps(
		chromedp.Navigate(base+"/rooms/1302"),
		chromedp.WaitReady(`body[data-live="open"]`),
	)); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.keptSinceLoad = true`)); err != nil {
		t.Fatal(err)
	}
	if res := sup.do("POST", "/rooms/1302/mwl", url.Values{"csrf": {tok}, "on": {"true"}}); res.code != http.StatusSeeOther {
		t.Fatalf("the supervisor's lamp: %d\n%s", res.code, res.body)
	}
	card, cancelCard := context.WithTimeout(ctx, time.Second)
	defer cancelCard()
	if _, err := chromedp.Run(card, chromedp.WaitVisible(`#room-state[aria-label="Room 1302, vacant, message lamp on"]`)); err != nil {
		t.Fatalf("1302's card did not show the lamp within 1 s: %v", err)
	}
	kept(t)
}
