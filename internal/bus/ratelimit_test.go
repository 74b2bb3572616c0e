package bus

import (
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// TestLimiterDelay: a principal's first second's worth passes; the next
// publishes wait 1/rate each; an idle second fills the bucket again; roles
// have their own rates.
func TestLimiterDelay(t *testing.T) {
	l := newLimiter(Rates{Operator: 10})
	t0 := time.Unix(1000, 0)
	for i := range 10 {
		if d := l.delay("op", RoleOperator, t0); d != 0 {
			t.Fatalf("publish %d of the first second waits %v", i+1, d)
		}
	}
	if d := l.delay("op", RoleOperator, t0); d < 99*time.Millisecond || d > 101*time.Millisecond {
		t.Errorf("11th publish waits %v, want 100 ms", d)
	}
	if d := l.delay("op", RoleOperator, t0); d < 199*time.Millisecond || d > 201*time.Millisecond {
		t.Errorf("12th publish waits %v, want 200 ms", d)
	}
	if d := l.delay("op2", RoleOperator, t0); d != 0 {
		t.Errorf("another principal waits %v", d)
	}
	if d := l.delay("bo", RoleBackoffice, t0); d != 0 {
		t.Errorf("the back office waits %v", d)
	}
	if d := l.delay("op", RoleOperator, t0.Add(2*time.Second)); d != 0 {
		t.Errorf("after an idle second: waits %v", d)
	}
	if n := l.throttled.Load(); n != 2 {
		t.Errorf("%d throttled, want 2", n)
	}
}

// TestBrokerSlowsAFloodingPrincipal: an operator sending far more than
// its rate is slowed (its publishes all arrive, later), while the back
// office's publishes at the same time are not.
func TestBrokerSlowsAFloodingPrincipal(t *testing.T) {
	br, err := StartBroker(BrokerOptions{Listen: "127.0.0.1:0", Topics: topics, Users: testUsers(t), Anonymous: RoleReadonly,
		GatewayClientID: "gw", Rates: Rates{Operator: 100}, Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { br.Close() })
	got := make(chan string, 1000)
	br.Tap(topics.Commands(), func(m Message) { got <- m.From.Username })
	dial := func(id string, who login) paho.Client {
		c := paho.NewClient(paho.NewClientOptions().AddBroker(br.URL()).SetClientID(id).SetUsername(who.user).SetPassword(who.pass))
		if tok := c.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
			t.Fatalf("%s: %v", id, tok.Error())
		}
		t.Cleanup(func() { c.Disconnect(0) })
		return c
	}
	op, bo := dial("op-flood", login{"op", "po"}), dial("bo-1", login{"bo", "ob"})
	topic := topics.Command("pbx", "pbx1", "dnd.set")
	start := time.Now()
	const flood = 300
	for range flood {
		op.Publish(topic, 1, false, "{}")
	}
	// The back office publishes while the operator is being held back.
	time.Sleep(200 * time.Millisecond)
	boStart := time.Now()
	if tok := bo.Publish(topic, 1, false, "{}"); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatal("back office publish not acknowledged")
	}
	if d := time.Since(boStart); d > 500*time.Millisecond {
		t.Errorf("the back office waited %v behind a flooding operator", d)
	}
	counts := map[string]int{}
	for counts["op"] < flood {
		select {
		case who := <-got:
			counts[who]++
		case <-time.After(10 * time.Second):
			t.Fatalf("%d of %d operator publishes arrived", counts["op"], flood)
		}
	}
	// 100 in the first second's bucket, then 100/s: about 2 s for 300.
	if d := time.Since(start); d < 1500*time.Millisecond {
		t.Errorf("%d publishes at 100/s arrived in %v: not slowed", flood, d)
	}
	if br.Throttled() < flood/2 {
		t.Errorf("throttled %d", br.Throttled())
	}
}

// BenchmarkLimiter: the rate check the broker makes for every publish.
func BenchmarkLimiter(b *testing.B) {
	l := newLimiter(Rates{Backoffice: 1e9})
	b.ReportAllocs()
	for b.Loop() {
		l.delay("backoffice/pms", RoleBackoffice, time.Now())
	}
}
