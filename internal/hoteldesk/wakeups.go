package hoteldesk

// Wake-up calls (叫醒服務): the commands that set and cancel them, and the
// events the schedule's notices become.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"switchboard/internal/bus"
	"switchboard/internal/events/hotel"
	"switchboard/internal/store"
	"switchboard/internal/wakeup"
)

// sourceHotelLink marks wake-up events that come from the hotel link (the
// same types carry Panasonic SMDR hotel events with source "smdr").
const sourceHotelLink = "hotel-link"

var noticeTypes = map[wakeup.Notice]string{
	wakeup.NoticeAnswered:   "hotel.pbx.wakeup.answered",
	wakeup.NoticeUnanswered: "hotel.pbx.wakeup.unanswered",
	wakeup.NoticeEscalated:  "hotel.pbx.wakeup.escalated",
	wakeup.NoticeAtRisk:     "hotel.pbx.wakeup.at-risk",
	wakeup.NoticeUnmatched:  "hotel.pbx.wakeup.unmatched",
}

func timePtr(t time.Time, loc *time.Location) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.In(loc)
	return &t
}

// publishInTx turns the schedule's Publish and Preflight actions into
// events in tx. A Preflight with the wake-up link down is an at-risk alert
// listing the rooms (叫醒服務: check the machine before the earliest
// wake-up of the day).
func (d *Desk) publishInTx(tx *store.Tx, device string, acts []wakeup.Action) error {
	loc := d.host.Location()
	for _, a := range acts {
		switch a := a.(type) {
		case wakeup.Publish:
			typ := noticeTypes[a.Notice]
			if typ == "" {
				continue
			}
			ev := hotel.WakeupEvent{Device: device, Source: sourceHotelLink, Room: string(a.Room), WakeupID: a.Wakeup.ID,
				Scheduled: timePtr(a.Wakeup.At, loc), Call: timePtr(a.At, loc), Attempt: a.Attempt, Reason: a.Reason,
				Retry: a.Retry, Code: a.Code, Daily: a.Wakeup.Daily, Operator: a.Wakeup.Operator}
			if ev.Scheduled == nil {
				ev.Scheduled = ev.Call
			}
			if a.Notice == wakeup.NoticeAtRisk || a.Notice == wakeup.NoticeEscalated {
				ev.Priority = "high"
			}
			if _, _, err := d.host.Enqueue(tx, d.event(device, typ, "room/"+string(a.Room), a.IdemKey, ev)); err != nil {
				return err
			}
			d.host.Log().Info("wake-up "+string(a.Notice), "device", device, "room", a.Room, "reason", a.Reason)
		case wakeup.Preflight:
			if d.linkUpOrNone() {
				d.host.Log().Info("wake-up preflight: hotel link up", "device", d.primary, "date", a.Date.String(), "first", a.First, "rooms", len(a.Rooms))
				continue
			}
			if err := d.linkDownAtRisk(tx, a.Date, a.First, a.Rooms); err != nil {
				return err
			}
		}
	}
	return nil
}

// linkUpOrNone reports whether the wake-up link is up, or there is none
// to watch: a PBX that takes no commands over its link (Panasonic:
// wake-ups are set at the console, and each one is an operator task and an
// at-risk notice already).
func (d *Desk) linkUpOrNone() bool {
	l := d.link(d.primary)
	return l == nil || !l.drv.Capabilities().Commands || l.drv.LinkUp()
}

// startedAt is when the desk first saw a link.
func (d *Desk) startedAt() time.Time {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.created
}

// linkDownAtRisk raises the at-risk alert for a day's wake-ups while the
// hotel link is down, once per outage and day.
func (d *Desk) linkDownAtRisk(tx *store.Tx, date wakeup.Date, first time.Time, rooms []hotel.Room) error {
	loc := d.host.Location()
	since := d.startedAt()
	if l := d.link(d.primary); l != nil {
		since = l.since()
	}
	rs := make([]string, len(rooms))
	for i, r := range rooms {
		rs[i] = string(r)
	}
	ev := hotel.WakeupEvent{Device: d.primary, Source: sourceHotelLink, Rooms: rs, Call: timePtr(first, loc), Priority: "high",
		Reason: fmt.Sprintf("hotel link %s is down (since %s) and %d wake-up(s) are due from %s: check the PBX link, or ring the rooms by hand",
			d.primary, since.In(loc).Format("2006-01-02 15:04"), len(rooms), first.In(loc).Format("15:04"))}
	key := fmt.Sprintf("wakeup/link-down/%s/%d/%s", d.primary, since.UnixNano(), date)
	if _, dup, err := d.host.Enqueue(tx, d.event(d.primary, "hotel.pbx.wakeup.at-risk", "date/"+date.String(), key, ev)); err != nil {
		return err
	} else if !dup {
		d.host.Log().Warn("wake-ups at risk: hotel link down", "device", d.primary, "date", date.String(), "rooms", len(rooms))
	}
	return nil
}

func (d *Desk) scheduledEvent(tx *store.Tx, device string, w wakeup.Wakeup) error {
	loc := d.host.Location()
	ev := hotel.WakeupScheduled{Device: device, Source: sourceHotelLink, Room: string(w.Room), WakeupID: w.ID, Date: w.Date.String(),
		Time: w.Clock.String(), At: w.At.In(loc), Daily: w.Daily, Until: w.Until.String(), RequestedBy: string(w.RequestedBy),
		Operator: w.Operator, RecordedAt: w.RecordedAt.In(loc)}
	_, _, err := d.host.Enqueue(tx, d.event(device, "hotel.pbx.wakeup.scheduled", "room/"+string(w.Room), fmt.Sprintf("wakeup/%d/scheduled", w.ID), ev))
	return err
}

// wakeupRequest checks a wakeup.set: a guest room with a guest in it, a
// time of day (the next one) or an instant, not in the past, and the
// operator's number (叫醒服務 b).
func (d *Desk) wakeupRequest(dt hotel.WakeupSetData, now time.Time) (wakeup.Request, error) {
	loc := d.host.Location()
	var req wakeup.Request
	if err := d.room("data.room", dt.Room); err != nil {
		return req, err
	}
	if err := d.mustBe("data.room", dt.Room, true); err != nil {
		return req, err
	}
	req.Room = hotel.Room(dt.Room)
	switch dt.RequestedBy {
	case "", "guest":
		req.By = wakeup.ByGuest
	case "operator":
		req.By = wakeup.ByOperator
	default:
		return req, &bus.FieldError{Field: "data.requested_by", Problem: fmt.Sprintf("%q: want guest or operator", dt.RequestedBy)}
	}
	if strings.TrimSpace(dt.Operator) == "" {
		return req, &bus.FieldError{Field: "data.operator", Problem: "required: the number of the operator who took the request"}
	}
	if err := noControl("data.operator", dt.Operator); err != nil {
		return req, err
	}
	req.Operator = dt.Operator
	if dt.Time == "" {
		return req, &bus.FieldError{Field: "data.time", Problem: "required: HH:MM or an RFC 3339 time"}
	}
	if t, err := time.Parse(time.RFC3339, dt.Time); err == nil {
		if dt.Date != "" {
			return req, &bus.FieldError{Field: "data.date", Problem: "give the date either here or in data.time, not both"}
		}
		t = t.In(loc)
		if t.Second() != 0 || t.Nanosecond() != 0 {
			return req, &bus.FieldError{Field: "data.time", Problem: "wake-ups are to the minute"}
		}
		req.Date, req.Clock = wakeup.DateOf(t), wakeup.Clock{Hour: t.Hour(), Minute: t.Minute()}
	} else {
		clock, err := wakeup.ParseClock(dt.Time)
		if err != nil {
			return req, &bus.FieldError{Field: "data.time", Problem: fmt.Sprintf("%q: want HH:MM or an RFC 3339 time", dt.Time)}
		}
		req.Clock = clock
		if dt.Date != "" {
			if req.Date, err = wakeup.ParseDate(dt.Date); err != nil {
				return req, &bus.FieldError{Field: "data.date", Problem: fmt.Sprintf("%q: want YYYY-MM-DD", dt.Date)}
			}
		} else {
			// The next time the clock reads it: tonight's request for 06:30
			// is tomorrow's.
			req.Date = wakeup.DateOf(now.In(loc))
			if at, _ := wakeup.Resolve(req.Date, clock, loc); !at.After(now) {
				req.Date = req.Date.AddDays(1)
			}
		}
	}
	if at, _ := wakeup.Resolve(req.Date, req.Clock, loc); !at.After(now) {
		return req, &bus.FieldError{Field: "data.time", Problem: fmt.Sprintf("%s %s is in the past (it is %s)", req.Date, req.Clock, now.In(loc).Format("2006-01-02 15:04"))}
	}
	req.Daily = dt.Daily
	if dt.Until != "" {
		if !dt.Daily {
			return req, &bus.FieldError{Field: "data.until", Problem: "an end date is for daily wake-ups only"}
		}
		u, err := wakeup.ParseDate(dt.Until)
		if err != nil || u.Before(req.Date) {
			return req, &bus.FieldError{Field: "data.until", Problem: fmt.Sprintf("%q: want YYYY-MM-DD, not before %s", dt.Until, req.Date)}
		}
		req.Until = u
	}
	return req, nil
}

// scheduleError names the field a schedule refusal is about.
func scheduleError(err error) error {
	switch {
	case errors.Is(err, wakeup.ErrPast):
		return &bus.FieldError{Field: "data.time", Problem: err.Error()}
	case errors.Is(err, wakeup.ErrRequest):
		return &bus.FieldError{Field: "data", Problem: err.Error()}
	}
	return fmt.Errorf("not recorded: %w", err)
}

func wakeupResult(w wakeup.Wakeup, loc *time.Location) map[string]any {
	res := map[string]any{"wakeup_id": w.ID, "room": string(w.Room), "date": w.Date.String(), "time": w.Clock.String(),
		"at": w.At.In(loc), "status": string(w.Status), "pbx_state": string(w.PBX), "operator": w.Operator}
	if w.Daily {
		res["daily"] = true
		if !w.Until.IsZero() {
			res["until"] = w.Until.String()
		}
	}
	return res
}

func (d *Desk) wakeupSet(ctx context.Context, c *bus.Command, req wakeup.Request) (any, error) {
	now := d.host.Now()
	var w wakeup.Wakeup
	var acts []wakeup.Action
	var j journaled
	err := d.host.InTx(ctx, func(tx *store.Tx) error {
		var err error
		j = journaled{}
		if w, acts, err = d.sched.Set(tx, req, now); err != nil {
			return err
		}
		if len(acts) > 0 {
			if err := d.scheduledEvent(tx, c.Device, w); err != nil {
				return err
			}
		}
		// The WR with the wake-up: one commit. The schedule counts it as
		// sent only once the PBX answers, so a WR a crash kept from the
		// PBX is sent again (the link start's swap, or the resend).
		if err := d.journalActs(tx, j, c.Device, acts); err != nil {
			return err
		}
		return d.publishInTx(tx, c.Device, acts)
	})
	if err != nil {
		return nil, scheduleError(err)
	}
	setRef := fmt.Sprintf("wakeup/%d/set/", w.ID)
	if len(acts) == 0 && w.PBX == wakeup.PBXSending {
		// The same request again while the PBX has not confirmed it yet
		// (the link was down): send it again.
		us, err := d.sched.UnconfirmedSets(ctx, d.host.Store(), now)
		if err != nil {
			return nil, err
		}
		for _, u := range us {
			if u.ID == w.ID {
				acts = append(acts, wakeup.SendToPBX{Ref: u.Ref, Wakeup: w, Room: u.Room, At: u.At})
			}
		}
	}
	outs := d.dispatch(ctx, c.Device, acts, j, d.opt.Retries)
	d.markDirty(string(w.Room))
	for _, o := range outs {
		if !o.ok() {
			if cur, err := d.sched.Get(ctx, d.host.Store(), w.ID); err == nil {
				w = cur // a refusal changed it
			}
			break
		}
	}
	res := wakeupResult(w, d.host.Location())
	for ref, o := range outs {
		if !strings.HasPrefix(ref, setRef) {
			continue
		}
		res["pbx"] = o.pbxStatus()
		switch {
		case o.ok():
			// What recordAcks is about to store.
			res["pbx_state"] = string(wakeup.PBXHeld)
			if res["status"] == string(wakeup.Pending) {
				res["status"] = string(wakeup.Sent)
			}
		case o.operatorTask():
			res["operator_task"] = o.Ack.Reason
		case errors.Is(o.Err, errHeldUndated):
			res["pbx"] = "held"
			res["note"] = errHeldUndated.Error()
		case errors.Is(o.Err, hotel.ErrLinkDown):
			return res, fmt.Errorf("%s: wake-up %d is recorded and goes to the PBX when the link is back", o.reason(), w.ID)
		default:
			return res, errors.New(o.reason())
		}
	}
	if _, ok := res["pbx"]; !ok && len(acts) == 0 {
		res["note"] = "already recorded"
	}
	return res, nil
}

func (d *Desk) wakeupCancel(ctx context.Context, c *bus.Command, dt hotel.WakeupCancelData) (any, error) {
	var ws []wakeup.Wakeup
	var acts []wakeup.Action
	var j journaled
	err := d.host.InTx(ctx, func(tx *store.Tx) error {
		var err error
		j = journaled{}
		if ws, acts, err = d.sched.Cancel(tx, hotel.Room(dt.Room), dt.ID, d.host.Now()); err != nil {
			return err
		}
		return d.journalActs(tx, j, c.Device, acts)
	})
	if errors.Is(err, wakeup.ErrNotFound) {
		field := "data.room"
		if dt.ID != 0 {
			field = "data.id"
		}
		return nil, &bus.FieldError{Field: field, Problem: err.Error()}
	}
	if err != nil {
		return nil, fmt.Errorf("not cancelled: %w", err)
	}
	outs := d.dispatch(ctx, c.Device, acts, j, d.opt.Retries)
	d.markDirty(dt.Room)
	ids := make([]int64, len(ws))
	for i, w := range ws {
		ids[i] = w.ID
	}
	res := map[string]any{"room": dt.Room, "cancelled": ids, "pbx": "sent"}
	for _, o := range outs {
		if o.ok() {
			continue
		}
		res["pbx"] = o.pbxStatus()
		if errors.Is(o.Err, hotel.ErrLinkDown) {
			return res, fmt.Errorf("%s: cancelled in the schedule; the PBX forgets it at the next link start (resync)", o.reason())
		}
		if !o.operatorTask() {
			return res, errors.New(o.reason())
		}
		res["operator_task"] = o.Ack.Reason
	}
	return res, nil
}
