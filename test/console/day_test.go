package console

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"switchboard/test/peers"
)

// TestScriptedDay is issue 13's scripted front-office day, in headless
// chromium against `switchboard run` and its real peers: the operator
// checks a guest in, sets a wake-up the FIAS simulator answers "no answer"
// (the board turns red within a second of the gateway's event) and
// switches DND; the business-centre clerk prints a 2-page PDF twice to
// ippeveprinter and faxes it to the spandsp line; both close their shifts
// and their journals list what they did; the supervisor opens the day
// close. Every page is saved as a PNG and must fit a 1366-pixel screen in
// English and Traditional Chinese.
func TestScriptedDay(t *testing.T) {
	browser := chromium()
	if browser == "" {
		t.Skip("chromium is not installed (Debian package chromium; make deps installs it)")
	}
	if err := peers.FaxPeerToolchain(); err != nil {
		t.Skip(err)
	}
	const room, room2 = "1203", "1204"
	printer := peers.StartIPPEvePrinter(t, peers.IPPOptions{})
	line := peers.StartFaxPeer(t, peers.FaxPeerOptions{Mode: "receive", Timeout: 150 * time.Second})
	s := startSite(t, siteOptions{printerURI: printer.URI(), faxLine: line.Link(), fiasRooms: room + "=noanswer"})
	bo := s.backOffice()
	s.waitFor("the FIAS link up", 20*time.Second, func() bool {
		return strings.Contains(s.logs["daemon"].String(), `msg="hotel link up"`)
	})
	s.operator("0001", "Lin Mei", "operator", "1234")
	s.operator("0002", "Chen Hao", "business", "5678")
	s.operator("0003", "Wang Li", "supervisor", "9012")
	pdf := filepath.Join(s.dir, "menu.pdf")
	if err := os.WriteFile(pdf, peers.PDF(2), 0o644); err != nil {
		t.Fatal(err)
	}
	site, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}

	alloc, cancel := chromedp.NewExecAllocator(context.Background(), append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browser), chromedp.NoSandbox, chromedp.WindowSize(screenW, screenH))...)
	defer cancel()
	first, cancel := chromedp.NewContext(alloc)
	defer cancel()
	first, cancel = context.WithTimeout(first, 3*time.Minute)
	defer cancel()
	dir, shots := artifacts(t), 0
	open := func(name string, ctx context.Context) *person {
		return &person{t: t, name: name, ctx: ctx, base: s.console, dir: dir, shot: &shots}
	}
	var times []stepTime

	// 1. The operator checks the guest in and sets a wake-up for the next
	// minute the PBX can ring (wake-ups are to the minute): the sim rings
	// it on its clock and answers "no answer".
	board := open("operator", first)
	var wakeAt time.Time
	var rowID string
	step(t, "operator: sign in, check in, set the wake-up", &times, func() {
		board.signIn("0001", "1234")
		board.look("desk")
		board.run("open the room card", chromedp.Navigate(s.console+"rooms/"+room), chromedp.WaitVisible("#dnd-toggle"))
		board.look("room-card")
		board.run("check the guest in",
			chromedp.SendKeys(`form[action$="/checkin/confirm"] input[name=name]`, "Mr Tan"),
			chromedp.Submit(`form[action$="/checkin/confirm"]`),
			chromedp.WaitVisible("#confirm-guest"))
		board.look("checkin-confirm-posted")
		board.run("confirm the check-in", chromedp.Click("#confirm"), chromedp.WaitVisible("#flash"))
		if g := board.text("#guest"); !strings.Contains(g, "Mr Tan") {
			t.Fatalf("after the check-in the card says guest %q (flash %q)", g, board.text("#flash"))
		}
		board.run("open the wake-ups", chromedp.Navigate(s.console+"wakeups"), chromedp.WaitVisible("#wakeup-board"))
		board.look("wakeups")
		// The next minute, unless it is too close to reach through the
		// confirm step.
		wakeAt = time.Now().In(site).Truncate(time.Minute).Add(time.Minute)
		if time.Until(wakeAt) < 5*time.Second {
			wakeAt = wakeAt.Add(time.Minute)
		}
		clock := wakeAt.Format("15:04")
		board.run("fill the wake-up",
			chromedp.SendKeys(`form[action="/wakeups/confirm"] input[name=room]`, room),
			chromedp.SendKeys(`form[action="/wakeups/confirm"] input[name=time]`, clock),
			chromedp.Submit(`form[action="/wakeups/confirm"]`),
			chromedp.WaitVisible("#confirm-time"))
		if got := board.text("#confirm-time"); got != clock || board.text("#confirm-room") != room {
			t.Fatalf("the confirm step repeats %q, want room %s at %s", got, room, clock)
		}
		board.look("wakeup-confirm-posted")
		board.run("confirm the wake-up", chromedp.Click("#confirm"), chromedp.WaitVisible("#wakeup-board"))
		board.run("open the board", chromedp.Navigate(s.console+"wakeups"), chromedp.WaitVisible("#wakeup-board"))
		rowID = get(board, "find the row", chromedp.Evaluate[string](`([...document.querySelectorAll('#wakeups tbody tr')].find(r => r.cells[1] && r.cells[1].textContent.trim() === '`+room+`') || {dataset: {}}).dataset.id || ''`))
		if rowID == "" {
			t.Fatalf("the board has no wake-up for room %s after the set", room)
		}
		t.Logf("wake-up %s set for room %s at %s (site time), %s from now", rowID, room, clock, time.Until(wakeAt).Round(time.Second))

		// A daily wake-up for the next room, two hours on, that the guest
		// then calls off: set through the confirm step, cancelled from
		// the board, and the row says so (the PBX's cancel is FIAS WD).
		later := wakeAt.Add(2 * time.Hour).Format("15:04")
		board.run("check the next room's guest in", chromedp.Navigate(s.console+"rooms/"+room2),
			chromedp.SendKeys(`form[action$="/checkin/confirm"] input[name=name]`, "Ms Lee"),
			chromedp.Submit(`form[action$="/checkin/confirm"]`),
			chromedp.WaitVisible("#confirm-guest"), chromedp.Click("#confirm"), chromedp.WaitVisible("#flash"))
		board.run("back to the wake-ups", chromedp.Navigate(s.console+"wakeups"), chromedp.WaitVisible("#wakeup-board"))
		board.run("fill a daily wake-up",
			chromedp.SendKeys(`form[action="/wakeups/confirm"] input[name=room]`, room2),
			chromedp.SendKeys(`form[action="/wakeups/confirm"] input[name=time]`, later),
			chromedp.Click(`form[action="/wakeups/confirm"] input[name=daily]`),
			chromedp.Submit(`form[action="/wakeups/confirm"]`),
			chromedp.WaitVisible("#confirm-daily"))
		board.run("confirm the daily wake-up", chromedp.Click("#confirm"), chromedp.WaitVisible("#wakeup-board"))
		rowOf := `[...document.querySelectorAll('#wakeups tbody tr')].find(r => r.cells[1] && r.cells[1].textContent.trim() === '` + room2 + `')`
		if st := get(board, "read the daily row", chromedp.Evaluate[string](`(`+rowOf+` || {cells: []}).cells[5]?.textContent || ''`)); !strings.Contains(st, "every day") {
			t.Fatalf("the board's row for room %s says %q, want a daily wake-up (the page: %q)", room2, st, board.text("main"))
		}
		get(board, "cancel it", chromedp.Evaluate[bool](`(`+rowOf+`).querySelector('form[action="/wakeups/cancel"] button').click(); true`))
		board.run("wait for the board", chromedp.Sleep(300*time.Millisecond), chromedp.WaitVisible("#wakeup-board"))
		board.look("wakeup-cancelled")
		if st := get(board, "read the cancelled row", chromedp.Evaluate[string](`(`+rowOf+` || {cells: []}).cells[5]?.textContent || 'gone'`)); !strings.Contains(st, "cancelled") && st != "gone" {
			t.Fatalf("after the cancel the board's row for room %s says %q", room2, st)
		}
		if n := get(board, "count the cancel forms", chromedp.Evaluate[int](`(`+rowOf+` || document.createElement('tr')).querySelectorAll('form[action="/wakeups/cancel"]').length`)); n != 0 {
			t.Fatalf("room %s's wake-up still offers a cancel after it was cancelled", room2)
		}
		board.run("open the board again", chromedp.Navigate(s.console+"wakeups"), chromedp.WaitVisible("#wakeup-board"))
		// The board is left open; the moment its row turns red is taken
		// in the page (the system clock the gateway's events carry too).
		get(board, "watch the row", chromedp.Evaluate[bool](`window.__red = 0;
new MutationObserver(() => { if (!window.__red && document.querySelector('#wakeups tr.alarmrow[data-id="`+rowID+`"]')) window.__red = Date.now(); })
  .observe(document.body, {subtree: true, childList: true, attributes: true}); true`))
	})

	// 2. DND on the room's card, in a second tab; the grid shows it.
	desk, cancelDesk := chromedp.NewContext(first)
	defer cancelDesk()
	op := open("operator", desk)
	step(t, "operator: DND on, the grid changes", &times, func() {
		op.run("open the grid", chromedp.EmulateViewport(screenW, screenH), chromedp.Navigate(s.console+"rooms"), chromedp.WaitVisible("#room-"+room))
		before := get(op, "read the grid", chromedp.Evaluate[bool](`!!document.querySelector('#room-`+room+` .badge.dnd')`))
		if before {
			t.Fatalf("room %s shows DND before it was set", room)
		}
		op.run("switch DND on", chromedp.Navigate(s.console+"rooms/"+room), chromedp.WaitVisible("#dnd-toggle"),
			chromedp.Click("#dnd-toggle"), chromedp.WaitVisible("#flash"))
		op.look("room-card-dnd")
		op.run("read the grid again", chromedp.Navigate(s.console+"rooms"), chromedp.WaitVisible("#room-"+room))
		after := get(op, "read the grid again", chromedp.Evaluate[bool](`!!document.querySelector('#room-`+room+` .badge.dnd')`))
		if !after {
			t.Fatalf("the grid does not show DND on room %s after it was switched on (card said %q)", room, op.text("#rooms"))
		}
		op.look("rooms")
	})

	// 3. The business-centre clerk, in a browser context of their own,
	// prints the 2-page PDF twice and sees the bill.
	clerkCtx, cancelClerk := chromedp.NewContext(first, chromedp.WithNewBrowserContext())
	defer cancelClerk()
	clerk := open("clerk", clerkCtx)
	step(t, "clerk: print 2 pages ×2, the bill", &times, func() {
		clerk.signIn("0002", "5678")
		clerk.run("open print", chromedp.Navigate(s.console+"print"), chromedp.WaitVisible("#print-form"))
		clerk.look("print")
		clerk.run("fill the print form",
			chromedp.SendKeys(`#print-form input[name=room]`, room),
			chromedp.SetValue(`#print-form input[name=copies]`, "2"),
			chromedp.SetUploadFiles(`#print-form input[name=document]`, []string{pdf}),
			chromedp.Click(`#print-form button[type=submit]`),
			chromedp.WaitVisible("#quote"))
		if p := clerk.text("#confirm-pages"); !strings.Contains(p, "2") {
			t.Errorf("the confirm step counts %q pages, want 2", p)
		}
		clerk.look("print-confirm-posted")
		clerk.run("print", chromedp.Click("#confirm"), chromedp.WaitVisible("#print-job"))
		wait, cancel := context.WithTimeout(clerkCtx, 30*time.Second)
		defer cancel()
		if err := chromedp.Do(wait, chromedp.WaitVisible("#bill")); err != nil {
			t.Fatalf("the job page shows no bill within 30 s (state %q): %v", clerk.text("#job-state"), err)
		}
		if imp := clerk.text("#job-impressions"); !strings.HasPrefix(strings.TrimSpace(imp), "4") {
			t.Errorf("impressions %q, want 4 (2 pages × 2 copies)", imp)
		}
		t.Logf("print job %s: billed %s", clerk.text("#job-state"), clerk.text("#bill"))
		clerk.look("print-job")
	})

	// 4. The clerk faxes the same two pages to the spandsp line.
	step(t, "clerk: fax 2 pages, both confirmed", &times, func() {
		clerk.run("open fax", chromedp.Navigate(s.console+"fax"), chromedp.WaitVisible("#fax-form"))
		clerk.look("fax")
		clerk.run("fill the fax form",
			chromedp.SendKeys(`#fax-form input[name=room]`, room),
			chromedp.SendKeys("#to", "6512 3456"),
			chromedp.SetUploadFiles(`#fax-form input[name=document]`, []string{pdf}),
			chromedp.Click(`#fax-form button[type=submit]`),
			chromedp.WaitVisible("#quote-pages"))
		if p := clerk.text("#quote-pages"); !strings.HasPrefix(strings.TrimSpace(p), "2 (") {
			t.Errorf("the fax quote counts %q pages, want 2 (and the resolution)", p)
		}
		clerk.look("fax-quote-posted")
		clerk.run("send", chromedp.Click("#confirm"), chromedp.WaitVisible("#fax-job"))
		wait, cancel := context.WithTimeout(clerkCtx, 120*time.Second)
		defer cancel()
		if err := chromedp.Do(wait, chromedp.WaitVisible("#report")); err != nil {
			t.Fatalf("the fax job did not end within 120 s (state %q): %v\n%s", clerk.text("#job-state"), err, line.Log())
		}
		if c := clerk.text("#job-confirmed"); !strings.HasPrefix(strings.TrimSpace(c), "2 / 2") {
			t.Errorf("pages confirmed %q, want 2 / 2 (state %q)", c, clerk.text("#job-state"))
		}
		clerk.look("fax-job")
	})
	if r, err := line.WaitTimeout(10 * time.Second); err != nil || !r.OK() || r.Pages != 2 {
		t.Errorf("the spandsp line: %v %s", err, r.Line)
	}

	// Back to 1: the board turned red within a second of the gateway's
	// "unanswered" event; the operator acknowledges it.
	step(t, "operator: the board row red, acknowledged", &times, func() {
		s.waitFor("the FIAS sim's no answer", time.Until(wakeAt)+30*time.Second, func() bool {
			_, ok := bo.first("hotel.pbx.wakeup.unanswered", `"room":"`+room+`"`)
			return ok
		})
		ev, _ := bo.first("hotel.pbx.wakeup.unanswered", `"room":"`+room+`"`)
		var red int64
		s.waitFor("the red row", 5*time.Second, func() bool {
			red, _ = chromedp.Run(first, chromedp.Evaluate[int64](`window.__red`))
			return red != 0
		})
		delay := time.UnixMilli(red).Sub(ev.env.Time)
		t.Logf("wake-up rung at %s: event %s committed %s, on the broker +%s, row red +%s",
			wakeAt.Format("15:04"), ev.env.Type, ev.env.Time.Format("15:04:05.000"), ev.arrived.Sub(ev.env.Time).Round(time.Millisecond), delay.Round(time.Millisecond))
		if delay > time.Second {
			t.Errorf("the row turned red %s after the gateway's event, want within 1 s", delay)
		}
		board.look("wakeups-red")
		// The operator has called the room or sent housekeeping: the row
		// stays, marked acknowledged.
		board.run("acknowledge", chromedp.Click(`#wakeups tr[data-id="`+rowID+`"] form[action="/wakeups/ack"] button`),
			chromedp.WaitVisible(`#wakeups tr.acked[data-id="`+rowID+`"]`))
		if row := board.text(`#wakeups tr[data-id="` + rowID + `"]`); !strings.Contains(row, "0001") {
			t.Errorf("the acknowledged row does not say who: %q", row)
		}
		board.look("wakeups-acked")
	})

	// 5. Both close their shifts: each journal lists what they did.
	step(t, "shifts closed, journals", &times, func() {
		for _, c := range []struct {
			who  *person
			want []string
		}{
			{op, []string{"guest.checkin", "wakeup.set", "dnd.set"}},
			{clerk, []string{"print.submit", "fax.send"}},
		} {
			c.who.run("open the shift", chromedp.Navigate(s.console+"shift"), chromedp.WaitVisible("#close-shift"))
			c.who.look("shift")
			c.who.run("close the shift", chromedp.Click("#close-shift"), chromedp.WaitVisible("p.notice"), chromedp.WaitVisible("#journal"))
			if n := c.who.text("p.notice"); !strings.Contains(n, "Shift closed") {
				t.Errorf("%s: after the close the page says %q", c.who.name, n)
			}
			journal := c.who.text("#journal")
			for _, w := range c.want {
				if !strings.Contains(journal, w) {
					t.Errorf("%s's journal at the close does not list %s:\n%s", c.who.name, w, journal)
				}
			}
			c.who.look("shift-closed-posted")
		}
	})

	// 6. The supervisor opens the day close.
	supCtx, cancelSup := chromedp.NewContext(first, chromedp.WithNewBrowserContext())
	defer cancelSup()
	sup := open("supervisor", supCtx)
	step(t, "supervisor: day close", &times, func() {
		sup.signIn("0003", "9012")
		sup.run("open the day close", chromedp.Navigate(s.console+"dayclose"), chromedp.WaitVisible("#close-day"))
		sup.look("dayclose")
	})
	var total time.Duration
	for _, st := range times {
		total += st.took
	}
	t.Logf("the day's %d steps took %s in all", len(times), total.Round(10*time.Millisecond))
}
