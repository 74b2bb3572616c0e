package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/drivers/hotelink"
	"switchboard/internal/config"
	"switchboard/internal/events/hotel"
	"switchboard/internal/gateway"
	"switchboard/internal/report"
	simfias "switchboard/internal/sim/fias"
	"switchboard/internal/store"
	"switchboard/test/peers"
)

// siteClock is the gateway's clock in a test: the night of the wake-ups.
type siteClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *siteClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *siteClock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// TestReportReconcileHotelink: a night on a FIAS hotel link through the
// real daemon and the CLI (guests checked in, wake-ups set, four answered
// or not, maid status, DND from a room phone, a posting), then `report
// reconcile` for the day: zero unexplained gaps, exit 0.
func TestReportReconcileHotelink(t *testing.T) {
	dir := t.TempDir()
	loc, _ := time.LoadLocation("Asia/Shanghai")
	at := func(d, h, m int) time.Time { return time.Date(2026, 11, d, h, m, 0, 0, loc) }
	link := fmt.Sprintf("127.0.0.1:%d", peers.FreePort(t))
	cfgPath := filepath.Join(dir, "switchboard.yaml")
	yaml := fmt.Sprintf(`site: {group: acme, property: h042, gateway: gw1, timezone: Asia/Shanghai}
store: {path: %s}
mqtt: {embedded: {listen: 127.0.0.1:%d}}
billing: {numbering: {home_area: "21", trunk_access: ["9"]}, mask_dialed: 7}
rooms:
  - {extensions: 1101-1299, class: guest}
devices:
  - {id: pbx1, driver: hotelink, profile: fias, transport: {tcp: {listen: %s}}, options: {keepalive: 0s}}
`, filepath.Join(dir, "sb.db"), peers.FreePort(t), link)
	if err := os.WriteFile(cfgPath, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	g, err := gateway.New(ctx, cfg, discardLogger())
	if err != nil {
		t.Fatal(err)
	}
	clock := &siteClock{t: at(27, 22, 0)}
	g.Now = clock.Now
	done := make(chan error, 1)
	go func() { done <- g.Run(ctx) }()

	pbx := simfias.New(simfias.Config{Loc: loc, Now: clock.Now, Answers: map[hotel.Room][]string{"1202": {"NR"}, "1203": {"BY"}}})
	pctx, stopPBX := context.WithCancel(ctx)
	go func() {
		for pctx.Err() == nil {
			err := pbx.Dial(pctx, link)
			var oe *net.OpError
			if !errors.As(err, &oe) || oe.Op != "dial" {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("no %s within 15 s", what)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitFor("link start", pbx.LinkUp)
	cli := func(args ...string) {
		t.Helper()
		var out, errb bytes.Buffer
		if code := dispatch(append(args, "--config", cfgPath), &out, &errb); code != 0 {
			t.Fatalf("switchboard %s: exit %d\n%s%s", strings.Join(args, " "), code, out.String(), errb.String())
		}
	}
	for _, room := range []string{"1201", "1202", "1203", "1204"} {
		cli("guest", "checkin", room, "--name", "Zhang Wei")
		cli("wakeup", "set", room, "07:00", "--date", "2026-11-28", "--operator", "07")
	}
	clock.Set(at(28, 7, 0).Add(10 * time.Second))
	if rung, err := pbx.Ring(at(28, 7, 0)); err != nil || len(rung) != 4 {
		t.Fatalf("Ring = %v, %v", rung, err)
	}
	dnd := hotelink.Record{Type: "RE"}
	dnd.Add("RN", "1202")
	dnd.Add("DN", "Y")
	if err := pbx.Send(dnd); err != nil {
		t.Fatal(err)
	}
	if err := pbx.RoomStatus("1201", 3); err != nil {
		t.Fatal(err)
	}
	if err := pbx.Post(simfias.Posting{Number: "77", Room: "1201", At: at(28, 6, 50), Dialed: "13812345678",
		Duration: 90 * time.Second, Amount: 150, CallType: "Mobile"}); err != nil {
		t.Fatal(err)
	}
	waitFor("the posting answered", func() bool { return pbx.Count("PA") == 1 })
	day, _ := report.Day("2026-11-28", loc)
	waitFor("every frame from the PBX interpreted", func() bool {
		l, err := report.LoadJournal(ctx, g.Store(), day, "pbx1")
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range l.Frames {
			if f.Status == store.FrameNew {
				return false
			}
		}
		return len(l.Frames) >= 7
	})
	stopPBX()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	var out, errb bytes.Buffer
	code := dispatch([]string{"report", "reconcile", "--date", "2026-11-28", "--config", cfgPath}, &out, &errb)
	if code != 0 || !strings.Contains(out.String(), "zero unexplained gaps") {
		t.Fatalf("report reconcile: exit %d\n%s%s", code, out.String(), errb.String())
	}
	for _, want := range []string{"recorded as hotel.pbx.wakeup.answered", "hotel.pbx.wakeup.escalated", "recorded as hotel.pbx.room.status",
		"DND on from the room phone"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report reconcile does not say %q:\n%s", want, out.String())
		}
	}
}
