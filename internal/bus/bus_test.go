package bus

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"switchboard/internal/events"
	"switchboard/internal/store"
	"switchboard/test/peers"

	paho "github.com/eclipse/paho.mqtt.golang"
)

var topics = events.Topics{Group: "acme", Property: "h042", Gateway: "gw1"}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// consumer is a back office: it records every event and acknowledges the
// highest seq up to which it has everything.
type consumer struct {
	cl     *Client
	mu     sync.Mutex
	seen   map[int64]int
	order  []int64
	acked  int64
	noAck  bool
	gotAll chan struct{}
	want   int64
}

func newConsumer(t *testing.T, url string, want int64, as login) *consumer {
	t.Helper()
	cl, err := NewClient(ClientOptions{URLs: []string{url}, ClientID: fmt.Sprintf("backoffice-%d", time.Now().UnixNano()), Ordered: true, Log: quiet,
		Username: as.user, Password: as.pass})
	if err != nil {
		t.Fatal(err)
	}
	c := &consumer{cl: cl, seen: map[int64]int{}, gotAll: make(chan struct{}), want: want}
	cl.Subscribe("hotel/acme/h042/+/+/event/#", c.onEvent)
	cl.Start()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := cl.WaitConnected(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Disconnect(100 * time.Millisecond) })
	return c
}

func (c *consumer) onEvent(m Message) {
	var env events.Envelope
	if err := json.Unmarshal(m.Payload, &env); err != nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seen[env.Seq]++
	c.order = append(c.order, env.Seq)
	next := c.acked
	for c.seen[next+1] > 0 {
		next++
	}
	if next > c.acked {
		c.acked = next
		if !c.noAck {
			c.cl.PublishAsync(topics.Ack(), 1, false, fmt.Appendf(nil, `{"seq":%d,"seqepoch":%q}`, next, env.SeqEpoch))
		}
		if next >= c.want {
			select {
			case <-c.gotAll:
			default:
				close(c.gotAll)
			}
		}
	}
}

// check asserts seq 1..want arrived. Arrivals go up in seq order except
// where the gateway starts again from the consumer's acknowledged cursor
// (after a reconnect, or when acks stall because this consumer missed
// events while its own session was down); those restarts must be few, and
// the consumer, reading in seq order, must have had everything.
func (c *consumer) check(t *testing.T) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	for s := int64(1); s <= c.want; s++ {
		if c.seen[s] == 0 {
			t.Fatalf("seq %d never arrived", s)
		}
	}
	var restarts []string
	for i := 1; i < len(c.order); i++ {
		if c.order[i] <= c.order[i-1] {
			restarts = append(restarts, fmt.Sprintf("%d->%d", c.order[i-1], c.order[i]))
		}
	}
	// One restart per gateway reconnect, one per stall of this consumer's
	// acks: a handful. Many mean two streams interleave (paho re-sending
	// its own in-flight publishes beside the outbox did that).
	if len(restarts) > 5 {
		t.Fatalf("%d restarts for %d events: the stream is not in order: %v", len(restarts), c.want, restarts)
	}
	t.Logf("%d arrivals for %d events, %d restarts from the ack cursor %v", len(c.order), c.want, len(restarts), restarts)
}

type rig struct {
	st     *store.Store
	cl     *Client
	outbox *Outbox
	ackSub func(Message)
}

// newRig is the gateway's publishing side against a broker at url.
func newRig(t *testing.T, url string, as login, tap *Broker) *rig {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "sb.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cl, err := NewClient(ClientOptions{URLs: []string{url}, ClientID: "gw-under-test", Log: quiet, Username: as.user, Password: as.pass})
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{st: st, cl: cl, outbox: NewOutbox(st, cl, quiet)}
	onAck := func(m Message) { r.outbox.HandleAck(context.Background(), m) }
	if tap != nil {
		tap.Tap(topics.Ack(), onAck) // the embedded broker says who acknowledged
	} else {
		cl.Subscribe(topics.Ack(), onAck)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.outbox.Run(ctx); close(done) }()
	cl.Start()
	t.Cleanup(func() { cancel(); <-done; cl.Disconnect(100 * time.Millisecond) })
	return r
}

func (r *rig) produce(t *testing.T, from, to int) {
	t.Helper()
	for i := from; i <= to; i++ {
		_, _, err := r.st.Enqueue(context.Background(), store.Event{
			Type: "hotel.pbx.call.recorded", Topic: topics.Event("pbx", "pbx1", "hotel.pbx.call.recorded"),
			Source: topics.Source("pbx", "pbx1"), IdemKey: fmt.Sprintf("call-%d", i), Data: map[string]int{"n": i}})
		if err != nil {
			t.Fatal(err)
		}
		r.outbox.Notify()
	}
}

func waitAll(t *testing.T, c *consumer, d time.Duration) {
	t.Helper()
	select {
	case <-c.gotAll:
	case <-time.After(d):
		c.mu.Lock()
		defer c.mu.Unlock()
		t.Fatalf("only up to seq %d of %d arrived within %s", c.acked, c.want, d)
	}
	c.check(t)
}

func TestOutboxDrainsInOrderToEmbeddedBroker(t *testing.T) {
	t.Parallel() // waits on brokers, not the CPU: beside the package's other waits
	br, bo := startTestBroker(t, "gw-under-test")
	c := newConsumer(t, br.URL(), 2000, bo)
	gwUser, gwPass := br.GatewayCredential()
	r := newRig(t, br.URL(), login{gwUser, gwPass}, br)
	r.produce(t, 1, 2000)
	waitAll(t, c, 30*time.Second)
	deadline := time.Now().Add(5 * time.Second)
	for {
		st, _ := r.st.Stats(context.Background())
		if st.AckedSeq == 2000 && st.Backlog == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("acks did not reach the store: %+v", st)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A replay from a seq the outbox has not reached yet skips nothing: the
// events before it are still sent, in order (what the broker acknowledged
// is recorded as everything up to a seq, store.MarkPublished, so a skip
// would also have been marked as published).
func TestReplayAheadSkipsNothing(t *testing.T) {
	t.Parallel()
	br, bo := startTestBroker(t, "gw-under-test")
	c := newConsumer(t, br.URL(), 10, bo)
	gwUser, gwPass := br.GatewayCredential()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "sb.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cl, err := NewClient(ClientOptions{URLs: []string{br.URL()}, ClientID: "gw-under-test", Log: quiet, Username: gwUser, Password: gwPass})
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{st: st, cl: cl, outbox: NewOutbox(st, cl, quiet)}
	r.produce(t, 1, 10)
	r.outbox.Replay(8) // before the first session: its cursor is 0
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.outbox.Run(ctx); close(done) }()
	cl.Start()
	t.Cleanup(func() { cancel(); <-done; cl.Disconnect(100 * time.Millisecond) })
	waitAll(t, c, 10*time.Second)
}

// The broker (real Mosquitto) is killed for 30 s while events are produced;
// once it is back every event arrives, first arrivals in seq order.
func TestOutboxSurvivesMosquittoOutage(t *testing.T) {
	t.Parallel() // waits on brokers, not the CPU: beside the package's other waits
	if testing.Short() {
		t.Skip("30 s broker outage")
	}
	mq := peers.StartMosquitto(t)
	c := newConsumer(t, mq.URL(), 3000, login{})
	r := newRig(t, mq.URL(), login{}, nil)
	r.outbox.RedeliverAfter = 2 * time.Second
	r.produce(t, 1, 1000)
	mq.Kill()
	outage := time.Now()
	// Events keep coming while the broker is down.
	r.produce(t, 1001, 2000)
	select {
	case <-r.cl.Up():
		t.Fatal("gateway still connected with the broker killed")
	default:
	}
	time.Sleep(30*time.Second - time.Since(outage))
	mq.Restart()
	r.produce(t, 2001, 3000)
	waitAll(t, c, 60*time.Second)
}

func BenchmarkOutboxDrainMosquitto(b *testing.B) {
	mq := peers.StartMosquitto(b)
	benchDrain(b, func() ClientOptions { return ClientOptions{URLs: []string{mq.URL()}, ClientID: "bench", Log: quiet} })
}

// BenchmarkOutboxDrainEmbedded: the outbox drained to the embedded broker
// by the daemon's own session (paho on loopback TCP with its per-process
// credential, as the gateway runs it), a subscriber of every event
// connected.
func BenchmarkOutboxDrainEmbedded(b *testing.B) {
	br, err := StartBroker(BrokerOptions{Listen: "127.0.0.1:0", Topics: topics, Anonymous: RoleReadonly, GatewayClientID: "gw", Log: quiet})
	if err != nil {
		b.Fatal(err)
	}
	defer br.Close()
	var got atomic.Int64
	sub := paho.NewClient(paho.NewClientOptions().AddBroker(br.URL()).SetClientID("sub").
		SetDefaultPublishHandler(func(paho.Client, paho.Message) { got.Add(1) }))
	if tok := sub.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		b.Fatal(tok.Error())
	}
	defer sub.Disconnect(0)
	sub.Subscribe("hotel/acme/h042/#", 0, nil).Wait()
	benchDrain(b, func() ClientOptions {
		user, pass := br.GatewayCredential()
		return ClientOptions{URLs: []string{br.URL()}, ClientID: "gw", Username: user, Password: pass, Log: quiet}
	})
}

// benchDrain publishes 20,000 stored events through an Outbox's publish
// path (batches pipelined, every PUBACK awaited, then marked), per op.
func benchDrain(b *testing.B, opts func() ClientOptions) {
	st, err := store.Open(context.Background(), filepath.Join(b.TempDir(), "sb.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	const n = 20000
	for i := 0; i < n; i += 500 {
		st.InTx(context.Background(), func(tx *store.Tx) error {
			for j := i; j < i+500; j++ {
				if _, _, err := tx.Enqueue(store.Event{Type: "hotel.pbx.call.recorded", Topic: "hotel/acme/h042/pbx/pbx1/event/call.recorded",
					Source: "/x", IdemKey: fmt.Sprint(j), Data: map[string]any{"dialed": "00815551234", "duration_s": j}}); err != nil {
					return err
				}
			}
			return nil
		})
	}
	cl, err := NewClient(opts())
	if err != nil {
		b.Fatal(err)
	}
	cl.Start()
	defer cl.Disconnect(0)
	cl.WaitConnected(context.Background())
	o := NewOutbox(st, cl, quiet)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rows, err := st.Pending(context.Background(), 0, n)
		if err != nil {
			b.Fatal(err)
		}
		for k := 0; k < len(rows); k += o.batch {
			end := min(k+o.batch, len(rows))
			if err := o.publish(context.Background(), rows[k:end]); err != nil {
				b.Fatal(err)
			}
		}
		if err := st.MarkPublished(context.Background(), rows[len(rows)-1].Seq); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "events/s")
}

// An external broker over TLS with passwords (real Mosquitto): the gateway's
// client verifies the server against the configured CA and logs in.
func TestExternalBrokerTLSWithPassword(t *testing.T) {
	t.Parallel() // waits on brokers, not the CPU: beside the package's other waits
	ca := peers.NewTestCA(t, "broker")
	pw := filepath.Join(peers.SharedTempDir(t), "passwd")
	if out, err := exec.Command("mosquitto_passwd", "-b", "-c", pw, "h042", "s3cret").CombinedOutput(); err != nil {
		t.Fatalf("mosquitto_passwd: %v\n%s", err, out)
	}
	os.Chmod(pw, 0o644)
	mq := peers.StartMosquittoTLS(t, ca, pw)
	other := peers.NewTestCA(t, "someone else")
	for _, tc := range []struct {
		name, caFile, user, pass string
		ok                       bool
	}{
		{"right CA and password", ca.CAFile, "h042", "s3cret", true},
		{"wrong password", ca.CAFile, "h042", "guess", false},
		{"server not signed by the configured CA", other.CAFile, "h042", "s3cret", false},
	} {
		cl, err := NewClient(ClientOptions{URLs: []string{mq.URL()}, ClientID: "tls-" + tc.pass + tc.caFile[len(tc.caFile)-8:], CAFile: tc.caFile,
			Username: tc.user, Password: tc.pass, Log: quiet, ConnectTimout: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		cl.Start()
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		err = cl.WaitConnected(ctx)
		cancel()
		cl.Disconnect(0)
		if (err == nil) != tc.ok {
			t.Errorf("%s: connected=%v, want %v\n%s", tc.name, err == nil, tc.ok, mq.Log())
		}
	}
}
