package console

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"switchboard/internal/events/hotel"
	"switchboard/internal/folio/stays"
	"switchboard/internal/store"
	"switchboard/internal/wakeup"
)

// The board turns a room red when its wake-up went unanswered, was
// escalated, failed or is at risk; the alarm stays until an operator
// acknowledges it (who and when are kept and shown), and the board the
// live page reads again is the page's own.
func TestWakeupBoardAlarms(t *testing.T) {
	f := newFixture(t, false, nil)
	ctx := context.Background()
	now := f.clock.now()
	sched, _ := wakeup.New(wakeup.Config{Location: site})
	ids := map[string]int64{}
	err := f.st.InTx(ctx, func(tx *store.Tx) error {
		for _, room := range []string{"1201", "1202", "1203", "1204"} {
			if _, err := stays.CheckIn(tx, stays.Stay{Room: room, Guest: "G " + room, CheckIn: now.Add(-time.Hour)}); err != nil {
				return err
			}
			w, _, err := sched.Set(tx, wakeup.Request{Room: hotel.Room(room), Date: wakeup.DateOf(now).AddDays(1), Clock: wakeup.Clock{Hour: 6, Minute: 30},
				By: wakeup.ByGuest, Operator: "0001"}, now)
			if err != nil {
				return err
			}
			ids[room] = w.ID
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// 1201 escalated, 1202 answered, 1203 at risk (the PBX did not
	// report), 1204 still pending.
	err = f.st.InTx(ctx, func(tx *store.Tx) error {
		for room, status := range map[string]string{"1201": "escalated", "1202": "answered"} {
			if _, err := tx.Exec(`UPDATE wakeups SET status=? WHERE id=?`, status, ids[room]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.st.Enqueue(ctx, store.Event{Type: "hotel.pbx.wakeup.at-risk", Topic: "t", Source: "/s", IdemKey: "risk/1203",
		Data: hotel.WakeupEvent{Device: "link1", Room: "1203", WakeupID: ids["1203"], Reason: "no result <b>from</b> the PBX"}}); err != nil {
		t.Fatal(err)
	}

	b := f.browser(t)
	_, tok := b.signIn("0001", "1234")
	page := b.do("GET", "/wakeups", nil)
	if page.code != http.StatusOK || !strings.Contains(page.body, `data-alarms="2"`) {
		t.Fatalf("two open alarms expected:\n%s", page.body)
	}
	red := func(body, room string) bool {
		i := strings.Index(body, "<td>"+room+"</td>")
		j := strings.LastIndex(body[:max(i, 0)], "<tr")
		return i > 0 && j >= 0 && strings.Contains(body[j:i], "alarmrow")
	}
	for room, want := range map[string]bool{"1201": true, "1202": false, "1203": true, "1204": false} {
		if red(page.body, room) != want {
			t.Errorf("room %s red = %v, want %v", room, !want, want)
		}
	}
	if !strings.Contains(page.body, "AT RISK") || !strings.Contains(page.body, "no result &lt;b&gt;from&lt;/b&gt; the PBX") {
		t.Errorf("the at-risk reason is not shown, escaped:\n%s", page.body)
	}
	board := b.do("GET", "/wakeups/board", nil)
	if board.code != http.StatusOK || !strings.HasPrefix(strings.TrimSpace(board.body), `<section id="wakeup-board"`) || strings.Contains(board.body, "<html") {
		t.Fatalf("board:\n%d %s", board.code, board.body)
	}

	id := url.Values{"id": {strconv.FormatInt(ids["1201"], 10)}}
	if res := b.do("POST", "/wakeups/ack", id); res.code != http.StatusForbidden {
		t.Fatalf("ack without the form token: %d", res.code)
	}
	id.Set("csrf", tok)
	if res := b.do("POST", "/wakeups/ack", id); res.code != http.StatusSeeOther {
		t.Fatalf("ack: %d %s", res.code, res.body)
	}
	board = b.do("GET", "/wakeups/board", nil)
	if !strings.Contains(board.body, `data-alarms="1"`) || !strings.Contains(board.body, "acknowledged by 0001 22:00") || !red(board.body, "1201") {
		t.Fatalf("after the acknowledgement:\n%s", board.body)
	}

	clerk := f.browser(t)
	clerk.signIn("0002", "1234")
	for _, p := range []string{"/wakeups/board"} {
		if res := clerk.do("GET", p, nil); res.code != http.StatusForbidden {
			t.Errorf("business clerk %s: %d", p, res.code)
		}
	}
	if res := f.browser(t).do("GET", "/wakeups/board", nil); res.code != http.StatusSeeOther {
		t.Errorf("no session: %d", res.code)
	}
}

// In a browser: a wake-up the PBX reports unanswered turns the board red
// within a second, without a reload, and the page chimes until the
// operator acknowledges it.
func TestBrowserWakeupBoardTurnsRed(t *testing.T) {
	path := chromium()
	if path == "" {
		t.Skip("chromium is not installed (Debian package chromium; make deps installs it): the browser test is skipped")
	}
	f := newFixture(t, false, nil)
	ctx := context.Background()
	now := f.clock.now()
	sched, _ := wakeup.New(wakeup.Config{Location: site})
	var w wakeup.Wakeup
	err := f.st.InTx(ctx, func(tx *store.Tx) error {
		if _, err := stays.CheckIn(tx, stays.Stay{Room: "1203", Guest: "Chen", CheckIn: now.Add(-time.Hour)}); err != nil {
			return err
		}
		var err error
		w, _, err = sched.Set(tx, wakeup.Request{Room: "1203", Date: wakeup.DateOf(now).AddDays(1), Clock: wakeup.Clock{Hour: 6, Minute: 30},
			By: wakeup.ByGuest, Operator: "0001"}, now)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	bctx, base := headless(t, path, f.c)
	if _, err := chromedp.Run(bctx, chromedp.Steps(
		chromedp.Navigate(base+"/wakeups"),
		chromedp.WaitVisible("#code"),
		chromedp.SendKeys("#code", "0001"),
		chromedp.SendKeys("#pin", "1234"),
		chromedp.Click("#signin"),
		chromedp.WaitVisible("ul.tiles"),
		chromedp.Navigate(base+"/wakeups"),
		chromedp.WaitReady(`body[data-live="open"]`),
	)); err != nil {
		t.Fatal(err)
	}
	if n, err := chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll("#wakeup-board tr.alarmrow").length`)); err != nil || n != 0 {
		t.Fatalf("red rows before any result: %d %v", n, err)
	}
	err = f.st.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(`UPDATE wakeups SET status='escalated' WHERE id=?`, w.ID); err != nil {
			return err
		}
		_, _, err := tx.Enqueue(store.Event{Type: "hotel.pbx.wakeup.escalated", Topic: "t", Source: "/s", IdemKey: "esc/1203",
			Data: hotel.WakeupEvent{Device: "link1", Room: "1203", WakeupID: w.ID, Reason: "no_answer after 3 call(s)"}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	wait, cancelWait := context.WithTimeout(bctx, time.Second)
	defer cancelWait()
	if _, err := chromedp.Run(wait, chromedp.Steps(chromedp.WaitVisible(`#wakeup-board tr.alarmrow`), chromedp.WaitReady(`body[data-chime="on"]`))); err != nil {
		t.Fatalf("the board did not turn red and chime within 1 s: %v", err)
	}
	if _, err := chromedp.Run(bctx, chromedp.Steps(
		chromedp.Click(`#wakeup-board form[action="/wakeups/ack"] button`),
		chromedp.WaitVisible(`#wakeup-board tr.alarmrow.acked`),
		chromedp.WaitReady(`body[data-chime="off"]`),
	)); err != nil {
		t.Fatalf("acknowledging: %v", err)
	}
}
