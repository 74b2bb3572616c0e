package gateway

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"switchboard/internal/bus"
	"switchboard/internal/config"
	"switchboard/internal/events/fax"
	"switchboard/internal/events/hotel"
	simfias "switchboard/internal/sim/fias"
)

// faxHotelSite is a site with a fax modem (fax1; no modem attached:
// received faxes are handed to its sink as the driver does) and a FIAS
// hotel link (pbx1) on loopback with the FIAS simulator dialled in.
type faxHotelSite struct {
	*hotelinkSite
	fax *faxSite
	pbx *simfias.PBX
	bo  *backOffice
}

func newFaxHotelSite(t *testing.T) *faxHotelSite {
	t.Helper()
	cfg, addr := hotelinkConfig(t, "1101-1299", nil)
	// The fax first: faxSite.deliverReceived hands records to the first device.
	cfg.Devices = append([]config.Device{{ID: "fax1", Driver: "faxmodem", Profile: "spandsp", Options: map[string]any{"rings": 1},
		Transport: config.Transport{Serial: &config.Serial{Port: filepath.Join(t.TempDir(), "no-modem"), Baud: 115200, Flow: "none"}}}},
		cfg.Devices...)
	hs := startHotelinkSite(t, cfg, addr)
	bo := newBackOffice(t, hs.g.BrokerURL())
	bo.waitOnline(hs.g)
	s := &faxHotelSite{hotelinkSite: hs, fax: &faxSite{t: t, g: hs.g, bo: bo, clk: hs.clk}, bo: bo}
	s.pbx = s.connect(nil)
	return s
}

// lampRecords lists the message-lamp records (RE with ML) the PBX received for room.
func lampRecords(p *simfias.PBX, room string) []string {
	var out []string
	for _, r := range received(p, "RE") {
		if strings.HasPrefix(r, "RE|RN"+room+"|ML") {
			out = append(out, r)
		}
	}
	return out
}

// barrier sends a record the PBX must read after everything the gateway
// wrote to it before (FIAS over TCP has no acknowledgement): once it is
// there, so is all that came before it.
func (s *faxHotelSite) barrier() {
	s.t.Helper()
	n := len(received(s.pbx, "RE"))
	if r := s.bo.pbx(fmt.Sprintf("barrier-%d", time.Now().UnixNano()), "dnd.set", map[string]any{"room": "1299", "on": true}); r.Status != "completed" {
		s.t.Fatalf("barrier: %+v", r)
	}
	s.waitUntil("the barrier at the PBX", func() bool {
		re := received(s.pbx, "RE")
		return len(re) > n && re[len(re)-1] == "RE|RN1299|DNY|"
	})
}

// storedLamp is the lamp the gateway keeps for a room (what a resync sends).
func (s *faxHotelSite) storedLamp(room string) bool {
	s.t.Helper()
	rs, err := s.g.hotel.RoomState(context.Background(), room)
	if err != nil {
		s.t.Fatal(err)
	}
	return rs.MWL
}

// TestFaxLampFollowsWaitingFaxes: with a fax modem and a FIAS hotel link on
// one site, a received fax assigned to a checked-in guest lights the room's
// message lamp at the PBX (RE ML Y) and in the room's retained state;
// delivering it puts the lamp out (RE ML N) unless another fax still waits
// for the guest: the lamp stays on until the last one is delivered. A fax
// left behind by a guest who checked out does not keep the next guest's
// lamp on.
func TestFaxLampFollowsWaitingFaxes(t *testing.T) {
	s := newFaxHotelSite(t)
	s.bo.checkIn(t, "ci1", "1207")
	for i := 1; i <= 4; i++ {
		s.fax.deliverReceived(fax.Received{Key: fmt.Sprintf("fax1/rx/lamp-%d", i), RemoteID: "+86 10 1234", Pages: receivedPages(t, 1),
			BitRate: 9600, Start: time.Now(), Duration: 30 * time.Second, Complete: true})
	}
	s.bo.event("hotel.fax.received", func(d map[string]any) bool { return d["id"] == float64(4) })
	faxCmd := func(cmd string, data any) func() bus.Reply { return func() bus.Reply { return s.fax.cmd(cmd, data) } }
	deliver := func(id int64) func() bus.Reply {
		return faxCmd("fax.deliver", fax.DeliverData{ID: id, DeliveredBy: "bell 12", SignedBy: "Zhang Wei"})
	}

	for _, step := range []struct {
		name string
		do   func() bus.Reply
		lamp bool // the room's lamp after the step
		sent bool // the step sends that lamp to the PBX (else no lamp record at all)
	}{
		{"first fax assigned", faxCmd("fax.assign", fax.AssignData{ID: 1, Room: "1207"}), true, true},
		{"second fax assigned", faxCmd("fax.assign", fax.AssignData{ID: 2, Name: "Zhang Wei"}), true, true},
		{"first fax delivered, the second waits", deliver(1), true, false},
		{"second fax delivered", deliver(2), false, true},
		{"third fax assigned", faxCmd("fax.assign", fax.AssignData{ID: 3, Room: "1207"}), true, true},
		{"the guest leaves without it", func() bus.Reply { return s.bo.pbx("co", "guest.checkout", hotel.GuestCheckOutData{Room: "1207"}) }, false, false},
		{"next guest's fax assigned", func() bus.Reply {
			s.bo.checkIn(t, "ci2", "1207")
			return s.fax.cmd("fax.assign", fax.AssignData{ID: 4, Room: "1207"})
		}, true, true},
		{"next guest's fax delivered", deliver(4), false, true},
	} {
		before := len(lampRecords(s.pbx, "1207"))
		if r := step.do(); r.Status != "completed" {
			t.Fatalf("%s: %+v", step.name, r)
		}
		s.barrier()
		var want []string
		if step.sent {
			want = []string{fmt.Sprintf("RE|RN1207|ML%s|", map[bool]string{true: "Y", false: "N"}[step.lamp])}
		}
		if got := lampRecords(s.pbx, "1207")[before:]; !slices.Equal(got, want) {
			t.Errorf("%s: lamp records at the PBX %q, want %q", step.name, got, want)
		}
		if g, _ := s.pbx.Guest("1207"); g.MWL != step.lamp {
			t.Errorf("%s: PBX lamp of 1207 %v, want %v", step.name, g.MWL, step.lamp)
		}
		if lit := s.storedLamp("1207"); lit != step.lamp {
			t.Errorf("%s: stored lamp of 1207 %v, want %v", step.name, lit, step.lamp)
		}
		s.waitUntil(fmt.Sprintf("retained mwl %v (%s)", step.lamp, step.name), func() bool {
			rs, ok := s.bo.roomStateNow("1207")
			return ok && rs.MWL == step.lamp
		})
	}
}
