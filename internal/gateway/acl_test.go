package gateway

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"switchboard/internal/bus"
	"switchboard/internal/events"
	"switchboard/internal/store"
)

// Fifteen quick connections with the gateway's own client id (issue 11:
// they used to take its session over and leave it deaf) are refused, and
// the gateway still answers a ping at once.
func TestGatewayClientIDTakeoverRefused(t *testing.T) {
	g, url := startGateway(t)
	bo := newBackOffice(t, url)
	bo.waitOnline(g)
	id := "switchboard-h042-gw1"
	for i := range 15 {
		who := [][2]string{{"", ""}, {testBOUser, testBOPass}, {"switchboard-gateway", "guess"}}[i%3]
		o := paho.NewClientOptions().AddBroker(url).SetClientID(id).SetUsername(who[0]).SetPassword(who[1]).
			SetAutoReconnect(false).SetConnectTimeout(3 * time.Second)
		c := paho.NewClient(o)
		tok := c.Connect()
		if !tok.WaitTimeout(5*time.Second) || tok.Error() == nil {
			c.Disconnect(0)
			t.Fatalf("connection %d with the gateway's client id as %q was not refused", i, who[0])
		}
	}
	bo.cl.PublishAsync(g.topics.Command("edge", "gw1", "ping"), 1, false, []byte(command("after-storm", "hotel.edge.cmd.ping", "bo", "{}")))
	bo.waitFor("the ping answered after the storm", func(m bus.Message, env events.Envelope) bool {
		return env.Type == "hotel.command.completed" && strings.Contains(string(env.Data), `"after-storm"`)
	})
	// Nor may an anonymous loopback client speak for the gateway or
	// command it: its publishes never reach the back office.
	anon, err := bus.NewClient(bus.ClientOptions{URLs: []string{url}, ClientID: "anon", Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	anon.Start()
	defer anon.Disconnect(0)
	waitUntil(t, "anonymous connected", func() bool {
		select {
		case <-anon.Up():
			return true
		default:
			return false
		}
	})
	anon.PublishAsync(g.topics.Command("edge", "gw1", "ping"), 1, false, []byte(command("anon-ping", "hotel.edge.cmd.ping", "bo", "{}")))
	anon.PublishAsync(g.topics.Event("pbx", "pbx1", "hotel.pbx.call.charged"), 1, false, []byte(`{"fake":true}`))
	time.Sleep(500 * time.Millisecond)
	if n := bo.count(func(env events.Envelope) bool { return strings.Contains(string(env.Data), "anon-ping") }); n != 0 {
		t.Errorf("an anonymous ping was answered (%d messages)", n)
	}
	bo.mu.Lock()
	defer bo.mu.Unlock()
	for _, m := range bo.msgs {
		if strings.Contains(string(m.Payload), `"fake"`) || strings.Contains(string(m.Payload), "anon-ping") {
			t.Errorf("an anonymous publish reached the back office: %s %s", m.Topic, fmt.Sprint(string(m.Payload)))
		}
	}
}

// Every command is recorded with the principal it came from, and its
// replies name it (issue 11: who acted).
func TestCommandRecordsItsPrincipal(t *testing.T) {
	g, url := startGateway(t)
	bo := newBackOffice(t, url)
	bo.waitOnline(g)
	bo.cl.PublishAsync(g.topics.Command("edge", "gw1", "ping"), 1, false, []byte(command("who-1", "hotel.edge.cmd.ping", "bo", "{}")))
	for _, status := range []string{"accepted", "completed"} {
		env := bo.waitFor(status, func(m bus.Message, env events.Envelope) bool {
			return env.Type == "hotel.command."+status && strings.Contains(string(env.Data), `"who-1"`)
		})
		if !strings.Contains(string(env.Data), `"by":{"principal":"bo","role":"backoffice"}`) {
			t.Errorf("%s reply does not name its principal: %s", status, env.Data)
		}
	}
	var row store.CommandRow
	err := g.Store().InTx(context.Background(), func(tx *store.Tx) (err error) {
		row, _, err = tx.Command("who-1")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if row.Principal != "bo" || row.Role != "backoffice" {
		t.Errorf("command log: principal %q role %q, want bo backoffice", row.Principal, row.Role)
	}
}

// TestEventsNameTheirCause: an event a command causes (a check-in's
// folio.checked-in) names the command's principal in its envelope; an
// event of the gateway's own (its status) names none.
func TestEventsNameTheirCause(t *testing.T) {
	g, _, stop := hotelGateway(t)
	defer stop()
	bo := newBackOffice(t, g.BrokerURL())
	bo.waitOnline(g)
	if r := bo.command(g.topics.Command("edge", "gw1", "folio.checkin"), "cause-1", "hotel.edge.cmd.folio.checkin", events.CheckInData{Room: "1203"}); r.Status != "completed" {
		t.Fatalf("check-in: %+v", r)
	}
	env := bo.waitFor("folio.checked-in", func(m bus.Message, env events.Envelope) bool {
		return env.Type == "hotel.edge.folio.checked-in"
	})
	if env.Principal != testBOUser || env.PrincipalRole != "backoffice" {
		t.Errorf("folio.checked-in caused by %q (%q), want %q backoffice", env.Principal, env.PrincipalRole, testBOUser)
	}
	st := bo.waitFor("status", func(m bus.Message, env events.Envelope) bool { return env.Type == "hotel.edge.status" })
	if st.Principal != "" {
		t.Errorf("the gateway's status names %q", st.Principal)
	}
}
