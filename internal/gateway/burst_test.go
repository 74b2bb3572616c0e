package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"switchboard/internal/bus"
	"switchboard/internal/events"
)

// TestPingBurstEveryCommandAnswered: a burst of pings published as fast as
// a client can: none is dropped, each gets a reply (its outcome, or failed
// with reason busy where the gateway shed it). The embedded broker hands
// commands to the router in-process, and a full router queue holds the
// sender back (TCP flow control) instead of dropping what it sent; replies
// share commits (internal/store.Group).
//
// The requester subscribes to its own reply topic only and keeps up (a
// consumer that cannot keep up loses live messages at the broker, MQTT's
// own limit, and catches up by seq with replay).
func TestPingBurstEveryCommandAnswered(t *testing.T) {
	n := 3000
	if testing.Short() {
		n = 1000
	}
	g, url := startGateway(t)
	rs := newReplyCounter(t, url, g.topics.Reply("edge", "gw1", "burst"))
	topic := g.topics.Command("edge", "gw1", "ping")
	// One ping first: its reply shows the requester's subscription is in place.
	rs.cl.PublishAsync(topic, 1, false, []byte(command("warm", "hotel.edge.cmd.ping", "burst", "{}")))
	for wait := time.Now().Add(10 * time.Second); rs.answered() < 1; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(wait) {
			t.Fatal("no reply to the first ping")
		}
	}
	n++
	start := time.Now()
	for i := range n - 1 {
		rs.cl.PublishAsync(topic, 1, false, []byte(command(fmt.Sprintf("burst-%d", i), "hotel.edge.cmd.ping", "burst", "{}")))
	}
	// Answered: the final reply committed (then published; a requester
	// that falls behind gets it again from the outbox's re-send).
	var committed time.Duration
	deadline := time.Now().Add(90 * time.Second)
	for committed == 0 {
		var k int
		if err := g.st.QueryRow(context.Background(), `SELECT COUNT(*) FROM commands WHERE status IN ('completed','failed')`).Scan(&k); err != nil {
			t.Fatal(err)
		}
		if k == n {
			committed = time.Since(start)
		} else if time.Now().After(deadline) {
			t.Fatalf("%d of %d pings answered within 90 s", k, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
	for rs.answered() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d replies reached the requester within 90 s", rs.answered(), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	took := time.Since(start)
	completed, busy := rs.outcomes()
	t.Logf("%d pings answered in %v (%.0f commands/s), every reply at the requester after %v: %d completed, %d busy",
		n, committed.Round(time.Millisecond), float64(n)/committed.Seconds(), took.Round(time.Millisecond), completed, busy)
}

// replyCounter is a requester that keeps up: it sends commands and notes
// each one's last reply, and subscribes to nothing else.
type replyCounter struct {
	cl   *bus.Client
	mu   sync.Mutex
	last map[string]string // command id -> status, or "busy"
}

func newReplyCounter(t *testing.T, url, topic string) *replyCounter {
	t.Helper()
	rc := &replyCounter{last: map[string]string{}}
	cl, err := bus.NewClient(bus.ClientOptions{URLs: []string{url}, ClientID: "burst-requester", Log: quiet, Username: testBOUser, Password: testBOPass})
	if err != nil {
		t.Fatal(err)
	}
	cl.Subscribe(topic, func(m bus.Message) {
		var env events.Envelope
		var rep bus.Reply
		if json.Unmarshal(m.Payload, &env) != nil || json.Unmarshal(env.Data, &rep) != nil {
			return
		}
		st := rep.Status
		if st == "failed" && len(rep.Reason) >= 4 && rep.Reason[:4] == "busy" {
			st = "busy"
		}
		rc.mu.Lock()
		if st != "accepted" || rc.last[rep.CommandID] == "" {
			rc.last[rep.CommandID] = st
		}
		rc.mu.Unlock()
	})
	rc.cl = cl
	cl.Start()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := cl.WaitConnected(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Disconnect(100 * time.Millisecond) })
	return rc
}

// answered counts commands with a final reply.
func (rc *replyCounter) answered() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	k := 0
	for _, st := range rc.last {
		if st != "accepted" {
			k++
		}
	}
	return k
}

func (rc *replyCounter) outcomes() (completed, busy int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for _, st := range rc.last {
		switch st {
		case "completed":
			completed++
		case "busy":
			busy++
		}
	}
	return completed, busy
}
