package gateway

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"switchboard/drivers/hotelink"
	"switchboard/internal/config"
	"switchboard/internal/events"
	"switchboard/internal/events/hotel"
	"switchboard/internal/folio/stays"
	"switchboard/internal/store"
	"switchboard/internal/wakeup"
	"switchboard/test/peers"
)

// Every way out of a stay does all of a check-out: the stay closes, the
// room's wake-ups are cancelled (at the PBX before its check-out), DND,
// lamp and class of service are reset, the room's retained state says it,
// and the checked-out event is published. Before the desks, the back
// office's folio.checkout closed the stay only: the guest's 06:30 wake-up
// rang in a room that was someone else's.
func TestEveryCheckoutDoesAllOfIt(t *testing.T) {
	for _, way := range []string{"edge folio.checkout", "pbx guest.checkout", "FIAS GO from the PBX", "SMDR Check out"} {
		t.Run(way, func(t *testing.T) {
			t.Parallel()
			smdr := filepath.Join(t.TempDir(), "smdr.txt")
			if err := os.WriteFile(smdr, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			cfg, addr := hotelinkConfig(t, "1101-1299", nil)
			cfg.Devices = append(cfg.Devices, config.Device{ID: "smdr1", Driver: "pbx", Profile: "panasonic-kx-tda",
				Transport: config.Transport{File: &config.File{Path: smdr, Follow: true}}})
			s := startHotelinkSite(t, cfg, addr)
			bo := newBackOffice(t, s.g.BrokerURL())
			bo.waitOnline(s.g)
			p := s.connect(nil)

			bo.checkIn(t, "ci", "1203")
			for _, c := range []struct{ id, name string }{{"dnd", "dnd.set"}, {"mwl", "mwl.set"}} {
				on := true
				if r := bo.pbx(c.id, c.name, hotel.SwitchData{Room: "1203", On: &on}); r.Status != "completed" {
					t.Fatalf("%s: %+v", c.name, r)
				}
			}
			r := bo.pbx("w1", "wakeup.set", hotel.WakeupSetData{Room: "1203", Time: "06:30", Operator: "07"})
			if r.Status != "completed" || len(p.Wakeups()) != 1 {
				t.Fatalf("wakeup.set: %+v, PBX holds %v", r, p.Wakeups())
			}
			id := int64(result(t, r)["wakeup_id"].(float64))
			sent := len(p.Received())

			fromPBX := false
			switch way {
			case "edge folio.checkout":
				r := bo.command(s.g.topics.Command("edge", "gw1", "folio.checkout"), "co", "hotel.edge.cmd.folio.checkout", events.CheckOutData{Room: "1203"})
				if res := result(t, r); r.Status != "completed" || res["cancelled_wakeups"] != float64(1) || res["pbx"] != "sent" {
					t.Fatalf("folio.checkout: %+v", r)
				}
			case "pbx guest.checkout":
				r := bo.pbx("co", "guest.checkout", hotel.GuestCheckOutData{Room: "1203"})
				if res := result(t, r); r.Status != "completed" || res["cancelled_wakeups"] != float64(1) {
					t.Fatalf("guest.checkout: %+v", r)
				}
			case "FIAS GO from the PBX":
				fromPBX = true
				var goRec hotelink.Record
				goRec.Type = "GO"
				goRec.Add("RN", "1203")
				goRec.Add("G#", "R1203")
				if err := p.Send(goRec); err != nil {
					t.Fatal(err)
				}
			case "SMDR Check out":
				line := s.clk.Now().Format("01/02/06 03:04PM") + " 1203     Check out\r\n"
				f, err := os.OpenFile(smdr, os.O_APPEND|os.O_WRONLY, 0)
				if err != nil {
					t.Fatal(err)
				}
				f.WriteString(line)
				f.Close()
				bo.event("hotel.pbx.guest.checked-out", func(d map[string]any) bool { return d["room"] == "1203" && d["source"] == "smdr" })
			}

			ev := bo.event("hotel.edge.folio.checked-out", func(d map[string]any) bool { return d["room"] == "1203" })
			if ev["reservation"] != "R1203" || ev["checked_out"] == nil {
				t.Errorf("checked-out event: %v", ev)
			}
			if occupied(t, s.g, "1203") {
				t.Fatal("the stay is still open")
			}
			s.waitUntil("wake-up cancelled", func() bool {
				w, err := s.desk().Schedule().Get(context.Background(), s.g.Store(), id)
				return err == nil && w.Status == wakeup.Cancelled && w.PBX == wakeup.PBXCancelled
			})
			s.waitUntil("retained room state vacant and reset", func() bool {
				rs, ok := bo.roomStateNow("1203")
				return ok && !rs.Occupied && !rs.DND && !rs.MWL && rs.COS == "" && rs.NextWakeup == nil
			})
			after := p.Received()[sent:]
			var types []string
			for _, rec := range after {
				types = append(types, rec.Type)
			}
			if fromPBX {
				// The PBX did it: it is told nothing back.
				if len(after) != 0 {
					t.Errorf("the PBX that checked the guest out got %v", types)
				}
				return
			}
			// WC before GO: a PBX may refuse to clear a vacant room's wake-up.
			s.waitUntil("GO at the PBX", func() bool { return p.Count("GO") == 1 })
			after = p.Received()[sent:]
			types = types[:0]
			for _, rec := range after {
				types = append(types, rec.Type)
			}
			if strings.Join(types, " ") != "WC GO" || after[0].String() != "WC|RN1203|DA261128|TI063000|" {
				t.Errorf("records to the PBX after the check-out: %v, want WC then GO", after)
			}
			if _, ok := p.Guest("1203"); ok || len(p.Wakeups()) != 0 {
				t.Errorf("the PBX still has the guest or a wake-up: %v", p.Wakeups())
			}
		})
	}
}

// A check-in the PBX reports opens the stay like any other; one for a room
// the front office already checked in is the PBX confirming it.
func TestPBXReportedCheckInOpensTheStay(t *testing.T) {
	t.Parallel()
	s := newHotelinkSite(t, "1101-1299", nil)
	bo := newBackOffice(t, s.g.BrokerURL())
	bo.waitOnline(s.g)
	p := s.connect(nil)
	var gi hotelink.Record
	gi.Type = "GI"
	for _, f := range [][2]string{{"RN", "1205"}, {"G#", "R77"}, {"GN", "Li Na"}, {"GL", "ZH"}, {"GV", "1"}} {
		gi.Add(f[0], f[1])
	}
	if err := p.Send(gi); err != nil {
		t.Fatal(err)
	}
	ev := bo.event("hotel.edge.folio.checked-in", func(d map[string]any) bool { return d["room"] == "1205" })
	if ev["reservation"] != "R77" || ev["language"] != "zh" || ev["vip"] != true {
		t.Errorf("checked-in: %v", ev)
	}
	st, err := stays.Current(context.Background(), s.g.Store(), "1205")
	if err != nil || st == nil || st.Guest != "Li Na" {
		t.Fatalf("stay: %+v %v", st, err)
	}
	if n := p.Count("GI"); n != 0 {
		t.Errorf("the PBX got its own check-in back (%d GI)", n)
	}
	// Again: nothing changes, the frame says why.
	if err := p.Send(gi); err != nil {
		t.Fatal(err)
	}
	s.waitUntil("the second GI journaled", func() bool {
		fs, _ := s.g.Store().Frames(context.Background(), store.FrameFilter{Device: "pbx1", Statuses: []string{store.FrameParsed}})
		n := 0
		for _, f := range fs {
			if strings.Contains(string(f.Raw), "GI|RN1205") && strings.Contains(f.Reason, "already occupied") {
				n++
			}
		}
		return n == 1
	})
	if n := bo.count(func(e events.Envelope) bool { return e.Type == "hotel.edge.folio.checked-in" }); n != 1 {
		t.Errorf("%d checked-in events, want 1", n)
	}
}

// The Panasonic way: no hotel link, check-in and check-out printed in the
// SMDR stream. The check-out cancels the room's wake-ups in the schedule
// (the PBX forgot them itself) and the stay events are published.
func TestSMDRStaysWithoutHotelLink(t *testing.T) {
	t.Parallel()
	smdr := filepath.Join(t.TempDir(), "smdr.txt")
	lines := "11/27/26 09:00PM 1207     Check in\r\n"
	if err := os.WriteFile(smdr, []byte(lines), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := &config.Config{
		Site:    config.Site{Group: "acme", Property: "h042", Gateway: "gw1", Timezone: "Asia/Shanghai"},
		Store:   config.Store{Path: filepath.Join(t.TempDir(), "sb.db")},
		MQTT:    config.MQTT{Embedded: testBroker(peers.FreePort(t))},
		Rooms:   []config.Rooms{{Extensions: "1101-1299", Class: "guest"}},
		Devices: []config.Device{{ID: "smdr1", Driver: "pbx", Profile: "panasonic-kx-tda", Transport: config.Transport{File: &config.File{Path: smdr, Follow: true}}}},
	}
	ctx, cancel := context.WithCancel(context.Background())
	g, err := New(ctx, cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- g.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	bo := newBackOffice(t, g.BrokerURL())
	bo.waitOnline(g)
	bo.event("hotel.edge.folio.checked-in", func(d map[string]any) bool { return d["room"] == "1207" })
	// A wake-up the operator set at the console, as the schedule holds it.
	var w wakeup.Wakeup
	err = g.Store().InTx(ctx, func(tx *store.Tx) (err error) {
		d := wakeup.DateOf(time.Now().In(g.Location())).AddDays(1)
		w, _, err = g.hotel.Schedule().Set(tx, wakeup.Request{Room: "1207", Date: d, Clock: wakeup.Clock{Hour: 6, Minute: 30}, By: wakeup.ByOperator, Operator: "07"}, time.Now())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	f, _ := os.OpenFile(smdr, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(time.Now().In(g.Location()).Format("01/02/06 03:04PM") + " 1207     Check out\r\n")
	f.Close()
	bo.event("hotel.edge.folio.checked-out", func(d map[string]any) bool { return d["room"] == "1207" })
	waitUntil(t, "wake-up cancelled", func() bool {
		got, err := g.hotel.Schedule().Get(ctx, g.Store(), w.ID)
		return err == nil && got.Status == wakeup.Cancelled
	})
	if occupied(t, g, "1207") {
		t.Error("1207 still occupied")
	}
}
