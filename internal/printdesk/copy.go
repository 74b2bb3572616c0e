package printdesk

import (
	"context"
	"fmt"

	"switchboard/internal/bus"
	"switchboard/internal/business"
	"switchboard/internal/desk"
	"switchboard/internal/events"
	"switchboard/internal/events/printer"
	printjobs "switchboard/internal/print/jobs"
	"switchboard/internal/rating"
	"switchboard/internal/store"
)

// A walk-up copy session (複印程序) is metered from the device's lifetime
// counter: read at copy.start, read again at copy.stop, the difference
// less what print jobs added in between is billed as copies.

type copyStartHandler struct{ d *Desk }

func (h copyStartHandler) parse(c *bus.Command) (printer.CopyStartData, error) {
	var d printer.CopyStartData
	p, err := h.d.knownPrinter(c)
	if err != nil {
		return d, err
	}
	if err := bus.DecodeData(c, &d); err != nil {
		return d, err
	}
	if err := h.d.checkRoom(d.Room); err != nil {
		return d, err
	}
	if err := desk.Text("data.operator", d.Operator, 32, true); err != nil {
		return d, err
	}
	if d.Color, err = desk.OneOf("data.color", d.Color, "monochrome", printer.Colors); err != nil {
		return d, err
	}
	d.Media, err = h.d.checkMedia(p, rating.ServiceCopy, d.Media, d.Color)
	return d, err
}

func (h copyStartHandler) Validate(c *bus.Command) error {
	_, err := h.parse(c)
	return err
}

func (h copyStartHandler) Execute(ctx context.Context, c *bus.Command) (any, error) {
	dk := h.d
	d, err := h.parse(c)
	if err != nil {
		return nil, err
	}
	if s, ok, err := printjobs.OpenSession(ctx, dk.host.Store(), c.Device); err != nil {
		return nil, err
	} else if ok {
		return nil, fmt.Errorf("%s already has an open copy session (room %s, since %s): stop it first",
			c.Device, s.Room, s.Start.At.In(dk.host.Location()).Format("15:04"))
	}
	cnt, err := dk.printer(c.Device).Counters(ctx)
	if err != nil {
		return nil, fmt.Errorf("copy counter of %s unreadable, no session started: %w", c.Device, err)
	}
	var id int64
	err = dk.host.InTx(ctx, func(tx *store.Tx) error {
		var err error
		id, err = printjobs.StartSession(tx, printjobs.Session{Device: c.Device, Room: d.Room, Operator: d.Operator, Media: d.Media,
			Color: d.Color, CommandID: c.ID, Start: cnt, Shift: events.ShiftFrom(ctx)})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("copy session not recorded: %w", err)
	}
	dk.host.Log().Info("copy session started", "device", c.Device, "room", d.Room, "operator", d.Operator, "counter", cnt.Impressions, "source", cnt.Source)
	return map[string]any{"session_id": id, "room": d.Room, "counter": cnt.Impressions, "counter_source": cnt.Source, "started": cnt.At.In(dk.host.Location())}, nil
}

type copyStopHandler struct{ d *Desk }

func (h copyStopHandler) Validate(c *bus.Command) error {
	if _, err := h.d.knownPrinter(c); err != nil {
		return err
	}
	var d printer.CopyStopData
	if err := bus.DecodeData(c, &d); err != nil {
		return err
	}
	if err := desk.Text("data.room", d.Room, 16, true); err != nil {
		return err
	}
	return desk.Text("data.reason", d.Reason, 200, d.Void)
}

func (h copyStopHandler) Execute(ctx context.Context, c *bus.Command) (any, error) {
	dk := h.d
	log := dk.host.Log()
	var d printer.CopyStopData
	if err := bus.DecodeData(c, &d); err != nil {
		return nil, err
	}
	s, ok, err := printjobs.OpenSession(ctx, dk.host.Store(), c.Device)
	switch {
	case err != nil:
		return nil, err
	case !ok:
		return nil, fmt.Errorf("%s has no open copy session", c.Device)
	case s.Room != d.Room:
		return nil, &bus.FieldError{Field: "data.room", Problem: fmt.Sprintf("the open copy session on %s is for room %s", c.Device, s.Room)}
	}
	if d.Void {
		err := dk.host.InTx(ctx, func(tx *store.Tx) error { return printjobs.VoidSession(tx, s.ID, dk.host.Now(), d.Reason) })
		if err != nil {
			return nil, err
		}
		log.Warn("copy session voided, not billed", "device", c.Device, "room", s.Room, "reason", d.Reason)
		return map[string]any{"session_id": s.ID, "status": "void"}, nil
	}
	// A print job still running has put some impressions on the counter
	// that are not known yet: the difference would bill them as copies.
	running, err := printjobs.RunningOn(ctx, dk.host.Store(), c.Device)
	if err != nil {
		return nil, err
	}
	if running > 0 {
		return nil, fmt.Errorf("%d print job(s) still running on %s: stop the copy session once they have ended (the session stays open)", running, c.Device)
	}
	p := dk.printer(c.Device)
	end, err := p.Counters(ctx)
	if err != nil {
		return nil, fmt.Errorf("copy counter of %s unreadable: %w; the session stays open: try again, or stop it with void", c.Device, err)
	}
	jobs, err := printjobs.EndedBetween(ctx, dk.host.Store(), c.Device, s.Start.At, end.At)
	if err != nil {
		return nil, err
	}
	var printed int64
	for _, j := range jobs {
		printed += int64(j.CounterImpressions)
	}
	pages, err := printer.CopyPages(s.Start, end, jobs)
	if err != nil {
		return nil, fmt.Errorf("%w; the session stays open: stop it with void and bill by hand", err)
	}
	size := p.SizeOf(s.Media)
	price := business.PriceOf(dk.opt.Tariff, rating.BusinessItem{Service: rating.ServiceCopy, Size: size, Color: s.Color == "color", Impressions: pages})
	loc := dk.host.Location()
	data := printer.CopyCompleted{Device: c.Device, SessionID: s.ID, Room: s.Room, Operator: s.Operator,
		Started: s.Start.At.In(loc), Ended: end.At.In(loc), Pages: pages, PrintImpressions: printed,
		CounterSource: string(s.Start.Source), CounterStart: s.Start.Impressions, CounterEnd: end.Impressions, Media: s.Media, Size: size, Color: s.Color,
		Charge: price.Charge(dk.opt.Tariff.Name())}
	idem := fmt.Sprintf("%s/copy-session/%d", c.Device, s.ID)
	var seq int64
	err = dk.host.InTx(ctx, func(tx *store.Tx) error {
		var dup bool
		var err error
		if seq, dup, err = dk.host.Enqueue(tx, desk.Event{Domain: "print", Device: c.Device, Type: "hotel.print.copy.completed",
			Subject: desk.Subject(s.Room, c.Device), IdemKey: idem, Time: data.Ended, Data: data}); err != nil || dup {
			return err
		}
		if err := business.Record(tx, business.Entry{IdemKey: idem, Service: rating.ServiceCopy, Device: c.Device, Ref: fmt.Sprintf("copy/%d", s.ID),
			Room: s.Room, Operator: s.Operator, At: end.At, Units: pages, Size: size, Color: s.Color == "color", State: "completed",
			Price: price, Tariff: dk.opt.Tariff.Name(), Seq: seq, Shift: s.Shift}); err != nil {
			return err
		}
		return printjobs.BillSession(tx, s.ID, end, printed, pages, idem)
	})
	if err != nil {
		return nil, fmt.Errorf("copy session not billed: %w; the session stays open", err)
	}
	log.Info("copy session billed", "device", c.Device, "room", s.Room, "pages", pages, "amount", price.Price.String(), "seq", seq)
	out := map[string]any{"session_id": s.ID, "room": s.Room, "pages": pages, "print_impressions": printed,
		"amount": price.Price, "amount_minor": price.Minor, "currency": price.Currency, "event_seq": seq}
	if price.Unbilled != "" {
		out["note"] = "not priced: " + price.Unbilled
	}
	return out, nil
}
