package hoteldesk

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"switchboard/internal/bus"
	"switchboard/internal/desk"
	"switchboard/internal/events"
	"switchboard/internal/events/hotel"
	"switchboard/internal/folio/stays"
	"switchboard/internal/store"
	"switchboard/internal/wakeup"
)

// linkCmd handles one command of a hotel link (pbx/{device}/cmd/{name}).
type linkCmd struct {
	d    *Desk
	name string
}

func (h linkCmd) Validate(c *bus.Command) error {
	if err := h.d.checkDevice(c.Device, h.name); err != nil {
		return err
	}
	req, err := h.parse(c, h.d.host.Now())
	if err == nil {
		// The router executes the command it validated, right after the
		// accepted reply: keep what was read for it.
		h.d.parsed.Store(c, req)
	}
	return err
}

func (h linkCmd) Execute(ctx context.Context, c *bus.Command) (any, error) {
	d := h.d
	req, ok := d.parsed.LoadAndDelete(c)
	if !ok {
		var err error
		if req, err = h.parse(c, d.host.Now()); err != nil {
			return nil, err
		}
	}
	switch dt := req.(type) {
	case wakeup.Request:
		return d.wakeupSet(ctx, c, dt)
	case hotel.WakeupCancelData:
		return d.wakeupCancel(ctx, c, dt)
	case hotel.SwitchData:
		return d.roomSwitch(ctx, c, h.name, dt)
	case hotel.COSData:
		return d.setCOS(ctx, c, dt)
	case hotel.GuestCheckInData:
		res, err := d.admit(ctx, c, c.Device, arrival{stay: stays.Stay{Room: dt.Room, Reservation: dt.Reservation, Guest: dt.Name,
			Language: dt.Language, VIP: dt.VIP, CheckIn: d.host.Now()}, cos: dt.COS})
		if res == nil && err != nil {
			return nil, stayError(err)
		}
		return res, err
	case hotel.GuestCheckOutData:
		res, err := d.depart(ctx, c, c.Device, departure{room: dt.Room, at: d.host.Now()})
		if res == nil && err != nil {
			return nil, stayError(err)
		}
		return res, err
	case hotel.GuestMoveData:
		return d.move(ctx, c, dt)
	}
	return nil, fmt.Errorf("command %s not handled", h.name)
}

func (d *Desk) checkDevice(device, command string) error {
	if d.link(device) == nil {
		return &bus.FieldError{Field: "topic", Problem: fmt.Sprintf("device %s is not a hotel link (hotel links: %s)", device, strings.Join(d.devices(), ", "))}
	}
	if strings.HasPrefix(command, "wakeup.") && device != d.primary {
		return &bus.FieldError{Field: "topic", Problem: fmt.Sprintf("wake-ups go through hotel link %s, not %s", d.primary, device)}
	}
	return nil
}

// parse decodes and checks a command's data; now decides "in the past".
func (h linkCmd) parse(c *bus.Command, now time.Time) (any, error) {
	d := h.d
	switch h.name {
	case "wakeup.set":
		var dt hotel.WakeupSetData
		if err := bus.DecodeData(c, &dt); err != nil {
			return nil, err
		}
		return d.wakeupRequest(dt, now)
	case "wakeup.cancel":
		var dt hotel.WakeupCancelData
		if err := bus.DecodeData(c, &dt); err != nil {
			return nil, err
		}
		if dt.ID < 0 {
			return nil, &bus.FieldError{Field: "data.id", Problem: "not a wake-up id"}
		}
		return dt, d.room("data.room", dt.Room)
	case "dnd.set", "mwl.set":
		var dt hotel.SwitchData
		if err := bus.DecodeData(c, &dt); err != nil {
			return nil, err
		}
		if dt.On == nil {
			return nil, &bus.FieldError{Field: "data.on", Problem: "required: true or false"}
		}
		return dt, d.room("data.room", dt.Room)
	case "cos.set":
		var dt hotel.COSData
		if err := bus.DecodeData(c, &dt); err != nil {
			return nil, err
		}
		if err := d.room("data.room", dt.Room); err != nil {
			return nil, err
		}
		return dt, d.checkCOS(c.Device, "data.cos", dt.COS)
	case "guest.checkin":
		var dt hotel.GuestCheckInData
		if err := bus.DecodeData(c, &dt); err != nil {
			return nil, err
		}
		if err := d.room("data.room", dt.Room); err != nil {
			return nil, err
		}
		for f, v := range map[string]string{"data.name": dt.Name, "data.reservation": dt.Reservation, "data.language": dt.Language} {
			if err := noControl(f, v); err != nil {
				return nil, err
			}
		}
		if dt.COS != "" {
			if err := d.checkCOS(c.Device, "data.cos", dt.COS); err != nil {
				return nil, err
			}
		}
		return dt, d.mustBe("data.room", dt.Room, false)
	case "guest.checkout":
		var dt hotel.GuestCheckOutData
		if err := bus.DecodeData(c, &dt); err != nil {
			return nil, err
		}
		if err := d.room("data.room", dt.Room); err != nil {
			return nil, err
		}
		return dt, d.mustBe("data.room", dt.Room, true)
	case "guest.move":
		var dt hotel.GuestMoveData
		if err := bus.DecodeData(c, &dt); err != nil {
			return nil, err
		}
		return dt, d.checkMove(dt)
	}
	return nil, fmt.Errorf("unknown command %s", h.name)
}

// folioCmd handles edge/{gateway}/cmd/folio.checkin and folio.checkout:
// the back office records a stay (its PMS checked the guest in or out).
// They take the same path as the hotel link's guest commands.
type folioCmd struct {
	d   *Desk
	out bool // checkout
}

func (h folioCmd) when(c *bus.Command, at *time.Time) (time.Time, error) {
	if at == nil {
		return c.Received, nil
	}
	if at.After(c.Received.Add(5 * time.Minute)) {
		return time.Time{}, &bus.FieldError{Field: "data.at", Problem: "in the future"}
	}
	return *at, nil
}

func (h folioCmd) Validate(c *bus.Command) error {
	if h.out {
		var dt events.CheckOutData
		if err := bus.DecodeData(c, &dt); err != nil {
			return err
		}
		if _, err := h.when(c, dt.At); err != nil {
			return err
		}
		return h.d.room("data.room", dt.Room)
	}
	var dt events.CheckInData
	if err := bus.DecodeData(c, &dt); err != nil {
		return err
	}
	if _, err := h.when(c, dt.At); err != nil {
		return err
	}
	// The same rule as guest.checkin's: the stay's fields go to the PBX's
	// hotel link (a FIAS record is '|'-separated), whichever path set them.
	for _, f := range []struct{ name, v string }{{"data.name", dt.Name}, {"data.reservation", dt.Reservation}, {"data.language", dt.Language}} {
		if err := noControl(f.name, f.v); err != nil {
			return err
		}
	}
	return h.d.room("data.room", dt.Room)
}

func (h folioCmd) Execute(ctx context.Context, c *bus.Command) (any, error) {
	d := h.d
	var res any
	var err error
	if h.out {
		var dt events.CheckOutData
		if err := bus.DecodeData(c, &dt); err != nil {
			return nil, err
		}
		at, _ := h.when(c, dt.At)
		res, err = d.depart(ctx, c, "", departure{room: dt.Room, at: at})
	} else {
		var dt events.CheckInData
		if err := bus.DecodeData(c, &dt); err != nil {
			return nil, err
		}
		at, _ := h.when(c, dt.At)
		res, err = d.admit(ctx, c, "", arrival{stay: stays.Stay{Room: dt.Room, Reservation: dt.Reservation, Guest: dt.Name,
			Language: dt.Language, VIP: dt.VIP, CheckIn: at}})
	}
	switch {
	case res != nil:
		// Recorded; what the PBX made of it is in the result. A link that
		// is down gets the stay at its next resync.
		if err != nil {
			if m, ok := res.(map[string]any); ok {
				m["note"] = err.Error()
			}
		}
		return res, nil
	case errors.Is(err, stays.ErrOccupied) || errors.Is(err, stays.ErrVacant):
		return nil, err
	}
	return nil, fmt.Errorf("not recorded: %w", err)
}

// moveStay moves a guest's stay from one room to another in tx: the old
// stay closes, a new one opens with the same guest, the wake-ups and the
// room's DND, lamp and class of service follow.
func (d *Desk) moveStay(tx *store.Tx, device, from, to string) (old, nw *stays.Stay, ws []wakeup.Wakeup, acts []wakeup.Action, err error) {
	now := d.host.Now()
	if old, err = stays.CheckOut(tx, from, now); err != nil {
		return
	}
	if nw, err = stays.CheckIn(tx, stays.Stay{Room: to, Reservation: old.Reservation, Guest: old.Guest, Language: old.Language, VIP: old.VIP, CheckIn: now}); err != nil {
		return
	}
	if ws, acts, err = d.sched.Move(tx, hotel.Room(from), hotel.Room(to), now); err != nil {
		return
	}
	rr, err := getRoom(tx, from)
	if err != nil {
		return
	}
	if err = putRoom(tx, to, rr); err != nil {
		return
	}
	if err = putRoom(tx, from, roomRecord{}); err != nil {
		return
	}
	moved := hotel.GuestMoved{Device: device, From: from, To: to, Reservation: old.Reservation, StayID: old.ID, NewStayID: nw.ID, At: now.In(d.host.Location()), Wakeups: len(ws)}
	ev := d.event(device, "hotel.pbx.guest.moved", "room/"+to, fmt.Sprintf("stay/%d/moved", old.ID), moved)
	if device == "" {
		// The back office's folio.move: the gateway's own event, as its
		// check-in and check-out are (hotel.edge.folio.*).
		ev = desk.Event{Domain: "edge", Type: "hotel.edge.folio.moved", Subject: "room/" + to, IdemKey: fmt.Sprintf("stay/%d/moved", old.ID), Time: now, Data: moved}
	}
	_, _, err = d.host.Enqueue(tx, ev)
	tx.AfterCommit(func() { d.markDirty(from, to) })
	return
}

func (d *Desk) move(ctx context.Context, c *bus.Command, dt hotel.GuestMoveData) (any, error) {
	var old, nw *stays.Stay
	var ws []wakeup.Wakeup
	var acts []wakeup.Action
	var cmd hotel.RoomMove
	var j journaled
	err := d.host.InTx(ctx, func(tx *store.Tx) (err error) {
		j = journaled{}
		if old, nw, ws, acts, err = d.moveStay(tx, c.Device, dt.From, dt.To); err != nil {
			return err
		}
		cmd = hotel.RoomMove{Ref: c.ID, From: hotel.Room(dt.From), To: hotel.Room(dt.To), Reservation: old.Reservation, Guest: old.Guest, Language: old.Language}
		if err := d.journal(tx, j, c.Device, cmd); err != nil {
			return err
		}
		return d.journalActs(tx, j, d.primary, acts)
	})
	if err != nil {
		var fe *bus.FieldError
		if err = stayError(err); errors.As(err, &fe) {
			fe.Field = "data.to"
		}
		return nil, err
	}
	o := d.send(ctx, c.Device, cmd, j, d.opt.Retries)
	wouts := d.dispatch(ctx, d.primary, acts, j, d.opt.Retries)
	d.markDirty(dt.From, dt.To)
	res := map[string]any{"from": dt.From, "to": dt.To, "stay_id": nw.ID, "wakeups": len(ws)}
	for _, wo := range wouts {
		if !wo.ok() && o.ok() {
			res["wakeups_pbx"] = wo.reason()
		}
	}
	return d.finish(ctx, c, cmd, o, res, "the stay and its wake-ups moved; the PBX gets the move when the link is back (resync)")
}

// reportedMove applies a room move the PBX made itself (FIAS GC with an
// old room from its side).
func (d *Desk) reportedMove(tx *store.Tx, r desk.Record, from, to string) (desk.Outcome, error) {
	cur, err := stays.Open(tx, from)
	if err != nil {
		return desk.Outcome{}, err
	}
	if cur == nil {
		return desk.Noted(fmt.Sprintf("room %s is vacant: nothing to move to %s", from, to)), nil
	}
	if occ, err := stays.Open(tx, to); err != nil {
		return desk.Outcome{}, err
	} else if occ != nil {
		return desk.Refused(fmt.Sprintf("room %s is occupied (stay %d): the move from %s is not applied; check both rooms", to, occ.ID, from)), nil
	}
	_, _, _, acts, err := d.moveStay(tx, r.Device.ID, from, to)
	if err != nil {
		return desk.Outcome{}, err
	}
	if r.Device.ID != d.primary {
		d.later(tx, func(ctx context.Context) { d.dispatch(ctx, d.primary, acts, nil, d.opt.Retries) })
	} else {
		for _, a := range acts {
			var ref string
			switch a := a.(type) {
			case wakeup.SendToPBX:
				ref = a.Ref
			case wakeup.CancelAtPBX:
				ref = a.Ref
			default:
				continue
			}
			// The PBX moved the wake-ups with the guest itself.
			if _, err := d.sched.Acked(tx, hotel.CommandAck{Ref: ref, OK: true}, d.host.Now()); err != nil && !errors.Is(err, wakeup.ErrNotFound) {
				return desk.Outcome{}, err
			}
		}
	}
	return desk.Parsed, nil
}
