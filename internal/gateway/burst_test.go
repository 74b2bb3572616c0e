package gateway

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"switchboard/internal/events"
)

// TestPingBurstEveryCommandAnswered: a burst of pings published as fast as
// a client can: none is dropped, each gets its completed reply. The
// embedded broker hands commands to the router in-process, and a full
// router queue holds the sender back (TCP flow control) instead of
// dropping what it sent.
func TestPingBurstEveryCommandAnswered(t *testing.T) {
	const n = 3000
	g, url := startGateway(t)
	bo := newBackOffice(t, url)
	bo.waitOnline(g)
	topic := g.topics.Command("edge", "gw1", "ping")
	start := time.Now()
	for i := range n {
		bo.cl.PublishAsync(topic, 1, false, []byte(command(fmt.Sprintf("burst-%d", i), "hotel.edge.cmd.ping", "burst", "{}")))
	}
	completed := func() int {
		return bo.count(func(env events.Envelope) bool {
			return env.Type == "hotel.command.completed" && strings.Contains(string(env.Data), `"burst-`)
		})
	}
	deadline := time.Now().Add(90 * time.Second)
	for completed() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d pings answered within 90 s", completed(), n)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("%d pings answered in %v (%.0f commands/s)", n, time.Since(start).Round(time.Millisecond), n/time.Since(start).Seconds())
}
