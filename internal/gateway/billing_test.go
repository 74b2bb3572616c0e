package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"switchboard/internal/bus"
	"switchboard/internal/config"
	"switchboard/internal/events"
	"switchboard/internal/folio"
	tariffsFS "switchboard/tariffs"
	"switchboard/test/peers"
)

// hotelGateway: rooms 1101-1299 are guest rooms, 8000 the business
// center, 8100-8199 admin; the PBX (Avaya) connects to us over TCP.
func hotelGateway(t *testing.T) (*Gateway, string, func()) {
	t.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", peers.FreePort(t))
	cfg := &config.Config{
		Site:    config.Site{Group: "acme", Property: "h042", Gateway: "gw1", Timezone: "Asia/Shanghai"},
		Store:   config.Store{Path: filepath.Join(t.TempDir(), "sb.db")},
		MQTT:    config.MQTT{Embedded: testBroker(peers.FreePort(t))},
		Billing: config.Billing{Numbering: config.Numbering{HomeArea: "21", TrunkAccess: []string{"9"}}, MaskDialed: 7},
		Rooms: []config.Rooms{{Extensions: "1101-1299", Class: "guest"}, {Extensions: "8000", Class: "business"},
			{Extensions: "8100-8199", Class: "admin"}},
		Devices: []config.Device{{ID: "pbx1", Driver: "pbx", Profile: "avaya-ipoffice", Transport: config.Transport{TCP: &config.TCP{Listen: addr}}}},
	}
	ctx, cancel := context.WithCancel(context.Background())
	g, err := New(ctx, cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() { done <- g.Run(ctx) }()
	return g, addr, func() { cancel(); <-done }
}

func avayaCall(at time.Time, durS int, ext, dialed string, id int) string {
	return fmt.Sprintf("%s,%02d:%02d:%02d,5,%s,O,%s,%s,,0,%d,0,E%s,Room %s,T9001,LINE 1.1,0,0\r\n",
		at.Format("2006/01/02 15:04:05"), durS/3600, durS/60%60, durS%60, ext, dialed, dialed, id, ext, ext)
}

func sendPBX(t *testing.T, addr string, lines ...string) {
	t.Helper()
	var c net.Conn
	var err error
	for i := 0; i < 100; i++ {
		if c, err = net.Dial("tcp", addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte(strings.Join(lines, ""))); err != nil {
		t.Fatal(err)
	}
}

func (b *backOffice) command(topic, id, typ string, data any) bus.Reply {
	b.t.Helper()
	d, _ := json.Marshal(data)
	b.cl.PublishAsync(topic, 1, false, []byte(command(id, typ, "frontdesk", string(d))))
	env := b.waitFor("reply to "+id, func(m bus.Message, env events.Envelope) bool {
		return (env.Type == "hotel.command.completed" || env.Type == "hotel.command.failed") && strings.Contains(string(env.Data), `"`+id+`"`)
	})
	return replyData(b.t, env)
}

func TestCallsChargedToOccupiedRoom(t *testing.T) {
	g, pbxAddr, stop := hotelGateway(t)
	defer stop()
	bo := newBackOffice(t, g.BrokerURL())
	bo.waitOnline(g)
	loc := g.Location()
	checkin := time.Date(2026, 11, 27, 8, 0, 0, 0, loc)
	checkinTopic := g.topics.Command("edge", "gw1", "folio.checkin")
	if r := bo.command(checkinTopic, "ci1", "hotel.edge.cmd.folio.checkin", events.CheckInData{Room: "1203", Reservation: "R881", Name: "Zhang Wei", At: &checkin}); r.Status != "completed" {
		t.Fatalf("check-in: %+v", r)
	}
	// Refusals name their reason.
	if r := bo.command(checkinTopic, "ci2", "hotel.edge.cmd.folio.checkin", events.CheckInData{Room: "1203", At: &checkin}); r.Status != "failed" || !strings.Contains(r.Reason, "occupied") {
		t.Fatalf("double check-in: %+v", r)
	}
	if r := bo.command(checkinTopic, "ci3", "hotel.edge.cmd.folio.checkin", events.CheckInData{Room: "7777"}); r.Field != "data.room" || !strings.Contains(r.Reason, "unknown") {
		t.Fatalf("unknown room: %+v", r)
	}

	at := time.Date(2026, 11, 27, 10, 0, 0, 0, loc)
	sendPBX(t, pbxAddr,
		avayaCall(at, 65, "1203", "90081312345678", 1),                   // IDD Japan, 11 x 6 s
		avayaCall(at.Add(time.Minute), 65, "1203", "962345678", 2),       // local Shanghai, 8 digits
		avayaCall(at.Add(2*time.Minute), 125, "1203", "913812345678", 3), // mobile
		avayaCall(at.Add(3*time.Minute), 40, "1203", "9110", 4),          // police
		avayaCall(at.Add(4*time.Minute), 90, "1205", "9001212555000", 5), // vacant room calling the USA
		avayaCall(at.Add(5*time.Minute), 60, "8101", "902087654321", 6),  // admin extension, DDD Guangzhou
	)
	charged := func() []folio.Charge {
		var out []folio.Charge
		for _, env := range outboxByType(t, g.Store())["hotel.pbx.call.charged"] {
			var c folio.Charge
			json.Unmarshal(env.Data, &c)
			out = append(out, c)
		}
		return out
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(outboxByType(t, g.Store())["hotel.pbx.call.recorded"]) < 6 {
		if time.Now().After(deadline) {
			t.Fatal("calls not recorded")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Independent computation with the example hotel plan (cost -> markup ->
	// surcharge -> service 10% -> tax 6% added -> round up to 0.10 -> minimum):
	//   IDD Japan 65 s: 11 x 0.80 = 8.80; +30% = 11.44; +3.00 = 14.44; +10% = 15.884;
	//     +6% = 16.83704; up to 0.10: 16.90.
	//   local 65 s: first 180 s 0.22; +50% = 0.33; +10% = 0.363; +6% = 0.38478; up: 0.40; minimum 0.50.
	//   mobile 125 s: rated as a local call: 0.50.
	want := map[string]int64{"Japan": 1690}
	got := charged()
	if len(got) != 3 {
		t.Fatalf("%d charges, want 3 (IDD, local, mobile from room 1203): %+v", len(got), got)
	}
	for _, c := range got {
		if c.Room != "1203" || c.Reservation != "R881" || c.Currency != "CNY" || c.StayID == 0 {
			t.Errorf("charge = %+v", c)
		}
		if w, ok := want[c.Destination]; ok && c.AmountMinor != w {
			t.Errorf("%s: amount %d fen, want %d (%v)", c.Destination, c.AmountMinor, w, c.Breakdown)
		}
		if c.Class == "local" || c.Class == "mobile" {
			if c.AmountMinor != 50 {
				t.Errorf("%s call: %d fen, want the 0.50 minimum", c.Class, c.AmountMinor)
			}
		}
		if strings.Count(c.Dialed, "*") == 0 && len(c.Dialed) > 7 {
			t.Errorf("dialed %q not masked after 7 digits", c.Dialed)
		}
	}
	byType := outboxByType(t, g.Store())
	if em := byType["hotel.pbx.emergency.call"]; len(em) != 1 || !strings.Contains(string(em[0].Data), `"service":"police"`) || em[0].Subject != "room/1203" {
		t.Errorf("emergency alerts = %v", em)
	}
	// The vacant room's call, and the emergency call (for the night audit too).
	flagged := byType["hotel.pbx.call.flagged"]
	if len(flagged) != 2 || !strings.Contains(string(flagged[0].Data), `"flags":["emergency"]`) || !strings.Contains(string(flagged[1].Data), "vacant-room") {
		t.Errorf("flagged = %v", flagged)
	}
	// No guest name anywhere in what is published.
	rows, _ := g.Store().Pending(context.Background(), 0, 1000)
	for _, r := range rows {
		if strings.Contains(string(r.Payload), "Zhang") {
			t.Errorf("guest name published in %s", r.Type)
		}
	}

	// The PBX resends everything (a reconnect with buffer replay): no new charge.
	sendPBX(t, pbxAddr,
		avayaCall(at, 65, "1203", "90081312345678", 1),
		avayaCall(at.Add(time.Minute), 65, "1203", "962345678", 2),
	)
	time.Sleep(300 * time.Millisecond)
	if n := len(charged()); n != 3 {
		t.Fatalf("%d charges after the PBX resent its calls, want still 3", n)
	}

	// After check-out, a call from the room is recorded, flagged, not posted.
	co := time.Date(2026, 11, 27, 11, 0, 0, 0, loc)
	if r := bo.command(g.topics.Command("edge", "gw1", "folio.checkout"), "co1", "hotel.edge.cmd.folio.checkout", events.CheckOutData{Room: "1203", At: &co}); r.Status != "completed" {
		t.Fatalf("check-out: %+v", r)
	}
	sendPBX(t, pbxAddr, avayaCall(co.Add(10*time.Minute), 300, "1203", "90081312345678", 7))
	deadline = time.Now().Add(5 * time.Second)
	for {
		f := outboxByType(t, g.Store())["hotel.pbx.call.flagged"]
		if len(f) == 3 && strings.Contains(string(f[2].Data), "after-checkout") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after-checkout call not flagged: %v", f)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := len(charged()); n != 3 {
		t.Fatalf("call after check-out was posted")
	}
}

func TestBadTariffReloadKeepsLastGood(t *testing.T) {
	dir := t.TempDir()
	tariff := filepath.Join(dir, "tariff.yaml")
	good, err := tariffsFS.FS.ReadFile("cn-telecom.yaml")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(tariff, good, 0o644)
	cfg := &config.Config{
		Site:    config.Site{Group: "acme", Property: "h042", Gateway: "gw1", Timezone: "Asia/Shanghai"},
		Store:   config.Store{Path: filepath.Join(dir, "sb.db")},
		Billing: config.Billing{Tariff: tariff},
	}
	g, err := OpenOffline(context.Background(), cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	before := g.Biller()
	bad := strings.Replace(string(good), `- {prefix: "852"`, `- {prefix: "00 852"`, 1)
	bad = strings.Replace(bad, "unit_s: 6,", "unit_s: -6,", 1)
	os.WriteFile(tariff, []byte(bad), 0o644)
	err = g.ReloadBilling()
	if err == nil {
		t.Fatal("malformed tariff accepted")
	}
	if !strings.Contains(err.Error(), "00 852") || !strings.Contains(err.Error(), "unit_s") {
		t.Errorf("reload error does not list every problem: %v", err)
	}
	if g.Biller() != before {
		t.Error("the last good tariff was replaced by a bad one")
	}
	os.WriteFile(tariff, good, 0o644)
	if err := g.ReloadBilling(); err != nil || g.Biller() == before {
		t.Errorf("good tariff not reloaded: %v", err)
	}
}

// A PBX whose trunks cannot see the far end answer gets its own grace; a
// bad device option is refused with its path.
func TestDeviceGraceAndPolicyOptions(t *testing.T) {
	cfg := &config.Config{
		Site:  config.Site{Group: "acme", Property: "h042", Gateway: "gw1", Timezone: "Asia/Shanghai"},
		Store: config.Store{Path: filepath.Join(t.TempDir(), "sb.db")},
		Devices: []config.Device{
			{ID: "old", Driver: "pbx", Profile: "panasonic-kx-tda", Options: map[string]any{"grace_s": 60}},
			{ID: "new", Driver: "pbx", Profile: "avaya-ipoffice"},
		},
	}
	g, err := OpenOffline(context.Background(), cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	loc := g.Location()
	// 45 s to Japan, no answer signal: the plan's 30 s grace charges it; the
	// old PBX's 60 s grace does not.
	rec := events.CallRecord{Direction: events.Outgoing, Dialed: "90081312345678", Start: time.Date(2026, 11, 27, 10, 0, 0, 0, loc), DurationS: 45}
	site, _, err := g.Biller().ForDevice("new").Rate(rec)
	if err != nil || site.Price == 0 {
		t.Fatalf("site plan: %+v %v", site, err)
	}
	old, _, err := g.Biller().ForDevice("old").Rate(rec)
	if err != nil || old.Price != 0 {
		t.Fatalf("old PBX with a 60 s grace charged %s (%v)", old.Price, old.RatingFlags)
	}
	cfg.Devices[0].Options = map[string]any{"pbx_cost": "maybe"}
	if _, err := OpenOffline(context.Background(), cfg, quiet); err == nil || !strings.Contains(err.Error(), "devices[0].options.pbx_cost") {
		t.Fatalf("bad option accepted: %v", err)
	}
}
