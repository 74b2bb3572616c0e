package hoteldesk

// What the PBX reports, applied inside the delivery transaction of its
// frame (journal first). Domain refusals (a result for a room without a
// wake-up, a time that has passed) are outcomes kept with the frame; only
// store failures are errors. Work for the PBX that comes of a record (a
// wake-up retry) is done by the worker once the transaction committed: the
// driver delivers from its own session, which must not wait for itself.

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"switchboard/internal/desk"
	"switchboard/internal/events"
	"switchboard/internal/events/hotel"
	"switchboard/internal/folio"
	"switchboard/internal/folio/stays"
	"switchboard/internal/store"
	"switchboard/internal/wakeup"
)

// Takes the hotel model's records, and the check-ins and check-outs a PBX
// prints in its SMDR stream.
func (d *Desk) Takes(r desk.Record) bool {
	switch v := r.Value.(type) {
	case hotel.WakeupResult, hotel.RoomStatus, hotel.Posting, hotel.DND, hotel.MWL, hotel.WakeupSet, hotel.WakeupCancel,
		hotel.LinkEvent, hotel.CheckIn, hotel.CheckOut, hotel.RoomMove:
		return true
	case events.CallRecord:
		return v.Kind == events.KindCheckIn || v.Kind == events.KindCheckOut
	}
	return false
}

// HandleRecord applies one record.
func (d *Desk) HandleRecord(tx *store.Tx, r desk.Record) (desk.Outcome, error) {
	now := d.host.Now()
	switch rec := r.Value.(type) {
	case hotel.WakeupResult:
		return d.onWakeupResult(tx, r, rec)
	case hotel.RoomStatus:
		ev := hotel.MaidStatus{Device: r.Device.ID, Room: string(rec.Room), Code: rec.Code, Label: rec.Label, At: now.In(d.host.Location()), JournalID: r.FrameID}
		_, _, err := d.host.Enqueue(tx, d.event(r.Device.ID, "hotel.pbx.room.status", "room/"+string(rec.Room), fmt.Sprintf("%s/journal/%d", r.Device.ID, r.FrameID), ev))
		return desk.Parsed, err
	case hotel.Posting:
		return d.opt.Calls.PostCall(tx, r, d.postingCall(r, rec))
	case hotel.DND:
		tx.AfterCommit(func() { d.markDirty(string(rec.Room)) })
		return desk.Noted(roomPhoneNote("DND", rec.On)),
			updateRoom(tx, string(rec.Room), func(rr *roomRecord) { rr.DND, rr.DNDAt, rr.DNDBy = rec.On, now, "room-phone" })
	case hotel.MWL:
		tx.AfterCommit(func() { d.markDirty(string(rec.Room)) })
		return desk.Noted(roomPhoneNote("message lamp", rec.On)),
			updateRoom(tx, string(rec.Room), func(rr *roomRecord) { rr.MWL, rr.MWLAt, rr.MWLBy = rec.On, now, "room-phone" })
	case hotel.WakeupSet:
		return d.onPhoneWakeup(tx, r, rec)
	case hotel.WakeupCancel:
		return d.onPhoneCancel(tx, rec)
	case hotel.LinkEvent:
		d.onLinkEvent(tx, r.Device.ID, rec)
		return desk.Skipped, nil
	case hotel.CheckIn:
		return d.reported(tx, r, true, string(rec.Room), now,
			stays.Stay{Reservation: rec.Reservation, Guest: rec.Guest, Language: rec.Language, VIP: rec.VIP})
	case hotel.CheckOut:
		return d.reported(tx, r, false, string(rec.Room), now, stays.Stay{})
	case hotel.RoomMove:
		return d.reportedMove(tx, r, string(rec.From), string(rec.To))
	case events.CallRecord:
		return d.smdrStay(tx, r, rec)
	}
	return desk.Refused(fmt.Sprintf("no hotel desk handler for %T", r.Value)), nil
}

// roomPhoneNote is the journal's note for a room state set on the room
// phone: it is published as the room's retained state, not as an event.
func roomPhoneNote(what string, on bool) string {
	state := "off"
	if on {
		state = "on"
	}
	return what + " " + state + " from the room phone: kept in the room's retained state"
}

// onLinkEvent: a link start wakes the commands waiting for it and has the
// worker re-send what the PBX has not confirmed.
func (d *Desk) onLinkEvent(tx *store.Tx, device string, e hotel.LinkEvent) {
	l := d.link(device)
	if l == nil {
		return
	}
	switch e.Kind {
	case hotel.LinkUp:
		l.up()
		tx.AfterCommit(func() {
			d.mu.Lock()
			d.ups = append(d.ups, device)
			d.mu.Unlock()
			d.poke()
		})
	case hotel.LinkDown:
		l.down(d.host.Now())
	}
}

// smdrStay is a check-in or check-out printed in the SMDR stream
// (Panasonic KX-TDA/NS "Check in"/"Check out"): published as the PBX's
// hotel event, and applied to the stay like any other.
func (d *Desk) smdrStay(tx *store.Tx, r desk.Record, rec events.CallRecord) (desk.Outcome, error) {
	_, dup, err := d.host.Enqueue(tx, folio.HotelEvent(r, rec, events.HotelEventTypes[rec.Kind]))
	if err != nil || dup {
		return desk.Duplicate, err
	}
	room, class, ok := d.opt.Billing().Dir.Lookup(rec.Extension)
	switch {
	case !ok && len(d.opt.Billing().Dir.Ranges()) == 0:
		room = rec.Extension // no room map: extensions are rooms
	case !ok || class != folio.Guest:
		return desk.Noted(fmt.Sprintf("extension %s is not a guest room of the config: no stay changed", rec.Extension)), nil
	}
	at := rec.Start
	if at.IsZero() {
		at = rec.End
	}
	if at.IsZero() {
		at = d.host.Now()
	}
	return d.reported(tx, r, rec.Kind == events.KindCheckIn, room, at, stays.Stay{})
}

func (d *Desk) onWakeupResult(tx *store.Tx, r desk.Record, rec hotel.WakeupResult) (desk.Outcome, error) {
	tr, acts, err := d.sched.Result(tx, rec, d.host.Now())
	if errors.Is(err, wakeup.ErrRequest) {
		return desk.Refused(err.Error()), nil
	}
	if err != nil {
		return desk.Outcome{}, err
	}
	if err := d.publishInTx(tx, r.Device.ID, acts); err != nil {
		return desk.Outcome{}, err
	}
	tx.AfterCommit(func() {
		d.queueSends(r.Device.ID, acts)
		d.markDirty(string(rec.Room))
	})
	out := desk.Noted(tr.Note)
	if tr.Duplicate {
		out.Status = store.FrameDuplicate
	}
	return out, nil
}

// postingCall turns a PBX-costed call (FIAS PS) into the CallRecord the
// call path rates and posts. The posting's time is taken as the call's
// start; TA is the PBX's cost in minor units of the tariff's currency.
func (d *Desk) postingCall(r desk.Record, p hotel.Posting) events.CallRecord {
	answered := true
	at := p.At.In(d.host.Location())
	return events.CallRecord{
		Profile: r.Device.Profile, Kind: events.KindCall, Direction: events.Outgoing,
		Start: at, End: at.Add(p.Duration), DurationS: int(p.Duration / time.Second), Answered: &answered,
		Extension: string(p.Room), Dialed: p.Dialed, CallID: p.Number, PBXClass: p.CallType,
		PBXCost: minorToDecimal(p.Amount, currencyDigits(d.opt.Billing().Engine.Tariff.Currency())), Raw: p.Raw,
	}
}

// currencyDigits is the number of minor-unit digits of a currency (ISO 4217).
func currencyDigits(cur string) int {
	switch cur {
	case "JPY", "KRW", "VND":
		return 0
	}
	return 2
}

// minorToDecimal writes an amount in minor units as a decimal string.
func minorToDecimal(n int64, digits int) string {
	neg := n < 0
	if neg {
		n = -n
	}
	s := strconv.FormatInt(n, 10)
	if digits > 0 {
		for len(s) <= digits {
			s = "0" + s
		}
		s = s[:len(s)-digits] + "." + s[len(s)-digits:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// onPhoneWakeup records a wake-up the guest dialed on the room phone (the
// PBX already holds it).
func (d *Desk) onPhoneWakeup(tx *store.Tx, r desk.Record, rec hotel.WakeupSet) (desk.Outcome, error) {
	now := d.host.Now()
	at := rec.At.In(d.host.Location())
	req := wakeup.Request{Room: rec.Room, Date: wakeup.DateOf(at), Clock: wakeup.Clock{Hour: at.Hour(), Minute: at.Minute()}, By: wakeup.ByRoomPhone}
	w, acts, err := d.sched.Set(tx, req, now)
	if errors.Is(err, wakeup.ErrPast) || errors.Is(err, wakeup.ErrRequest) {
		return desk.Noted("not recorded: " + err.Error()), nil
	}
	if err != nil {
		return desk.Outcome{}, err
	}
	// A wake-up of the same day it replaced is cancelled at the PBX by the
	// schedule; the PBX has already replaced it itself.
	for _, a := range acts {
		if c, ok := a.(wakeup.CancelAtPBX); ok {
			if _, err := d.sched.Acked(tx, hotel.CommandAck{Ref: c.Ref, OK: true}, now); err != nil {
				return desk.Outcome{}, err
			}
		}
	}
	if err := d.scheduledEvent(tx, r.Device.ID, w); err != nil {
		return desk.Outcome{}, err
	}
	tx.AfterCommit(func() { d.markDirty(string(rec.Room)) })
	return desk.Parsed, nil
}

// onPhoneCancel cancels the wake-up the guest cleared on the room phone.
func (d *Desk) onPhoneCancel(tx *store.Tx, rec hotel.WakeupCancel) (desk.Outcome, error) {
	now := d.host.Now()
	loc := d.host.Location()
	at := rec.At.In(loc)
	ws, err := d.sched.ListDay(context.WithoutCancel(tx.Context()), d.host.Store(), wakeup.DateOf(at))
	if err != nil {
		return desk.Outcome{}, err
	}
	var id int64
	for _, w := range ws {
		if w.Room == rec.Room && w.Status.Active() && w.PBXAt.In(loc).Format("15:04") == at.Format("15:04") {
			id = w.ID
		}
	}
	if id == 0 {
		return desk.Noted("no such wake-up: nothing cancelled"), nil
	}
	_, acts, err := d.sched.Cancel(tx, rec.Room, id, now)
	if err != nil && !errors.Is(err, wakeup.ErrNotFound) {
		return desk.Outcome{}, err
	}
	for _, a := range acts {
		if c, ok := a.(wakeup.CancelAtPBX); ok {
			if _, err := d.sched.Acked(tx, hotel.CommandAck{Ref: c.Ref, OK: true}, now); err != nil {
				return desk.Outcome{}, err
			}
		}
	}
	tx.AfterCommit(func() { d.markDirty(string(rec.Room)) })
	return desk.Noted(fmt.Sprintf("wake-up %d cleared on the room phone: cancelled, shown in the room's retained state", id)), nil
}
