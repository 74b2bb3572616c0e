package wakeup

import (
	"context"
	"testing"
	"time"

	"switchboard/internal/events/hotel"
	"switchboard/internal/store"
)

func TestResolve(t *testing.T) {
	for _, tc := range []struct {
		zone, date, clock string
		want              string // RFC 3339 in UTC
		res               Resolution
	}{
		{"Europe/Berlin", "2026-05-04", "07:00", "2026-05-04T05:00:00Z", Exact},
		// Spring forward 02:00 CET -> 03:00 CEST: the clock jumps, we ring at the jump.
		{"Europe/Berlin", "2026-03-29", "01:59", "2026-03-29T00:59:00Z", Exact},
		{"Europe/Berlin", "2026-03-29", "02:00", "2026-03-29T01:00:00Z", Skipped},
		{"Europe/Berlin", "2026-03-29", "02:30", "2026-03-29T01:00:00Z", Skipped},
		{"Europe/Berlin", "2026-03-29", "03:00", "2026-03-29T01:00:00Z", Exact},
		// Fall back 03:00 CEST -> 02:00 CET: 02:00-02:59 happen twice, we take the first.
		{"Europe/Berlin", "2026-10-25", "02:00", "2026-10-25T00:00:00Z", Repeated},
		{"Europe/Berlin", "2026-10-25", "02:30", "2026-10-25T00:30:00Z", Repeated},
		{"Europe/Berlin", "2026-10-25", "03:00", "2026-10-25T02:00:00Z", Exact},
		{"America/New_York", "2026-03-08", "02:30", "2026-03-08T07:00:00Z", Skipped},
		{"America/New_York", "2026-03-08", "07:00", "2026-03-08T11:00:00Z", Exact},
		{"America/New_York", "2026-11-01", "01:30", "2026-11-01T05:30:00Z", Repeated},
		{"America/New_York", "2026-11-01", "07:00", "2026-11-01T12:00:00Z", Exact},
		// No DST since 1991: the same dates are ordinary.
		{"Asia/Shanghai", "2026-03-29", "02:30", "2026-03-28T18:30:00Z", Exact},
		{"Asia/Shanghai", "2026-10-25", "02:30", "2026-10-24T18:30:00Z", Exact},
		// Samoa skipped 30 December 2011 altogether: rung at midnight of the 31st.
		{"Pacific/Apia", "2011-12-30", "07:00", "2011-12-30T10:00:00Z", Skipped},
	} {
		loc := zone(t, tc.zone)
		got, res := Resolve(mustDate(t, tc.date), mustClock(t, tc.clock), loc)
		if got.UTC().Format(time.RFC3339) != tc.want || res != tc.res {
			t.Errorf("%s %s %s = %s (%s) %s, want %s %s", tc.zone, tc.date, tc.clock, got.UTC().Format(time.RFC3339), got, res, tc.want, tc.res)
		}
		if got.Location() != loc {
			t.Errorf("%s %s %s: location %s", tc.zone, tc.date, tc.clock, got.Location())
		}
	}
}

// Every minute of a DST day resolves to an instant whose wall clock reads
// the requested time or later, and a later request never rings earlier.
func TestResolveMonotonicOnDSTDays(t *testing.T) {
	for _, tc := range []struct{ zone, date string }{
		{"Europe/Berlin", "2026-03-29"}, {"Europe/Berlin", "2026-10-25"},
		{"America/New_York", "2026-03-08"}, {"America/New_York", "2026-11-01"},
		{"Asia/Shanghai", "2026-03-29"},
	} {
		loc := zone(t, tc.zone)
		d := mustDate(t, tc.date)
		var prev time.Time
		for m := 0; m < 24*60; m++ {
			c := Clock{m / 60, m % 60}
			got, _ := Resolve(d, c, loc)
			want := time.Date(d.Year, d.Month, d.Day, c.Hour, c.Minute, 0, 0, time.UTC)
			if wallUTC(got).Before(want) {
				t.Fatalf("%s %s %s resolved to %s: earlier wall time", tc.zone, tc.date, c, got)
			}
			if got.Sub(want.Add(-14*time.Hour)) < 0 || got.Before(prev) {
				t.Fatalf("%s %s %s resolved to %s after %s", tc.zone, tc.date, c, got, prev)
			}
			prev = got
		}
	}
}

func TestParse(t *testing.T) {
	for _, s := range []string{"07:00", "0700", "23:59", "00:00"} {
		if _, err := ParseClock(s); err != nil {
			t.Errorf("ParseClock(%q): %v", s, err)
		}
	}
	for _, s := range []string{"24:00", "7:00", "07:60", "07-00", "", "0700x", "ab:cd"} {
		if _, err := ParseClock(s); err == nil {
			t.Errorf("ParseClock(%q) accepted", s)
		}
	}
	for _, s := range []string{"2026-02-30", "2026-13-01", "26-01-01", ""} {
		if _, err := ParseDate(s); err == nil {
			t.Errorf("ParseDate(%q) accepted", s)
		}
	}
	if d := mustDate(t, "2026-12-31").AddDays(1); d.String() != "2027-01-01" {
		t.Errorf("AddDays = %s", d)
	}
}

func TestSetRules(t *testing.T) {
	f := newFixture(t, "Asia/Shanghai", Config{})
	now := f.at("2026-05-04", "22:00")

	if _, _, err := setErr(f, req(t, "1203", "2026-05-04", "22:00"), now); !isErr(err, ErrPast) {
		t.Errorf("wake-up at now: err %v, want ErrPast", err)
	}
	if _, _, err := setErr(f, req(t, "1203", "2026-05-04", "21:59"), now); !isErr(err, ErrPast) {
		t.Errorf("past wake-up: err %v, want ErrPast", err)
	}
	noOp := req(t, "1203", "2026-05-05", "07:00")
	noOp.Operator = ""
	if _, _, err := setErr(f, noOp, now); !isErr(err, ErrRequest) {
		t.Errorf("no operator number: err %v, want ErrRequest", err)
	}
	bad := req(t, "1203", "2026-05-05", "07:00")
	bad.Until = mustDate(t, "2026-05-09")
	if _, _, err := setErr(f, bad, now); !isErr(err, ErrRequest) {
		t.Errorf("until on a single wake-up: err %v, want ErrRequest", err)
	}

	w1, acts := f.set(req(t, "1203", "2026-05-05", "07:00"), now)
	wantActs(t, f.loc, "set", acts, "send 1203 05-05 07:00")
	if w1.Status != Pending || w1.PBX != PBXSending || w1.Operator != "07" || !w1.RecordedAt.Equal(now) || w1.Series != w1.ID {
		t.Errorf("set: %+v", w1)
	}
	f.ack(acts[0].(SendToPBX).Ref, true, now)
	if w := f.get(w1.ID); w.Status != Sent || w.PBX != PBXHeld {
		t.Errorf("after ack: status %s pbx %s", w.Status, w.PBX)
	}
	// The operator enters the same request again: nothing changes, nothing is sent.
	again, acts := f.set(req(t, "1203", "2026-05-05", "07:00"), now.Add(time.Minute))
	wantActs(t, f.loc, "same request", acts)
	if again.ID != w1.ID {
		t.Errorf("same request made wake-up %d, want %d", again.ID, w1.ID)
	}
	// Another day is another wake-up.
	_, acts = f.set(req(t, "1203", "2026-05-06", "07:00"), now)
	wantActs(t, f.loc, "next day", acts, "send 1203 05-06 07:00")
	// A second time the same day replaces the first.
	w2, acts := f.set(req(t, "1203", "2026-05-05", "06:30"), now.Add(2*time.Minute))
	wantActs(t, f.loc, "replace", acts, "cancel 1203 05-05 07:00", "send 1203 05-05 06:30")
	if old := f.get(w1.ID); old.Status != Cancelled || old.Note == "" {
		t.Errorf("replaced: %+v", old)
	}
	day := f.day("2026-05-05")
	if len(day) != 2 || day[0].ID != w2.ID || day[1].ID != w1.ID {
		t.Fatalf("ListDay: %+v", day)
	}
	// Set on the room phone: the PBX has it already.
	phone := Request{Room: "1410", Date: mustDate(t, "2026-05-05"), Clock: mustClock(t, "05:45"), By: ByRoomPhone}
	w3, acts := f.set(phone, now)
	wantActs(t, f.loc, "room phone", acts)
	if w3.Status != Sent || w3.PBX != PBXHeld {
		t.Errorf("room phone: %+v", w3)
	}
}

func setErr(f *fixture, r Request, now time.Time) (Wakeup, []Action, error) {
	var w Wakeup
	var acts []Action
	err := f.st.InTx(context.Background(), func(tx *store.Tx) (err error) {
		w, acts, err = f.s.Set(tx, r, now)
		return err
	})
	return w, acts, err
}

// The night of the clocks going back and the night they go forward: the PBX
// is sent the resolved instant, and its echo is matched on the wall clock.
func TestDSTSetAndEcho(t *testing.T) {
	f := newFixture(t, "Europe/Berlin", Config{})
	now := f.at("2026-10-24", "23:00")
	w, acts := f.set(req(t, "1203", "2026-10-25", "02:30"), now)
	send := acts[0].(SendToPBX)
	if w.Resolution != Repeated || send.At.UTC().Format(time.RFC3339) != "2026-10-25T00:30:00Z" {
		t.Fatalf("repeated 02:30: %s %s", w.Resolution, send.At)
	}
	// What a FIAS driver makes of the WA's DA/TI echo: Go reads the repeated
	// 02:30 as CET, the second one, an hour after the instant we sent.
	echo, err := time.ParseInLocation("060102150405", "261025023000", f.loc)
	if err != nil {
		t.Fatal(err)
	}
	tr, acts := f.result("1203", echo, hotel.WakeupAnswered, send.At.Add(time.Minute))
	if !tr.Matched || tr.To != Answered {
		t.Fatalf("echo of the repeated hour: %+v", tr)
	}
	wantActs(t, f.loc, "answered", acts, "publish answered 1203")

	now = f.at("2026-03-28", "23:00")
	w, acts = f.set(req(t, "1204", "2026-03-29", "02:30"), now)
	send = acts[0].(SendToPBX)
	if w.Resolution != Skipped || send.At.In(f.loc).Format("15:04 MST") != "03:00 CEST" || w.Clock.String() != "02:30" {
		t.Fatalf("skipped 02:30: %s, PBX told %s, clock %s", w.Resolution, send.At.In(f.loc), w.Clock)
	}
	tr, _ = f.result("1204", send.At, hotel.WakeupAnswered, send.At.Add(time.Minute))
	if !tr.Matched || tr.To != Answered {
		t.Fatalf("echo of the jump: %+v", tr)
	}
	if ws := f.day("2026-03-29"); len(ws) != 1 || ws[0].Clock.String() != "02:30" || ws[0].Resolution != Skipped {
		t.Errorf("the list keeps the requested time: %+v", ws)
	}
}

func TestDailyRearm(t *testing.T) {
	for _, tc := range []struct {
		zone       string
		from, next string // dates; next is a DST day in the zones that have one
		nextUTC    string
	}{
		{"America/New_York", "2026-03-07", "2026-03-08", "2026-03-08T11:00:00Z"}, // 07:00 EDT, 23 h after 07:00 EST
		{"Europe/Berlin", "2026-10-24", "2026-10-25", "2026-10-25T06:00:00Z"},    // 07:00 CET, 25 h after 07:00 CEST
		{"Asia/Shanghai", "2026-03-28", "2026-03-29", "2026-03-28T23:00:00Z"},
	} {
		t.Run(tc.zone, func(t *testing.T) {
			f := newFixture(t, tc.zone, Config{})
			now := f.at(tc.from, "06:00")
			r := req(t, "1203", tc.from, "07:00")
			r.Daily = true
			r.Until = mustDate(t, tc.next).AddDays(1)
			w := f.setAcked(r, now)
			ring := f.at(tc.from, "07:00")
			tr, acts := f.result("1203", ring, hotel.WakeupAnswered, ring.Add(30*time.Second))
			if tr.To != Answered {
				t.Fatalf("answered: %+v", tr)
			}
			wantActs(t, f.loc, "answered daily", acts, "publish answered 1203", "send 1203 "+mustDate(t, tc.next).String()[5:]+" 07:00")
			next := acts[1].(SendToPBX)
			if next.At.UTC().Format(time.RFC3339) != tc.nextUTC || next.Wakeup.Series != w.ID || next.Wakeup.Operator != "07" || !next.Wakeup.RecordedAt.Equal(w.RecordedAt) {
				t.Errorf("re-armed: %+v at %s", next.Wakeup, next.At.UTC())
			}
			// The duplicate result does not arm a third day.
			tr, acts = f.result("1203", ring, hotel.WakeupAnswered, ring.Add(time.Minute))
			if !tr.Duplicate || len(acts) != 0 {
				t.Errorf("duplicate: %+v %v", tr, kinds(f.loc, acts))
			}
			// Day two: no result at all; the watchdog re-arms day three, the last one.
			ring2 := next.At
			f.ack(next.Ref, true, ring2.Add(-time.Hour))
			acts = f.due(ring2.Add(3 * time.Minute))
			day3 := mustDate(t, tc.next).AddDays(1)
			wantActs(t, f.loc, "overdue daily", acts, "publish at-risk 1203", "send 1203 "+day3.String()[5:]+" 07:00")
			// Day three answered: Until reached, the series ends.
			third := acts[1].(SendToPBX)
			_, acts = f.result("1203", third.At, hotel.WakeupAnswered, third.At.Add(time.Minute))
			wantActs(t, f.loc, "last day", acts, "publish answered 1203")
			// A late answer for day two still lands on day two.
			tr, acts = f.result("1203", ring2, hotel.WakeupAnswered, third.At.Add(2*time.Minute))
			if tr.Wakeup.Date.String() != tc.next || tr.To != Answered {
				t.Errorf("late answer for day two: %+v", tr)
			}
			wantActs(t, f.loc, "late answer", acts, "publish answered 1203")
		})
	}
}

func TestCheckoutCancels(t *testing.T) {
	f := newFixture(t, "Asia/Shanghai", Config{})
	now := f.at("2026-05-04", "12:00")
	daily := req(t, "1203", "2026-05-05", "07:00")
	daily.Daily = true
	f.setAcked(daily, now)
	_, acts := f.set(req(t, "1203", "2026-05-04", "18:00"), now) // not acknowledged yet: cancel it anyway
	wantActs(t, f.loc, "second", acts, "send 1203 05-04 18:00")
	f.setAcked(req(t, "1204", "2026-05-05", "07:00"), now)

	var ws []Wakeup
	f.tx(func(tx *store.Tx) (err error) {
		ws, acts, err = f.s.CancelForCheckout(tx, "1203", now.Add(time.Hour))
		return err
	})
	if len(ws) != 2 {
		t.Fatalf("cancelled %d", len(ws))
	}
	wantActs(t, f.loc, "check-out", acts, "cancel 1203 05-04 18:00", "cancel 1203 05-05 07:00")
	for _, w := range ws {
		if g := f.get(w.ID); g.Status != Cancelled || g.Note != "check-out" || g.PBX != PBXCancelling {
			t.Errorf("after check-out: %+v", g)
		}
	}
	f.ack(acts[0].(CancelAtPBX).Ref, true, now.Add(time.Hour))
	if g := f.get(ws[0].ID); g.PBX != PBXCancelled {
		t.Errorf("cancel acked: %s", g.PBX)
	}
	// The PBX rings it anyway: recorded, not applied, the daily is not re-armed.
	tr, acts := f.result("1203", f.at("2026-05-05", "07:00"), hotel.WakeupAnswered, f.at("2026-05-05", "07:01"))
	if !tr.Matched || !tr.Stale || len(acts) != 0 {
		t.Errorf("result after check-out: %+v %v", tr, kinds(f.loc, acts))
	}
	if p, _ := f.s.Pending(context.Background(), f.st, now); len(p) != 1 || p[0].Room != "1204" {
		t.Errorf("pending after check-out: %+v", p)
	}
	// Nothing to cancel is not an error at check-out, but is for Cancel.
	f.tx(func(tx *store.Tx) error {
		if _, _, err := f.s.CancelForCheckout(tx, "1203", now); err != nil {
			t.Errorf("empty check-out: %v", err)
		}
		if _, _, err := f.s.Cancel(tx, "1203", 0, now); !isErr(err, ErrNotFound) {
			t.Errorf("empty cancel: %v", err)
		}
		return nil
	})
	// Cancel one by id.
	var cw []Wakeup
	f.tx(func(tx *store.Tx) (err error) {
		cw, acts, err = f.s.Cancel(tx, "1204", 0, now)
		return err
	})
	wantActs(t, f.loc, "cancel", acts, "cancel 1204 05-05 07:00")
	if len(cw) != 1 || f.get(cw[0].ID).Status != Cancelled {
		t.Errorf("cancel: %+v", cw)
	}
}

func TestMove(t *testing.T) {
	f := newFixture(t, "Asia/Shanghai", Config{})
	now := f.at("2026-05-04", "12:00")
	f.setAcked(req(t, "1203", "2026-05-04", "11:00"), f.at("2026-05-04", "09:00")) // already rung, awaiting its result
	daily := req(t, "1203", "2026-05-05", "07:00")
	daily.Daily = true
	w := f.setAcked(daily, now)
	f.setAcked(req(t, "1410", "2026-05-05", "09:00"), now) // left by the previous occupant

	var ws []Wakeup
	var acts []Action
	f.tx(func(tx *store.Tx) (err error) {
		ws, acts, err = f.s.Move(tx, "1203", "1410", now.Add(time.Minute))
		return err
	})
	wantActs(t, f.loc, "move", acts, "cancel 1410 05-05 09:00", "cancel 1203 05-05 07:00", "send 1410 05-05 07:00")
	if len(ws) != 1 || ws[0].ID != w.ID || ws[0].Room != "1410" || ws[0].Status != Pending {
		t.Fatalf("moved: %+v", ws)
	}
	// The 11:00 call made before the move keeps its room.
	tr, _ := f.result("1203", f.at("2026-05-04", "11:00"), hotel.WakeupAnswered, now.Add(2*time.Minute))
	if !tr.Matched || tr.Wakeup.Room != "1203" {
		t.Errorf("pre-move result: %+v", tr)
	}
	// The PBX reports the moved one for the new room; for the old room it matches nothing.
	tr, acts = f.result("1203", f.at("2026-05-05", "07:00"), hotel.WakeupAnswered, f.at("2026-05-05", "07:01"))
	if tr.Matched {
		t.Errorf("result for the old room matched %+v", tr)
	}
	wantActs(t, f.loc, "old room", acts, "publish unmatched 1203")
	tr, acts = f.result("1410", f.at("2026-05-05", "07:00"), hotel.WakeupAnswered, f.at("2026-05-05", "07:01"))
	if !tr.Matched || tr.Wakeup.ID != w.ID {
		t.Errorf("result for the new room: %+v", tr)
	}
	wantActs(t, f.loc, "new room", acts, "publish answered 1410", "send 1410 05-06 07:00") // the series followed the guest
}

func TestRetryThenEscalation(t *testing.T) {
	f := newFixture(t, "Europe/Berlin", Config{RetryAfter: 5 * time.Minute})
	ring := f.at("2026-05-05", "07:00")
	w := f.setAcked(req(t, "1203", "2026-05-05", "07:00"), f.at("2026-05-04", "22:00"))
	wantActs(t, f.loc, "at 06:30", f.due(ring.Add(-30*time.Minute)), "preflight 2026-05-05 [1203]")
	wantActs(t, f.loc, "at 07:00", f.due(ring))
	if g := f.get(w.ID); g.Status != Ringing {
		t.Errorf("at its time: %s", g.Status)
	}
	tr, acts := f.result("1203", ring, hotel.WakeupNoAnswer, ring.Add(40*time.Second))
	if tr.From != Ringing || tr.To != Retrying || tr.Wakeup.Attempts != 1 {
		t.Errorf("first no answer: %+v", tr)
	}
	wantActs(t, f.loc, "first no answer", acts, "publish unanswered 1203 no_answer retry", "send 1203 05-05 07:06")
	retry := acts[1].(SendToPBX)
	if !retry.Retry {
		t.Error("retry flag")
	}
	f.ack(retry.Ref, true, ring.Add(time.Minute))
	// The first attempt's result again: a duplicate. A different one for it: stale.
	if tr, acts = f.result("1203", ring, hotel.WakeupNoAnswer, ring.Add(2*time.Minute)); !tr.Duplicate || len(acts) != 0 {
		t.Errorf("duplicate of the first: %+v", tr)
	}
	if tr, acts = f.result("1203", ring, hotel.WakeupBusy, ring.Add(2*time.Minute)); !tr.Stale || len(acts) != 0 {
		t.Errorf("other result for the first call: %+v", tr)
	}
	// No at-risk while the retry is ahead.
	wantActs(t, f.loc, "07:05", f.due(ring.Add(5*time.Minute)))
	tr, acts = f.result("1203", retry.At, hotel.WakeupBusy, retry.At.Add(30*time.Second))
	if tr.From != Retrying || tr.To != Escalated || tr.Wakeup.Attempts != 2 || tr.Wakeup.LastResult != hotel.WakeupBusy {
		t.Errorf("second attempt busy: %+v", tr)
	}
	wantActs(t, f.loc, "escalation", acts, "publish unanswered 1203 busy", "publish escalated 1203")
	wantActs(t, f.loc, "after escalation", f.due(retry.At.Add(10*time.Minute)))
	// The guest answers after all (the PBX's last ring): housekeeping can stand down.
	tr, acts = f.result("1203", retry.At, hotel.WakeupAnswered, retry.At.Add(time.Minute))
	if tr.To != Answered {
		t.Errorf("late answer: %+v", tr)
	}
	wantActs(t, f.loc, "late answer", acts, "publish answered 1203")

	// Without a second attempt: escalated at once; with NoEscalation: unanswered only.
	for _, tc := range []struct {
		cfg  Config
		want Status
		acts []string
	}{
		{Config{}, Escalated, []string{"publish unanswered 1203 no_answer", "publish escalated 1203"}},
		{Config{NoEscalation: true}, Unanswered, []string{"publish unanswered 1203 no_answer"}},
	} {
		f := newFixture(t, "Europe/Berlin", tc.cfg)
		f.setAcked(req(t, "1203", "2026-05-05", "07:00"), f.at("2026-05-04", "22:00"))
		tr, acts := f.result("1203", ring, hotel.WakeupNoAnswer, ring.Add(time.Minute))
		if tr.To != tc.want {
			t.Errorf("%+v: %s, want %s", tc.cfg, tr.To, tc.want)
		}
		wantActs(t, f.loc, "single attempt", acts, tc.acts...)
	}
}

func TestOtherOutcomes(t *testing.T) {
	f := newFixture(t, "Asia/Shanghai", Config{})
	now := f.at("2026-05-04", "22:00")
	ring := f.at("2026-05-05", "07:00")
	for _, room := range []string{"1201", "1202", "1203", "1204"} {
		r := req(t, room, "2026-05-05", "07:00")
		r.Daily = room == "1202"
		f.setAcked(r, now)
	}
	// The PBX will retry by itself: watched for PBXRetryWindow, not re-sent.
	tr, acts := f.result("1201", ring, hotel.WakeupRetry, ring.Add(time.Minute))
	if tr.To != Retrying || len(acts) != 0 {
		t.Errorf("retry: %+v %v", tr, kinds(f.loc, acts))
	}
	// Deleted at the PBX: cancelled, and a daily series ends.
	tr, acts = f.result("1202", ring, hotel.WakeupDeleted, ring.Add(time.Minute))
	if tr.To != Cancelled || len(acts) != 0 {
		t.Errorf("deleted: %+v %v", tr, kinds(f.loc, acts))
	}
	tr, acts = f.result("1203", ring, hotel.WakeupUnprocessable, ring.Add(time.Minute))
	if tr.To != Failed {
		t.Errorf("unprocessable: %+v", tr)
	}
	wantActs(t, f.loc, "unprocessable", acts, "publish at-risk 1203")
	tr, acts = f.result("1204", ring, hotel.WakeupUnknown, ring.Add(time.Minute))
	if tr.To != Sent {
		t.Errorf("unknown: %+v", tr)
	}
	wantActs(t, f.loc, "unknown", acts, "publish at-risk 1204")
	// At 07:03 only 1204's grace is up, and it was reported already; 1201 has until 07:14.
	wantActs(t, f.loc, "07:03", f.due(ring.Add(3*time.Minute)))
	wantActs(t, f.loc, "07:14", f.due(ring.Add(14*time.Minute)), "publish at-risk 1201")
}

func TestEchoMatching(t *testing.T) {
	f := newFixture(t, "Asia/Shanghai", Config{})
	now := f.at("2026-05-04", "22:00")
	w := f.setAcked(req(t, "1203", "2026-05-05", "07:00"), now)
	// A time we never set, for a room that has one: reported, not applied.
	tr, acts := f.result("1203", f.at("2026-05-05", "07:30"), hotel.WakeupAnswered, f.at("2026-05-05", "07:31"))
	if tr.Matched {
		t.Errorf("07:30 matched %+v", tr)
	}
	wantActs(t, f.loc, "unmatched", acts, "publish unmatched 1203")
	if pub := acts[0].(Publish); pub.Reason == "" || pub.IdemKey == "" {
		t.Errorf("unmatched notice: %+v", pub)
	}
	if g := f.get(w.ID); g.Status != Sent || g.Attempts != 0 {
		t.Errorf("07:00 touched: %+v", g)
	}
	// A room we never set: the same.
	if tr, _ = f.result("9999", f.at("2026-05-05", "07:00"), hotel.WakeupAnswered, f.at("2026-05-05", "07:01")); tr.Matched {
		t.Errorf("room 9999 matched %+v", tr)
	}
	// Seconds in the echo do not matter; the wake-up is to the minute.
	tr, _ = f.result("1203", f.at("2026-05-05", "07:00").Add(15*time.Second), hotel.WakeupAnswered, f.at("2026-05-05", "07:01"))
	if !tr.Matched || tr.To != Answered {
		t.Errorf("echo with seconds: %+v", tr)
	}
	// A PBX that gives no time (SX-200): the room's due wake-up.
	f.setAcked(req(t, "1204", "2026-05-05", "07:00"), now)
	f.setAcked(req(t, "1204", "2026-05-06", "07:00"), now)
	tr, _ = f.result("1204", time.Time{}, hotel.WakeupNoAnswer, f.at("2026-05-05", "07:01"))
	if !tr.Matched || tr.Wakeup.Date.String() != "2026-05-05" || tr.To != Escalated {
		t.Errorf("no time: %+v", tr)
	}
	if tr, _ = f.result("1204", time.Time{}, hotel.WakeupNoAnswer, f.at("2026-05-05", "07:02")); tr.Matched {
		t.Errorf("no time, nothing due: %+v", tr)
	}
}

func TestWatchdog(t *testing.T) {
	f := newFixture(t, "Europe/Berlin", Config{})
	now := f.at("2026-05-04", "22:00")
	f.setAcked(req(t, "1204", "2026-05-05", "07:15"), now)
	f.setAcked(req(t, "1203", "2026-05-05", "07:00"), now)
	f.setAcked(req(t, "1205", "2026-05-05", "07:00"), now)
	f.set(req(t, "1206", "2026-05-05", "07:00"), now) // never acknowledged
	f.setAcked(req(t, "1203", "2026-05-06", "06:00"), now)

	wantActs(t, f.loc, "06:29", f.due(f.at("2026-05-05", "06:29")))
	acts := f.due(f.at("2026-05-05", "06:30"))
	wantActs(t, f.loc, "06:30", acts, "preflight 2026-05-05 [1203 1205 1206 1204]")
	if p := acts[0].(Preflight); !p.First.Equal(f.at("2026-05-05", "07:00")) || p.IdemKey != "wakeup/preflight/2026-05-05" {
		t.Errorf("preflight: %+v", p)
	}
	wantActs(t, f.loc, "06:31", f.due(f.at("2026-05-05", "06:31")))
	wantActs(t, f.loc, "07:00", f.due(f.at("2026-05-05", "07:00")))
	for _, w := range f.day("2026-05-05")[:3] {
		if w.Status != Ringing {
			t.Errorf("%s at 07:00: %s", w.Room, w.Status)
		}
	}
	f.result("1203", f.at("2026-05-05", "07:00"), hotel.WakeupAnswered, f.at("2026-05-05", "07:01"))
	wantActs(t, f.loc, "07:02", f.due(f.at("2026-05-05", "07:02")))
	wantActs(t, f.loc, "07:03", f.due(f.at("2026-05-05", "07:03")), "publish at-risk 1205", "publish at-risk 1206")
	wantActs(t, f.loc, "07:04", f.due(f.at("2026-05-05", "07:04")))
	// A restart does not repeat what was emitted.
	f.reopen()
	wantActs(t, f.loc, "after restart", f.due(f.at("2026-05-05", "07:18")), "publish at-risk 1204")
	wantActs(t, f.loc, "next day", f.due(f.at("2026-05-06", "05:35")), "preflight 2026-05-06 [1203]")
	wantActs(t, f.loc, "next day 06:03", f.due(f.at("2026-05-06", "06:03")), "publish at-risk 1203")
	// A gateway that was down at the pre-flight time still checks before the call.
	f.setAcked(req(t, "1301", "2026-05-07", "06:00"), now)
	wantActs(t, f.loc, "late preflight", f.due(f.at("2026-05-07", "05:55")), "preflight 2026-05-07 [1301]")
}

func TestAcked(t *testing.T) {
	f := newFixture(t, "Asia/Shanghai", Config{})
	now := f.at("2026-05-04", "22:00")
	w, acts := f.set(req(t, "1203", "2026-05-05", "07:00"), now)
	first := acts[0].(SendToPBX).Ref
	if !IsRef(first) || IsRef("cmd-123") {
		t.Error("IsRef")
	}
	acts = f.ack(first, false, now)
	wantActs(t, f.loc, "refused", acts, "publish at-risk 1203")
	if g := f.get(w.ID); g.Status != Failed || g.PBX != PBXRefused || g.PBXReason != "AS=UR" {
		t.Errorf("refused: %+v", g)
	}
	// A late ack of a superseded command changes nothing.
	daily := req(t, "1204", "2026-05-05", "07:00")
	daily.Daily = true
	w2, acts := f.set(daily, now)
	ref := acts[0].(SendToPBX).Ref
	f.tx(func(tx *store.Tx) error { _, _, err := f.s.Move(tx, "1204", "1205", now); return err })
	if acts = f.ack(ref, true, now); len(acts) != 0 || f.get(w2.ID).PBX != PBXSending {
		t.Errorf("stale ack: %v %s", kinds(f.loc, acts), f.get(w2.ID).PBX)
	}
	// The PBX needs the operator to set it at the console: still pending, at risk.
	var acts2 []Action
	f.tx(func(tx *store.Tx) (err error) {
		w3, a, err := f.s.Set(tx, req(t, "1301", "2026-05-05", "07:00"), now)
		if err != nil {
			return err
		}
		acts2, err = f.s.Acked(tx, hotel.CommandAck{Ref: a[0].(SendToPBX).Ref, Reason: "set at the console", OperatorTask: true}, now)
		w = w3
		return err
	})
	wantActs(t, f.loc, "operator task", acts2, "publish at-risk 1301")
	if g := f.get(w.ID); g.Status != Pending || g.PBX != PBXRefused {
		t.Errorf("operator task: %+v", g)
	}
}

func TestRestartKeepsEverything(t *testing.T) {
	f := newFixture(t, "America/New_York", Config{RetryAfter: 5 * time.Minute})
	now := f.at("2026-03-07", "22:00")
	daily := req(t, "1203", "2026-03-08", "02:30") // skipped: rung at 03:00 EDT
	daily.Daily = true
	daily.By = ByOperator
	w := f.setAcked(daily, now)
	f.setAcked(req(t, "1204", "2026-03-08", "07:00"), now)
	ring := f.at("2026-03-08", "07:00")
	tr, acts := f.result("1204", ring, hotel.WakeupNoAnswer, ring.Add(time.Minute))
	if tr.To != Retrying {
		t.Fatal(tr)
	}
	retry := acts[1].(SendToPBX)
	before := f.day("2026-03-08")
	pend, _ := f.s.Pending(context.Background(), f.st, now)

	f.reopen()
	after := f.day("2026-03-08")
	if len(before) != len(after) {
		t.Fatalf("day: %d rows before, %d after", len(before), len(after))
	}
	for i := range before {
		b, a := before[i], after[i]
		if b.ID != a.ID || b.Status != a.Status || !b.At.Equal(a.At) || !b.PBXAt.Equal(a.PBXAt) || b.Clock != a.Clock ||
			b.Resolution != a.Resolution || b.Operator != a.Operator || !b.RecordedAt.Equal(a.RecordedAt) ||
			b.Attempts != a.Attempts || b.LastResult != a.LastResult || b.PBX != a.PBX || b.RequestedBy != a.RequestedBy || b.Daily != a.Daily {
			t.Errorf("row %d\nbefore %+v\nafter  %+v", i, b, a)
		}
	}
	pend2, _ := f.s.Pending(context.Background(), f.st, now)
	if len(pend) != 2 || len(pend2) != 2 || pend2[0].ID != w.ID || !PBXWakeups(pend2)[1].At.Equal(retry.At) {
		t.Errorf("pending before %+v after %+v", pend, pend2)
	}
	// The same result after the restart is still a duplicate; the retry's result applies.
	if tr, _ = f.result("1204", ring, hotel.WakeupNoAnswer, ring.Add(3*time.Minute)); !tr.Duplicate {
		t.Errorf("duplicate after restart: %+v", tr)
	}
	if tr, _ = f.result("1204", retry.At, hotel.WakeupAnswered, retry.At.Add(time.Minute)); tr.To != Answered {
		t.Errorf("retry result after restart: %+v", tr)
	}
}

// Once the call is made, a new request for later that day does not replace
// it: its result still lands on it.
func TestSetAfterTheCall(t *testing.T) {
	f := newFixture(t, "Asia/Shanghai", Config{})
	w := f.setAcked(req(t, "1203", "2026-05-05", "07:00"), f.at("2026-05-04", "22:00"))
	// No Due ran since 07:00: Set notices the call was made by itself.
	w2, acts := f.set(req(t, "1203", "2026-05-05", "09:00"), f.at("2026-05-05", "07:01"))
	wantActs(t, f.loc, "second wake-up", acts, "send 1203 05-05 09:00")
	if g := f.get(w.ID); g.Status != Ringing {
		t.Errorf("first: %s", g.Status)
	}
	tr, _ := f.result("1203", f.at("2026-05-05", "07:00"), hotel.WakeupAnswered, f.at("2026-05-05", "07:02"))
	if tr.Wakeup.ID != w.ID || tr.To != Answered {
		t.Errorf("first result: %+v", tr)
	}
	if g := f.get(w2.ID); g.Status != Pending {
		t.Errorf("second: %s", g.Status)
	}
	if ws := f.day("2026-05-05"); len(ws) != 2 || ws[0].ID != w.ID || ws[1].ID != w2.ID {
		t.Errorf("list: %+v", ws)
	}
}
