package gateway

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"switchboard/internal/bus"
	"switchboard/internal/config"
	"switchboard/internal/events"
	"switchboard/test/peers"
)

// startExternalGateway runs a gateway on a real Mosquitto as its external
// broker, with clientID and the probe every interval.
func startExternalGateway(t *testing.T, mq *peers.Mosquitto, clientID string, interval time.Duration) *Gateway {
	t.Helper()
	cfg := &config.Config{
		Site:  config.Site{Group: "acme", Property: "h042", Gateway: "gw1", Timezone: "Asia/Shanghai"},
		Store: config.Store{Path: filepath.Join(t.TempDir(), "sb.db")},
		MQTT:  config.MQTT{External: &config.ExternalBroker{URLs: []string{mq.URL()}, ClientID: clientID}},
	}
	ctx, cancel := context.WithCancel(context.Background())
	g, err := NewTuned(ctx, cfg, quiet, Tuning{ProbeInterval: interval})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error)
	go func() { done <- g.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return g
}

// pingUntilAnswered sends a ping every second (a new command id each time,
// as a back office that got no answer would) until one is completed, and
// returns the id answered; within bounds the wait.
func (b *backOffice) pingUntilAnswered(g *Gateway, prefix string, within time.Duration) string {
	b.t.Helper()
	deadline := time.Now().Add(within)
	for i := 1; ; i++ {
		id := fmt.Sprintf("%s-%d", prefix, i)
		b.cl.PublishAsync(g.topics.Command("edge", "gw1", "ping"), 1, false, []byte(command(id, "hotel.edge.cmd.ping", "bo", "{}")))
		for end := time.Now().Add(time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
			if b.answered(id) {
				return id
			}
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("no ping answered within %s", within)
		}
	}
}

// answered says whether command id got its completed reply.
func (b *backOffice) answered(id string) bool {
	return b.count(func(env events.Envelope) bool {
		return env.Type == "hotel.command.completed" && strings.Contains(string(env.Data), `"command_id":"`+id+`"`)
	}) > 0
}

// busAlert matches the gateway's bus-session-lost alert in state.
func busAlert(state string) func(bus.Message, events.Envelope) bool {
	return func(m bus.Message, env events.Envelope) bool {
		return m.Topic == "hotel/acme/h042/edge/gw1/event/device.alert" && env.Type == "hotel.edge.device.alert" &&
			strings.Contains(string(env.Data), `"alert":"bus-session-lost"`) && strings.Contains(string(env.Data), `"state":"`+state+`"`)
	}
}

// The broker forgets the gateway's subscriptions while the connection
// stays up (no connection loss tells the gateway): commands go nowhere
// until the probe misses its answer, the gateway reconnects and subscribes
// again, raises bus-session-lost and clears it once steady.
func TestProbeResubscribesAfterSubscriptionsLost(t *testing.T) {
	mq := peers.StartMosquitto(t)
	g := startExternalGateway(t, mq, "gw1-probe-test", time.Second)
	bo := newBackOffice(t, mq.URL())
	bo.waitOnline(g)
	bo.pingUntilAnswered(g, "before", 15*time.Second)
	waitUntil(t, "a probe answered", func() bool { return g.ProbeStats().Answered > 0 })
	gen := g.client.Generation()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := g.client.DropSubscriptions(ctx); err != nil {
		t.Fatal(err)
	}
	dropped := time.Now()
	// Deaf: a ping now reaches no subscriber, and the connection is up.
	bo.cl.PublishAsync(g.topics.Command("edge", "gw1", "ping"), 1, false, []byte(command("deaf", "hotel.edge.cmd.ping", "bo", "{}")))

	bo.waitFor("bus-session-lost raised", busAlert("raised"))
	t.Logf("alert raised %s after the subscriptions were dropped", time.Since(dropped).Round(time.Millisecond))
	id := bo.pingUntilAnswered(g, "after", 15*time.Second)
	t.Logf("ping %s answered %s after the subscriptions were dropped", id, time.Since(dropped).Round(time.Millisecond))
	bo.waitFor("bus-session-lost cleared", busAlert("cleared"))
	t.Logf("alert cleared %s after the subscriptions were dropped", time.Since(dropped).Round(time.Millisecond))

	if bo.answered("deaf") {
		t.Error("the ping sent while the subscriptions were gone was answered: the test did not make the gateway deaf")
	}
	st := g.ProbeStats()
	if st.Lost < 1 || st.TakenOver != 0 {
		t.Errorf("probe stats %+v: want a lost probe and no takeover", st)
	}
	if g.client.Generation() == gen {
		t.Error("the gateway did not reconnect")
	}
	if open, err := g.Store().DeviceAlertOpen(context.Background(), "gw1", bus.ProbeAlert); err != nil || open {
		t.Errorf("alert still open in the store after it was cleared (%v)", err)
	}
}
