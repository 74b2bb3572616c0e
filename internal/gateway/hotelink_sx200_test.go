package gateway

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"switchboard/drivers/hotelink"
	"switchboard/internal/bus"
	"switchboard/internal/config"
	"switchboard/internal/events"
	"switchboard/internal/events/hotel"
	simshenou "switchboard/internal/sim/shenou"
	simsx200 "switchboard/internal/sim/sx200"
	"switchboard/internal/transport/ptytest"
	"switchboard/test/peers"
)

// newSerialHotelinkSite is a gateway with one serial hotel link (pbx1) of
// the given profile on a pty pair: the gateway opens the pty's link through
// go.bug.st/serial as it would open /dev/ttyUSB0, and serve plays the PBX
// on the master. The gateway's clock (g.Now) is clk.
func newSerialHotelinkSite(t *testing.T, prof string, clk *testClock, serve func(ctx context.Context, rw io.ReadWriteCloser) error) *hotelinkSite {
	t.Helper()
	pair := ptytest.New(t, filepath.Join(t.TempDir(), "ttyPBX"))
	cfg := &config.Config{
		Site:    config.Site{Group: "acme", Property: "h042", Gateway: "gw1", Timezone: "Asia/Shanghai"},
		Store:   config.Store{Path: filepath.Join(t.TempDir(), "sb.db")},
		MQTT:    config.MQTT{Embedded: testBroker(peers.FreePort(t))},
		Billing: config.Billing{Numbering: config.Numbering{HomeArea: "21", TrunkAccess: []string{"9"}}, MaskDialed: 7},
		Rooms:   []config.Rooms{{Extensions: "1101-1299", Class: "guest"}},
		Devices: []config.Device{{ID: "pbx1", Driver: "hotelink", Profile: prof,
			Transport: config.Transport{Serial: &config.Serial{Port: pair.Link(), Baud: 9600, DataBits: 8, Parity: "none", StopBits: "1", Flow: "none"}},
			Options:   map[string]any{"ack_timeout": "300ms"}}},
	}
	ctx, cancel := context.WithCancel(context.Background())
	g, err := NewTuned(ctx, cfg, quiet, hotelTuning(t))
	if err != nil {
		t.Fatal(err)
	}
	s := &hotelinkSite{t: t, g: g, loc: g.Location(), clk: clk}
	g.Now = clk.Now
	done := make(chan error, 1)
	go func() { done <- g.Run(ctx) }()
	simCtx, simStop := context.WithCancel(context.Background())
	simDone := make(chan error, 1)
	go func() { simDone <- serve(simCtx, pair.Master()) }()
	t.Cleanup(func() {
		simStop()
		if err := <-simDone; err != nil && simCtx.Err() == nil {
			t.Errorf("simulator: %v", err)
		}
		cancel()
		if err := <-done; err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	s.waitUntil("link up", s.linkUp)
	return s
}

// siteToday is 00:00 of today in the site's zone, away from midnight. The
// SX-200 sends a wake-up result with the time only (WKR s RRRRR HHMM); the
// driver dates it with its own clock, time.Now, which the gateway does not
// replace, so these tests run the gateway's clock on today's date.
func siteToday(t *testing.T) (time.Time, *time.Location) {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().In(loc)
	if now.Hour() == 23 && now.Minute() == 59 {
		time.Sleep(time.Duration(61-now.Second()) * time.Second)
		now = time.Now().In(loc)
	}
	return time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc), loc
}

// lastSX200 is the last n messages the SX-200 received, as "raw answer".
func lastSX200(p *simsx200.PBX, n int) []string {
	msgs := p.Received()
	if len(msgs) < n {
		n = len(msgs)
	}
	var out []string
	for _, m := range msgs[len(msgs)-n:] {
		a := map[byte]string{hotelink.ACK: "ACK", hotelink.NAK: "NAK", 0: "-"}[m.Answer]
		out = append(out, m.Raw+" "+a)
	}
	return out
}

func TestHotelinkSX200OverSerial(t *testing.T) {
	today, loc := siteToday(t)
	clk := &testClock{}
	clk.Set(today.Add(10 * time.Minute))
	p, err := simsx200.New(simsx200.Config{Loc: loc, Now: clk.Now,
		Answers: map[hotel.Room][]hotel.WakeupStatus{"1203": {hotel.WakeupNoAnswer}}})
	if err != nil {
		t.Fatal(err)
	}
	s := newSerialHotelinkSite(t, "mitel-sx200", clk, p.Serve)
	bo := newBackOffice(t, s.g.BrokerURL())
	bo.waitOnline(s.g)
	stateHas := func(room, what string) {
		t.Helper()
		bo.waitFor("room state "+what, func(m bus.Message, env events.Envelope) bool {
			return m.Topic == "hotel/acme/h042/pbx/pbx1/state/room/"+room && strings.Contains(string(env.Data), what)
		})
	}

	// Check-in: CHK, then the restriction of the class (international: 2).
	bo.checkIn(t, "ci1", "1203")
	bo.checkIn(t, "ci2", "1204")
	if got, want := lastSX200(p, 2), []string{"CHK 1  1204 ACK", "RST 2  1204 ACK"}; !slices.Equal(got, want) {
		t.Errorf("check-in on the wire: %q, want %q", got, want)
	}
	if r, _ := p.Room("1203"); !r.CheckedIn || r.Restriction != "2" {
		t.Errorf("PBX room 1203: %+v", r)
	}

	// mwl.set -> MW 1 on the wire -> ACK -> completed, retained state.
	if r := bo.pbx("m1", "mwl.set", map[string]any{"room": "1203", "on": true}); r.Status != "completed" || result(t, r)["pbx"] != "sent" {
		t.Fatalf("mwl.set: %+v", r)
	}
	if got := lastSX200(p, 1); got[0] != "MW 1  1203 ACK" {
		t.Errorf("mwl.set on the wire: %q", got)
	}
	stateHas("1203", `"occupied":true,"dnd":false,"mwl":true,"cos":"international"`)

	// A NAK: the gateway sends the message again at once, and completes.
	p.NAKNext(1)
	if r := bo.pbx("d1", "dnd.set", map[string]any{"room": "1203", "on": true}); r.Status != "completed" {
		t.Fatalf("dnd.set after a NAK: %+v", r)
	}
	if got, want := lastSX200(p, 2), []string{"DND 1  1203 NAK", "DND 1  1203 ACK"}; !slices.Equal(got, want) {
		t.Errorf("NAK and retransmission: %q, want %q", got, want)
	}
	if r, _ := p.Room("1203"); !r.DND || !r.MWL {
		t.Errorf("PBX room 1203: %+v", r)
	}
	stateHas("1203", `"dnd":true,"mwl":true`)

	// NAK to the message and its 3 retransmissions: the PBX refused.
	p.NAKNext(4)
	r := bo.pbx("m2", "mwl.set", map[string]any{"room": "1203", "on": false})
	if r.Status != "failed" || !strings.Contains(r.Reason, "PBX refused") || !strings.Contains(r.Reason, "no acknowledgement after 3 retransmissions") {
		t.Errorf("mwl.set NAKed 4 times: %+v", r)
	}
	if got := lastSX200(p, 4); got[0] != "MW 0  1203 NAK" || got[3] != "MW 0  1203 NAK" {
		t.Errorf("on the wire: %q", got)
	}
	if rm, _ := p.Room("1203"); !rm.MWL {
		t.Errorf("PBX lamp cleared by a NAKed message: %+v", rm)
	}

	// Wake-ups: WAK with HHMM; the PBX rings at its time and reports WKR.
	for _, w := range []struct{ id, room, at string }{{"w1", "1203", "06:30"}, {"w2", "1204", "06:45"}} {
		if r := bo.pbx(w.id, "wakeup.set", hotel.WakeupSetData{Room: w.room, Time: w.at, Date: today.Format("2006-01-02"), Operator: "07"}); r.Status != "completed" || result(t, r)["pbx"] != "sent" {
			t.Fatalf("wakeup.set %s: %+v", w.room, r)
		}
	}
	if got, want := lastSX200(p, 2), []string{"WAK 1  1203 0630 ACK", "WAK 1  1204 0645 ACK"}; !slices.Equal(got, want) {
		t.Errorf("wake-ups on the wire: %q, want %q", got, want)
	}
	if ws := p.Wakeups(); len(ws) != 2 || !ws[0].At.Equal(today.Add(6*time.Hour+30*time.Minute)) {
		t.Fatalf("PBX wake-ups: %+v", ws)
	}
	stateHas("1203", `"next_wakeup":"`+today.Add(6*time.Hour+30*time.Minute).Format(time.RFC3339)+`"`)

	clk.Set(today.Add(6*time.Hour + 30*time.Minute + 20*time.Second))
	if rung, err := p.Ring(clk.Now()); err != nil || len(rung) != 1 {
		t.Fatalf("ring 06:30: %+v, %v", rung, err)
	}
	un := bo.event("hotel.pbx.wakeup.unanswered", func(d map[string]any) bool { return d["room"] == "1203" })
	if un["reason"] != "no_answer" || un["code"] != "0" || un["source"] != "hotel-link" || un["scheduled"] != today.Add(6*time.Hour+30*time.Minute).Format(time.RFC3339) {
		t.Errorf("unanswered: %v", un)
	}
	bo.event("hotel.pbx.wakeup.escalated", func(d map[string]any) bool { return d["room"] == "1203" })

	clk.Set(today.Add(6*time.Hour + 45*time.Minute + 10*time.Second))
	if rung, err := p.Ring(clk.Now()); err != nil || len(rung) != 1 {
		t.Fatalf("ring 06:45: %+v, %v", rung, err)
	}
	ans := bo.event("hotel.pbx.wakeup.answered", func(d map[string]any) bool { return d["room"] == "1204" })
	if ans["code"] != "1" || ans["operator"] != "07" || ans["attempt"] != float64(1) {
		t.Errorf("answered: %v", ans)
	}
	if n := bo.count(func(env events.Envelope) bool { return env.Type == "hotel.pbx.wakeup.unmatched" }); n != 0 {
		t.Errorf("%d unmatched wake-up results", n)
	}

	// A wake-up two days ahead: the SX-200's WAK has no date, so it would
	// ring at the next 06:15. It waits in the schedule and goes to the PBX
	// within the last day before it is due.
	clk.Set(today.Add(8 * time.Hour))
	later := today.AddDate(0, 0, 2)
	if r := bo.pbx("w3", "wakeup.set", hotel.WakeupSetData{Room: "1203", Time: "06:15", Date: later.Format("2006-01-02"), Operator: "07"}); r.Status != "completed" || result(t, r)["pbx"] != "held" {
		t.Fatalf("wakeup.set two days ahead: %+v", r)
	}
	time.Sleep(100 * time.Millisecond) // several watchdog turns
	for _, m := range p.Received() {
		if strings.Contains(m.Raw, "0615") {
			t.Fatalf("wake-up two days ahead sent to a PBX that rings at the next 06:15: %q", m.Raw)
		}
	}
	clk.Set(later.Add(6*time.Hour + 15*time.Minute - 22*time.Hour)) // 08:15 the day before
	s.waitUntil("held wake-up sent within its last day", func() bool {
		got := lastSX200(p, 1)
		return len(got) == 1 && got[0] == "WAK 1  1203 0615 ACK"
	})

	// Maid status dialed in 1204.
	if err := p.RoomStatus("1204", 3); err != nil {
		t.Fatal(err)
	}
	rs := bo.event("hotel.pbx.room.status", func(d map[string]any) bool { return d["room"] == "1204" })
	if rs["label"] != "clean" || rs["code"] != float64(3) {
		t.Errorf("room status: %v", rs)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.WaitFor(ctx, func(p *simsx200.PBX) bool { a, _ := p.Acks(); return a == 3 }); err != nil {
		t.Errorf("the gateway did not ACK the two WKR and the MDS: %v", err)
	}

	// Check-out: CHK 0; the PBX clears the room and bars the phone.
	if r := bo.pbx("co", "guest.checkout", hotel.GuestCheckOutData{Room: "1203"}); r.Status != "completed" {
		t.Fatalf("checkout: %+v", r)
	}
	if got := lastSX200(p, 1); got[0] != "CHK 0  1203 ACK" {
		t.Errorf("checkout on the wire: %q", got)
	}
	if rm, _ := p.Room("1203"); rm.CheckedIn || rm.DND || rm.MWL || rm.Restriction != "0" {
		t.Errorf("PBX room 1203 after check-out: %+v", rm)
	}
}

func TestHotelinkShenouCOSOverSerial(t *testing.T) {
	today, _ := siteToday(t)
	clk := &testClock{}
	clk.Set(today.Add(10 * time.Hour))
	p, err := simshenou.New(simshenou.Config{})
	if err != nil {
		t.Fatal(err)
	}
	s := newSerialHotelinkSite(t, "shenou", clk, p.Serve)
	bo := newBackOffice(t, s.g.BrokerURL())
	bo.waitOnline(s.g)
	queries := func() []string {
		var out []string
		for _, q := range p.Received() {
			out = append(out, fmt.Sprintf("%s %v", q.Raw, q.Answered))
		}
		return out
	}

	// Check-in with a class: Q10 with its level, answered R10.
	bo.checkIn(t, "ci", "1203")
	if p.Level("1203") != "3" {
		t.Errorf("level after check-in: %q", p.Level("1203"))
	}
	// cos.set -> Q10*1*1203# -> R10*1*1203 -> completed, retained state.
	if r := bo.pbx("c1", "cos.set", hotel.COSData{Room: "1203", COS: "local"}); r.Status != "completed" || result(t, r)["pbx"] != "sent" {
		t.Fatalf("cos.set: %+v", r)
	}
	if got, want := queries(), []string{"Q10*3*1203# true", "Q10*1*1203# true"}; !slices.Equal(got, want) {
		t.Errorf("queries: %q, want %q", got, want)
	}
	if p.COS("1203") != hotel.COSLocal {
		t.Errorf("PBX class of 1203: %s", p.COS("1203"))
	}
	bo.waitFor("retained cos", func(m bus.Message, env events.Envelope) bool {
		return m.Topic == "hotel/acme/h042/pbx/pbx1/state/room/1203" && strings.Contains(string(env.Data), `"cos":"local"`)
	})

	// No answer to the query nor its retransmission (retries: 1): refused.
	p.IgnoreNext(2)
	r := bo.pbx("c2", "cos.set", hotel.COSData{Room: "1203", COS: "national"})
	if r.Status != "failed" || !strings.Contains(r.Reason, "PBX refused") {
		t.Errorf("cos.set unanswered: %+v", r)
	}
	if p.Level("1203") != "1" {
		t.Errorf("level after an unanswered query: %q", p.Level("1203"))
	}

	// DND has no wire on a Shenou: an operator task.
	if r := bo.pbx("d1", "dnd.set", map[string]any{"room": "1203", "on": true}); r.Status != "completed" || result(t, r)["operator_task"] == nil {
		t.Errorf("dnd.set on a Shenou: %+v", r)
	}
	// Check-out bars the room.
	if r := bo.pbx("co", "guest.checkout", hotel.GuestCheckOutData{Room: "1203"}); r.Status != "completed" {
		t.Fatalf("checkout: %+v", r)
	}
	if q := queries(); q[len(q)-1] != "Q10*0*1203# true" || p.COS("1203") != hotel.COSBarred {
		t.Errorf("checkout: queries %q, class %s", q, p.COS("1203"))
	}
}
