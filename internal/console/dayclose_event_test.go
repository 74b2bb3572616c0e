package console

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"switchboard/internal/events"
	"switchboard/internal/report"
	"switchboard/internal/store"
	"switchboard/schemas"
)

// publishingHost is a host with the gateway's event path, as
// cmd/switchboard's consoleHost has: the event and what fn writes in one
// transaction, on the edge topic of gateway gw.
type publishingHost struct{ fakeHost }

func (h *publishingHost) Publish(ctx context.Context, ev store.Event, fn func(tx *store.Tx) error) error {
	t := events.Topics{Group: "g", Property: "p", Gateway: "gw"}
	ev.Topic, ev.Source = t.Event("edge", t.Gateway, ev.Type), t.Source("edge", t.Gateway)
	return h.st.InTx(ctx, func(tx *store.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		_, _, err := tx.Enqueue(ev)
		return err
	})
}

// TestDayClosePublished: closing the day publishes hotel.edge.day.closed
// (valid against its schema, on the gateway's edge topic, naming the
// supervisor), once per close, and only for supervisors and admins.
func TestDayClosePublished(t *testing.T) {
	f := newFixture(t, false, func(st *store.Store) Host { return &publishingHost{fakeHost{st: st}} })
	addCharge(t, f.st, "k1", "1203", "0002", f.clock.now(), 800)
	for _, tc := range []struct {
		code      string
		status    int
		events    int // in the outbox after the post
		principal string
		role      string
	}{
		{"0001", http.StatusForbidden, 0, "", ""},
		{"0002", http.StatusForbidden, 0, "", ""},
		{"0003", http.StatusSeeOther, 1, "0003", "backoffice"},
		{"0004", http.StatusSeeOther, 2, "0004", "backoffice"},
	} {
		b := f.browser(t)
		_, tok := b.signIn(tc.code, "1234")
		res := b.do("POST", "/dayclose/close", url.Values{"csrf": {tok}, "date": {"2026-12-04"}})
		if res.code != tc.status {
			t.Fatalf("%s: %d, want %d\n%s", tc.code, res.code, tc.status, res.body)
		}
		rows, err := f.st.Pending(context.Background(), 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != tc.events {
			t.Fatalf("%s: %d events, want %d", tc.code, len(rows), tc.events)
		}
		if tc.events == 0 {
			continue
		}
		last := rows[len(rows)-1]
		if err := schemas.Validate(last.Payload); err != nil {
			t.Errorf("%s: %v\n%s", tc.code, err, last.Payload)
		}
		var env struct {
			Type, Principal, PrincipalRole string
			Data                           events.DayClosed
		}
		if err := json.Unmarshal(last.Payload, &env); err != nil {
			t.Fatal(err)
		}
		if last.Topic != "hotel/g/p/edge/gw/event/day.closed" || env.Type != events.DayClosedType || env.Principal != tc.principal ||
			env.PrincipalRole != tc.role || env.Data.ClosedBy != tc.code || env.Data.Revision != tc.events || env.Data.AmountMinor != 800 {
			t.Errorf("%s: %s %s by %s (%s): %+v", tc.code, last.Topic, env.Type, env.Principal, env.PrincipalRole, env.Data)
		}
		rec, ok, err := report.RecordedDayClose(context.Background(), f.st, "2026-12-04")
		if err != nil || !ok || rec.Revision != tc.events || rec.ClosedBy != tc.code {
			t.Errorf("%s: recorded revision %d by %s (%v %v)", tc.code, rec.Revision, rec.ClosedBy, ok, err)
		}
	}
}

// TestDayClosePageFollowsTheClose: the day close page carries the note
// live.js shows when the day it shows is closed by someone else, and the
// script listens for the event.
func TestDayClosePageFollowsTheClose(t *testing.T) {
	f := newFixture(t, false, nil)
	b := f.browser(t)
	b.signIn("0003", "1234")
	res := b.do("GET", "/dayclose?date=2026-12-04", nil)
	if !strings.Contains(res.body, `<p id="dayclose-changed" class="notice" role="status" data-day="2026-12-04" hidden>`) {
		t.Errorf("no hidden note for the day on the page")
	}
	js := b.do("GET", "/static/live.js", nil)
	if !strings.Contains(js.body, `handlers["hotel.edge.day.closed"]`) || !strings.Contains(js.body, `getElementById("dayclose-changed")`) {
		t.Error("live.js does not follow hotel.edge.day.closed")
	}
}
