package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"switchboard/internal/events"
	"switchboard/test/peers"
)

// A takeover storm: 15 connections with the gateway's client id in quick
// succession, each of which makes Mosquitto end the session holding that
// id (MQTT 3.1.1 §3.1.4-2), the gateway's or the previous intruder's. The
// daemon comes back, a ping sent after the storm is answered within 15 s,
// and bus-session-lost is raised during the storm and cleared after it.
func TestTakeoverStormSurvived(t *testing.T) {
	const clientID = "gw1-storm"
	mq := peers.StartMosquitto(t)
	dir := t.TempDir()
	cfg := writeConfig(t, dir, fmt.Sprintf(`
site: {group: acme, property: h042, gateway: gw1, timezone: Asia/Shanghai}
store: {path: %s/sb.db}
mqtt:
  external: {urls: [%s], client_id: %s, probe_interval_s: 1}
`, dir, mq.URL(), clientID))
	topics := events.Topics{Group: "acme", Property: "h042", Gateway: "gw1"}
	bo := newBackOffice(t, mq.URL(), topics)
	d := startDaemon(t, cfg)
	bo.pingUntilAnswered("before", 30*time.Second)

	start := time.Now()
	var thieves []paho.Client
	for i := range 15 {
		o := paho.NewClientOptions().AddBroker(mq.URL()).SetClientID(clientID).SetCleanSession(true).
			SetAutoReconnect(false).SetConnectTimeout(3 * time.Second)
		c := paho.NewClient(o)
		if tok := c.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
			t.Fatalf("intruder %d: connect: %v", i+1, tok.Error())
		}
		thieves = append(thieves, c)
		time.Sleep(100 * time.Millisecond)
	}
	for _, c := range thieves {
		c.Disconnect(0)
	}
	end := time.Now()
	t.Logf("storm: 15 connections with client id %s in %s", clientID, end.Sub(start).Round(time.Millisecond))

	id := bo.pingUntilAnswered("after", 15*time.Second)
	t.Logf("ping %s answered %s after the storm", id, time.Since(end).Round(time.Millisecond))
	raised := bo.waitAlert("raised", 15*time.Second)
	cleared := bo.waitAlert("cleared", 15*time.Second)
	t.Logf("bus-session-lost raised (seq %d), then cleared %s after the storm (seq %d)", raised.Seq, time.Since(end).Round(time.Millisecond), cleared.Seq)
	if cleared.Seq < raised.Seq {
		t.Errorf("cleared (seq %d) before raised (seq %d)", cleared.Seq, raised.Seq)
	}
	var a events.Alert
	if err := json.Unmarshal(raised.Data, &a); err != nil || a.Device != "gw1" || a.Severity != "critical" || !strings.Contains(a.Message, "client id") {
		t.Errorf("raised alert %+v (%v): want device gw1, critical, a message naming the client id", a, err)
	}
	if !strings.Contains(d.output(), "another client uses this gateway's client id") {
		t.Errorf("the takeover is not in the daemon's log:\n%s", d.output())
	}
}

// pingUntilAnswered sends edge/gw1/cmd/ping every second, with a new id
// each time as a back office that got no answer would, until one is
// completed; it returns the id answered.
func (b *backOffice) pingUntilAnswered(prefix string, within time.Duration) string {
	b.t.Helper()
	deadline := time.Now().Add(within)
	for i := 1; ; i++ {
		id := fmt.Sprintf("%s-%d", prefix, i)
		cmd := events.Envelope{SpecVersion: events.SpecVersion, ID: id, Source: "/backoffice", Type: "hotel.edge.cmd.ping", Time: time.Now(),
			DataContentType: "application/json", DataSchema: events.SchemaURI("hotel.edge.cmd.ping"), ReplyTo: "storm", Data: json.RawMessage(`{}`)}
		payload, _ := json.Marshal(cmd)
		b.cl.PublishAsync(b.topics.Command("edge", b.topics.Gateway, "ping"), 1, false, payload)
		for end := time.Now().Add(time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
			if b.find(func(env events.Envelope) bool {
				return env.Type == "hotel.command.completed" && strings.Contains(string(env.Data), `"command_id":"`+id+`"`)
			}) != nil {
				return id
			}
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("no ping answered within %s", within)
		}
	}
}

// waitAlert waits for the gateway's bus-session-lost alert in state.
func (b *backOffice) waitAlert(state string, within time.Duration) events.Envelope {
	b.t.Helper()
	deadline := time.Now().Add(within)
	for {
		if env := b.find(func(env events.Envelope) bool {
			return env.Type == "hotel.edge.device.alert" && strings.Contains(string(env.Data), `"alert":"bus-session-lost"`) &&
				strings.Contains(string(env.Data), `"state":"`+state+`"`)
		}); env != nil {
			return *env
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("no bus-session-lost %s within %s", state, within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// find returns the first event received that matches.
func (b *backOffice) find(match func(events.Envelope) bool) *events.Envelope {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := range b.envs {
		if match(b.envs[i]) {
			env := b.envs[i]
			return &env
		}
	}
	return nil
}
