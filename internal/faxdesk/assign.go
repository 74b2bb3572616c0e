package faxdesk

// fax.assign and fax.deliver (接收傳真程序): the front desk finds the guest
// a received fax is for, the room's message lamp tells the guest, and the
// hand-over is signed for and billed.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"switchboard/internal/bus"
	"switchboard/internal/business"
	"switchboard/internal/desk"
	"switchboard/internal/events"
	"switchboard/internal/events/fax"
	faxjobs "switchboard/internal/fax/jobs"
	"switchboard/internal/folio/stays"
	"switchboard/internal/rating"
	"switchboard/internal/store"
)

// maxStays bounds the stays a fax.assign looks through.
const maxStays = 500

type assignHandler struct{ d *Desk }

func (h assignHandler) parse(c *bus.Command) (fax.AssignData, error) {
	var a fax.AssignData
	if err := bus.DecodeData(c, &a); err != nil {
		return a, err
	}
	if a.ID < 1 {
		return a, &bus.FieldError{Field: "data.id", Problem: "required: the register's fax id"}
	}
	a.Name = strings.Join(strings.Fields(a.Name), " ")
	if err := desk.Text("data.room", a.Room, 16, false); err != nil {
		return a, err
	}
	if err := desk.Text("data.name", a.Name, 100, false); err != nil {
		return a, err
	}
	if a.Room == "" && a.Name == "" {
		return a, &bus.FieldError{Field: "data.room", Problem: "a room or a name is needed to find the guest"}
	}
	return a, nil
}

func (h assignHandler) Validate(c *bus.Command) error {
	_, err := h.parse(c)
	return err
}

// sameName is true when one name is the other, or part of it, ignoring
// case and spacing ("zhang  wei" is "Zhang Wei").
func sameName(a, b string) bool {
	a, b = strings.ToLower(strings.Join(strings.Fields(a), " ")), strings.ToLower(strings.Join(strings.Fields(b), " "))
	return a != "" && (a == b || strings.Contains(a, b) || strings.Contains(b, a))
}

// findGuest matches a fax to a stay: the room's current guest (whose name
// must fit when one is given), else a guest of that name in the house,
// else the most recent guest of that room or name who has left.
func findGuest(tx *store.Tx, room, name string) (stays.Stay, error) {
	past, err := stays.Of(tx, room, maxStays)
	if err != nil {
		return stays.Stay{}, err
	}
	var open, left []stays.Stay
	for _, s := range past {
		if name != "" && !sameName(s.Guest, name) {
			continue
		}
		if s.CheckOut == nil {
			open = append(open, s)
		} else {
			left = append(left, s)
		}
	}
	switch {
	case len(open) == 1:
		return open[0], nil
	case len(open) > 1:
		var rooms []string
		for _, s := range open {
			rooms = append(rooms, s.Room)
		}
		return stays.Stay{}, &bus.FieldError{Field: "data.name", Problem: fmt.Sprintf("several guests in the house fit (rooms %s): give the room", strings.Join(rooms, ", "))}
	case len(left) > 0:
		return left[0], nil
	case room != "" && name != "":
		return stays.Stay{}, &bus.FieldError{Field: "data.name", Problem: fmt.Sprintf("no guest of that name has stayed in room %s", room)}
	case room != "":
		return stays.Stay{}, &bus.FieldError{Field: "data.room", Problem: fmt.Sprintf("room %s has no guest and had none", room)}
	}
	return stays.Stay{}, &bus.FieldError{Field: "data.name", Problem: "no guest of that name in the house or checked out"}
}

func (h assignHandler) Execute(ctx context.Context, c *bus.Command) (any, error) {
	d, host := h.d, h.d.host
	a, err := h.parse(c)
	if err != nil {
		return nil, err
	}
	now, loc := host.Now(), host.Location()
	var out fax.Assigned
	err = host.InTx(ctx, func(tx *store.Tx) error {
		s, err := findGuest(tx, a.Room, a.Name)
		if err != nil {
			return err
		}
		f, err := faxjobs.Assign(tx, a.ID, faxjobs.Assignment{Room: s.Room, Name: s.Guest, StayID: s.ID, CheckedOut: s.CheckOut}, now)
		if err != nil {
			if errors.Is(err, faxjobs.ErrNotFound) {
				return &bus.FieldError{Field: "data.id", Problem: err.Error()}
			}
			return fmt.Errorf("fax %d: %w", a.ID, err)
		}
		out = fax.Assigned{ID: f.ID, Device: f.Device, Status: f.Status, Room: f.Room, Pages: f.Pages, Received: f.Received.In(loc)}
		if s.CheckOut != nil {
			co := s.CheckOut.In(loc)
			out.CheckedOut = &co
			out.Note = "CHECK OUT " + co.Format(time.DateOnly)
		}
		_, _, err = host.Enqueue(tx, desk.Event{Domain: "fax", Device: f.Device, Type: "hotel.fax.assigned", Subject: "room/" + f.Room,
			IdemKey: fmt.Sprintf("fax/%d/assigned/%d", f.ID, now.UnixNano()), Time: now, Data: out})
		return err
	})
	if err != nil {
		return nil, err
	}
	if out.Room != "" && out.CheckedOut == nil && d.opt.Lamp != nil {
		// 接收傳真程序: the guest learns a fax is waiting: the room's
		// message lamp through the hotel link, when the hotel has one.
		d.opt.Lamp.MessageLamp(ctx, out.Room, true, "fax")
	}
	return out, nil
}

type deliverHandler struct{ d *Desk }

func (h deliverHandler) parse(c *bus.Command) (fax.DeliverData, error) {
	var dd fax.DeliverData
	if err := bus.DecodeData(c, &dd); err != nil {
		return dd, err
	}
	if dd.ID < 1 {
		return dd, &bus.FieldError{Field: "data.id", Problem: "required: the register's fax id"}
	}
	if err := desk.Text("data.delivered_by", dd.DeliveredBy, 32, true); err != nil {
		return dd, err
	}
	return dd, desk.Text("data.signed_by", dd.SignedBy, 100, true)
}

func (h deliverHandler) Validate(c *bus.Command) error {
	_, err := h.parse(c)
	return err
}

func (h deliverHandler) Execute(ctx context.Context, c *bus.Command) (any, error) {
	d, host := h.d, h.d.host
	dd, err := h.parse(c)
	if err != nil {
		return nil, err
	}
	now, loc := host.Now(), host.Location()
	tariff := d.opt.Tariff
	var out fax.Delivered
	var waiting int // other faxes still waiting for the room's guest
	err = host.InTx(ctx, func(tx *store.Tx) error {
		f, err := faxjobs.GetFaxTx(tx, dd.ID)
		if err != nil {
			return &bus.FieldError{Field: "data.id", Problem: err.Error()}
		}
		room := f.Room
		if room == "" {
			room = business.WalkIn
		}
		p := business.PriceOf(tariff, rating.BusinessItem{Service: rating.ServiceFaxReceive, Pages: int64(f.Pages)})
		idem := fmt.Sprintf("%s/fax/%d/delivered", f.Device, f.ID)
		if f, err = faxjobs.Deliver(tx, dd.ID, dd.DeliveredBy, dd.SignedBy, idem, now); err != nil {
			return &bus.FieldError{Field: "data.id", Problem: err.Error()}
		}
		if waiting, err = faxjobs.Waiting(tx, room); err != nil {
			return err
		}
		out = fax.Delivered{ID: f.ID, Device: f.Device, Room: room, Pages: f.Pages, Received: f.Received.In(loc), Delivered: now.In(loc),
			DeliveredBy: dd.DeliveredBy, Signed: dd.SignedBy != "", Charge: p.Charge(tariff.Name())}
		seq, _, err := host.Enqueue(tx, desk.Event{Domain: "fax", Device: f.Device, Type: "hotel.fax.delivered", Subject: "room/" + room,
			IdemKey: idem, Time: out.Delivered, Data: out})
		if err != nil {
			return err
		}
		return business.Record(tx, business.Entry{IdemKey: idem, Service: rating.ServiceFaxReceive, Device: f.Device, Ref: fmt.Sprintf("fax/%d", f.ID),
			Room: room, Operator: chargedBy(ctx, dd), At: now, Units: int64(f.Pages), State: "completed", Price: p, Tariff: tariff.Name(), Seq: seq})
	})
	if err != nil {
		return nil, err
	}
	if out.Room != "" && out.Room != business.WalkIn && waiting == 0 && d.opt.Lamp != nil {
		// The lamp stays on while another fax waits for the guest.
		d.opt.Lamp.MessageLamp(ctx, out.Room, false, "fax")
	}
	return out, nil
}

// chargedBy is the operator a delivery's charge is booked to: the operator
// who sent fax.deliver (the console's clerk, by code, as every other charge
// names its operator), not the free text of who carried the fax up, which
// the register keeps (delivered_by: a bellboy's name, which the shift
// journal could not match to an operator). A command of the back office
// names no operator: its delivered_by stands.
func chargedBy(ctx context.Context, dd fax.DeliverData) string {
	if a, ok := events.ActorFrom(ctx); ok && a.Role == string(bus.RoleOperator) && a.Principal != "" {
		return a.Principal
	}
	return dd.DeliveredBy
}
