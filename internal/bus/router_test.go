package bus

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"switchboard/internal/events"
	"switchboard/internal/store"
)

// failing refuses every command it validates.
type failing struct{}

func (failing) Validate(*Command) error {
	return &FieldError{Field: "data.room", Problem: "no such room"}
}
func (failing) Execute(context.Context, *Command) (any, error) {
	return nil, errors.New("not reached")
}

// recording notes whether it was asked anything.
type recording struct {
	called    bool
	validated int
}

func (h *recording) Validate(*Command) error { h.called = true; h.validated++; return nil }
func (h *recording) Execute(context.Context, *Command) (any, error) {
	h.called = true
	return nil, nil
}

// TestEveryCommandGetsAReply: whatever came before, a command that reaches
// the gateway gets a reply: the same unreadable payload twice (two
// replies), and a command id seen before (its recorded outcome again).
func TestEveryCommandGetsAReply(t *testing.T) {
	ctx := context.Background()
	r, st := newTestRouter(t)
	r.Handle("pbx", "dnd.set", failing{})
	topic := topics.Command("pbx", "pbx1", "dnd.set")
	send := func(payload string) { r.handleNow(ctx, Message{Topic: topic, Payload: []byte(payload)}) }
	replies := func() []Reply {
		rows, err := st.Pending(ctx, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		var out []Reply
		for _, row := range rows {
			var env events.Envelope
			var rep Reply
			if json.Unmarshal(row.Payload, &env) != nil || json.Unmarshal(env.Data, &rep) != nil {
				t.Fatalf("reply %s", row.Payload)
			}
			out = append(out, rep)
		}
		return out
	}

	send(`{"specversion":"1.0"`) // not JSON
	send(`{"specversion":"1.0"`)
	if n := len(replies()); n != 2 {
		t.Fatalf("the same malformed command twice: %d replies, want 2", n)
	}
	// c9 first with a wrong type (refused unread: nothing recorded), then
	// right: it is handled, and its refusal is replied too.
	send(`{"specversion":"1.0","id":"c9","type":"hotel.pbx.cmd.mwl.set","source":"/frontdesk","replyto":"fd","data":{}}`)
	send(`{"specversion":"1.0","id":"c9","type":"hotel.pbx.cmd.dnd.set","source":"/frontdesk","replyto":"fd","data":{}}`)
	if got := replies(); len(got) != 4 || got[3].CommandID != "c9" || got[3].Reason == got[2].Reason {
		t.Fatalf("c9 malformed then well formed: %+v", got)
	}
	bad := `{"specversion":"1.0","id":"c7","type":"hotel.pbx.cmd.dnd.set","source":"/frontdesk","replyto":"fd","data":"not an object"}` // read, refused
	good := `{"specversion":"1.0","id":"c7","type":"hotel.pbx.cmd.dnd.set","source":"/frontdesk","replyto":"fd","data":{"room":"1203","on":true}}`
	send(bad)
	send(good)
	send(good)
	got := replies()
	got = got[4:]
	if len(got) != 3 {
		t.Fatalf("%d c7 replies, want 3: %+v", len(got), got)
	}
	for i, rep := range got {
		if rep.CommandID != "c7" || rep.Status != store.CommandFailed {
			t.Errorf("c7 reply %d: %+v", i+1, rep)
		}
	}
	// The first c7 was read and refused (its data), so it is the recorded
	// outcome every later c7 gets again.
	for _, rep := range got {
		if rep.Reason != got[0].Reason || rep.Reason == "" {
			t.Errorf("c7 replies differ: %+v", got)
		}
	}
}

// TestOversizedCommandsRefused: a 1 MiB guest name and a 5 MiB command id
// are refused before anything is stored, with a reply that does not echo
// them.
func TestOversizedCommandsRefused(t *testing.T) {
	ctx := context.Background()
	r, st := newTestRouter(t)
	h := &recording{}
	r.Handle("pbx", "guest.checkin", h)
	name := strings.Repeat("王", 1<<20/3)
	r.handleNow(ctx, Message{Topic: topics.Command("pbx", "pbx1", "guest.checkin"),
		Payload: []byte(`{"specversion":"1.0","id":"big1","type":"hotel.pbx.cmd.guest.checkin","source":"/fd","replyto":"fd","data":{"room":"1203","name":"` + name + `"}}`)})
	r.handleNow(ctx, Message{Topic: topics.Command("pbx", "pbx1", "guest.checkin"),
		Payload: []byte(`{"specversion":"1.0","id":"` + strings.Repeat("x", 5<<20) + `","type":"hotel.pbx.cmd.guest.checkin","source":"/fd","replyto":"fd","data":{"room":"1203"}}`)})
	rows, err := st.Pending(ctx, 0, 10)
	if err != nil || len(rows) != 2 {
		t.Fatalf("%d replies %v", len(rows), err)
	}
	for _, row := range rows {
		if len(row.Payload) > 4096 {
			t.Errorf("a reply of %d bytes", len(row.Payload))
		}
	}
	if !strings.Contains(string(rows[0].Payload), "data.name") || !strings.Contains(string(rows[1].Payload), `"field":"id"`) {
		t.Errorf("replies %s | %s", rows[0].Payload, rows[1].Payload)
	}
	var logged bool
	st.InTx(ctx, func(tx *store.Tx) (err error) { _, logged, err = tx.Command("big1"); return err })
	if h.called || logged {
		t.Errorf("handled %v, in the command log %v: want neither", h.called, logged)
	}
}

// TestOperatorIsTheSender: an operator principal cannot act in another
// operator's name; the back office may name any.
func TestOperatorIsTheSender(t *testing.T) {
	ctx := context.Background()
	r, st := newTestRouter(t)
	h := &recording{}
	r.Handle("pbx", "wakeup.set", h)
	send := func(id, operator string, by *Principal) {
		r.handleNow(ctx, Message{Topic: topics.Command("pbx", "pbx1", "wakeup.set"), From: by,
			Payload: []byte(`{"specversion":"1.0","id":"` + id + `","type":"hotel.pbx.cmd.wakeup.set","source":"/fd","replyto":"fd","data":{"room":"1203","time":"06:30","operator":"` + operator + `"}}`)})
	}
	send("w1", "op09", &Principal{Username: "op07", Role: RoleOperator})
	if h.called {
		t.Fatal("a command in another operator's name was handled")
	}
	rows, _ := st.Pending(ctx, 0, 10)
	if len(rows) != 1 || !strings.Contains(string(rows[0].Payload), "data.operator") {
		t.Fatalf("replies %d %s", len(rows), rows[0].Payload)
	}
	send("w2", "op07", &Principal{Username: "op07", Role: RoleOperator})
	send("w3", "op09", &Principal{Username: "frontoffice", Role: RoleBackoffice})
	if h.validated != 2 {
		t.Errorf("%d commands handled, want the operator's own and the back office's", h.validated)
	}
}

// newTestRouter is a router on a store in t's temporary folder whose
// replies go to the outbox, as the gateway's enqueue puts them there; its
// reply committer runs, its loop does not (tests call handle).
func newTestRouter(t *testing.T) (*Router, *store.Store) {
	r, st, ctx, cancel := newRouterOnStore(t)
	done := make(chan struct{})
	go func() { r.replies.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return r, st
}

// newRunningRouter is a router on a store whose loop runs (tests Deliver).
func newRunningRouter(t *testing.T) (*Router, *store.Store) {
	r, st, ctx, cancel := newRouterOnStore(t)
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return r, st
}

func newRouterOnStore(t *testing.T) (*Router, *store.Store, context.Context, context.CancelFunc) {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "sb.db"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { st.Close() }) // last: after the loop has stopped
	enqueue := func(tx *store.Tx, ev store.Event) error {
		_, _, err := tx.Enqueue(ev)
		return err
	}
	return NewRouter(topics, st, enqueue, nil), st, ctx, cancel
}

// handleNow handles m as the router's loop would and returns once its
// replies are committed.
func (r *Router) handleNow(ctx context.Context, m Message) {
	r.handle(ctx, m)
	if err := r.replies.Do(ctx, func(*store.Tx) error { return nil }); err != nil {
		panic(err)
	}
}
