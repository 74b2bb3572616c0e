package main

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"switchboard/internal/console"
	"switchboard/internal/events"
	"switchboard/internal/report"
	"switchboard/internal/store"
	"switchboard/schemas"
)

// TestConsoleHostPublishes: the console's day close goes to the outbox on
// the gateway's edge topic and source, under the supervisor, committed
// with what it records; when the record fails nothing is published.
func TestConsoleHostPublishes(t *testing.T) {
	ctx := context.Background()
	cfg, g := offlineGateway(t, "")
	var h console.Host = consoleHost{g}
	pub, ok := h.(console.Publisher)
	if !ok {
		t.Fatal("consoleHost is not a console.Publisher: the day close would not be published")
	}
	p, err := report.Day("2026-12-04", cfg.Site.Location())
	if err != nil {
		t.Fatal(err)
	}
	rec := report.DayCloseRecord{DayClose: report.DayClose{Period: p, Gathered: p.To}, ClosedBy: "0003", ClosedAt: p.To, Revision: 1}
	actx := events.WithActor(ctx, events.Actor{Principal: "0003", Role: "backoffice"})
	// A record that fails: no event.
	boom := errors.New("boom")
	if err := pub.Publish(actx, rec.Event(), func(*store.Tx) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("failing record: %v", err)
	}
	if err := pub.Publish(actx, rec.Event(), func(tx *store.Tx) error { return report.PutDayClose(tx, rec) }); err != nil {
		t.Fatal(err)
	}
	rows, err := g.Store().Pending(ctx, 0, 10)
	if err != nil || len(rows) != 1 {
		t.Fatalf("%d events (%v), want 1", len(rows), err)
	}
	if err := schemas.Validate(rows[0].Payload); err != nil {
		t.Errorf("%v\n%s", err, rows[0].Payload)
	}
	var env struct{ Source, Type, Principal string }
	if err := json.Unmarshal(rows[0].Payload, &env); err != nil {
		t.Fatal(err)
	}
	if rows[0].Topic != "hotel/acme/h042/edge/gw1/event/day.closed" || env.Source != "/hotel/acme/h042/edge/gw1" || env.Type != events.DayClosedType ||
		env.Principal != "0003" {
		t.Errorf("%s from %s: %s by %s", rows[0].Topic, env.Source, env.Type, env.Principal)
	}
	if _, closed, err := report.RecordedDayClose(ctx, g.Store(), "2026-12-04"); err != nil || !closed {
		t.Errorf("not recorded: %v", err)
	}
}
