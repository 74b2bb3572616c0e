package console

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"switchboard/internal/bus"
	"switchboard/internal/events"
	"switchboard/internal/store"
)

// eventDesk stands in for a desk whose command causes an event, enqueued
// under the handler's context as the desks enqueue theirs.
type eventDesk struct{ st *store.Store }

func (eventDesk) Validate(*bus.Command) error { return nil }

func (d eventDesk) Execute(ctx context.Context, c *bus.Command) (any, error) {
	topics := newTopics()
	return nil, d.st.InTx(ctx, func(tx *store.Tx) error {
		_, _, err := tx.Enqueue(store.Event{Type: "hotel.pbx.wakeup.scheduled", Topic: topics.Event("pbx", c.Device, "hotel.pbx.wakeup.scheduled"),
			Source: topics.Source("pbx", c.Device), IdemKey: "wakeup/" + c.ID, Data: map[string]string{"command": c.ID}})
		return err
	})
}

// TestCommandEventsCarryTheShift: the events a console command causes (its
// replies and the desk's event) name the operator and the operator's
// shift; the same command from a back office over MQTT names no shift,
// even when its envelope claims the operator's.
func TestCommandEventsCarryTheShift(t *testing.T) {
	var r *bus.Router
	f := newFixture(t, false, func(st *store.Store) Host {
		r = bus.NewRouter(newTopics(), st, func(tx *store.Tx, ev store.Event) error { _, _, err := tx.Enqueue(ev); return err }, nil)
		r.Handle("pbx", "wakeup.set", eventDesk{st: st})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { r.Run(ctx); close(done) }()
		t.Cleanup(func() { cancel(); <-done })
		return routerHost{r: r, st: st}
	})
	ctx := context.Background()
	b := f.browser(t)
	_, tok := b.signIn("0001", "1234")
	sh, ok, err := f.ops.CurrentShift(ctx, "0001")
	if err != nil || !ok {
		t.Fatalf("no shift after signing in: %v", err)
	}
	for _, tc := range []struct {
		name      string
		send      func() string // the command's id
		principal string
		shift     int64
	}{
		{"from the console", func() string {
			set := b.do("POST", "/wakeups/set", url.Values{"csrf": {tok}, "room": {"1203"}, "time": {"07:15"}})
			if set.code != http.StatusOK {
				t.Fatalf("set: %d %s", set.code, set.body)
			}
			var id string
			if err := f.st.QueryRow(ctx, `SELECT command_id FROM shift_commands WHERE shift_id=?`, sh.ID).Scan(&id); err != nil {
				t.Fatal(err)
			}
			return id
		}, "0001", sh.ID},
		{"from a back office over MQTT, claiming the shift", func() string {
			r.Deliver(bus.Message{Topic: newTopics().Command("pbx", "link1", "wakeup.set"), From: &bus.Principal{Username: "pms", Role: bus.RoleBackoffice, ClientID: "pms-1"},
				Payload: []byte(`{"specversion":"1.0","id":"pms-1","type":"hotel.pbx.cmd.wakeup.set","source":"/pms","replyto":"pms","shift":` +
					jsonInt(sh.ID) + `,"data":{"room":"1205","time":"06:00"}}`)})
			return "pms-1"
		}, "pms", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := tc.send()
			envs := commandEnvelopes(t, f.st, id, 3)
			for _, env := range envs {
				if env.Principal != tc.principal || env.Shift != tc.shift {
					t.Errorf("%s of %s: principal %q shift %d, want %q shift %d", env.Type, id, env.Principal, env.Shift, tc.principal, tc.shift)
				}
			}
		})
	}
}

func jsonInt(n int64) string { b, _ := json.Marshal(n); return string(b) }

// commandEnvelopes waits for the n envelopes command id caused (its
// replies, subject command/id, and the desk's event, idemkey wakeup/id).
func commandEnvelopes(t *testing.T, st *store.Store, id string, n int) []events.Envelope {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		rows, err := st.Pending(context.Background(), 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		var out []events.Envelope
		for _, row := range rows {
			var env events.Envelope
			if err := json.Unmarshal(row.Payload, &env); err != nil {
				t.Fatal(err)
			}
			if env.Subject == "command/"+id || env.IdemKey == "wakeup/"+id {
				out = append(out, env)
			}
		}
		if len(out) >= n {
			return out
		}
		if time.Now().After(deadline) {
			types := make([]string, 0, len(out))
			for _, e := range out {
				types = append(types, e.Type)
			}
			t.Fatalf("command %s caused %d envelopes (%s), want %d", id, len(out), strings.Join(types, ", "), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
