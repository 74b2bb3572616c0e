package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/drivers/hotelink"
	"switchboard/internal/bus"
	"switchboard/internal/config"
	"switchboard/internal/events"
	"switchboard/internal/events/hotel"
	"switchboard/internal/folio/stays"
	"switchboard/internal/hoteldesk"
	simfias "switchboard/internal/sim/fias"
	"switchboard/internal/store"
	"switchboard/internal/wakeup"
	"switchboard/test/peers"
)

// testClock is the gateway's clock in these tests (g.Now).
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// hotelinkSite is a gateway with one FIAS hotel link (pbx1) listening on
// loopback, its clock at 2026-11-27 22:00 in Shanghai, and a FIAS PBX
// simulator that dials in.
type hotelinkSite struct {
	t    testing.TB
	g    *Gateway
	addr string
	clk  *testClock
	loc  *time.Location
	pbx  *simfias.PBX
	stop context.CancelFunc // the simulator's connection
	done chan error
	// halt stops the simulator and the gateway (at the end of the test, or
	// before a restart test starts another gateway on the same store).
	halt func()
}

func newHotelinkSite(t testing.TB, rooms string, opts map[string]any) *hotelinkSite {
	t.Helper()
	cfg, addr := hotelinkConfig(t, rooms, opts)
	return startHotelinkSite(t, cfg, addr)
}

// hotelinkConfig is the config of newHotelinkSite, the hotel link listening
// on addr; it shortens the hotel link's waits for tests.
func hotelinkConfig(t testing.TB, rooms string, opts map[string]any) (cfg *config.Config, addr string) {
	addr = fmt.Sprintf("127.0.0.1:%d", peers.FreePort(t))
	o := map[string]any{"keepalive": "0s"}
	for k, v := range opts {
		o[k] = v
	}
	return &config.Config{
		Site:    config.Site{Group: "acme", Property: "h042", Gateway: "gw1", Timezone: "Asia/Shanghai"},
		Store:   config.Store{Path: filepath.Join(t.TempDir(), "sb.db")},
		MQTT:    config.MQTT{Embedded: testBroker(peers.FreePort(t))},
		Billing: config.Billing{Numbering: config.Numbering{HomeArea: "21", TrunkAccess: []string{"9"}}, MaskDialed: 7},
		Rooms:   []config.Rooms{{Extensions: rooms, Class: "guest"}, {Extensions: "8100-8199", Class: "admin"}},
		Devices: []config.Device{{ID: "pbx1", Driver: "hotelink", Profile: "fias", Transport: config.Transport{TCP: &config.TCP{Listen: addr}}, Options: o}},
	}, addr
}

// startHotelinkSite runs a gateway on cfg, whose hotel link pbx1 listens
// on addr, with its clock at 2026-11-27 22:00 in Shanghai.
func startHotelinkSite(t testing.TB, cfg *config.Config, addr string) *hotelinkSite {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	g, err := NewTuned(ctx, cfg, quiet, hotelTuning(t))
	if err != nil {
		t.Fatal(err)
	}
	s := &hotelinkSite{t: t, g: g, addr: addr, loc: g.Location(), clk: &testClock{}}
	s.clk.Set(time.Date(2026, 11, 27, 22, 0, 0, 0, s.loc))
	g.Now = s.clk.Now
	done := make(chan error, 1)
	go func() { done <- g.Run(ctx) }()
	var once sync.Once
	s.halt = func() {
		once.Do(func() {
			if s.stop != nil {
				s.stop()
			}
			cancel()
			if err := <-done; err != nil {
				t.Errorf("shutdown: %v", err)
			}
		})
	}
	t.Cleanup(s.halt)
	return s
}

// hotelTuning shortens the hotel desk's waits for tests (a benchmark keeps
// production's watchdog period).
func hotelTuning(t testing.TB) Tuning {
	o := hoteldesk.Options{RetryWait: 20 * time.Millisecond, WatchEvery: 20 * time.Millisecond}
	if _, bench := t.(*testing.B); bench {
		o.WatchEvery = 30 * time.Second
	}
	return Tuning{Hotel: o}
}

// desk is the hotel desk, once the hotel link pbx1 is attached to it.
func (s *hotelinkSite) desk() *hoteldesk.Desk {
	s.t.Helper()
	s.waitUntil("hotel link pbx1 attached", func() bool { return s.g.Driver("pbx1") != nil })
	return s.g.hotel
}

func (s *hotelinkSite) linkUp() bool { return s.desk().LinkUp("pbx1") }

func occupied(t testing.TB, g *Gateway, room string) bool {
	t.Helper()
	st, err := stays.Current(context.Background(), g.Store(), room)
	if err != nil {
		t.Fatal(err)
	}
	return st != nil
}

// connect dials the simulator in (retrying until the gateway listens) and
// waits for the link start on both sides.
func (s *hotelinkSite) connect(answers map[hotel.Room][]string) *simfias.PBX {
	s.t.Helper()
	if s.pbx == nil {
		s.pbx = simfias.New(simfias.Config{Loc: s.loc, Now: s.clk.Now, Answers: answers})
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.stop = cancel
	s.done = make(chan error, 1)
	p := s.pbx
	go func() {
		for {
			err := p.Dial(ctx, s.addr)
			var oe *net.OpError
			if ctx.Err() != nil || !errors.As(err, &oe) || oe.Op != "dial" {
				s.done <- err
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	s.waitUntil("link up", func() bool { return p.LinkUp() && s.linkUp() })
	return p
}

// disconnect drops the simulator's connection and waits for the gateway to
// see the link down.
func (s *hotelinkSite) disconnect() {
	s.t.Helper()
	s.stop()
	<-s.done
	s.waitUntil("link down", func() bool { return !s.linkUp() })
}

func (s *hotelinkSite) waitUntil(what string, cond func() bool) {
	s.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			s.t.Fatalf("no %s within 10 s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (s *hotelinkSite) at(date string, clock string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", date+" "+clock, s.loc)
	if err != nil {
		s.t.Fatal(err)
	}
	return t
}

// received lists the records of a type the PBX received, as the spec prints them.
func received(p *simfias.PBX, typ string) []string {
	var out []string
	for _, r := range p.Received() {
		if r.Type == typ {
			out = append(out, r.String())
		}
	}
	return out
}

func (b *backOffice) pbx(id, name string, data any) bus.Reply {
	b.t.Helper()
	return b.command("hotel/acme/h042/pbx/pbx1/cmd/"+name, id, "hotel.pbx.cmd."+name, data)
}

func result(t *testing.T, r bus.Reply) map[string]any {
	t.Helper()
	m, _ := r.Result.(map[string]any)
	return m
}

func (b *backOffice) event(typ string, pred func(map[string]any) bool) map[string]any {
	b.t.Helper()
	var data map[string]any
	b.waitFor(typ, func(m bus.Message, env events.Envelope) bool {
		if env.Type != typ {
			return false
		}
		var d map[string]any
		if json.Unmarshal(env.Data, &d) != nil || !pred(d) {
			return false
		}
		data = d
		return true
	})
	return data
}

func (b *backOffice) checkIn(t *testing.T, id, room string) {
	t.Helper()
	if r := b.pbx(id, "guest.checkin", hotel.GuestCheckInData{Room: room, Reservation: "R" + room, Name: "Zhang Wei", Language: "zh", COS: "international"}); r.Status != "completed" {
		t.Fatalf("check-in %s: %+v", room, r)
	}
}

func TestHotelinkWakeupUnansweredRetriedThenEscalated(t *testing.T) {
	s := newHotelinkSite(t, "1101-1299", map[string]any{"wakeup_retry_after": "5m"})
	bo := newBackOffice(t, s.g.BrokerURL())
	bo.waitOnline(s.g)
	p := s.connect(map[hotel.Room][]string{"1203": {"NR", "BY"}})

	bo.checkIn(t, "ci", "1203")
	if g, ok := p.Guest("1203"); !ok || g.Name != "Zhang Wei" || g.Reservation != "R1203" || g.COS != "3" {
		t.Fatalf("guest at the PBX: %+v %v", g, ok)
	}
	r := bo.pbx("w1", "wakeup.set", hotel.WakeupSetData{Room: "1203", Time: "06:30", Operator: "07"})
	res := result(t, r)
	if r.Status != "completed" || res["pbx"] != "sent" || res["date"] != "2026-11-28" || res["status"] != "sent" || res["pbx_state"] != "held" {
		t.Fatalf("wakeup.set: %+v", r)
	}
	if wr := received(p, "WR"); len(wr) != 1 || wr[0] != "WR|RN1203|DA261128|TI063000|" {
		t.Fatalf("WR on the wire: %q", wr)
	}
	bo.event("hotel.pbx.wakeup.scheduled", func(d map[string]any) bool { return d["room"] == "1203" && d["operator"] == "07" })
	bo.waitFor("retained next wake-up", func(m bus.Message, env events.Envelope) bool {
		return m.Topic == "hotel/acme/h042/pbx/pbx1/state/room/1203" && strings.Contains(string(env.Data), `"next_wakeup":"2026-11-28T06:30:00+08:00"`)
	})

	// 06:30: no answer. Housekeeping hears of it; a second call is armed 5 minutes on.
	s.clk.Set(s.at("2026-11-28", "06:30").Add(20 * time.Second))
	if _, err := p.Ring(s.at("2026-11-28", "06:30")); err != nil {
		t.Fatal(err)
	}
	un := bo.event("hotel.pbx.wakeup.unanswered", func(d map[string]any) bool { return d["room"] == "1203" })
	if un["reason"] != "no_answer" || un["retry"] != true || un["attempt"] != float64(1) || un["scheduled"] != "2026-11-28T06:30:00+08:00" || un["source"] != "hotel-link" {
		t.Errorf("first unanswered: %v", un)
	}
	s.waitUntil("second WR", func() bool { return len(received(p, "WR")) == 2 })
	if wr := received(p, "WR"); wr[1] != "WR|RN1203|DA261128|TI063600|" {
		t.Errorf("retry WR: %q", wr[1])
	}
	// 06:36: busy again. Escalated.
	s.clk.Set(s.at("2026-11-28", "06:36").Add(20 * time.Second))
	if _, err := p.Ring(s.at("2026-11-28", "06:36")); err != nil {
		t.Fatal(err)
	}
	esc := bo.event("hotel.pbx.wakeup.escalated", func(d map[string]any) bool { return d["room"] == "1203" })
	if esc["priority"] != "high" || esc["attempt"] != float64(2) {
		t.Errorf("escalated: %v", esc)
	}
	last := bo.event("hotel.pbx.wakeup.unanswered", func(d map[string]any) bool { return d["room"] == "1203" && d["retry"] != true })
	if last["reason"] != "busy" || last["call"] != "2026-11-28T06:36:00+08:00" {
		t.Errorf("second unanswered: %v", last)
	}
	if n := bo.count(func(env events.Envelope) bool { return env.Type == "hotel.pbx.wakeup.answered" }); n != 0 {
		t.Errorf("%d answered events", n)
	}
}

func TestHotelinkWakeupAnsweredAndCheckoutCancels(t *testing.T) {
	s := newHotelinkSite(t, "1101-1299", nil)
	bo := newBackOffice(t, s.g.BrokerURL())
	bo.waitOnline(s.g)
	p := s.connect(nil)
	bo.checkIn(t, "ci", "1204")
	if r := bo.pbx("w1", "wakeup.set", hotel.WakeupSetData{Room: "1204", Time: "2026-11-28T07:00:00+08:00", Operator: "12", RequestedBy: "operator"}); r.Status != "completed" {
		t.Fatalf("wakeup.set: %+v", r)
	}
	s.clk.Set(s.at("2026-11-28", "07:00").Add(10 * time.Second))
	if _, err := p.Ring(s.at("2026-11-28", "07:00")); err != nil {
		t.Fatal(err)
	}
	ans := bo.event("hotel.pbx.wakeup.answered", func(d map[string]any) bool { return d["room"] == "1204" })
	if ans["code"] != "OK" || ans["operator"] != "12" || ans["attempt"] != float64(1) {
		t.Errorf("answered: %v", ans)
	}

	// Two more wake-ups, then the guest leaves: both cleared at the PBX (WC), then GO.
	for i, d := range []string{"2026-11-29", "2026-11-30"} {
		if r := bo.pbx(fmt.Sprint("w", i+2), "wakeup.set", hotel.WakeupSetData{Room: "1204", Time: "06:45", Date: d, Operator: "12"}); r.Status != "completed" {
			t.Fatalf("wakeup.set %s: %+v", d, r)
		}
	}
	if n := len(p.Wakeups()); n != 2 {
		t.Fatalf("PBX holds %d wake-ups, want 2", n)
	}
	r := bo.pbx("co", "guest.checkout", hotel.GuestCheckOutData{Room: "1204"})
	if r.Status != "completed" || result(t, r)["cancelled_wakeups"] != float64(2) {
		t.Fatalf("checkout: %+v", r)
	}
	wc := received(p, "WC")
	if len(wc) != 2 || wc[0] != "WC|RN1204|DA261129|TI064500|" {
		t.Errorf("WC on the wire: %q", wc)
	}
	all := p.Received()
	if last := all[len(all)-1]; last.Type != "GO" || last.String() != "GO|RN1204|G#R1204|" {
		t.Errorf("last record %s, want GO after the WCs", last)
	}
	if _, ok := p.Guest("1204"); ok || len(p.Wakeups()) != 0 {
		t.Errorf("PBX still has the guest or wake-ups: %v", p.Wakeups())
	}
	bo.event("hotel.edge.folio.checked-out", func(d map[string]any) bool { return d["room"] == "1204" })
	// A wake-up for the vacant room is refused.
	if r := bo.pbx("w9", "wakeup.set", hotel.WakeupSetData{Room: "1204", Time: "06:45", Operator: "12"}); r.Status != "failed" || r.Field != "data.room" || !strings.Contains(r.Reason, "vacant") {
		t.Errorf("wake-up for a vacant room: %+v", r)
	}
}

func TestHotelinkRefusalsNameTheField(t *testing.T) {
	s := newHotelinkSite(t, "1101-1299", nil)
	bo := newBackOffice(t, s.g.BrokerURL())
	bo.waitOnline(s.g)
	s.connect(nil)
	bo.checkIn(t, "ci", "1203")
	for _, tc := range []struct {
		name, cmd string
		data      any
		field     string
		reason    string
	}{
		{"unknown room", "wakeup.set", hotel.WakeupSetData{Room: "7777", Time: "06:30", Operator: "07"}, "data.room", "unknown"},
		{"admin extension", "dnd.set", map[string]any{"room": "8101", "on": true}, "data.room", "not a guest room"},
		{"time in the past", "wakeup.set", hotel.WakeupSetData{Room: "1203", Time: "2026-11-27T21:00:00+08:00", Operator: "07"}, "data.time", "in the past"},
		{"date in the past", "wakeup.set", hotel.WakeupSetData{Room: "1203", Time: "06:30", Date: "2026-11-27", Operator: "07"}, "data.time", "in the past"},
		{"bad time", "wakeup.set", hotel.WakeupSetData{Room: "1203", Time: "6.30", Operator: "07"}, "data.time", "HH:MM"},
		{"no operator", "wakeup.set", hotel.WakeupSetData{Room: "1203", Time: "06:30"}, "data.operator", "required"},
		{"until without daily", "wakeup.set", hotel.WakeupSetData{Room: "1203", Time: "06:30", Until: "2026-12-01", Operator: "07"}, "data.until", "daily"},
		{"no wake-up to cancel", "wakeup.cancel", hotel.WakeupCancelData{Room: "1203"}, "data.room", "no active wake-up"},
		{"dnd without on", "dnd.set", map[string]any{"room": "1203"}, "data.on", "required"},
		{"unknown cos", "cos.set", hotel.COSData{Room: "1203", COS: "gold"}, "data.cos", "want one of"},
		{"cos the profile lacks", "cos.set", hotel.COSData{Room: "1203", COS: "internal"}, "data.cos", "not in profile fias"},
		{"occupied", "guest.checkin", hotel.GuestCheckInData{Room: "1203"}, "data.room", "occupied"},
		{"vacant", "guest.checkout", hotel.GuestCheckOutData{Room: "1205"}, "data.room", "vacant"},
		{"move to itself", "guest.move", hotel.GuestMoveData{From: "1203", To: "1203"}, "data.to", "same room"},
		{"unknown field", "mwl.set", map[string]any{"room": "1203", "on": true, "guest": "x"}, "data.guest", "unknown field"},
	} {
		r := bo.pbx("bad-"+strings.ReplaceAll(tc.name, " ", "-"), tc.cmd, tc.data)
		if r.Status != "failed" || r.Field != tc.field || !strings.Contains(r.Reason, tc.reason) {
			t.Errorf("%s: %s %s (field %q), want field %q and %q", tc.name, r.Status, r.Reason, r.Field, tc.field, tc.reason)
		}
	}
	// Not a hotel link.
	r := bo.command("hotel/acme/h042/pbx/pbx9/cmd/dnd.set", "nolink", "hotel.pbx.cmd.dnd.set", map[string]any{"room": "1203", "on": true})
	if r.Status != "failed" || r.Field != "topic" {
		t.Errorf("command to a device that is no hotel link: %+v", r)
	}
}

func TestHotelinkDNDMWLPostingsAndRoomState(t *testing.T) {
	s := newHotelinkSite(t, "1101-1299", nil)
	bo := newBackOffice(t, s.g.BrokerURL())
	bo.waitOnline(s.g)
	p := s.connect(nil)
	bo.checkIn(t, "ci", "1205")
	stateTopic := "hotel/acme/h042/pbx/pbx1/state/room/1205"
	stateHas := func(what string) {
		t.Helper()
		bo.waitFor("room state "+what, func(m bus.Message, env events.Envelope) bool {
			return m.Topic == stateTopic && strings.Contains(string(env.Data), what)
		})
	}
	if r := bo.pbx("d1", "dnd.set", map[string]any{"room": "1205", "on": true}); r.Status != "completed" || result(t, r)["pbx"] != "sent" {
		t.Fatalf("dnd.set: %+v", r)
	}
	if r := bo.pbx("m1", "mwl.set", map[string]any{"room": "1205", "on": true}); r.Status != "completed" {
		t.Fatalf("mwl.set: %+v", r)
	}
	if r := bo.pbx("c1", "cos.set", hotel.COSData{Room: "1205", COS: "local"}); r.Status != "completed" {
		t.Fatalf("cos.set: %+v", r)
	}
	re := received(p, "RE")
	want := []string{"RE|RN1205|CS3|", "RE|RN1205|DNY|", "RE|RN1205|MLY|", "RE|RN1205|CS1|"}
	if !slices.Equal(re, want) {
		t.Errorf("RE on the wire:\n got %q\nwant %q", re, want)
	}
	stateHas(`"occupied":true,"dnd":true,"mwl":true,"cos":"local"`)
	g, _ := p.Guest("1205")
	if !g.DND || !g.MWL || g.COS != "1" {
		t.Errorf("PBX room 1205: %+v", g)
	}

	// The guest clears DND on the phone and dials a maid status.
	dn := hotelink.Record{Type: "RE"}
	dn.Add("RN", "1205")
	dn.Add("DN", "N")
	if err := p.Send(dn); err != nil {
		t.Fatal(err)
	}
	stateHas(`"dnd":false,"mwl":true`)
	if err := p.RoomStatus("1205", 3); err != nil {
		t.Fatal(err)
	}
	rs := bo.event("hotel.pbx.room.status", func(d map[string]any) bool { return d["room"] == "1205" })
	if rs["label"] != "clean-vacant" || rs["code"] != float64(3) {
		t.Errorf("room status: %v", rs)
	}

	// A call the PBX costed: recorded and posted once, even when the PBX sends it again.
	ps := simfias.Posting{Number: "4711", Room: "1205", At: time.Date(2026, 11, 27, 22, 10, 0, 0, s.loc), Dialed: "90081312345678",
		Duration: 65 * time.Second, Amount: 880, CallType: "IDD"}
	for range 2 {
		if err := p.Post(ps); err != nil {
			t.Fatal(err)
		}
	}
	s.waitUntil("two PA", func() bool { return len(received(p, "PA")) == 2 })
	ch := bo.event("hotel.pbx.call.charged", func(d map[string]any) bool { return d["room"] == "1205" })
	if ch["reservation"] != "R1205" || ch["duration_s"] != float64(65) || ch["destination"] != "Japan" {
		t.Errorf("charged: %v", ch)
	}
	time.Sleep(100 * time.Millisecond)
	byType := outboxByType(t, s.g.Store())
	if n, m := len(byType["hotel.pbx.call.charged"]), len(byType["hotel.pbx.call.recorded"]); n != 1 || m != 1 {
		t.Errorf("%d charged and %d recorded for one posting sent twice", n, m)
	}
	if !strings.Contains(string(byType["hotel.pbx.call.recorded"][0].Data), `"pbx_cost":"8.80"`) {
		t.Errorf("recorded: %s", byType["hotel.pbx.call.recorded"][0].Data)
	}
	// No guest name anywhere in what is published, retained state included.
	bo.mu.Lock()
	for _, m := range bo.msgs {
		if strings.Contains(m.Topic, "/cmd/") {
			continue // the back office's own commands
		}
		if strings.Contains(string(m.Payload), "Zhang") || strings.Contains(m.Topic, "Zhang") {
			t.Errorf("guest name published on %s", m.Topic)
		}
	}
	bo.mu.Unlock()
}

func TestHotelinkLinkDownAtRiskThenResyncSendsPendingOnce(t *testing.T) {
	s := newHotelinkSite(t, "1101-1299", nil)
	bo := newBackOffice(t, s.g.BrokerURL())
	bo.waitOnline(s.g)
	p := s.connect(nil)
	bo.checkIn(t, "ci1", "1206")
	bo.checkIn(t, "ci2", "1207")
	if r := bo.pbx("w1", "wakeup.set", hotel.WakeupSetData{Room: "1206", Time: "06:30", Operator: "07"}); r.Status != "completed" {
		t.Fatalf("wakeup.set: %+v", r)
	}
	s.disconnect()

	// With the link down: recorded, then failed after the retries, naming why.
	r := bo.pbx("w2", "wakeup.set", hotel.WakeupSetData{Room: "1207", Time: "06:45", Operator: "07"})
	if r.Status != "failed" || !strings.Contains(r.Reason, "link down after 3 retries") || result(t, r)["status"] != "pending" {
		t.Fatalf("wakeup.set with the link down: %+v", r)
	}
	d := bo.pbx("d1", "dnd.set", map[string]any{"room": "1207", "on": true})
	if d.Status != "failed" || !strings.Contains(d.Reason, "link down after 3 retries") {
		t.Fatalf("dnd.set with the link down: %+v", d)
	}
	// 05:59: nothing yet. 06:00, 30 minutes before the first wake-up: at risk.
	s.clk.Set(s.at("2026-11-28", "05:59"))
	time.Sleep(100 * time.Millisecond)
	if n := bo.count(func(env events.Envelope) bool { return env.Type == "hotel.pbx.wakeup.at-risk" }); n != 0 {
		t.Fatalf("%d at-risk alerts before the preflight window", n)
	}
	s.clk.Set(s.at("2026-11-28", "06:00"))
	ar := bo.event("hotel.pbx.wakeup.at-risk", func(d map[string]any) bool { return d["rooms"] != nil })
	if fmt.Sprint(ar["rooms"]) != "[1206 1207]" || ar["priority"] != "high" || ar["call"] != "2026-11-28T06:30:00+08:00" || !strings.Contains(ar["reason"].(string), "down") {
		t.Errorf("at-risk: %v", ar)
	}
	time.Sleep(100 * time.Millisecond)
	if n := bo.count(func(env events.Envelope) bool { return env.Type == "hotel.pbx.wakeup.at-risk" }); n != 1 {
		t.Errorf("%d at-risk alerts, want one per outage", n)
	}

	// The PBX reconnects: the database swap carries both wake-ups and DND, once.
	before := len(received(p, "WR"))
	resyncs := p.Resyncs()
	s.connect(nil)
	s.waitUntil("resync", func() bool { return p.Resyncs() > resyncs })
	ws := p.Wakeups()
	if len(ws) != 2 || ws[0].Room != "1206" || ws[1].Room != "1207" || !ws[1].At.Equal(s.at("2026-11-28", "06:45")) {
		t.Fatalf("PBX wake-ups after the resync: %+v", ws)
	}
	if n := len(received(p, "WR")) - before; n != 2 {
		t.Errorf("%d WR after the reconnect, want 2 (one each, in the swap)", n)
	}
	if g, _ := p.Guest("1207"); !g.DND {
		t.Errorf("DND set while the link was down not sent on resync: %+v", g)
	}
	day, err := s.desk().Schedule().ListDay(context.Background(), s.g.Store(), mustWakeupDate(t, "2026-11-28"))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range day {
		if w.PBX != "held" {
			t.Errorf("wake-up %d room %s: PBX state %s after the resync, want held", w.ID, w.Room, w.PBX)
		}
	}
}

func TestHotelinkMoveTakesWakeupsAlong(t *testing.T) {
	s := newHotelinkSite(t, "1101-1299", nil)
	bo := newBackOffice(t, s.g.BrokerURL())
	bo.waitOnline(s.g)
	p := s.connect(nil)
	bo.checkIn(t, "ci", "1208")
	if r := bo.pbx("w1", "wakeup.set", hotel.WakeupSetData{Room: "1208", Time: "07:00", Operator: "07", Daily: true}); r.Status != "completed" {
		t.Fatalf("wakeup.set: %+v", r)
	}
	r := bo.pbx("mv", "guest.move", hotel.GuestMoveData{From: "1208", To: "1209"})
	if r.Status != "completed" || result(t, r)["wakeups"] != float64(1) {
		t.Fatalf("move: %+v", r)
	}
	if gc := received(p, "GC"); len(gc) != 1 || !strings.HasPrefix(gc[0], "GC|RN1209|RO1208|") {
		t.Errorf("GC: %q", gc)
	}
	if ws := p.Wakeups(); len(ws) != 1 || ws[0].Room != "1209" {
		t.Errorf("PBX wake-ups after the move: %+v", ws)
	}
	mv := bo.event("hotel.pbx.guest.moved", func(d map[string]any) bool { return d["to"] == "1209" })
	if mv["from"] != "1208" || mv["reservation"] != "R1208" {
		t.Errorf("moved: %v", mv)
	}
	if occupied(t, s.g, "1208") {
		t.Error("1208 still occupied")
	}
}

func mustWakeupDate(t testing.TB, s string) wakeup.Date {
	t.Helper()
	d, err := wakeup.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// BenchmarkHotelinkWakeups300 records 300 wake-ups due at 07:00 through
// the wake-up command handler with the FIAS simulator on loopback TCP (the
// gateway's share of a command: validation, the store, the WR on the wire),
// then rings them all and waits until the 300 answered events are
// committed. Run with -benchtime=1x.
func BenchmarkHotelinkWakeups300(b *testing.B) {
	const n = 300
	s := newHotelinkSite(b, "1001-1400", nil)
	p := s.connect(nil)
	s.desk()
	ctx := context.Background()
	err := s.g.Store().InTx(ctx, func(tx *store.Tx) error {
		for i := range n {
			if _, err := stays.CheckIn(tx, stays.Stay{Room: fmt.Sprint(1001 + i), CheckIn: s.clk.Now()}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	h := s.g.router.Handler("pbx", "wakeup.set")
	var lat []time.Duration
	var ring time.Duration
	b.ResetTimer()
	for it := range b.N {
		day := s.at("2026-11-28", "07:00").AddDate(0, 0, it)
		s.clk.Set(day.Add(-9 * time.Hour))
		for i := range n {
			data, _ := json.Marshal(hotel.WakeupSetData{Room: fmt.Sprint(1001 + i), Time: "07:00", Date: day.Format("2006-01-02"), Operator: "07"})
			c := &bus.Command{ID: fmt.Sprintf("b%d-%d", it, i), Type: "hotel.pbx.cmd.wakeup.set", Domain: "pbx", Device: "pbx1", Name: "wakeup.set",
				Client: "bench", Received: time.Now(), Data: data}
			start := time.Now()
			if err := h.Validate(c); err != nil {
				b.Fatal(err)
			}
			res, err := h.Execute(ctx, c)
			if err != nil {
				b.Fatal(err)
			}
			if m := res.(map[string]any); m["pbx"] != "sent" {
				b.Fatalf("wake-up %d: %v", i, m)
			}
			lat = append(lat, time.Since(start))
		}
		// Send returns once the WR is written; let the PBX read the last ones.
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		if err := p.WaitFor(wctx, func(p *simfias.PBX) bool { return len(p.Wakeups()) == n }); err != nil {
			b.Fatal(err)
		}
		cancel()
		s.clk.Set(day.Add(30 * time.Second))
		start := time.Now()
		if rung, err := p.Ring(day); err != nil || len(rung) != n {
			b.Fatalf("rang %d: %v", len(rung), err)
		}
		for {
			var k int
			if err := s.g.Store().QueryRow(ctx, `SELECT COUNT(*) FROM outbox WHERE type='hotel.pbx.wakeup.answered'`).Scan(&k); err != nil {
				b.Fatal(err)
			}
			if k >= n*(it+1) {
				break
			}
			time.Sleep(time.Millisecond)
		}
		ring += time.Since(start)
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	q := func(f float64) float64 { return float64(lat[int(f*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(q(0.5), "p50-ms/cmd")
	b.ReportMetric(q(0.99), "p99-ms/cmd")
	b.ReportMetric(float64(ring.Milliseconds())/float64(b.N), "ms/300-results")
	b.ReportMetric(float64(ring.Microseconds())/float64(b.N*n), "µs/result")
}

// The gateway's own lamp (a fax waiting at the front desk) goes to the PBX
// as RE ML and into the room's retained state; without a hotel link it
// does nothing.
func TestMessageLampForTheGatewaysOwnReasons(t *testing.T) {
	s := newHotelinkSite(t, "1101-1299", nil)
	bo := newBackOffice(t, s.g.BrokerURL())
	bo.waitOnline(s.g)
	p := s.connect(nil)
	bo.checkIn(t, "ci", "1207")
	if !s.g.hotel.MessageLamp(context.Background(), "1207", true, "fax") {
		t.Fatal("lamp not taken by the PBX")
	}
	bo.waitFor("lamp in the room state", func(m bus.Message, env events.Envelope) bool {
		return m.Topic == "hotel/acme/h042/pbx/pbx1/state/room/1207" && strings.Contains(string(env.Data), `"mwl":true`)
	})
	if !s.g.hotel.MessageLamp(context.Background(), "1207", false, "fax") {
		t.Fatal("lamp off not taken by the PBX")
	}
	// FIAS over TCP has no acknowledgement: the records are written; wait
	// for the PBX to have read them.
	s.waitUntil("RE ML on and off at the PBX", func() bool {
		re := received(p, "RE")
		g, _ := p.Guest("1207")
		return slices.Contains(re, "RE|RN1207|MLY|") && slices.Contains(re, "RE|RN1207|MLN|") && !g.MWL
	})

	// A gateway without a hotel link: nothing to do, nothing fails.
	plain, _ := startGateway(t)
	if plain.hotel.MessageLamp(context.Background(), "1207", true, "fax") {
		t.Error("lamp reported lit without a hotel link")
	}
}
