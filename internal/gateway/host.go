package gateway

import (
	"context"
	"encoding/json"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"switchboard/internal/bus"
	"switchboard/internal/desk"
	"switchboard/internal/events"
	"switchboard/internal/store"
)

// host is the desks' side of the gateway (desk.Host).
type host struct{ g *Gateway }

var _ desk.Host = host{}

func (h host) InTx(ctx context.Context, fn func(tx *store.Tx) error) error {
	return h.g.st.InTx(ctx, fn)
}

func (h host) Store() *store.Store { return h.g.st }

// Enqueue adds ev to the outbox; the publisher is woken once tx commits.
func (h host) Enqueue(tx *store.Tx, ev desk.Event) (int64, bool, error) {
	g := h.g
	device := ev.Device
	if ev.Domain == "edge" && device == "" {
		device = g.cfg.Site.Gateway
	}
	at := ev.Time
	if at.IsZero() {
		at = g.Now()
	}
	seq, dup, err := tx.Enqueue(store.Event{Type: ev.Type, Topic: g.topics.Event(ev.Domain, device, ev.Type), Source: g.topics.Source(ev.Domain, device),
		Subject: ev.Subject, IdemKey: ev.IdemKey, Stable: ev.Stable, Time: at.In(g.loc), Data: ev.Data})
	if err == nil && !dup {
		tx.AfterCommit(g.notify)
	}
	return seq, dup, err
}

func (h host) SetState(ctx context.Context, s desk.State) error {
	g := h.g
	kind, _, _ := strings.Cut(s.Aspect, "/") // state/room/1203 is a hotel.pbx.state.room
	typ := "hotel." + s.Domain + ".state." + kind
	payload, err := json.Marshal(events.Envelope{
		SpecVersion:     events.SpecVersion,
		ID:              events.EventID(g.topics.Source(s.Domain, s.Device), typ, s.Aspect+"/"+strconv.FormatInt(time.Now().UnixNano(), 10), g.st.Epoch()),
		Source:          g.topics.Source(s.Domain, s.Device),
		Type:            typ,
		Time:            g.Now().In(g.loc),
		Subject:         s.Subject,
		DataContentType: "application/json",
		DataSchema:      events.SchemaURI(typ),
		Data:            mustJSON(s.Data),
	})
	if err != nil {
		return err
	}
	return g.retained.Set(ctx, g.topics.State(s.Domain, s.Device, s.Aspect), payload)
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		return json.RawMessage(`null`)
	}
	return b
}

// Handle registers a command handler; an offline gateway takes no command.
func (h host) Handle(domain, command string, hd bus.Handler) {
	if h.g.router != nil {
		h.g.router.Handle(domain, command, hd)
	}
}

func (h host) Go(w func(ctx context.Context)) { h.g.Worker(w) }

func (h host) Now() time.Time { return h.g.Now() }

func (h host) Location() *time.Location { return h.g.loc }

func (h host) Log() *slog.Logger { return h.g.log }
