package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/drivers/hotelink"
	"switchboard/internal/bus"
	"switchboard/internal/events"
	"switchboard/internal/events/hotel"
	simsx200 "switchboard/internal/sim/sx200"
	"switchboard/internal/transport/ptytest"
	"switchboard/internal/wakeup"
)

// sx200Line plays the SX-200 simulator on the pty of a serial hotel link
// site (newSerialHotelinkSite) and can pull the line out and plug a new one
// in under the same name, as a USB-serial adapter pulled out and plugged
// back: unplug ends the simulator's session (its master is closed, so the
// gateway's end of the pty hangs up) and removes the link; replug opens a
// fresh pty pair behind the same link and serves the same PBX on it.
type sx200Line struct {
	p       *simsx200.PBX
	plugged chan io.ReadWriteCloser // the next line's master, from replug

	mu   sync.Mutex
	pull context.CancelFunc // ends the current session
}

func newSX200Line(p *simsx200.PBX) *sx200Line {
	return &sx200Line{p: p, plugged: make(chan io.ReadWriteCloser)}
}

// serve is the site's simulator: the PBX on each line plugged in, until ctx ends.
func (l *sx200Line) serve(ctx context.Context, rw io.ReadWriteCloser) error {
	for {
		sctx, cancel := context.WithCancel(ctx)
		l.mu.Lock()
		l.pull = cancel
		l.mu.Unlock()
		err := l.p.Serve(sctx, rw) // closes rw
		pulled := sctx.Err() != nil
		cancel()
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil && !pulled:
			return err
		}
		select {
		case rw = <-l.plugged:
		case <-ctx.Done():
			return nil
		}
	}
}

// unplug pulls the line out and waits for the gateway to see the link down.
func (l *sx200Line) unplug(s *hotelinkSite) {
	s.t.Helper()
	l.mu.Lock()
	pull := l.pull
	l.mu.Unlock()
	pull()
	if err := os.Remove(s.g.cfg.Devices[0].Transport.Serial.Port); err != nil {
		s.t.Fatal(err)
	}
	s.waitUntil("link down", func() bool { return !s.linkUp() })
}

// replug plugs a new line in under the same name and waits for the link.
func (l *sx200Line) replug(s *hotelinkSite) {
	s.t.Helper()
	pair := ptytest.New(s.t, s.g.cfg.Devices[0].Transport.Serial.Port)
	l.plugged <- pair.Master()
	s.waitUntil("link up again", s.linkUp)
}

// roomStateNow is the last retained state published for a room.
func (b *backOffice) roomStateNow(room string) (hotel.RoomState, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := len(b.msgs) - 1; i >= 0; i-- {
		m := b.msgs[i]
		if m.Topic != "hotel/acme/h042/pbx/pbx1/state/room/"+room {
			continue
		}
		var env events.Envelope
		var rs hotel.RoomState
		if json.Unmarshal(m.Payload, &env) != nil || json.Unmarshal(env.Data, &rs) != nil {
			return rs, false
		}
		return rs, true
	}
	return hotel.RoomState{}, false
}

// sx200WakeupMessages lists the wake-up messages (WAK) the SX-200 received
// for a room, as "raw answer".
func sx200WakeupMessages(p *simsx200.PBX, room hotel.Room) []string {
	var out []string
	for _, m := range p.Received() {
		if m.Func == "wakeup" && m.Room == room {
			a := map[byte]string{hotelink.ACK: "ACK", hotelink.NAK: "NAK", 0: "-"}[m.Answer]
			out = append(out, m.Raw+" "+a)
		}
	}
	return out
}

// TestHotelinkSX200CancelWhileLinkDownSentOnceWhenBack: a wake-up the
// SX-200 holds is cancelled while the serial line is out. The command says
// what is true (cancelled in the schedule, not at the PBX yet); the SX-200
// has no database swap, so when the line is back the gateway sends the
// cancel (WAK 0) once; the PBX ends without the wake-up and never rings
// the room, and the schedule shows the cancel confirmed. A later link
// start sends nothing more. Each wake-up command reaches the PBX once,
// also when the set took a retransmission while the watchdog kept running.
func TestHotelinkSX200CancelWhileLinkDownSentOnceWhenBack(t *testing.T) {
	for _, tc := range []struct {
		name    string
		lostSet int      // the PBX leaves the set unanswered this many times
		want    []string // the wake-up messages the PBX ends with
	}{
		{"set acknowledged at once", 0, []string{"WAK 1  1203 0630 ACK", "WAK 0  1203 0630 ACK"}},
		{"set acknowledged after a retransmission", 1, []string{"WAK 1  1203 0630 -", "WAK 1  1203 0630 ACK", "WAK 0  1203 0630 ACK"}},
	} {
		t.Run(tc.name, func(t *testing.T) { testSX200CancelWhileLinkDown(t, tc.lostSet, tc.want) })
	}
}

func testSX200CancelWhileLinkDown(t *testing.T, lostSet int, want []string) {
	today, loc := siteToday(t)
	clk := &testClock{}
	clk.Set(today.Add(10 * time.Minute))
	p, err := simsx200.New(simsx200.Config{Loc: loc, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	line := newSX200Line(p)
	s := newSerialHotelinkSite(t, "mitel-sx200", clk, line.serve)
	bo := newBackOffice(t, s.g.BrokerURL())
	bo.waitOnline(s.g)
	hd := s.desk()
	ctx := context.Background()
	wakeupNow := func(id int64) wakeup.Wakeup {
		t.Helper()
		w, err := hd.Schedule().Get(ctx, s.g.Store(), id)
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	stateIs := func(what string, ok func(hotel.RoomState) bool) {
		t.Helper()
		s.waitUntil("room state "+what, func() bool { rs, found := bo.roomStateNow("1203"); return found && ok(rs) })
	}

	bo.checkIn(t, "ci", "1203")
	p.IgnoreNext(lostSet)
	r := bo.pbx("w1", "wakeup.set", hotel.WakeupSetData{Room: "1203", Time: "06:30", Date: today.Format("2006-01-02"), Operator: "07"})
	if r.Status != "completed" || result(t, r)["pbx"] != "sent" {
		t.Fatalf("wakeup.set: %+v", r)
	}
	id := int64(result(t, r)["wakeup_id"].(float64))
	s.waitUntil("wake-up held by the PBX", func() bool { return wakeupNow(id).PBX == wakeup.PBXHeld })
	if ws := p.Wakeups(); len(ws) != 1 || ws[0].Room != "1203" || !ws[0].At.Equal(today.Add(6*time.Hour+30*time.Minute)) {
		t.Fatalf("PBX wake-ups: %+v", ws)
	}
	stateIs("with the wake-up", func(rs hotel.RoomState) bool { return rs.NextWakeup != nil })

	// The line is pulled out; the front desk cancels the wake-up.
	line.unplug(s)
	r = bo.pbx("c1", "wakeup.cancel", hotel.WakeupCancelData{Room: "1203"})
	bo.waitFor("accepted reply to c1", func(m bus.Message, env events.Envelope) bool {
		return env.Type == "hotel.command.accepted" && strings.Contains(string(env.Data), `"c1"`)
	})
	res := result(t, r)
	if r.Status == "completed" || res["pbx"] == "sent" {
		t.Fatalf("wakeup.cancel with the line out claims the PBX took it: %+v", r)
	}
	if !strings.Contains(r.Reason, "link down") || !strings.Contains(r.Reason, "cancelled in the schedule") ||
		!strings.HasPrefix(res["pbx"].(string), "pending") || fmt.Sprint(res["cancelled"]) != fmt.Sprintf("[%d]", id) {
		t.Fatalf("wakeup.cancel with the line out: %+v", r)
	}
	if w := wakeupNow(id); w.Status != wakeup.Cancelled || w.PBX != wakeup.PBXCancelling {
		t.Fatalf("schedule with the line out: status %s, PBX %s; want cancelled, cancelling", w.Status, w.PBX)
	}
	if got := sx200WakeupMessages(p, "1203"); !slices.Equal(got, want[:len(want)-1]) {
		t.Fatalf("wake-up messages before the line is back: %q, want %q", got, want[:len(want)-1])
	}
	stateIs("without the wake-up", func(rs hotel.RoomState) bool { return rs.NextWakeup == nil })

	// The line is back: the cancel goes to the PBX, once, and is confirmed.
	line.replug(s)
	s.waitUntil("cancel confirmed", func() bool { return wakeupNow(id).PBX == wakeup.PBXCancelled })
	if got := sx200WakeupMessages(p, "1203"); !slices.Equal(got, want) {
		t.Errorf("wake-up messages: %q, want %q", got, want)
	}
	if ws := p.Wakeups(); len(ws) != 0 {
		t.Errorf("PBX still holds wake-ups: %+v", ws)
	}
	if rm, _ := p.Room("1203"); len(rm.Wakeups) != 0 || !rm.CheckedIn {
		t.Errorf("PBX room 1203: %+v", rm)
	}
	// What the next link start does (the hotel desk's worker on a link up)
	// finds nothing left to send.
	hd.ResendUnconfirmed(ctx, "pbx1")
	if got := sx200WakeupMessages(p, "1203"); !slices.Equal(got, want) {
		t.Errorf("wake-up messages after another link start: %q, want %q", got, want)
	}

	// 06:30: the PBX has nothing to ring.
	clk.Set(today.Add(6*time.Hour + 30*time.Minute + 20*time.Second))
	if rung, err := p.Ring(clk.Now()); err != nil || len(rung) != 0 {
		t.Fatalf("PBX rang %+v (%v) for a cancelled wake-up", rung, err)
	}
	if rung := p.Rung(); len(rung) != 0 {
		t.Errorf("PBX calls: %+v", rung)
	}
	if w := wakeupNow(id); w.Status != wakeup.Cancelled || w.PBX != wakeup.PBXCancelled {
		t.Errorf("schedule at 06:30: status %s, PBX %s; want cancelled, cancelled", w.Status, w.PBX)
	}
}
