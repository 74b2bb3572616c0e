package hoteldesk

import (
	"context"
	"errors"

	"switchboard/internal/bus"
	"switchboard/internal/events/hotel"
	"switchboard/internal/folio/stays"
	"switchboard/internal/store"
	"switchboard/internal/wakeup"
)

// checkMove is what a move must be, by the link's guest.move or the back
// office's folio.move: two different guest rooms, the first occupied, the
// second vacant.
func (d *Desk) checkMove(dt hotel.GuestMoveData) error {
	if err := d.room("data.from", dt.From); err != nil {
		return err
	}
	if err := d.room("data.to", dt.To); err != nil {
		return err
	}
	if dt.From == dt.To {
		return &bus.FieldError{Field: "data.to", Problem: "the same room as data.from"}
	}
	if err := d.mustBe("data.from", dt.From, true); err != nil {
		return err
	}
	return d.mustBe("data.to", dt.To, false)
}

// folioMove handles edge/{gateway}/cmd/folio.move: the back office (or the
// console of a site without a hotel link) moves a guest to another room
// (換房). The stay path of the link's guest.move (moveStay: the stay, its
// wake-ups, the room's DND, lamp and class of service follow the guest);
// every hotel link is told, as for folio.checkin.
type folioMove struct{ d *Desk }

func (h folioMove) Validate(c *bus.Command) error {
	var dt hotel.GuestMoveData
	if err := bus.DecodeData(c, &dt); err != nil {
		return err
	}
	return h.d.checkMove(dt)
}

func (h folioMove) Execute(ctx context.Context, c *bus.Command) (any, error) {
	d := h.d
	var dt hotel.GuestMoveData
	if err := bus.DecodeData(c, &dt); err != nil {
		return nil, err
	}
	var old, nw *stays.Stay
	var ws []wakeup.Wakeup
	var acts []wakeup.Action
	cmd := func(string) hotel.Command {
		return hotel.RoomMove{Ref: c.ID, From: hotel.Room(dt.From), To: hotel.Room(dt.To), Reservation: old.Reservation, Guest: old.Guest, Language: old.Language}
	}
	var j journaled
	err := d.host.InTx(ctx, func(tx *store.Tx) (err error) {
		j = journaled{}
		if old, nw, ws, acts, err = d.moveStay(tx, "", dt.From, dt.To); err != nil {
			return err
		}
		if err := d.journalActs(tx, j, d.primary, acts); err != nil {
			return err
		}
		return d.journalStay(tx, j, cmd, "")
	})
	if err != nil {
		var fe *bus.FieldError
		if err = stayError(err); errors.As(err, &fe) {
			fe.Field = "data.to"
		}
		return nil, err
	}
	wouts := d.dispatch(ctx, d.primary, acts, j, d.opt.Retries)
	outs := d.tell(ctx, cmd, "", j)
	res := map[string]any{"from": dt.From, "to": dt.To, "stay_id": nw.ID, "wakeups": len(ws)}
	for _, wo := range wouts {
		if !wo.ok() && (outs[d.primary] == sendOutcome{} || outs[d.primary].ok()) {
			res["wakeups_pbx"] = wo.reason()
		}
	}
	return d.replyLinks(ctx, c, d.primary, cmd, outs, res,
		"the stay and its wake-ups moved; the PBX gets the move when the link is back (resync)")
}
