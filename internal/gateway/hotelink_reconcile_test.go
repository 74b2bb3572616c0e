package gateway

import (
	"context"
	"strings"
	"testing"
	"time"

	"switchboard/drivers/hotelink"
	"switchboard/internal/events/hotel"
	"switchboard/internal/report"
	simfias "switchboard/internal/sim/fias"
	"switchboard/internal/store"
)

// TestHotelinkReconcileExplainsLinkFrames runs a night of FIAS traffic
// through the gateway and reconciles the journal: wake-up answers (WA),
// maid status and DND from the room phone (RE), a posting (PS), a check-in
// the PBX reports (GI) and the link records are every one explained, each
// by the events it produced or by why it produced none.
func TestHotelinkReconcileExplainsLinkFrames(t *testing.T) {
	s := newHotelinkSite(t, "1101-1299", nil)
	bo := newBackOffice(t, s.g.BrokerURL())
	bo.waitOnline(s.g)
	p := s.connect(map[hotel.Room][]string{"1202": {"NR"}, "1203": {"BY"}})

	rooms := []string{"1201", "1202", "1203", "1204"}
	for _, room := range rooms {
		bo.checkIn(t, "ci"+room, room)
		if r := bo.pbx("w"+room, "wakeup.set", hotel.WakeupSetData{Room: room, Time: "07:00", Operator: "07"}); r.Status != "completed" {
			t.Fatalf("wakeup.set %s: %+v", room, r)
		}
	}
	s.clk.Set(s.at("2026-11-28", "07:00").Add(10 * time.Second))
	if rung, err := p.Ring(s.at("2026-11-28", "07:00")); err != nil || len(rung) != 4 {
		t.Fatalf("Ring = %v, %v", rung, err)
	}
	bo.event("hotel.pbx.wakeup.answered", func(d map[string]any) bool { return d["room"] == "1204" })
	bo.event("hotel.pbx.wakeup.escalated", func(d map[string]any) bool { return d["room"] == "1203" })
	// The PBX sends one answer again (it saw no acknowledgement).
	wa := hotelink.Record{Type: "WA"}
	for _, f := range [][2]string{{"RN", "1204"}, {"DA", "261128"}, {"TI", "070000"}, {"AS", "OK"}} {
		wa.Add(f[0], f[1])
	}
	if err := p.Send(wa); err != nil {
		t.Fatal(err)
	}

	if err := p.RoomStatus("1201", 3); err != nil {
		t.Fatal(err)
	}
	dnd := hotelink.Record{Type: "RE"}
	dnd.Add("RN", "1202")
	dnd.Add("DN", "Y")
	gi := hotelink.Record{Type: "GI"}
	gi.Add("RN", "1210")
	gi.Add("G#", "R1210")
	gi.Add("GN", "Li Na")
	if err := p.Send(dnd, gi); err != nil {
		t.Fatal(err)
	}
	if err := p.Post(simfias.Posting{Number: "77", Room: "1201", At: s.at("2026-11-28", "06:50"), Dialed: "13812345678",
		Duration: 90 * time.Second, Amount: 150, CallType: "Mobile"}); err != nil {
		t.Fatal(err)
	}
	s.waitUntil("posting answered", func() bool { return p.Count("PA") == 1 })
	bo.event("hotel.edge.folio.checked-in", func(d map[string]any) bool { return d["room"] == "1210" })
	ctx := context.Background()
	// Every frame from the PBX interpreted (what the gateway sends stays
	// "new"), journaled on the gateway's clock.
	period := report.Period{Label: "2026-11-27/28", From: s.at("2026-11-27", "00:00"), To: s.at("2026-11-29", "00:00")}
	var l *report.Ledger
	s.waitUntil("every frame from the PBX interpreted", func() bool {
		var err error
		if l, err = report.LoadJournal(ctx, s.g.Store(), period, "pbx1"); err != nil {
			t.Fatal(err)
		}
		for _, f := range l.Frames {
			if f.Status == store.FrameNew {
				return false
			}
		}
		return len(l.Frames) > 0
	})
	rec := report.Reconcile(l)

	why := map[string][]string{} // record type -> reasons
	for _, st := range rec.Stops {
		if !st.Explained {
			t.Errorf("journal %d: unexplained at %s: %s", st.JournalID, st.Step, st.Reason)
		}
	}
	raw := map[int64]string{}
	for _, f := range l.Frames {
		fr, _ := s.g.Store().Frames(ctx, store.FrameFilter{Device: "pbx1", AfterID: f.ID - 1, Limit: 1})
		if len(fr) == 1 {
			raw[f.ID] = strings.Trim(string(fr[0].Raw), "\x02\x03")
		}
	}
	for _, st := range rec.Stops {
		typ := raw[st.JournalID]
		if len(typ) >= 2 {
			typ = typ[:2]
		}
		why[typ] = append(why[typ], st.Reason)
	}
	for _, c := range []struct{ typ, want string }{
		{"WA", "hotel.pbx.wakeup.answered"},
		{"WA", "hotel.pbx.wakeup.escalated"},
		{"WA", "sent this record again"},
		{"RE", "hotel.pbx.room.status"},
		{"RE", "DND"},
		{"GI", "hotel.edge.folio.checked-in"},
		{"LS", "no record in it"},
		{"LA", "no record in it"},
	} {
		if !strings.Contains(strings.Join(why[c.typ], "\n"), c.want) {
			t.Errorf("%s frames explained as %q, want one with %q", c.typ, why[c.typ], c.want)
		}
	}
	if n := len(why["WA"]); n != 5 {
		t.Errorf("%d WA frames in the reconciliation, want 5", n)
	}
	if rec.Unexplained != 0 {
		t.Errorf("%s", rec.Heading())
	}
}
