package hoteldesk

// The one path into and out of a stay. Whoever records it (the back
// office's folio commands, the hotel link's guest commands, the PBX itself
// in its SMDR stream or over FIAS), a check-in and a check-out do the same:
//
//	check-in:  open the stay; a new guest starts with the lamp off, no DND
//	           and the class of service asked for; hotel.edge.folio.checked-in;
//	           the room's retained state; the check-in to every hotel link
//	           that did not report it.
//	check-out: close the stay; cancel the room's wake-ups, at the PBX first
//	           (a PBX may refuse to clear one for a vacant room); reset DND,
//	           lamp and class of service; hotel.edge.folio.checked-out; the
//	           room's retained state; the check-out to every hotel link that
//	           did not report it.
//
// A check-in or check-out the PBX reports for a room already in that state
// is the PBX confirming what the front office did: nothing changes.

import (
	"context"
	"errors"
	"fmt"
	"time"

	"switchboard/internal/bus"
	"switchboard/internal/desk"
	"switchboard/internal/events"
	"switchboard/internal/events/hotel"
	"switchboard/internal/folio/stays"
	"switchboard/internal/store"
	"switchboard/internal/wakeup"
)

// arrival is a guest arriving in a room, however it was recorded.
type arrival struct {
	stay stays.Stay // Room, Reservation, Guest, Language, VIP, CheckIn
	cos  string
	// source is the device that reported it (the PBX did it already);
	// "" for a command.
	source string
}

// departure is a guest leaving a room.
type departure struct {
	room   string
	at     time.Time
	source string
}

// stayChange is what a check-in or check-out recorded.
type stayChange struct {
	stay    *stays.Stay
	seq     int64           // the stay's event
	wakeups []wakeup.Wakeup // cancelled with the check-out
	cancels []wakeup.Action // their cancels for the PBX
}

// checkIn opens a stay in tx.
func (d *Desk) checkIn(tx *store.Tx, a arrival) (stayChange, error) {
	now := d.host.Now()
	s, err := stays.CheckIn(tx, a.stay)
	if err != nil {
		return stayChange{}, err
	}
	// A new guest starts with the lamp off and no DND.
	if err := putRoom(tx, s.Room, roomRecord{COS: a.cos, COSAt: now}); err != nil {
		return stayChange{}, err
	}
	seq, err := d.stayEvent(tx, "hotel.edge.folio.checked-in", s)
	if err != nil {
		return stayChange{}, err
	}
	tx.AfterCommit(func() { d.markDirty(s.Room) })
	d.host.Log().Info("guest checked in", "room", s.Room, "stay", s.ID, "source", sourceName(a.source))
	return stayChange{stay: s, seq: seq}, nil
}

// checkOut closes the room's stay in tx and cancels its wake-ups. The
// cancels are for the PBX (sent by the caller once tx committed), unless
// the PBX did the check-out itself: it has forgotten the room's wake-ups.
func (d *Desk) checkOut(tx *store.Tx, dep departure) (stayChange, error) {
	now := d.host.Now()
	s, err := stays.CheckOut(tx, dep.room, dep.at)
	if err != nil {
		return stayChange{}, err
	}
	ch := stayChange{stay: s}
	if ch.wakeups, ch.cancels, err = d.sched.CancelForCheckout(tx, hotel.Room(dep.room), now); err != nil {
		return stayChange{}, err
	}
	if dep.source != "" && !d.wakeupsElsewhere(dep.source) {
		for _, a := range ch.cancels {
			if c, ok := a.(wakeup.CancelAtPBX); ok {
				if _, err := d.sched.Acked(tx, hotel.CommandAck{Ref: c.Ref, OK: true}, now); err != nil && !errors.Is(err, wakeup.ErrNotFound) {
					return stayChange{}, err
				}
			}
		}
		ch.cancels = nil
	}
	if err := putRoom(tx, dep.room, roomRecord{}); err != nil {
		return stayChange{}, err
	}
	if ch.seq, err = d.stayEvent(tx, "hotel.edge.folio.checked-out", s); err != nil {
		return stayChange{}, err
	}
	tx.AfterCommit(func() { d.markDirty(dep.room) })
	d.host.Log().Info("guest checked out", "room", dep.room, "stay", s.ID, "wakeups_cancelled", len(ch.wakeups), "source", sourceName(dep.source))
	return ch, nil
}

// wakeupsElsewhere reports whether the room's wake-ups are held by a PBX
// other than the one that reported a check-out (a link that takes
// commands): that one still has to be told to cancel them.
func (d *Desk) wakeupsElsewhere(source string) bool {
	if d.primary == "" || d.primary == source {
		return false
	}
	l := d.link(d.primary)
	return l != nil && l.drv.Capabilities().Commands
}

func sourceName(s string) string {
	if s == "" {
		return "command"
	}
	return s
}

// stayEvent enqueues hotel.edge.folio.checked-in or -out.
func (d *Desk) stayEvent(tx *store.Tx, typ string, s *stays.Stay) (int64, error) {
	loc := d.host.Location()
	ev := events.StayEvent{Room: s.Room, Reservation: s.Reservation, StayID: s.ID, Language: s.Language, VIP: s.VIP, CheckedIn: s.CheckIn.In(loc)}
	if s.CheckOut != nil {
		co := s.CheckOut.In(loc)
		ev.CheckedOut = &co
	}
	seq, _, err := d.host.Enqueue(tx, desk.Event{Domain: "edge", Type: typ, Subject: "room/" + s.Room,
		IdemKey: fmt.Sprintf("stay/%d/%s", s.ID, typ), Data: ev})
	return seq, err
}

// tellees are the hotel links a stay's change goes to: every one but the
// one that reported it. A change the PBX made itself is not sent to a PBX
// without a command link (a person at its console would be asked to do it
// again).
func (d *Desk) tellees(source string) []string {
	var out []string
	for _, dev := range d.devices() {
		if dev == source || (source != "" && !d.link(dev).drv.Capabilities().Commands) {
			continue
		}
		out = append(out, dev)
	}
	return out
}

// journalStay journals a stay's change for the links tell sends it to, in
// the transaction that records it.
func (d *Desk) journalStay(tx *store.Tx, j journaled, cmd func(device string) hotel.Command, source string) error {
	for _, dev := range d.tellees(source) {
		if err := d.journal(tx, j, dev, cmd(dev)); err != nil {
			return err
		}
	}
	return nil
}

// tell sends a stay's change to its tellees (those in j as journaled).
func (d *Desk) tell(ctx context.Context, cmd func(device string) hotel.Command, source string, j journaled) map[string]sendOutcome {
	out := map[string]sendOutcome{}
	for _, dev := range d.tellees(source) {
		out[dev] = d.send(ctx, dev, cmd(dev), j, d.opt.Retries)
	}
	return out
}

// replyLinks puts the outcome at the link a command addressed (target) in
// res, as finish does, and the other links' in res["links"]; a link that
// answered with an operator task gets its hotel.pbx.operator.task.
func (d *Desk) replyLinks(ctx context.Context, c *bus.Command, target string, cmd func(string) hotel.Command, outs map[string]sendOutcome,
	res map[string]any, kept string) (any, error) {
	others := map[string]string{}
	for dev, o := range outs {
		if dev == target {
			continue
		}
		others[dev] = o.pbxStatus()
		if o.operatorTask() {
			if err := d.host.InTx(ctx, func(tx *store.Tx) error { return d.operatorTaskEvent(tx, dev, cmd(dev), c.ID+"/"+dev, o) }); err != nil {
				d.host.Log().Error("operator task not recorded", "device", dev, "err", err)
			}
		} else if !o.ok() {
			d.host.Log().Warn("stay change not taken by a hotel link now; it gets it at its next resync", "device", dev, "reason", o.reason())
		}
	}
	if len(others) > 0 {
		res["links"] = others
	}
	o, ok := outs[target]
	if !ok {
		return res, nil // no hotel link, or the target reported it
	}
	return d.finish(ctx, c, cmd(target), o, res, kept)
}

func stayError(err error) error {
	if errors.Is(err, stays.ErrOccupied) || errors.Is(err, stays.ErrVacant) {
		return &bus.FieldError{Field: "data.room", Problem: err.Error()}
	}
	return fmt.Errorf("not recorded: %w", err)
}

// admit checks a guest in on a command (guest.checkin, folio.checkin) and
// tells the hotel links; target is the link the command addressed ("" for
// the folio command: the first hotel link answers for the PBX).
func (d *Desk) admit(ctx context.Context, c *bus.Command, target string, a arrival) (any, error) {
	var ch stayChange
	cmd := func(string) hotel.Command {
		s := ch.stay
		return hotel.CheckIn{Ref: c.ID, Room: hotel.Room(s.Room), Reservation: s.Reservation, Guest: s.Guest, Language: s.Language,
			VIP: s.VIP, COS: hotel.COS(a.cos)}
	}
	var j journaled
	err := d.host.InTx(ctx, func(tx *store.Tx) (err error) {
		j = journaled{}
		if ch, err = d.checkIn(tx, a); err != nil {
			return err
		}
		return d.journalStay(tx, j, cmd, "")
	})
	if err != nil {
		return nil, err
	}
	s := ch.stay
	outs := d.tell(ctx, cmd, "", j)
	if target == "" {
		target = d.primary
	}
	return d.replyLinks(ctx, c, target, cmd, outs, map[string]any{"room": s.Room, "stay_id": s.ID, "event_seq": ch.seq},
		"the stay is open; the PBX gets the check-in when the link is back (resync)")
}

// depart checks a guest out on a command: the wake-ups are cancelled at
// the PBX first, then every hotel link gets the check-out.
func (d *Desk) depart(ctx context.Context, c *bus.Command, target string, dep departure) (any, error) {
	var ch stayChange
	cmd := func(string) hotel.Command {
		return hotel.CheckOut{Ref: c.ID, Room: hotel.Room(ch.stay.Room), Reservation: ch.stay.Reservation}
	}
	var j journaled
	err := d.host.InTx(ctx, func(tx *store.Tx) (err error) {
		j = journaled{}
		if ch, err = d.checkOut(tx, dep); err != nil {
			return err
		}
		if err := d.journalActs(tx, j, d.primary, ch.cancels); err != nil {
			return err
		}
		return d.journalStay(tx, j, cmd, "")
	})
	if err != nil {
		return nil, err
	}
	s := ch.stay
	wouts := d.dispatch(ctx, d.primary, ch.cancels, j, d.opt.Retries)
	outs := d.tell(ctx, cmd, "", j)
	if target == "" {
		target = d.primary
	}
	res := map[string]any{"room": s.Room, "stay_id": s.ID, "event_seq": ch.seq, "cancelled_wakeups": len(ch.wakeups)}
	for _, wo := range wouts {
		if !wo.ok() && (outs[target] == sendOutcome{} || outs[target].ok()) {
			res["wakeups_pbx"] = wo.reason()
		}
	}
	return d.replyLinks(ctx, c, target, cmd, outs, res,
		"the stay is closed and its wake-ups cancelled; the PBX gets the check-out when the link is back (resync)")
}

// reported applies a check-in or check-out the PBX made itself (in its
// SMDR stream, or over its hotel link), in the transaction of its frame.
// The links that did not report it are told once it committed.
func (d *Desk) reported(tx *store.Tx, r desk.Record, in bool, room string, at time.Time, st stays.Stay) (desk.Outcome, error) {
	cur, err := stays.Open(tx, room)
	if err != nil {
		return desk.Outcome{}, err
	}
	ref := fmt.Sprintf("%s/journal/%d", r.Device.ID, r.FrameID)
	if in {
		if cur != nil {
			return desk.Noted(fmt.Sprintf("room %s is already occupied (stay %d): the PBX confirms it", room, cur.ID)), nil
		}
		st.Room, st.CheckIn = room, at
		ch, err := d.checkIn(tx, arrival{stay: st, source: r.Device.ID})
		if err != nil {
			return desk.Outcome{}, err
		}
		s := ch.stay
		d.later(tx, func(ctx context.Context) {
			d.tell(ctx, func(string) hotel.Command {
				return hotel.CheckIn{Ref: ref, Room: hotel.Room(s.Room), Reservation: s.Reservation, Guest: s.Guest, Language: s.Language, VIP: s.VIP}
			}, r.Device.ID, nil)
		})
		return desk.Parsed, nil
	}
	if cur == nil {
		return desk.Noted(fmt.Sprintf("room %s is already vacant: the PBX confirms it", room)), nil
	}
	if at.Before(cur.CheckIn) {
		at = d.host.Now()
	}
	ch, err := d.checkOut(tx, departure{room: room, at: at, source: r.Device.ID})
	if err != nil {
		return desk.Outcome{}, err
	}
	s := ch.stay
	d.later(tx, func(ctx context.Context) {
		d.dispatch(ctx, d.primary, ch.cancels, nil, d.opt.Retries)
		d.tell(ctx, func(string) hotel.Command {
			return hotel.CheckOut{Ref: ref, Room: hotel.Room(s.Room), Reservation: s.Reservation}
		}, r.Device.ID, nil)
	})
	return desk.Parsed, nil
}
