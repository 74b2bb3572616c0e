package business

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"switchboard/internal/events"
	"switchboard/internal/store"
)

// TestAsSender: an event enqueued in AsSender names the command's sender
// and the shift when a console shift sent the work, nobody otherwise; the
// transaction's own actor is back for what follows.
func TestAsSender(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "sb.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.InTx(ctx, func(tx *store.Tx) error {
		return tx.PutCommand(store.CommandRow{ID: "c1", Topic: "print/prn1/print.submit", Client: "console", Received: time.Now(),
			Status: store.CommandCompleted, Principal: "0002", Role: "operator"})
	}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		command   string
		shift     int64
		principal string
	}{
		{"console work in shift 3", "c1", 3, "0002"},
		{"work no shift sent", "c1", 0, ""},
		{"a command no longer in the log", "gone", 3, ""},
		{"no command", "", 3, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key := tc.name
			err := st.InTx(ctx, func(tx *store.Tx) error {
				err := AsSender(tx, tc.command, tc.shift, func() error {
					_, _, err := tx.Enqueue(store.Event{Type: "hotel.print.job.completed", Topic: "t", Source: "/s", IdemKey: key, Data: map[string]int{}})
					return err
				})
				if err != nil {
					return err
				}
				_, _, err = tx.Enqueue(store.Event{Type: "hotel.print.job.completed", Topic: "t", Source: "/s", IdemKey: key + "/after", Data: map[string]int{}})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			rows, err := st.Pending(ctx, 0, 100)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]events.Envelope{key: {Principal: tc.principal}, key + "/after": {}}
			if tc.principal != "" {
				want[key] = events.Envelope{Principal: tc.principal, Shift: tc.shift}
			}
			for _, row := range rows {
				var env events.Envelope
				if err := json.Unmarshal(row.Payload, &env); err != nil {
					t.Fatal(err)
				}
				w, ok := want[env.IdemKey]
				if !ok {
					continue
				}
				delete(want, env.IdemKey)
				if env.Principal != w.Principal || env.Shift != w.Shift {
					t.Errorf("%s: principal %q shift %d, want %q %d", env.IdemKey, env.Principal, env.Shift, w.Principal, w.Shift)
				}
			}
			if len(want) != 0 {
				t.Errorf("events missing: %v", want)
			}
		})
	}
}
