package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"switchboard/internal/bus"
	"switchboard/internal/events"
	"switchboard/internal/store"
)

// pingBurst: a back office publishes pings as fast as it can (3,000, or
// SB_HOSTILE_PINGS): every one is answered, completed or failed busy,
// none dropped. The requester acknowledges what it has, as a back office
// does, so the outbox does not send the burst's replies again.
func pingBurst(t *testing.T) {
	n := 3000
	if v, err := strconv.Atoi(os.Getenv("SB_HOSTILE_PINGS")); err == nil && v > 0 {
		n = v
	}
	s := startHostileSite(t, "", "")
	r := s.requester(asBackoffice, "burst", true)
	// One ping first: its reply shows the requester's subscription is in place.
	r.ping("warm")
	r.waitFinal(t, "warm", 15*time.Second)
	start := time.Now()
	for i := range n {
		r.ping(fmt.Sprintf("burst-%d", i))
	}
	published := time.Since(start)
	deadline := time.Now().Add(60*time.Second + time.Duration(n)*5*time.Millisecond)
	for r.answered() < n+1 {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d pings answered", r.answered()-1, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	var made, last time.Time
	completed, busy := 0, 0
	for id, f := range r.finals() {
		if id == "warm" {
			continue
		}
		made, last = later(made, f.Made), later(last, f.At)
		switch {
		case f.Status == "completed":
			completed++
		case f.busy():
			busy++
		default:
			t.Errorf("ping %s: %+v", id, f.Reply)
		}
	}
	answered, took := made.Sub(start), last.Sub(start)
	r.mu.Lock()
	dups := r.dups
	r.mu.Unlock()
	// A reply the broker dropped for the requester (beyond its in-flight
	// quota) reaches it when the outbox sends it again: the requester has
	// every reply later than the gateway made them.
	t.Logf("ping burst: %d pings published in %s; the gateway answered every one within %s (%.0f commands/s): %d completed, %d busy; "+
		"every reply at the requester within %s (%d received twice)",
		n, published.Round(time.Millisecond), answered.Round(time.Millisecond), float64(n)/answered.Seconds(), completed, busy, took.Round(time.Millisecond), dups)
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// rateLimit: an operator floods commands (mqtt.embedded.rate_limits
// operator: 20/s) while a back office pings. The operator is slowed, not
// refused: each of its commands is answered, the last after (n-20)/20 s at
// the earliest; the back office's ping is answered at once meanwhile.
func rateLimit(t *testing.T) {
	const n, rate = 120, 20
	s := startHostileSite(t, fmt.Sprintf("    rate_limits: {operator: %d}\n", rate), "")
	op := s.requester(asOperator, "flood", false)
	bo := s.requester(asBackoffice, "prompt", false)
	var lines bytes.Buffer
	for i := range n {
		lines.Write(commandJSON(fmt.Sprintf("flood-%d", i), "hotel.pbx.cmd.dnd.set", "flood", map[string]any{"room": "1203", "on": true}))
		lines.WriteByte('\n')
	}
	start := time.Now()
	flood := make(chan error, 1)
	go func() {
		// One connection, a command a line, at QoS 1 (20 in flight).
		rc, out := s.mosquitto("mosquitto_pub", asOperator, &lines, "-q", "1", "-l", "-t", s.topics.Command("pbx", "pbx1", "dnd.set"))
		if rc != 0 {
			flood <- fmt.Errorf("mosquitto_pub exit %d: %s", rc, out)
			return
		}
		flood <- nil
	}()
	time.Sleep(time.Second)
	pinged := time.Now()
	bo.ping("during-flood")
	ping := bo.waitFinal(t, "during-flood", 15*time.Second)
	if err := <-flood; err != nil {
		t.Fatalf("operator's flood: %v", err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for op.answered() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d of the operator's %d commands answered", op.answered(), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	var first, last time.Time
	for _, f := range op.finals() {
		if first.IsZero() || f.At.Before(first) {
			first = f.At
		}
		last = later(last, f.At)
	}
	flooded, rtt := last.Sub(start), ping.At.Sub(pinged)
	if least := time.Duration(float64(n-rate) / rate * 0.9 * float64(time.Second)); flooded < least {
		t.Errorf("the operator's %d commands were all answered %s after the first was sent: not slowed to %d/s (want at least %s)", n, flooded, rate, least)
	}
	if ping.Status != "completed" || rtt > 3*time.Second || !ping.At.Before(last) {
		t.Errorf("the back office's ping during the flood: %s after it was sent (%+v), the flood's last reply %s after it began",
			rtt, ping.Reply, flooded)
	}
	t.Logf("rate limit: operator at %d/s sent %d commands on one connection, all answered, the last %s after the first was sent (first reply after %s); "+
		"a back office ping sent meanwhile answered in %s", rate, n, flooded.Round(time.Millisecond), first.Sub(start).Round(time.Millisecond), rtt.Round(time.Millisecond))
}

// oversized: a ping whose id is 50 MiB and a check-in whose guest name is
// 50 MiB, then the same at 20 MiB, and an anonymous client's 20 MiB
// forged event. Over the embedded broker's packet limit (30 MiB,
// internal/bus.MaxPacketSize) the broker ends the sender's connection
// before reading the packet: that is the refusal. Under it, the command
// router refuses the command, naming the field, never echoing the id,
// storing nothing. The daemon's memory, its store and its log are
// measured before and after.
func oversized(t *testing.T) {
	s := startHostileSite(t, "", `
rooms:
  - {extensions: "1201-1299", class: guest}
`)
	r := s.requester(asBackoffice, "big", false)
	r.ping("warm")
	r.waitFinal(t, "warm", 15*time.Second)
	time.Sleep(500 * time.Millisecond)
	rss0, hwm0 := s.memory()
	db0, log0 := s.storeSize(), len(s.d.output())
	const mib = 1 << 20
	if 20*mib >= bus.MaxPacketSize || 50*mib <= bus.MaxPacketSize {
		t.Fatalf("the probe wants one payload under the broker's packet limit (%d bytes) and one over it", bus.MaxPacketSize)
	}
	huge := func(n int) string { return strings.Repeat("x", n) }
	ping := s.topics.Command("edge", "gw1", "ping")
	checkin := s.topics.Command("edge", "gw1", "folio.checkin")
	guest := s.topics.Command("pbx", "pbx1", "guest.checkin")
	for _, p := range []struct {
		what    string
		who     principal
		topic   string
		payload func() []byte
		// closes: the broker ends the connection, the packet being over its
		// limit or on a topic the principal may not publish on.
		closes    bool
		id, field string // the reply's command id ("" when it is the refusal's own) and field
	}{
		{"ping, 50 MiB id", asBackoffice, ping, func() []byte { return commandJSON(huge(50*mib), "hotel.edge.cmd.ping", "big", struct{}{}) }, true, "", ""},
		{"folio.checkin, 50 MiB name", asBackoffice, checkin, func() []byte {
			return commandJSON("name-50", "hotel.edge.cmd.folio.checkin", "big", events.CheckInData{Room: "1203", Name: huge(50 * mib)})
		}, true, "name-50", ""},
		{"ping, 20 MiB id", asBackoffice, ping, func() []byte { return commandJSON(huge(20*mib), "hotel.edge.cmd.ping", "big", struct{}{}) }, false, "", "id"},
		{"folio.checkin, 20 MiB name", asBackoffice, checkin, func() []byte {
			return commandJSON("name-20", "hotel.edge.cmd.folio.checkin", "big", events.CheckInData{Room: "1203", Name: huge(20 * mib)})
		}, false, "name-20", "data.name"},
		{"guest.checkin, 20 MiB name", asBackoffice, guest, func() []byte {
			return commandJSON("guest-20", "hotel.pbx.cmd.guest.checkin", "big", map[string]string{"room": "1203", "name": huge(20 * mib)})
		}, false, "guest-20", "data.name"},
		{"anonymous forged event, 20 MiB", asAnonymous, s.topics.Event("pbx", "pbx1", "hotel.pbx.call.charged"), func() []byte {
			return []byte(forgedEnvelope(s, "hotel.pbx.call.charged", fmt.Sprintf(`{"note":%q}`, forged+huge(20*mib))))
		}, true, "", ""},
	} {
		before := r.answered()
		sent := time.Now()
		rc, out := s.mosquitto("mosquitto_pub", p.who, bytes.NewReader(p.payload()), "-q", "1", "-s", "-t", p.topic)
		if p.closes {
			if rc == 0 {
				t.Errorf("%s: the broker took it", p.what)
			}
			t.Logf("%s: connection ended by the broker (mosquitto_pub exit %d: %s) after %s", p.what, rc, out, time.Since(sent).Round(time.Millisecond))
			continue
		}
		if rc != 0 {
			t.Errorf("%s: mosquitto_pub exit %d: %s", p.what, rc, out)
			continue
		}
		var f finalReply
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			if r.answered() > before {
				for id, g := range r.finals() {
					if id == p.id || (p.id == "" && strings.HasPrefix(id, "invalid-") && g.Field == p.field) {
						f = g
					}
				}
				if f.Status != "" {
					break
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: no reply within 30 s", p.what)
			}
		}
		if f.Status != "failed" || f.Field != p.field || f.Size > 4096 || strings.Contains(f.CommandID, "xxxxxxxx") {
			t.Errorf("%s: reply %+v (%d bytes); want failed, field %s, small, the id not echoed", p.what, f.Reply, f.Size, p.field)
		}
		t.Logf("%s: failed in %s, field %s, reason %q, reply %d bytes", p.what, f.At.Sub(sent).Round(time.Millisecond), f.Field, f.Reason, f.Size)
	}
	// A command after them all: the gateway still answers, and the
	// 50 MiB check-in never got a reply.
	r.ping("after")
	r.waitFinal(t, "after", 15*time.Second)
	if _, ok := r.finals()["name-50"]; ok {
		t.Errorf("the 50 MiB check-in got a reply")
	}
	settled := s.settle()
	rss1, hwm1 := s.memory()
	db1, log1 := s.storeSize(), len(s.d.output())
	const maxRSS, maxDB, maxLog = 400 * 1024, 1 << 20, 64 << 10
	if grew := hwm1 - rss0; grew > maxRSS {
		t.Errorf("peak memory grew by %d MiB (VmHWM %d MiB, VmRSS before %d MiB); want under %d MiB", grew/1024, hwm1/1024, rss0/1024, maxRSS/1024)
	}
	if grew := db1 - db0; grew > maxDB {
		t.Errorf("the store grew by %d bytes; want under %d", grew, maxDB)
	}
	if grew := log1 - log0; grew > maxLog {
		t.Errorf("the daemon's log grew by %d bytes: a payload echoed? (want under %d)", grew, maxLog)
	}
	s.d.stop()
	st, err := store.Open(context.Background(), s.db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var commands, stays int
	if err := st.QueryRow(context.Background(), `SELECT COUNT(*) FROM commands WHERE id IN ('name-50','name-20','guest-20') OR length(id) > 200`).Scan(&commands); err != nil {
		t.Fatal(err)
	}
	if err := st.QueryRow(context.Background(), `SELECT COUNT(*) FROM stays`).Scan(&stays); err != nil {
		t.Fatal(err)
	}
	if commands != 0 || stays != 0 {
		t.Errorf("stored after the refusals: %d commands, %d stays; want none", commands, stays)
	}
	t.Logf("oversized: VmRSS %d -> %d MiB, VmHWM %d -> %d MiB (peak +%d MiB over the resident memory before); store %d -> %d bytes (+%d); log +%d bytes; nothing stored; the daemon idle again %s after the last reply",
		rss0/1024, rss1/1024, hwm0/1024, hwm1/1024, (hwm1-rss0)/1024, db0, db1, db1-db0, log1-log0, settled.Round(100*time.Millisecond))
}
