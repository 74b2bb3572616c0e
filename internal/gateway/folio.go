package gateway

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"switchboard/internal/bus"
	"switchboard/internal/folio"
	"switchboard/internal/store"
)

// CheckInData is the data of edge/{gateway}/cmd/folio.checkin.
type CheckInData struct {
	Room        string     `json:"room"`
	Reservation string     `json:"reservation,omitempty"`
	Name        string     `json:"name,omitempty"` // kept in the store, never published
	Language    string     `json:"language,omitempty"`
	VIP         bool       `json:"vip,omitempty"`
	At          *time.Time `json:"at,omitempty"` // default: when the command arrives
}

// CheckOutData is the data of edge/{gateway}/cmd/folio.checkout.
type CheckOutData struct {
	Room string     `json:"room"`
	At   *time.Time `json:"at,omitempty"`
}

// StayEvent is the data of hotel.edge.folio.checked-in / checked-out.
type StayEvent struct {
	Room        string     `json:"room"`
	Reservation string     `json:"reservation,omitempty"`
	StayID      int64      `json:"stay_id"`
	Language    string     `json:"language,omitempty"`
	VIP         bool       `json:"vip,omitempty"`
	CheckedIn   time.Time  `json:"checked_in"`
	CheckedOut  *time.Time `json:"checked_out,omitempty"`
}

type folioHandler struct {
	g   *Gateway
	out bool // checkout
}

func (h folioHandler) guestRoom(room string) error {
	if room == "" {
		return &bus.FieldError{Field: "data.room", Problem: "required"}
	}
	r, class, ok := h.g.Biller().Dir.Lookup(room)
	switch {
	case !ok:
		return &bus.FieldError{Field: "data.room", Problem: fmt.Sprintf("room %s unknown: not in the rooms of the config", room)}
	case class != folio.Guest:
		return &bus.FieldError{Field: "data.room", Problem: fmt.Sprintf("extension %s is a %s extension, not a guest room", room, class)}
	case r != room:
		return &bus.FieldError{Field: "data.room", Problem: fmt.Sprintf("extension %s is room %s: use the room number", room, r)}
	}
	return nil
}

func (h folioHandler) when(c *bus.Command, at *time.Time) (time.Time, error) {
	if at == nil {
		return c.Received, nil
	}
	if at.After(c.Received.Add(5 * time.Minute)) {
		return time.Time{}, &bus.FieldError{Field: "data.at", Problem: "in the future"}
	}
	return *at, nil
}

func (h folioHandler) Validate(c *bus.Command) error {
	if c.Device != h.g.cfg.Site.Gateway {
		return &bus.FieldError{Field: "topic", Problem: fmt.Sprintf("gateway %q is not this one (%q)", c.Device, h.g.cfg.Site.Gateway)}
	}
	if h.out {
		var d CheckOutData
		if err := bus.DecodeData(c, &d); err != nil {
			return err
		}
		if _, err := h.when(c, d.At); err != nil {
			return err
		}
		return h.guestRoom(d.Room)
	}
	var d CheckInData
	if err := bus.DecodeData(c, &d); err != nil {
		return err
	}
	if _, err := h.when(c, d.At); err != nil {
		return err
	}
	if strings.ContainsAny(d.Reservation, "\x00\n") {
		return &bus.FieldError{Field: "data.reservation", Problem: "control characters"}
	}
	return h.guestRoom(d.Room)
}

func (h folioHandler) Execute(ctx context.Context, c *bus.Command) (any, error) {
	g := h.g
	var ev StayEvent
	var evType string
	var room string
	var fn func(tx *store.Tx) error
	if h.out {
		var d CheckOutData
		if err := bus.DecodeData(c, &d); err != nil {
			return nil, err
		}
		at, _ := h.when(c, d.At)
		room, evType = d.Room, "hotel.edge.folio.checked-out"
		fn = func(tx *store.Tx) error {
			s, err := folio.CheckOut(tx, d.Room, at)
			if err != nil {
				return err
			}
			ev = StayEvent{Room: s.Room, Reservation: s.Reservation, StayID: s.ID, Language: s.Language, VIP: s.VIP,
				CheckedIn: s.CheckIn.In(g.loc), CheckedOut: ptrTime(s.CheckOut.In(g.loc))}
			return nil
		}
	} else {
		var d CheckInData
		if err := bus.DecodeData(c, &d); err != nil {
			return nil, err
		}
		at, _ := h.when(c, d.At)
		room, evType = d.Room, "hotel.edge.folio.checked-in"
		fn = func(tx *store.Tx) error {
			s, err := folio.CheckIn(tx, folio.Stay{Room: d.Room, Reservation: d.Reservation, Guest: d.Name, Language: d.Language, VIP: d.VIP, CheckIn: at})
			if err != nil {
				return err
			}
			ev = StayEvent{Room: s.Room, Reservation: s.Reservation, StayID: s.ID, Language: s.Language, VIP: s.VIP, CheckedIn: s.CheckIn.In(g.loc)}
			return nil
		}
	}
	var seq int64
	err := g.st.InTx(ctx, func(tx *store.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		var err error
		seq, _, err = tx.Enqueue(store.Event{Type: evType, Topic: g.topics.Event("edge", g.cfg.Site.Gateway, evType),
			Source: g.topics.Source("edge", g.cfg.Site.Gateway), Subject: "room/" + room,
			IdemKey: fmt.Sprintf("stay/%d/%s", ev.StayID, evType), Data: ev})
		return err
	})
	if err != nil {
		if errors.Is(err, folio.ErrOccupied) || errors.Is(err, folio.ErrVacant) {
			return nil, err
		}
		return nil, fmt.Errorf("not recorded: %w", err)
	}
	g.notify()
	return map[string]any{"stay_id": ev.StayID, "room": room, "event_seq": seq}, nil
}

func ptrTime(t time.Time) *time.Time { return &t }
