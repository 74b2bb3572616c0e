package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/internal/bus"
	"switchboard/internal/config"
	"switchboard/internal/events"
	"switchboard/internal/store"
	"switchboard/schemas"
	"switchboard/test/peers"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// startGateway runs a gateway on an embedded broker of its own.
func startGateway(t *testing.T) (*Gateway, string) {
	t.Helper()
	return startGatewayOn(t, testBroker(peers.FreePort(t)))
}

// startGatewayOn runs a gateway on the embedded broker e.
func startGatewayOn(t *testing.T, e *config.EmbeddedBroker) (*Gateway, string) {
	t.Helper()
	cfg := &config.Config{
		Site:  config.Site{Group: "acme", Property: "h042", Gateway: "gw1", Timezone: "Asia/Shanghai"},
		Store: config.Store{Path: filepath.Join(t.TempDir(), "sb.db")},
		MQTT:  config.MQTT{Embedded: e},
	}
	ctx, cancel := context.WithCancel(context.Background())
	g, err := New(ctx, cfg, quiet)
	if err != nil {
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
	return g, g.BrokerURL()
}

// backOffice subscribes to everything and validates every message against
// its schema.
type backOffice struct {
	t    *testing.T
	cl   *bus.Client
	mu   sync.Mutex
	msgs []bus.Message
	kick chan struct{}
}

func newBackOffice(t *testing.T, url string) *backOffice {
	return newBackOfficeTLS(t, url, bus.ClientOptions{})
}

// newBackOfficeTLS is newBackOffice with tls's CAFile, CertFile and KeyFile.
func newBackOfficeTLS(t *testing.T, url string, tls bus.ClientOptions) *backOffice {
	cl, err := bus.NewClient(bus.ClientOptions{URLs: []string{url}, ClientID: "bo", Ordered: true, Log: quiet, Username: testBOUser, Password: testBOPass,
		CAFile: tls.CAFile, CertFile: tls.CertFile, KeyFile: tls.KeyFile})
	if err != nil {
		t.Fatal(err)
	}
	b := &backOffice{t: t, cl: cl, kick: make(chan struct{}, 1)}
	cl.Subscribe("hotel/acme/h042/#", func(m bus.Message) {
		// Every message the gateway publishes must match its schema
		// (commands are the test's own, some malformed on purpose).
		if err := schemas.Validate(m.Payload); err != nil && !strings.Contains(m.Topic, "/cmd/") && !strings.HasSuffix(m.Topic, "/ack") {
			t.Errorf("message on %s does not match its schema: %v\n%s", m.Topic, err, m.Payload)
		}
		b.mu.Lock()
		b.msgs = append(b.msgs, m)
		b.mu.Unlock()
		select {
		case b.kick <- struct{}{}:
		default:
		}
	})
	cl.Start()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := cl.WaitConnected(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Disconnect(100 * time.Millisecond) })
	return b
}

// waitFor returns the first message matching pred, waiting up to 10 s.
func (b *backOffice) waitFor(what string, pred func(bus.Message, events.Envelope) bool) events.Envelope {
	b.t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		b.mu.Lock()
		for _, m := range b.msgs {
			var env events.Envelope
			if json.Unmarshal(m.Payload, &env) == nil && pred(m, env) {
				b.mu.Unlock()
				return env
			}
		}
		b.mu.Unlock()
		select {
		case <-b.kick:
		case <-deadline:
			b.t.Fatalf("no %s within 10 s", what)
		}
	}
}

func (b *backOffice) count(pred func(events.Envelope) bool) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, m := range b.msgs {
		var env events.Envelope
		if json.Unmarshal(m.Payload, &env) == nil && pred(env) {
			n++
		}
	}
	return n
}

func replyData(t *testing.T, env events.Envelope) bus.Reply {
	var r bus.Reply
	if err := json.Unmarshal(env.Data, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func command(id, typ, replyto, data string) string {
	return fmt.Sprintf(`{"specversion":"1.0","id":%q,"source":"/backoffice","type":%q,"time":"2026-11-27T10:00:00+08:00","datacontenttype":"application/json","dataschema":"urn:switchboard:schema:%s:v1","replyto":%q,"data":%s}`, id, typ, typ, replyto, data)
}

func (b *backOffice) waitOnline(g *Gateway) {
	b.waitFor("retained online status", func(m bus.Message, env events.Envelope) bool {
		return m.Topic == g.topics.Status() && strings.Contains(string(env.Data), `"state":"online"`)
	})
}

func TestStatusAndCommands(t *testing.T) {
	g, url := startGateway(t)
	bo := newBackOffice(t, url)
	bo.waitOnline(g)
	pingTopic := g.topics.Command("edge", "gw1", "ping")
	isReply := func(id, status string) func(bus.Message, events.Envelope) bool {
		return func(m bus.Message, env events.Envelope) bool {
			return strings.Contains(m.Topic, "/reply/") && env.Type == "hotel.command."+status &&
				strings.Contains(string(env.Data), `"command_id":"`+id+`"`)
		}
	}

	// A good command: accepted, then completed, on the requester's reply topic.
	bo.cl.PublishAsync(pingTopic, 1, false, []byte(command("c1", "hotel.edge.cmd.ping", "frontdesk", "{}")))
	acc := bo.waitFor("accepted", isReply("c1", "accepted"))
	done := bo.waitFor("completed", isReply("c1", "completed"))
	if acc.Seq >= done.Seq {
		t.Errorf("accepted seq %d not before completed seq %d", acc.Seq, done.Seq)
	}

	// The same command id again: the outcome is repeated, nothing runs twice.
	bo.cl.PublishAsync(pingTopic, 1, false, []byte(command("c1", "hotel.edge.cmd.ping", "frontdesk", "{}")))
	time.Sleep(300 * time.Millisecond)
	bo.waitFor("repeated outcome", func(m bus.Message, env events.Envelope) bool {
		return env.Type == "hotel.command.completed" && strings.Contains(env.IdemKey, "repeat")
	})
	if n := bo.count(func(env events.Envelope) bool {
		return env.Type == "hotel.command.accepted" && strings.Contains(string(env.Data), `"c1"`)
	}); n != 1 {
		t.Errorf("command c1 accepted %d times, want once", n)
	}

	// Malformed commands: failed, naming the field; nothing else happens.
	for _, tc := range []struct {
		id, payload, field string
	}{
		{"m1", `{"specversion":"1.0","id":"m1","source":"x","type":"hotel.edge.cmd.ping","replyto":"frontdesk","data":{"bogus":1}}`, "data.bogus"},
		{"m2", `{"specversion":"1.0","id":"m2","source":"x","type":"hotel.pbx.cmd.ping","replyto":"frontdesk"}`, "type"},
		{"m3", `{"specversion":"0.3","id":"m3","source":"x","type":"hotel.edge.cmd.ping","replyto":"frontdesk"}`, "specversion"},
		{"m4", `{"specversion":"1.0","id":"m4","type":"hotel.edge.cmd.ping","replyto":"frontdesk"}`, "source"},
		{"m5", `{"specversion":"1.0","id":"m5","source":"x","type":"hotel.edge.cmd.replay","replyto":"frontdesk","data":{"from":0}}`, "data.from"},
		{"m6", `{"specversion":"1.0","id":"m6","source":"x","type":"hotel.edge.cmd.replay","replyto":"frontdesk","data":{"from":"one"}}`, "data.from"},
	} {
		topic := pingTopic
		if strings.Contains(tc.payload, "replay") {
			topic = g.topics.Command("edge", "gw1", "replay")
		}
		bo.cl.PublishAsync(topic, 1, false, []byte(tc.payload))
		env := bo.waitFor("failed reply to "+tc.id, isReply(tc.id, "failed"))
		if r := replyData(t, env); r.Field != tc.field || r.Reason == "" {
			t.Errorf("%s: failed reply names field %q (reason %q), want %q", tc.id, r.Field, r.Reason, tc.field)
		}
	}
	// Not JSON at all, but the requester can still be found.
	bo.cl.PublishAsync(pingTopic, 1, false, []byte(`{"id":"m7","replyto":"frontdesk", nope`))
	env := bo.waitFor("failed reply to garbage", func(m bus.Message, env events.Envelope) bool {
		return env.Type == "hotel.command.failed" && strings.Contains(string(env.Data), `"field":"payload"`)
	})
	if r := replyData(t, env); !strings.Contains(r.Reason, "not a CloudEvents JSON object") {
		t.Errorf("garbage reason = %q", r.Reason)
	}
	// An unknown command.
	bo.cl.PublishAsync(g.topics.Command("pbx", "pbx1", "explode"), 1, false, []byte(command("u1", "hotel.pbx.cmd.explode", "frontdesk", "{}")))
	env = bo.waitFor("failed reply to unknown command", isReply("u1", "failed"))
	if r := replyData(t, env); !strings.Contains(r.Reason, "unknown command") {
		t.Errorf("unknown command reason = %q", r.Reason)
	}
}

func TestAckMovesCursorAndReplayResends(t *testing.T) {
	g, url := startGateway(t)
	bo := newBackOffice(t, url)
	bo.waitOnline(g)
	bo.cl.PublishAsync(g.topics.Command("edge", "gw1", "ping"), 1, false, []byte(command("p1", "hotel.edge.cmd.ping", "bo", "{}")))
	done := bo.waitFor("completed", func(m bus.Message, env events.Envelope) bool { return env.Type == "hotel.command.completed" })
	bo.cl.PublishAsync(g.topics.Ack(), 1, false, fmt.Appendf(nil, `{"seq":%d,"seqepoch":%q}`, done.Seq, done.SeqEpoch))
	deadline := time.Now().Add(5 * time.Second)
	for {
		st, _ := g.Store().Stats(context.Background())
		if st.AckedSeq == done.Seq {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("ack not applied: %+v", st)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// An ack for another database, a bare number (the rogue 999999999 of
	// issue 11) and one beyond the last published seq are refused and
	// counted.
	for _, p := range []string{`{"seq":999,"seqepoch":"other"}`, "999999999", fmt.Sprintf(`{"seq":999999999,"seqepoch":%q}`, done.SeqEpoch)} {
		bo.cl.PublishAsync(g.topics.Ack(), 1, false, []byte(p))
	}
	waitUntil(t, "3 acks refused", func() bool { return g.outbox.AcksRefused() == 3 })
	if st, _ := g.Store().Stats(context.Background()); st.AckedSeq != done.Seq {
		t.Fatalf("refused ack applied: %+v", st)
	}
	// Replay from 1 publishes seq 1 again.
	bo.cl.PublishAsync(g.topics.Command("edge", "gw1", "replay"), 1, false, []byte(command("r1", "hotel.edge.cmd.replay", "bo", `{"from":1}`)))
	bo.waitFor("replay completed", func(m bus.Message, env events.Envelope) bool {
		return env.Type == "hotel.command.completed" && strings.Contains(string(env.Data), `"r1"`)
	})
	deadline = time.Now().Add(5 * time.Second)
	for bo.count(func(env events.Envelope) bool { return env.Seq == 1 }) < 2 {
		if time.Now().After(deadline) {
			t.Fatal("seq 1 not published again after replay")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A command accepted before a crash and never confirmed is answered failed
// at the next start, with a reason the requester can act on.
func TestInterruptedCommandAnsweredAtStart(t *testing.T) {
	dir := t.TempDir()
	cfg := &config.Config{
		Site:  config.Site{Group: "acme", Property: "h042", Gateway: "gw1", Timezone: "Asia/Shanghai"},
		Store: config.Store{Path: filepath.Join(dir, "sb.db")},
		MQTT:  config.MQTT{Embedded: testBroker(peers.FreePort(t))},
	}
	off, err := OpenOffline(context.Background(), cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	err = off.Store().InTx(context.Background(), func(tx *store.Tx) error {
		return tx.PutCommand(store.CommandRow{ID: "w1", Topic: "pbx/pbx1/wakeup.set", Client: "frontdesk", Received: time.Now(), Status: store.CommandAccepted})
	})
	off.Close()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	g, err := New(ctx, cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() { done <- g.Run(ctx) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		rows, _ := g.Store().Pending(context.Background(), 0, 10)
		if len(rows) == 1 && strings.Contains(string(rows[0].Payload), "interrupted") && rows[0].Type == "hotel.command.failed" &&
			rows[0].Topic == "hotel/acme/h042/pbx/pbx1/reply/frontdesk" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no failed reply for the interrupted command: %+v", rows)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
