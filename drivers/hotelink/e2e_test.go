package hotelink_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"switchboard/drivers"
	"switchboard/drivers/hotelink"
	"switchboard/internal/events/hotel"
	simfias "switchboard/internal/sim/fias"
)

// simDefaults puts the simulated PBX in the site's zone on the tests' clock.
func simDefaults(cfg simfias.Config) simfias.Config {
	if cfg.Loc == nil {
		cfg.Loc = site
	}
	if cfg.Now == nil {
		cfg.Now = fixedClock
	}
	return cfg
}

// startSim connects a simulated FIAS PBX to the harness and waits for the
// link start on both sides.
func startSim(t *testing.T, h *harness, cfg simfias.Config, ups int) (*simfias.PBX, chan error) {
	t.Helper()
	pbx := simfias.New(simDefaults(cfg))
	done := make(chan error, 1)
	go func() { done <- pbx.Dial(ctxT(t), h.addr) }()
	h.sink.waitLinkUp(t, ups)
	if err := pbx.WaitFor(ctxT(t), (*simfias.PBX).LinkUp); err != nil {
		t.Fatal(err)
	}
	return pbx, done
}

func TestEndToEndWakeupNoAnswer(t *testing.T) {
	h := startTCP(t, "fias", map[string]any{"keepalive": "0s"})
	pbx, _ := startSim(t, h, simfias.Config{Answers: map[hotel.Room][]string{"2781": {"NR"}}}, 1)

	at := time.Date(2000, 10, 31, 7, 0, 0, 0, site)
	ack, err := h.drv.Send(ctxT(t), hotel.WakeupSet{Ref: "cmd-1", Room: "2781", At: at})
	if err != nil || !ack.OK || ack.Ref != "cmd-1" {
		t.Fatalf("Send = %+v, %v", ack, err)
	}
	if err := pbx.WaitFor(ctxT(t), func(p *simfias.PBX) bool { return len(p.Wakeups()) == 1 }); err != nil {
		t.Fatal(err)
	}
	if got := h.sink.sent(); got[len(got)-1] != "\x02WR|RN2781|DA001031|TI070000|\x03" {
		t.Errorf("last frame on the wire = %q", got[len(got)-1])
	}
	rung, err := pbx.Ring(at)
	if err != nil || len(rung) != 1 {
		t.Fatalf("Ring = %v, %v", rung, err)
	}
	h.sink.waitFor(t, "WakeupResult", func() bool { return len(records[hotel.WakeupResult](h.sink)) == 1 })
	r := records[hotel.WakeupResult](h.sink)[0]
	if r.Room != "2781" || r.Status != hotel.WakeupNoAnswer || r.Code != "NR" || !r.At.Equal(at) {
		t.Errorf("WakeupResult = %+v", r)
	}
}

func TestEndToEndCommandsReachPBX(t *testing.T) {
	h := startTCP(t, "fias", map[string]any{"keepalive": "0s"})
	pbx, _ := startSim(t, h, simfias.Config{}, 1)
	ctx := ctxT(t)
	for _, c := range []hotel.Command{
		hotel.CheckIn{Ref: "1", Room: "103", Reservation: "4711", Guest: "Mr. Rogers", Language: "en", VIP: true, COS: hotel.COSNational},
		hotel.DND{Ref: "2", Room: "103", On: true},
		hotel.MWL{Ref: "3", Room: "103", On: true},
		hotel.RoomMove{Ref: "4", From: "103", To: "104", Reservation: "4711"},
		hotel.NameChange{Ref: "5", Room: "104", Reservation: "4711", Guest: "Mr. F. Rogers"},
	} {
		if ack, err := h.drv.Send(ctx, c); err != nil || !ack.OK {
			t.Fatalf("Send(%T) = %+v, %v", c, ack, err)
		}
	}
	if err := pbx.WaitFor(ctx, func(p *simfias.PBX) bool { g, ok := p.Guest("104"); return ok && g.Name == "Mr. F. Rogers" }); err != nil {
		t.Fatal(err)
	}
	g, _ := pbx.Guest("104")
	if g.COS != "2" || !g.DND || !g.MWL || g.Reservation != "4711" {
		t.Errorf("guest at the PBX = %+v", g)
	}
	if _, ok := pbx.Guest("103"); ok {
		t.Error("room 103 still occupied after the move")
	}
	if ack, err := h.drv.Send(ctx, hotel.CheckOut{Ref: "6", Room: "104", Reservation: "4711"}); err != nil || !ack.OK {
		t.Fatalf("CheckOut = %+v, %v", ack, err)
	}
	if err := pbx.WaitFor(ctx, func(p *simfias.PBX) bool { _, ok := p.Guest("104"); return !ok }); err != nil {
		t.Fatal(err)
	}
}

func TestEndToEndPostingAndMaidStatus(t *testing.T) {
	h := startTCP(t, "fias", map[string]any{"keepalive": "0s"})
	pbx, _ := startSim(t, h, simfias.Config{}, 1)
	at := time.Date(2000, 9, 15, 12, 35, 45, 0, site)
	if err := pbx.Post(simfias.Posting{Number: "1729", Room: "2781", At: at, Dialed: "004989920920", Duration: 225 * time.Second, Amount: 1050, CallType: "International"}); err != nil {
		t.Fatal(err)
	}
	if err := pbx.RoomStatus("2781", 3); err != nil {
		t.Fatal(err)
	}
	if err := pbx.WaitFor(ctxT(t), func(p *simfias.PBX) bool { return p.Count("PA") == 1 }); err != nil {
		t.Fatal(err)
	}
	h.sink.waitFor(t, "RoomStatus", func() bool { return len(records[hotel.RoomStatus](h.sink)) == 1 })
	ps := records[hotel.Posting](h.sink)
	if len(ps) != 1 || ps[0].Number != "1729" || ps[0].Amount != 1050 || ps[0].Duration != 225*time.Second || !ps[0].At.Equal(at) {
		t.Fatalf("postings = %+v", ps)
	}
	var pa hotelink.Record
	for _, r := range pbx.Received() {
		if r.Type == "PA" {
			pa = r
		}
	}
	if pa.String() != "PA|RN2781|ASOK|P#1729|DA000915|TI123545|" {
		t.Errorf("PA = %s", pa)
	}
	rs := records[hotel.RoomStatus](h.sink)[0]
	if rs.Room != "2781" || rs.Code != 3 || rs.Label != "clean-vacant" {
		t.Errorf("RoomStatus = %+v", rs)
	}
	// The journal keys the posting by room and P#: a resent PS dedupes.
	found := false
	for _, f := range h.sink.frames {
		if f.key == "fias/PS/2781/1729" && f.dir == drivers.FromDevice {
			found = true
		}
	}
	if !found {
		t.Error("PS not journaled with its business key")
	}
}

func TestPostingNotAnsweredWhenCoreCannotCommit(t *testing.T) {
	h := startTCP(t, "fias", map[string]any{"keepalive": "0s"})
	h.sink.mu.Lock()
	h.sink.failPS = true
	h.sink.mu.Unlock()
	pbx, _ := startSim(t, h, simfias.Config{}, 1)
	if err := pbx.Post(simfias.Posting{Number: "7", Room: "101", At: fixedClock(), Amount: 5}); err != nil {
		t.Fatal(err)
	}
	// The session ends (no PA); the PBX keeps the posting and resends it.
	h.sink.waitFor(t, "link down", func() bool {
		for _, e := range records[hotel.LinkEvent](h.sink) {
			if e.Kind == hotel.LinkDown {
				return true
			}
		}
		return false
	})
	if n := pbx.Count("PA"); n != 0 {
		t.Errorf("PA sent %d times for a posting the core did not commit", n)
	}
}

type snapSource struct{ snap hotel.Snapshot }

func (s *snapSource) Snapshot(context.Context) (hotel.Snapshot, error) { return s.snap, nil }

func TestResyncOnRequestAndReconnectKeepsOneWakeup(t *testing.T) {
	h := startTCP(t, "fias", map[string]any{"keepalive": "0s"})
	at := time.Date(2000, 10, 16, 6, 30, 0, 0, site)
	src := &snapSource{snap: hotel.Snapshot{
		Rooms: []hotel.OccupiedRoom{
			{Room: "101", Reservation: "1", Guest: "Ada", Language: "en", COS: hotel.COSLocal, DND: true},
			{Room: "102", Reservation: "2", Guest: "Bo", COS: hotel.COSInternational, MWL: true},
		},
		Wakeups: []hotel.Wakeup{{Room: "101", At: at}},
	}}
	h.drv.SetStateSource(src)
	pbx, done := startSim(t, h, simfias.Config{}, 1)
	ctx := ctxT(t)
	// Link start sends the snapshot as a database swap.
	if err := pbx.WaitFor(ctx, func(p *simfias.PBX) bool { return p.Resyncs() == 1 }); err != nil {
		t.Fatal(err)
	}
	// The core also sends the wake-up as a command (e.g. it was queued).
	if ack, err := h.drv.Send(ctx, hotel.WakeupSet{Ref: "w", Room: "101", At: at}); err != nil || !ack.OK {
		t.Fatalf("Send = %+v, %v", ack, err)
	}
	// The PBX asks for a resync.
	if err := pbx.RequestResync(); err != nil {
		t.Fatal(err)
	}
	if err := pbx.WaitFor(ctx, func(p *simfias.PBX) bool { return p.Resyncs() == 2 }); err != nil {
		t.Fatal(err)
	}
	// Reconnect: a new TCP connection, a new link start and resync.
	pbx.Close()
	<-done
	h.sink.waitFor(t, "link down", func() bool { return !h.drv.LinkUp() })
	if _, err := h.drv.Send(ctx, hotel.DND{Ref: "x", Room: "101"}); !errors.Is(err, hotel.ErrLinkDown) {
		t.Errorf("Send with the link down: err = %v, want ErrLinkDown", err)
	}
	go func() { done <- pbx.Dial(ctxT(t), h.addr) }()
	h.sink.waitLinkUp(t, 2)
	if err := pbx.WaitFor(ctx, func(p *simfias.PBX) bool { return p.Resyncs() == 3 }); err != nil {
		t.Fatal(err)
	}
	if w := pbx.Wakeups(); len(w) != 1 || w[0].Room != "101" || !w[0].At.Equal(at) {
		t.Fatalf("PBX wake-ups after reconnect = %+v, want exactly one", w)
	}
	g, _ := pbx.Guest("102")
	if g.COS != "3" || !g.MWL || g.Name != "Bo" {
		t.Errorf("room 102 at the PBX = %+v", g)
	}
	if _, err := pbx.Ring(at); err != nil {
		t.Fatal(err)
	}
	h.sink.waitFor(t, "one WakeupResult", func() bool { return len(records[hotel.WakeupResult](h.sink)) == 1 })
	time.Sleep(50 * time.Millisecond)
	if n := len(records[hotel.WakeupResult](h.sink)); n != 1 {
		t.Errorf("%d wake-up results, want 1", n)
	}
	req := 0
	for _, e := range records[hotel.LinkEvent](h.sink) {
		if e.Kind == hotel.LinkResyncRequested {
			req++
		}
	}
	if req != 1 {
		t.Errorf("%d resync-requested events, want 1", req)
	}
}

func TestKeepaliveAndLinkTimeout(t *testing.T) {
	h := startTCP(t, "fias", map[string]any{"keepalive": "30ms", "link_timeout": "10s"})
	pbx, _ := startSim(t, h, simfias.Config{}, 1)
	if err := pbx.WaitFor(ctxT(t), func(p *simfias.PBX) bool { return p.Count("LA") >= 3 }); err != nil {
		t.Fatal(err)
	}
	// A PBX that goes silent is dropped after link_timeout.
	h2 := startTCP(t, "fias", map[string]any{"keepalive": "0s", "link_timeout": "100ms"})
	_, done := startSim(t, h2, simfias.Config{}, 1)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("silent PBX not dropped after link_timeout")
	}
}

func TestGatewayDescribes(t *testing.T) {
	h := startTCP(t, "fias", map[string]any{"keepalive": "0s", "describe": "gateway"})
	pbx, _ := startSim(t, h, simfias.Config{GatewayDescribes: true}, 1)
	if pbx.Count("LD") != 1 || pbx.Count("LR") < 5 {
		t.Errorf("PBX got %d LD and %d LR", pbx.Count("LD"), pbx.Count("LR"))
	}
}
