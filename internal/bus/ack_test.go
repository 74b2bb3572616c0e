package bus

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"switchboard/internal/store"
)

func TestHandleAck(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "sb.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for i := 1; i <= 5; i++ {
		if _, _, err := st.Enqueue(ctx, store.Event{Type: "hotel.pbx.call.recorded", Topic: topics.Event("pbx", "pbx1", "hotel.pbx.call.recorded"),
			Source: topics.Source("pbx", "pbx1"), IdemKey: fmt.Sprint(i), Data: map[string]int{"n": i}}); err != nil {
			t.Fatal(err)
		}
	}
	// 1..3 reached the broker; 4 and 5 were never published.
	if err := st.MarkPublished(ctx, 3); err != nil {
		t.Fatal(err)
	}
	o := NewOutbox(st, nil, quiet)
	epoch := st.Epoch()
	bo := &Principal{Username: "pms", Role: RoleBackoffice, ClientID: "pms-1"}
	ack := func(seq int64) string { return fmt.Sprintf(`{"seq":%d,"seqepoch":%q}`, seq, epoch) }
	for _, tc := range []struct {
		name     string
		payload  string
		from     *Principal
		retained bool
		refused  string // "" accepted
		acked    int64  // the cursor after it
	}{
		{"rogue bare number", "999999999", bo, false, "bare number", 0},
		{"bare number in range", "2", bo, false, "bare number", 0},
		{"beyond the last published", ack(999999999), bo, false, "never published (the last published is 3)", 0},
		{"an event not published yet", ack(4), bo, false, "never published", 0},
		{"another database", `{"seq":2,"seqepoch":"20200101T000000Z-00000000"}`, bo, false, "another database's", 0},
		{"no seqepoch", `{"seq":2}`, bo, false, "seqepoch: required", 0},
		{"no seq", fmt.Sprintf(`{"seqepoch":%q}`, epoch), bo, false, "seq: required", 0},
		{"negative", ack(-1), bo, false, "seq: required", 0},
		{"not JSON", `{"seq":`, bo, false, "want {", 0},
		{"seq not a number", fmt.Sprintf(`{"seq":"2","seqepoch":%q}`, epoch), bo, false, "want {", 0},
		{"huge", `{"seq":1,"pad":"` + strings.Repeat("x", 2000) + `"}`, bo, false, "payload of", 0},
		{"an operator", ack(2), &Principal{Username: "desk", Role: RoleOperator, ClientID: "desk"}, false, "only a backoffice", 0},
		{"anonymous", ack(2), &Principal{Role: RoleReadonly, ClientID: "x"}, false, "only a backoffice", 0},
		{"retained: ignored, not counted", ack(3), bo, true, "", 0},
		{"the back office", ack(2), bo, false, "", 2},
		{"an external broker's (its ACL decided)", ack(3), nil, false, "", 3},
		{"backwards: no change", ack(1), bo, false, "", 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := o.AcksRefused()
			err := o.HandleAck(ctx, Message{Topic: topics.Ack(), Payload: []byte(tc.payload), From: tc.from, Retained: tc.retained})
			refused := o.AcksRefused() - before
			if tc.refused == "" {
				if err != nil || refused != 0 {
					t.Fatalf("refused (%v, counted %d), want accepted", err, refused)
				}
			} else if err == nil || !strings.Contains(err.Error(), tc.refused) || refused != 1 {
				t.Fatalf("error %v (counted %d), want a refusal with %q counted once", err, refused, tc.refused)
			}
			if got, _ := st.AckedSeq(ctx); got != tc.acked {
				t.Errorf("acked seq %d, want %d", got, tc.acked)
			}
		})
	}
	if got := o.AcksRefused(); got != 13 {
		t.Errorf("AcksRefused %d, want 13", got)
	}
}

// A rogue ack (issue 11: `999999999` used to mark every event consumed) and
// an ack for another database are refused on the real embedded broker, and
// the events left unacknowledged are still sent again.
func TestRogueAckRefusedEventsStillResent(t *testing.T) {
	br, bo := startTestBroker(t, "gw-under-test")
	c := newConsumer(t, br.URL(), 10, bo)
	c.noAck = true
	gwUser, gwPass := br.GatewayCredential()
	r := newRig(t, br.URL(), login{gwUser, gwPass}, br)
	r.outbox.RedeliverAfter = time.Second
	r.produce(t, 1, 10)
	waitAll(t, c, 10*time.Second)
	epoch := r.st.Epoch()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, p := range []string{"999999999", fmt.Sprintf(`{"seq":999999999,"seqepoch":%q}`, epoch), `{"seq":10,"seqepoch":"other"}`, fmt.Sprintf(`{"seq":2,"seqepoch":%q}`, epoch)} {
		if err := c.cl.Publish(ctx, topics.Ack(), 1, false, []byte(p)); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c.mu.Lock()
		again := 0
		for s := int64(3); s <= 10; s++ {
			if c.seen[s] > 1 {
				again++
			}
		}
		c.mu.Unlock()
		if again == 8 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d of seq 3..10 sent again after the rogue acks", again)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if acked, _ := r.st.AckedSeq(ctx); acked != 2 {
		t.Errorf("acked seq %d, want 2 (the one good ack)", acked)
	}
	if n := r.outbox.AcksRefused(); n != 3 {
		t.Errorf("%d acks refused, want 3", n)
	}
}
