package report

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"switchboard/internal/events"
	"switchboard/internal/store"
	"switchboard/schemas"
)

// TestDayCloseEvent: a recorded day close becomes one hotel.edge.day.closed
// per revision that validates against its schema and carries the day's
// totals; a close whose revision was taken meanwhile records nothing.
func TestDayCloseEvent(t *testing.T) {
	loc := time.FixedZone("CST", 8*3600)
	d, err := CloseDay(dayCloseInput(loc))
	if err != nil {
		t.Fatal(err)
	}
	st := openStore(t)
	ctx := context.Background()
	topics := events.Topics{Group: "g", Property: "p", Gateway: "gw"}
	closeDay := func(by string, at time.Time) (DayCloseRecord, error) {
		rec, err := NextDayClose(ctx, st, d, by, at)
		if err != nil {
			return rec, err
		}
		ev := rec.Event()
		ev.Topic, ev.Source = topics.Event("edge", "gw", ev.Type), topics.Source("edge", "gw")
		return rec, st.InTx(events.WithActor(ctx, events.Actor{Principal: by, Role: "backoffice"}), func(tx *store.Tx) error {
			if err := PutDayClose(tx, rec); err != nil {
				return err
			}
			_, _, err := tx.Enqueue(ev)
			return err
		})
	}
	at := time.Date(2026, 11, 27, 23, 40, 0, 0, loc)
	for i, tc := range []struct {
		by       string
		revision int
	}{{"0003", 1}, {"0004", 2}} {
		if _, err := closeDay(tc.by, at.Add(time.Duration(i)*time.Minute)); err != nil {
			t.Fatalf("close %d: %v", i+1, err)
		}
	}
	// A close read before the second one landed: refused, nothing written.
	stale := DayCloseRecord{DayClose: d, ClosedBy: "0003", ClosedAt: at, Revision: 2}
	err = st.InTx(ctx, func(tx *store.Tx) error { return PutDayClose(tx, stale) })
	if !errors.Is(err, ErrClosedMeanwhile) {
		t.Fatalf("stale close: %v, want ErrClosedMeanwhile", err)
	}
	rows, err := st.Pending(ctx, 0, 10)
	if err != nil || len(rows) != 2 {
		t.Fatalf("%d events (%v), want 2", len(rows), err)
	}
	for i, r := range rows {
		if err := schemas.Validate(r.Payload); err != nil {
			t.Errorf("event %d: %v\n%s", i+1, err, r.Payload)
		}
		var env struct {
			Type, Subject, Principal string
			Topic                    string `json:"-"`
			Data                     events.DayClosed
		}
		if err := json.Unmarshal(r.Payload, &env); err != nil {
			t.Fatal(err)
		}
		got := env.Data
		if env.Type != "hotel.edge.day.closed" || r.Topic != "hotel/g/p/edge/gw/event/day.closed" || env.Subject != "day/2026-11-27" ||
			got.Revision != i+1 || got.Day != "2026-11-27" || env.Principal != []string{"0003", "0004"}[i] {
			t.Errorf("event %d: %s %s %s revision %d by %s", i+1, env.Type, r.Topic, env.Subject, got.Revision, env.Principal)
		}
		if got.AmountMinor != d.Total.AmountMinor || got.Amount != d.Total.Amount.String() || got.Shifts != 3 || got.OpenShifts != d.OpenShifts ||
			len(got.ByService) != len(d.ByService) || got.Open.FaxesNotDelivered != len(d.Open.Faxes) || got.Calls.IDD != d.IDD.Calls ||
			got.Open.CallsToResolve != len(d.Open.Calls) || got.Open.CopySessionsOpen != len(d.Open.CopySessions) {
			t.Errorf("event %d data: %+v\nday: total %d, open shifts %d", i+1, got, d.Total.AmountMinor, d.OpenShifts)
		}
	}
	rec, ok, err := RecordedDayClose(ctx, st, "2026-11-27")
	if err != nil || !ok || rec.Revision != 2 || rec.ClosedBy != "0004" {
		t.Errorf("recorded: revision %d by %s (%v %v)", rec.Revision, rec.ClosedBy, ok, err)
	}
}
