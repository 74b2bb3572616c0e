package gateway

import (
	"context"
	"slices"
	"strings"
	"testing"

	"switchboard/drivers/hotelink"
	"switchboard/internal/events/hotel"
	"switchboard/internal/folio/stays"
	"switchboard/internal/store"
	"switchboard/internal/wakeup"
)

// What the gateway journals as sent to the PBX is what the PBX got, each
// frame once: a command's frames are journaled in the transaction that
// records the command, and the link writes them without journaling them
// again.
func TestHotelinkJournalHoldsWhatThePBXGot(t *testing.T) {
	s := newHotelinkSite(t, "1101-1299", nil)
	bo := newBackOffice(t, s.g.BrokerURL())
	bo.waitOnline(s.g)
	p := s.connect(nil)
	on := true
	bo.checkIn(t, "ci", "1203")
	for _, c := range []struct {
		id, name string
		data     any
	}{
		{"dnd", "dnd.set", hotel.SwitchData{Room: "1203", On: &on}},
		{"mwl", "mwl.set", hotel.SwitchData{Room: "1203", On: &on}},
		{"cos", "cos.set", hotel.COSData{Room: "1203", COS: "local"}},
		{"w1", "wakeup.set", hotel.WakeupSetData{Room: "1203", Time: "06:30", Operator: "07"}},
		{"w2", "wakeup.set", hotel.WakeupSetData{Room: "1203", Time: "06:45", Operator: "07"}},
		{"mv", "guest.move", hotel.GuestMoveData{From: "1203", To: "1204"}},
		{"co", "guest.checkout", hotel.GuestCheckOutData{Room: "1204"}},
	} {
		if r := bo.pbx(c.id, c.name, c.data); r.Status != "completed" {
			t.Fatalf("%s: %+v", c.name, r)
		}
	}
	var got []string
	s.waitUntil("the check-out at the PBX", func() bool {
		got = got[:0]
		for _, r := range p.Received() {
			got = append(got, r.String())
		}
		return len(got) > 0 && strings.HasPrefix(got[len(got)-1], "GO|")
	})
	out, err := s.g.Store().Frames(context.Background(), store.FrameFilter{Device: "pbx1", Dir: store.DirOut})
	if err != nil {
		t.Fatal(err)
	}
	var journaled []string
	for _, f := range out {
		journaled = append(journaled, strings.Trim(string(f.Raw), "\x02\x03"))
	}
	if !slices.Equal(journaled, got) {
		t.Errorf("journaled as sent:\n%q\nthe PBX got:\n%q", journaled, got)
	}
	if n := len(received(p, "WR")); n != 3 { // 06:30, 06:45 in 1203, then in 1204
		t.Errorf("%d WR, want 3", n)
	}
}

// A gateway killed between the commit of a wake-up (its WR journaled in
// the same transaction) and the write of the WR leaves a frame to the PBX
// that the PBX never got. After the restart the schedule still sends the
// wake-up, and neither that frame nor any other the gateway sent is read
// back as the PBX's report: a WR read as one counted as a wake-up set on
// the room phone (held by the PBX, the daily series replaced), and a WC of
// an earlier wake-up cancelled the one that replaced it.
func TestHotelinkWakeupJournaledNotWrittenSentAfterRestart(t *testing.T) {
	cfg, addr := hotelinkConfig(t, "1101-1299", nil)
	s := startHotelinkSite(t, cfg, addr)
	bo := newBackOffice(t, s.g.BrokerURL())
	bo.waitOnline(s.g)
	ctx := context.Background()
	err := s.g.Store().InTx(ctx, func(tx *store.Tx) error {
		for _, room := range []string{"1203", "1204"} {
			if _, err := stays.CheckIn(tx, stays.Stay{Room: room, CheckIn: s.clk.Now()}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	s.connect(nil)
	// 1204: 07:00 set, cancelled and set again; the PBX got WR, WC, WR.
	set := hotel.WakeupSetData{Room: "1204", Time: "07:00", Operator: "07"}
	if r := bo.pbx("w1", "wakeup.set", set); r.Status != "completed" {
		t.Fatalf("wakeup.set: %+v", r)
	}
	if r := bo.pbx("c1", "wakeup.cancel", hotel.WakeupCancelData{Room: "1204"}); r.Status != "completed" {
		t.Fatalf("wakeup.cancel: %+v", r)
	}
	again := bo.pbx("w2", "wakeup.set", set)
	if again.Status != "completed" {
		t.Fatalf("wakeup.set again: %+v", again)
	}
	replaced := int64(result(t, again)["wakeup_id"].(float64))
	s.disconnect()
	// 1203: a daily 06:30, recorded; the gateway dies before its WR is
	// written (the link is down here: the test journals the WR itself, as
	// the wake-up's transaction does).
	r := bo.pbx("w4", "wakeup.set", hotel.WakeupSetData{Room: "1203", Time: "06:30", Daily: true, Operator: "07"})
	if r.Status != "failed" || result(t, r)["status"] != "pending" {
		t.Fatalf("wakeup.set with the link down: %+v", r)
	}
	daily := int64(result(t, r)["wakeup_id"].(float64))
	wr := hotelink.Record{Type: "WR"}
	for _, f := range [][2]string{{"RN", "1203"}, {"DA", "261128"}, {"TI", "063000"}} {
		wr.Add(f[0], f[1])
	}
	if _, err := s.g.Store().AppendFrames(ctx, "pbx1", "fias", store.DirOut, s.clk.Now(),
		[]store.NewFrame{{Raw: hotelink.AppendFrame(nil, wr.AppendTo(nil), false)}}); err != nil {
		t.Fatal(err)
	}
	s.halt()

	s = startHotelinkSite(t, cfg, addr)
	p := s.connect(nil)
	s.waitUntil("both wake-ups at the PBX", func() bool { return len(p.Wakeups()) == 2 })
	sched := s.desk().Schedule()
	for _, c := range []struct {
		id    int64
		room  hotel.Room
		daily bool
	}{{daily, "1203", true}, {replaced, "1204", false}} {
		s.waitUntil("the swap recorded", func() bool {
			w, err := sched.Get(ctx, s.g.Store(), c.id)
			return err == nil && w.PBX == wakeup.PBXHeld
		})
		w, _ := sched.Get(ctx, s.g.Store(), c.id)
		if w.Room != c.room || !w.Status.Active() || w.Daily != c.daily || w.RequestedBy != wakeup.ByGuest {
			t.Errorf("wake-up %d after the restart: %+v", c.id, w)
		}
	}
	out, err := s.g.Store().Frames(ctx, store.FrameFilter{Device: "pbx1", Dir: store.DirOut})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range out {
		if f.Status != store.FrameNew && !strings.Contains(string(f.Raw), "|") {
			continue
		}
		if f.Status != store.FrameNew {
			t.Errorf("frame %d to the PBX %q read back as the PBX's: %s %s", f.ID, f.Raw, f.Status, f.Reason)
		}
	}
}
