package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/internal/bus"
	"switchboard/internal/events"
	"switchboard/internal/events/hotel"
	simfias "switchboard/internal/sim/fias"
	"switchboard/test/peers"
)

// aclSite is the site of the forgeries and the takeover storm: it has a
// hotel link (the FIAS simulator dialing in), so that a room has a
// retained state to forge: room 1203, checked in.
type aclSite struct {
	s      *hostileSite
	room   []byte // the genuine retained state of room 1203
	bootID string
}

func startACLSite(t *testing.T) *aclSite {
	t.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", peers.FreePort(t))
	s := startHostileSite(t, "", fmt.Sprintf(`
rooms:
  - {extensions: "1201-1299", class: guest}
devices:
  - {id: pbx1, driver: hotelink, profile: fias, transport: {tcp: {listen: %s}}}
`, addr))
	pbx := simfias.New(simfias.Config{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			err := pbx.Dial(ctx, addr)
			var oe *net.OpError
			if ctx.Err() != nil || !errors.As(err, &oe) || oe.Op != "dial" {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	for deadline := time.Now().Add(15 * time.Second); !pbx.LinkUp(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the simulated FIAS PBX's link is not up within 15 s")
		}
	}
	desk := s.requester(asBackoffice, "desk", false)
	desk.send("pbx", "pbx1", "guest.checkin", "checkin-1203", hotel.GuestCheckInData{Room: "1203", Reservation: "R1203", Name: "Zhang Wei", Language: "zh"})
	if r := desk.waitFinal(t, "checkin-1203", 15*time.Second); r.Status != "completed" {
		t.Fatalf("check-in of room 1203: %+v", r.Reply)
	}
	state := s.topics.State("pbx", "pbx1", "room/1203")
	m := s.watch(asReadonly, state).wait(t, "retained state of room 1203", 15*time.Second, func(m bus.Message) bool {
		return m.Topic == state && bytes.Contains(m.Payload, []byte(`"occupied":true`))
	})
	st := s.waitStatus("online", time.Second, func(st bus.Status) bool { return st.State == "online" })
	return &aclSite{s: s, room: m.Payload, bootID: st.BootID}
}

// forged marks every payload a hostile client sends: no subscriber may
// ever see it.
const forged = "FORGED"

// forgeries: anonymous, readonly, operator and backoffice principals
// publish an event (QoS 0 and 1), and retain a room's state and the
// gateway's status. Only the gateway may (docs/events.md, "Who may say
// what"): a subscriber to the whole property sees none of it, and the
// retained state and status a new subscriber gets are the gateway's.
func (b *aclSite) forgeries(t *testing.T) {
	s := b.s.on(t)
	all := s.watch(asBackoffice, s.root()+"#")
	all.wait(t, "the retained status", 10*time.Second, func(m bus.Message) bool { return m.Topic == s.topics.Status() })
	event := s.topics.Event("pbx", "pbx1", "hotel.pbx.call.charged")
	state := s.topics.State("pbx", "pbx1", "room/1203")
	sent, closed := 0, 0
	for _, who := range []principal{asAnonymous, asReadonly, asOperator, asBackoffice} {
		charge := forgedEnvelope(s, "hotel.pbx.call.charged", fmt.Sprintf(`{"device":"pbx1","room":"1203","amount":"999.00","currency":"CNY","note":%q}`, forged+" by "+who.String()))
		room := forgedEnvelope(s, "hotel.pbx.state.room", fmt.Sprintf(`{"room":"1203","occupied":false,"note":%q}`, forged))
		status := forgedEnvelope(s, "hotel.edge.status", fmt.Sprintf(`{"state":"offline","gateway":"gw1","reason":%q}`, forged))
		for _, p := range []struct {
			what   string
			args   []string
			closes bool // MQTT 3.1.1 §3.3.5: a refused QoS 1 publish ends the connection
		}{
			{"event, QoS 0", []string{"-q", "0", "-t", event, "-m", charge}, false},
			{"event, QoS 1", []string{"-q", "1", "-t", event, "-m", charge}, true},
			{"retained room state", []string{"-q", "1", "-r", "-t", state, "-m", room}, true},
			{"retained status", []string{"-q", "1", "-r", "-t", s.topics.Status(), "-m", status}, true},
		} {
			rc, out := s.pub(who, p.args...)
			sent++
			if rc != 0 {
				closed++
			}
			if p.closes && rc == 0 {
				t.Errorf("%s's %s: the broker took it (mosquitto_pub exit 0)", who, p.what)
			}
			if !p.closes && rc != 0 {
				t.Errorf("%s's %s: mosquitto_pub exit %d: %s", who, p.what, rc, out)
			}
		}
	}
	// Everything published before a ping's reply has reached a subscriber
	// that was there all along, or never will.
	r := s.requester(asBackoffice, "forgeries", false)
	r.ping("after-forgeries")
	r.waitFinal(t, "after-forgeries", 10*time.Second)
	all.wait(t, "the ping's reply at the subscriber", 10*time.Second, func(m bus.Message) bool {
		return bytes.Contains(m.Payload, []byte(`"command_id":"after-forgeries"`)) && bytes.Contains(m.Payload, []byte("hotel.command.completed"))
	})
	time.Sleep(300 * time.Millisecond)
	for _, m := range all.messages() {
		if bytes.Contains(m.Payload, []byte(forged)) {
			t.Errorf("a subscriber received a forged message on %s: %.200s", m.Topic, m.Payload)
		}
	}
	fresh := s.watch(asReadonly, state, s.topics.Status())
	got := fresh.wait(t, "retained state of room 1203", 10*time.Second, func(m bus.Message) bool { return m.Topic == state })
	if !got.Retained || !bytes.Equal(got.Payload, b.room) {
		t.Errorf("room 1203's retained state changed:\n got %s\nwant %s", got.Payload, b.room)
	}
	stm := fresh.wait(t, "retained status", 10*time.Second, func(m bus.Message) bool { return m.Topic == s.topics.Status() })
	if st, ok := statusOf(stm); !ok || !stm.Retained || st.State != "online" || st.BootID != b.bootID {
		t.Errorf("retained status is not the gateway's (boot %s, online): %s", b.bootID, stm.Payload)
	}
	t.Logf("forgeries: %d publishes from 4 principals (anonymous, readonly, operator, backoffice) on event/, state/ and status; "+
		"%d ended by the broker, the QoS 0 ones dropped; none reached a subscriber; retained state and status unchanged", sent, closed)
}

// forgedEnvelope is a believable envelope of typ from the gateway's pbx1
// (or its edge for a status), data as given.
func forgedEnvelope(s *hostileSite, typ, data string) string {
	src := s.topics.Source("pbx", "pbx1")
	if strings.HasPrefix(typ, "hotel.edge.") {
		src = s.topics.Source("edge", s.topics.Gateway)
	}
	b, _ := json.Marshal(events.Envelope{SpecVersion: events.SpecVersion, ID: forged + "-" + typ, Source: src, Type: typ, Time: time.Now(),
		DataContentType: "application/json", DataSchema: events.SchemaURI(typ), Seq: 1, Data: json.RawMessage(data)})
	return string(b)
}

// takeoverStorm: 15 connections in quick succession with the gateway's
// own client id (switchboard-{property}-{gateway}), without a credential,
// with a user's, with the gateway's name and a guess. On the embedded
// broker each is refused (CONNACK not authorised) instead of taking the
// gateway's session over; the gateway stays online, with the same boot,
// and answers a ping at once.
func (b *aclSite) takeoverStorm(t *testing.T) {
	s := b.s.on(t)
	r := s.requester(asBackoffice, "storm", false)
	id := "switchboard-" + s.topics.Property + "-" + s.topics.Gateway
	who := []principal{asAnonymous, asBackoffice, asGatewayGuess, asReadonly, asOperator}
	type result struct {
		rc  int
		out string
	}
	results := make([]result, 15)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tool, args := "mosquitto_pub", []string{"-i", id, "-q", "1", "-t", s.topics.Command("edge", "gw1", "ping"), "-m", forged}
			if i%2 == 1 {
				tool, args = "mosquitto_sub", []string{"-i", id, "-t", s.root() + "#", "-W", "3"}
			}
			rc, out := s.mosquitto(tool, who[i%len(who)], nil, args...)
			results[i] = result{rc, out}
		}()
		time.Sleep(20 * time.Millisecond)
	}
	wg.Wait()
	end := time.Now()
	for i, res := range results {
		if res.rc == 0 || !strings.Contains(res.out, "not authorised") {
			t.Errorf("connection %d with client id %s as %s: exit %d, %q; want refused, not authorised", i+1, id, who[i%len(who)], res.rc, res.out)
		}
	}
	r.ping("after-storm")
	f := r.waitFinal(t, "after-storm", 15*time.Second)
	if f.Status != "completed" {
		t.Errorf("ping after the storm: %+v", f.Reply)
	}
	st := s.waitStatus("online", 5*time.Second, func(st bus.Status) bool { return true })
	if st.State != "online" || st.BootID != b.bootID {
		t.Errorf("after the storm the status is %s, boot %s; want online, boot %s", st.State, st.BootID, b.bootID)
	}
	if s.d.countLines("broker connection refused", "gateway client id or name without the gateway's credential") == 0 {
		t.Errorf("the refused takeover is not in the daemon's log")
	}
	t.Logf("takeover storm: 15 connections with client id %s in %s, all refused (not authorised); the gateway stayed online (boot %s), a ping sent after it answered in %s",
		id, end.Sub(start).Round(time.Millisecond), st.BootID, f.At.Sub(end).Round(time.Millisecond))
}

// rogueAcks is the rogue-ack probe between its start and its check.
type rogueAcks struct {
	s       *hostileSite
	again   *watcher         // subscribed after the rogue acks
	first   map[int64]string // seq -> event id, as first delivered
	last    int64
	sentAt  time.Time // when the events were first delivered
	counted int       // rogue acks that reach the gateway and are counted
}

// startRogueAcks: a site with events nobody acknowledged (three pings'
// replies), then acks from principals that may not acknowledge, and
// acks from the back office that are not acks: a bare number, none or
// another database's seqepoch, a seq beyond the last, a retained one.
func startRogueAcks(t *testing.T) *rogueAcks {
	t.Helper()
	s := startHostileSite(t, "", "")
	w := s.watch(asReadonly, s.root()+"+/+/reply/#")
	for i := 1; i <= 3; i++ {
		if rc, out := s.pub(asBackoffice, "-q", "1", "-t", s.topics.Command("edge", "gw1", "ping"),
			"-m", string(commandJSON(fmt.Sprintf("rogue-%d", i), "hotel.edge.cmd.ping", "rogue", struct{}{}))); rc != 0 {
			t.Fatalf("ping %d: mosquitto_pub exit %d: %s", i, rc, out)
		}
	}
	w.wait(t, "the third ping's reply", 15*time.Second, func(m bus.Message) bool {
		return bytes.Contains(m.Payload, []byte(`"command_id":"rogue-3"`)) && bytes.Contains(m.Payload, []byte("hotel.command.completed"))
	})
	ra := &rogueAcks{s: s, first: map[int64]string{}, sentAt: time.Now()}
	var epoch string
	for _, m := range w.messages() {
		var env events.Envelope
		if json.Unmarshal(m.Payload, &env) == nil && env.Seq > 0 {
			ra.first[env.Seq], epoch = env.ID, env.SeqEpoch
			ra.last = max(ra.last, env.Seq)
		}
	}
	if ra.last != 6 || len(ra.first) != 6 {
		t.Fatalf("three pings' replies: seqs %v, want 1..6", ra.first)
	}
	ack := fmt.Sprintf(`{"seq":%d,"seqepoch":%q}`, ra.last, epoch)
	for _, a := range []struct {
		what    string
		who     principal
		payload string
		retain  bool
		counted bool // reaches the gateway, which refuses and counts it; else the broker refuses it
	}{
		{"anonymous", asAnonymous, ack, false, false},
		{"readonly", asReadonly, ack, false, false},
		{"operator", asOperator, ack, false, false},
		{"backoffice, retained", asBackoffice, ack, true, false},
		{"backoffice, a bare number", asBackoffice, "999999999", false, true},
		{"backoffice, no seqepoch", asBackoffice, fmt.Sprintf(`{"seq":%d}`, ra.last), false, true},
		{"backoffice, another database's seqepoch", asBackoffice, fmt.Sprintf(`{"seq":%d,"seqepoch":"20200101T000000Z-00000000"}`, ra.last), false, true},
		{"backoffice, beyond the last seq", asBackoffice, fmt.Sprintf(`{"seq":1000000,"seqepoch":%q}`, epoch), false, true},
	} {
		args := []string{"-q", "1", "-t", s.topics.Ack(), "-m", a.payload}
		if a.retain {
			args = append(args, "-r")
		}
		rc, out := s.pub(a.who, args...)
		switch {
		case a.counted && rc != 0:
			t.Errorf("rogue ack (%s): mosquitto_pub exit %d, want it delivered (and refused by the gateway): %s", a.what, rc, out)
		case !a.counted && rc == 0:
			t.Errorf("rogue ack (%s): the broker took it", a.what)
		}
		if a.counted {
			ra.counted++
		}
	}
	ra.again = s.watch(asReadonly, s.root()+"+/+/reply/#")
	return ra
}

// check: the acks moved nothing (the status says acked_seq 0 and counts
// the refused ones), and the events nobody acknowledged are sent again:
// a consumer that subscribes after the acks gets every one of them.
func (ra *rogueAcks) check(t *testing.T) {
	s := ra.s.on(t)
	st := s.waitStatus("counting the refused acks", 45*time.Second, func(st bus.Status) bool { return st.AcksRefused > 0 })
	if st.AcksRefused != int64(ra.counted) {
		t.Errorf("status: acks_refused %d, want %d", st.AcksRefused, ra.counted)
	}
	if st.Outbox == nil || st.Outbox.AckedSeq != 0 || st.Outbox.LastSeq != ra.last {
		t.Fatalf("status: outbox %+v, want acked_seq 0, last_seq %d", st.Outbox, ra.last)
	}
	if n := s.d.countLines(`msg="ack refused"`, "principal=bo", "role=backoffice"); n != ra.counted {
		t.Errorf("%d acks refused in the daemon's log, want %d", n, ra.counted)
	}
	got := map[int64]string{}
	ra.again.wait(t, "the unacknowledged events sent again", 45*time.Second, func(m bus.Message) bool {
		var env events.Envelope
		if json.Unmarshal(m.Payload, &env) == nil && env.Seq > 0 {
			got[env.Seq] = env.ID
		}
		return len(got) == len(ra.first)
	})
	resent := time.Since(ra.sentAt)
	for seq, id := range ra.first {
		if got[seq] != id {
			t.Errorf("seq %d sent again as event %q, first as %q", seq, got[seq], id)
		}
	}
	if s.d.countLines("consumer has not acknowledged; sending again") == 0 {
		t.Errorf("the re-send is not in the daemon's log")
	}
	t.Logf("rogue acks: 8 sent; 4 refused by the broker (anonymous, readonly, operator, retained), %d refused and counted by the gateway "+
		"(status acks_refused %d, acked_seq %d of %d); seq 1..%d sent again to a new subscriber %s after they were first sent",
		ra.counted, st.AcksRefused, st.Outbox.AckedSeq, st.Outbox.LastSeq, ra.last, resent.Round(100*time.Millisecond))
}
