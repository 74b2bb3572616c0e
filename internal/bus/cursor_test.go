package bus

import (
	"context"
	"testing"
	"time"
)

func TestCursor(t *testing.T) {
	t0 := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	var c Cursor
	steps := []struct {
		epoch string
		seq   int64
		after time.Duration
		ack   int64
	}{
		{"e1", 41, 0, 41}, // first of the epoch: what came before was consumed
		{"e1", 42, 0, 42},
		{"e1", 44, time.Second, 0}, // 43 missing: never acknowledge beyond it
		{"e1", 45, 2 * time.Second, 0},
		{"e1", 42, 3 * time.Second, 0}, // sent again: seen once
		{"e1", 43, 10 * time.Second, 45},
		{"e2", 1, 11 * time.Second, 1}, // a new database: a new count
	}
	for i, s := range steps {
		if i == 4 {
			if g := c.Gap(t0.Add(2500*time.Millisecond), 5*time.Second); g != 0 {
				t.Errorf("gap asked for after 1.5 s: %d", g)
			}
			if g := c.Gap(t0.Add(6500*time.Millisecond), 5*time.Second); g != 43 {
				t.Errorf("gap after 5.5 s = %d, want 43", g)
			}
			if g := c.Gap(t0.Add(7*time.Second), 5*time.Second); g != 0 {
				t.Errorf("the replay asked again at once: %d", g)
			}
		}
		if got := c.See(s.epoch, s.seq, t0.Add(s.after)); got != s.ack {
			t.Errorf("step %d (%s %d): ack %d, want %d", i, s.epoch, s.seq, got, s.ack)
		}
	}
	if g := c.Gap(t0.Add(time.Hour), time.Second); g != 0 {
		t.Errorf("a gap with nothing after it: %d", g)
	}
}

// TestRedeliveredWithNoAckInThisProcess: the backlog goes out the moment
// the gateway reaches its broker, before the back office is back (a
// restart of a daemon with the broker inside it). With no acknowledgement
// in this process at all, the events are sent again on the timer, and the
// back office that connects later gets them all.
func TestRedeliveredWithNoAckInThisProcess(t *testing.T) {
	br, bo := startTestBroker(t, "gw-under-test")
	gwUser, gwPass := br.GatewayCredential()
	r := newRig(t, br.URL(), login{gwUser, gwPass}, br)
	r.outbox.RedeliverAfter, r.outbox.MaxRedeliverAfter = 300*time.Millisecond, 600*time.Millisecond
	r.produce(t, 1, 20)
	deadline := time.Now().Add(5 * time.Second)
	for {
		st, _ := r.st.Stats(context.Background())
		if st.Backlog == 20 && st.Unsent == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	c := newConsumer(t, br.URL(), 20, bo) // comes back after everything was sent
	waitAll(t, c, 10*time.Second)
}
