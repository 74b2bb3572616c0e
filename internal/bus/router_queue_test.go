package bus

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"switchboard/internal/events"
	"switchboard/internal/store"
)

// blocking executes nothing until released.
type blocking struct {
	release  chan struct{}
	prepared atomic.Int32
}

func (h *blocking) Validate(*Command) error { return nil }
func (h *blocking) Execute(ctx context.Context, c *Command) (any, error) {
	select {
	case <-h.release:
	case <-ctx.Done():
	}
	return map[string]string{"done": c.ID}, nil
}

// preparing is a Preparer whose Prepare waits until released.
type preparing struct{ blocking }

func (h *preparing) Prepare(ctx context.Context, c *Command) (any, error) {
	h.prepared.Add(1)
	select {
	case <-h.release:
	case <-ctx.Done():
	}
	return map[string]string{"quote": "1.00"}, nil
}

func pingLike(id, typ string) []byte {
	return []byte(`{"specversion":"1.0","id":"` + id + `","type":"` + typ + `","source":"/fd","replyto":"fd","data":{}}`)
}

// replyStatuses reads the replies in the outbox: command id -> statuses in order.
func replyStatuses(t *testing.T, st *store.Store) map[string][]string {
	t.Helper()
	rows, err := st.Pending(context.Background(), 0, 100000)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, row := range rows {
		var env events.Envelope
		var rep Reply
		if json.Unmarshal(row.Payload, &env) != nil || json.Unmarshal(env.Data, &rep) != nil {
			t.Fatalf("reply %s", row.Payload)
		}
		s := rep.Status
		if strings.HasPrefix(rep.Reason, "busy") {
			s = "busy"
		}
		out[rep.CommandID] = append(out[rep.CommandID], s)
	}
	return out
}

// TestStuckDeviceAnsweredBusy: a device that finishes nothing fills its
// queue; the next command waits for a place as long as the device might
// still move (queueWait), then is answered busy, and while the device
// stays stuck further ones are answered busy at once. Another device's
// commands go on meanwhile; nothing is dropped.
func TestStuckDeviceAnsweredBusy(t *testing.T) {
	ctx := context.Background()
	r, st := newTestRouter(t)
	h := &blocking{release: make(chan struct{})}
	r.Handle("print", "print", h)
	r.Handle("pbx", "dnd.set", &recording{})
	for i := range MaxDeviceQueue {
		r.handle(ctx, Message{Topic: topics.Command("print", "p1", "print"), Payload: pingLike(fmt.Sprint("q", i), "hotel.print.cmd.print")})
	}
	start := time.Now()
	r.handleNow(ctx, Message{Topic: topics.Command("print", "p1", "print"), Payload: pingLike("over-1", "hotel.print.cmd.print")})
	if waited := time.Since(start); waited < queueWait/2 {
		t.Errorf("the first command over the queue waited %v, want about %v", waited, queueWait)
	}
	start = time.Now()
	r.handleNow(ctx, Message{Topic: topics.Command("print", "p1", "print"), Payload: pingLike("over-2", "hotel.print.cmd.print")})
	if waited := time.Since(start); waited > queueWait/2 {
		t.Errorf("a command for a stuck device waited %v", waited)
	}
	r.handleNow(ctx, Message{Topic: topics.Command("pbx", "pbx1", "dnd.set"), Payload: pingLike("other", "hotel.pbx.cmd.dnd.set")})
	got := replyStatuses(t, st)
	for _, id := range []string{"over-1", "over-2"} {
		if s := got[id]; len(s) != 1 || s[0] != "busy" {
			t.Errorf("%s: replies %v, want busy", id, s)
		}
	}
	if s := got["other"]; len(s) == 0 || s[0] != "accepted" {
		t.Errorf("another device's command: %v", s)
	}
	close(h.release)
	// A busy refusal is not recorded: the same id sent again is handled.
	deadline := time.Now().Add(10 * time.Second)
	for len(replyStatuses(t, st)["q255"]) < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	r.handleNow(ctx, Message{Topic: topics.Command("print", "p1", "print"), Payload: pingLike("over-1", "hotel.print.cmd.print")})
	if s := replyStatuses(t, st)["over-1"]; len(s) < 2 || s[1] != "accepted" {
		t.Errorf("over-1 sent again: %v", s)
	}
}

// TestDuplicateWhilePreparing: the same id arriving while its first
// arrival is still being prepared (a fax's quote) is not prepared twice;
// it gets the recorded outcome once there is one, and the router's loop
// goes on with other commands meanwhile.
func TestDuplicateWhilePreparing(t *testing.T) {
	r, st := newRunningRouter(t)
	h := &preparing{blocking{release: make(chan struct{})}}
	other := &recording{}
	r.Handle("fax", "fax.send", h)
	r.Handle("pbx", "dnd.set", other)
	m := Message{Topic: topics.Command("fax", "fax1", "fax.send"), Payload: pingLike("f1", "hotel.fax.cmd.fax.send")}
	r.Deliver(m)
	r.Deliver(m)
	r.Deliver(Message{Topic: topics.Command("pbx", "pbx1", "dnd.set"), Payload: pingLike("d1", "hotel.pbx.cmd.dnd.set")})
	deadline := time.Now().Add(5 * time.Second)
	for len(replyStatuses(t, st)["d1"]) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("another command waited for a duplicate's first reply")
		}
		time.Sleep(5 * time.Millisecond)
	}
	close(h.release)
	for len(replyStatuses(t, st)["f1"]) < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("f1 replies %v", replyStatuses(t, st)["f1"])
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	if n := h.prepared.Load(); n != 1 {
		t.Errorf("prepared %d times", n)
	}
	// accepted, then the duplicate's repeat of the recorded outcome (at
	// least accepted), then completed: never a second accepted of its own.
	if s := replyStatuses(t, st)["f1"]; len(s) != 3 || s[0] != "accepted" {
		t.Errorf("f1 replies %v", s)
	}
}
