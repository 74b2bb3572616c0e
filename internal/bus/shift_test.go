package bus

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"switchboard/internal/events"
	"switchboard/internal/store"
	"switchboard/schemas"
)

// actorDesk enqueues one event per command, as a desk does, in a
// transaction under the handler's context, and notes the actor it saw.
type actorDesk struct {
	st   *store.Store
	seen chan events.Actor
}

func (actorDesk) Validate(*Command) error { return nil }

func (d actorDesk) Execute(ctx context.Context, c *Command) (any, error) {
	a, _ := events.ActorFrom(ctx)
	d.seen <- a
	err := d.st.InTx(ctx, func(tx *store.Tx) error {
		_, _, err := tx.Enqueue(store.Event{Type: "hotel.print.job.completed", Topic: topics.Event("print", c.Device, "hotel.print.job.completed"),
			Source: topics.Source("print", c.Device), IdemKey: "job/" + c.ID, Data: map[string]string{"command": c.ID}})
		return err
	})
	return nil, err
}

// TestShiftReachesEnvelopes: the console's shift (Principal.Shift, given
// to Send) goes into the handler's context and into the envelope of every
// event the command causes, its replies included; an MQTT command never
// has one, even when its envelope claims one.
func TestShiftReachesEnvelopes(t *testing.T) {
	r, st := newRunningRouter(t)
	desk := actorDesk{st: st, seen: make(chan events.Actor, 1)}
	r.Handle("print", "print.submit", desk)
	for _, tc := range []struct {
		name      string
		send      func(ctx context.Context, id string) string // returns the command id
		wantActor events.Actor
	}{
		{"console command in shift 7", func(ctx context.Context, _ string) string {
			rep, err := r.Send(ctx, "print", "prn1", "print.submit", map[string]string{}, Principal{Username: "0002", Role: RoleOperator, ClientID: "console", Shift: 7}, "console")
			if err != nil {
				t.Fatal(err)
			}
			return rep.CommandID
		}, events.Actor{Principal: "0002", Role: "operator", Shift: 7}},
		{"in-process command without a shift", func(ctx context.Context, _ string) string {
			rep, err := r.Send(ctx, "print", "prn1", "print.submit", map[string]string{}, Principal{Username: "0003", Role: RoleBackoffice}, "console")
			if err != nil {
				t.Fatal(err)
			}
			return rep.CommandID
		}, events.Actor{Principal: "0003", Role: "backoffice"}},
		{"MQTT command claiming shift 42 in its envelope", func(_ context.Context, id string) string {
			r.Deliver(Message{Topic: topics.Command("print", "prn1", "print.submit"), From: &Principal{Username: "pms", Role: RoleBackoffice, ClientID: "pms-1"},
				Payload: []byte(`{"specversion":"1.0","id":"` + id + `","type":"hotel.print.cmd.print.submit","source":"/pms","replyto":"pms","shift":42,"data":{}}`)})
			return id
		}, events.Actor{Principal: "pms", Role: "backoffice"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			id := tc.send(ctx, "mqtt-"+t.Name())
			var got events.Actor
			select {
			case got = <-desk.seen:
			case <-ctx.Done():
				t.Fatal("the handler never ran")
			}
			if got != tc.wantActor {
				t.Errorf("handler's actor %+v, want %+v", got, tc.wantActor)
			}
			// Every envelope the command caused: accepted, the desk's
			// event, completed.
			var envs []events.Envelope
			var raws [][]byte
			for len(envs) < 3 {
				if ctx.Err() != nil {
					t.Fatalf("%d envelopes of command %s, want 3", len(envs), id)
				}
				envs, raws = envs[:0], raws[:0]
				rows, err := st.Pending(ctx, 0, 1000)
				if err != nil {
					t.Fatal(err)
				}
				for _, row := range rows {
					var env events.Envelope
					if err := json.Unmarshal(row.Payload, &env); err != nil {
						t.Fatal(err)
					}
					if env.Subject == "command/"+id || env.IdemKey == "job/"+id {
						envs, raws = append(envs, env), append(raws, row.Payload)
					}
				}
				time.Sleep(10 * time.Millisecond)
			}
			for i, env := range envs {
				if env.Shift != tc.wantActor.Shift || env.Principal != tc.wantActor.Principal {
					t.Errorf("%s: principal %q shift %d, want %q %d", env.Type, env.Principal, env.Shift, tc.wantActor.Principal, tc.wantActor.Shift)
				}
				if strings.HasPrefix(env.Type, "hotel.command.") {
					if err := schemas.Validate(raws[i]); err != nil {
						t.Errorf("%s: %v", env.Type, err)
					}
				}
				// No shift: the key is left out, not written as 0.
				if has := bytes.Contains(raws[i], []byte(`"shift"`)); has != (tc.wantActor.Shift != 0) {
					t.Errorf("%s: %s", env.Type, raws[i])
				}
			}
		})
	}
}
