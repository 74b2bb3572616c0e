package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"switchboard/internal/config"
	"switchboard/internal/events"
	"switchboard/internal/folio"
	"switchboard/internal/folio/stays"
	"switchboard/internal/gateway"
	"switchboard/internal/profile"
	pbxsim "switchboard/internal/sim/pbx"
	"switchboard/internal/store"
	"switchboard/test/peers"
)

// expectedFen prices a daytime call independently of internal/rating, from
// the published China Telecom rates (tariffs/cn-telecom.yaml) and the
// example hotel plan: cost -> markup -> surcharge -> service 10% -> tax 6%
// added -> up to 0.10 -> minimum. ok is false for calls that are not charged.
func expectedFen(class string, durS int) (fen int64, ok bool) {
	r := func(s string) *big.Rat { v, _ := new(big.Rat).SetString(s); return v }
	units := func(unit int) int64 { return int64((durS + unit - 1) / unit) }
	var cost *big.Rat
	var markup, surcharge, minimum string
	switch class {
	case "local", "mobile":
		// first 180 s 0.22, then 0.11 per started minute
		cost = r("0.22")
		if durS > 180 {
			cost.Add(cost, new(big.Rat).Mul(r("0.11"), new(big.Rat).SetInt64(int64((durS-180+59)/60))))
		}
		markup, surcharge, minimum = "1.50", "0", "0.50"
	case "ddd":
		cost = new(big.Rat).Mul(r("0.07"), new(big.Rat).SetInt64(units(6)))
		markup, surcharge, minimum = "1.15", "0", "1.00"
	case "idd":
		cost = new(big.Rat).Mul(r("0.80"), new(big.Rat).SetInt64(units(6)))
		markup, surcharge, minimum = "1.30", "3.00", "5.00"
	case "hkmotw":
		cost = new(big.Rat).Mul(r("0.20"), new(big.Rat).SetInt64(units(6)))
		markup, surcharge, minimum = "1.30", "2.00", "3.00"
	default:
		return 0, false
	}
	if durS == 0 {
		return 0, false
	}
	p := new(big.Rat).Mul(cost, r(markup))
	p.Add(p, r(surcharge))
	p.Mul(p, r("1.10"))
	p.Mul(p, r("1.06"))
	// up to 0.10 CNY = 10 fen
	tenths := new(big.Rat).Mul(p, r("10"))
	q := new(big.Int).Quo(tenths.Num(), tenths.Denom())
	if new(big.Rat).SetInt(q).Cmp(tenths) < 0 {
		q.Add(q, big.NewInt(1))
	}
	fen = q.Int64() * 10
	minFen := new(big.Rat).Mul(r(minimum), r("100"))
	if m := minFen.Num().Int64() / minFen.Denom().Int64(); fen < m {
		fen = m
	}
	return fen, true
}

// Calls from a simulated Avaya, half the rooms occupied, the daemon killed
// -9 in the middle of the posting: every chargeable call from an occupied
// room is charged exactly once at the independently computed price, and the
// reconciliation report finds no unexplained gap.
func TestChargesExactlyOnceAcrossKill9(t *testing.T) {
	mq := peers.StartMosquitto(t)
	dir := t.TempDir()
	addr := fmt.Sprintf("127.0.0.1:%d", peers.FreePort(t))
	cfgPath := writeConfig(t, dir, fmt.Sprintf(`
site: {group: acme, property: h042, gateway: gw1, timezone: Asia/Shanghai}
store: {path: %s/sb.db}
mqtt: {external: {urls: [%s]}}
billing: {numbering: {home_area: "10", trunk_access: ["9"]}}
rooms:
  - {extensions: "101-130", class: guest}
devices:
  - {id: pbx1, driver: pbx, profile: avaya-ipoffice, transport: {tcp: {listen: %s}}}
`, dir, mq.URL(), addr))
	loc, _ := time.LoadLocation("Asia/Shanghai")
	now := time.Now().In(loc)
	day := time.Date(now.Year(), now.Month(), now.Day(), 10, 0, 0, 0, loc)
	// Rooms 101-115 are occupied since yesterday.
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	off, err := gateway.OpenOffline(context.Background(), cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	err = off.Store().InTx(context.Background(), func(tx *store.Tx) error {
		for r := 101; r <= 115; r++ {
			if _, err := stays.CheckIn(tx, stays.Stay{Room: fmt.Sprint(r), Reservation: fmt.Sprintf("R%d", r), CheckIn: day.Add(-24 * time.Hour)}); err != nil {
				return err
			}
		}
		return nil
	})
	off.Close()
	if err != nil {
		t.Fatal(err)
	}

	bo := newBackOffice(t, mq.URL(), events.Topics{Group: "acme", Property: "h042", Gateway: "gw1"})
	d := startDaemon(t, cfg.Path)
	p, _ := profile.Lookup("avaya-ipoffice")
	tr := &truths{calls: map[string]*pbxsim.Call{}}
	sim, err := pbxsim.New(pbxsim.Options{Profile: p, Seed: 11, Start: day, Location: loc, Rate: 150, Count: 1500,
		FirstRoom: 101, LastRoom: 130, AccessCode: "9", ReplayBuffer: 3000})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	simDone := make(chan error, 1)
	go func() { simDone <- sim.DialTCP(ctx, addr, 200*time.Millisecond, tr.add) }()
	waitCount(t, bo, "hotel.pbx.call.charged", 25, 30*time.Second)
	d.kill9()
	t.Logf("killed -9 after %d charges", bo.count("hotel.pbx.call.charged"))
	d = startDaemon(t, cfg.Path)
	if err := <-simDone; err != nil {
		t.Fatalf("simulator: %v", err)
	}
	waitCount(t, bo, "hotel.pbx.call.recorded", tr.n, 60*time.Second)
	time.Sleep(time.Second)
	d.stop()

	// Independent expectation per generated call.
	tr.mu.Lock()
	want := map[string]int64{} // call key -> fen
	for k, c := range tr.calls {
		room := c.Ext
		if c.Kind != pbxsim.Outgoing || room > "115" || len(room) != 3 {
			continue
		}
		class := string(c.Category)
		if class == "ddd" && strings.HasPrefix(strings.TrimPrefix(c.Dialed, "9"), "010") {
			class = "local" // a DDD prefix of the site's own area is a local call
		}
		if fen, ok := expectedFen(class, int(c.Duration/time.Second)); ok {
			want[k] = fen
		}
	}
	tr.mu.Unlock()

	bo.mu.Lock()
	got := map[string]int64{}
	recByJournal := map[int64]events.CallRecord{}
	for _, env := range bo.envs {
		if env.Type == "hotel.pbx.call.recorded" {
			var rec events.CallRecorded
			json.Unmarshal(env.Data, &rec)
			recByJournal[rec.JournalID] = rec.CallRecord
		}
	}
	for _, env := range bo.envs {
		if env.Type != "hotel.pbx.call.charged" {
			continue
		}
		var ch folio.Charge
		json.Unmarshal(env.Data, &ch)
		rec, ok := recByJournal[ch.JournalID]
		if !ok {
			t.Errorf("charge for journal frame %d has no call.recorded", ch.JournalID)
			continue
		}
		k := callKey(rec)
		if _, dup := got[k]; dup {
			t.Errorf("call charged twice: %s", rec.Raw)
		}
		got[k] = ch.AmountMinor
		if w, ok := want[k]; !ok {
			t.Errorf("charged %d fen for a call that is not chargeable: %s (%s %s)", ch.AmountMinor, rec.Raw, ch.Class, ch.Destination)
		} else if w != ch.AmountMinor {
			t.Errorf("%s %s %ds: charged %d fen, independent computation %d fen", ch.Class, ch.Destination, rec.DurationS, ch.AmountMinor, w)
		}
	}
	bo.mu.Unlock()
	for k, w := range want {
		if _, ok := got[k]; !ok {
			t.Errorf("chargeable call never charged (%d fen): %s", w, k)
		}
	}
	t.Logf("%d calls generated, %d charged", tr.n, len(got))

	// The reconciliation finds nothing unexplained.
	out, err := exec.Command(bin, "report", "reconcile", "--config", cfg.Path, "--date", now.Format("2006-01-02")).CombinedOutput()
	if err != nil {
		t.Errorf("reconcile: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "zero unexplained gaps") || strings.Contains(string(out), "journal   0 ") {
		t.Errorf("reconcile did not see the day's frames, or found gaps:\n%s", out)
	}
	t.Logf("reconcile:\n%s", strings.SplitN(string(out), "Stopped", 2)[0])
	_ = filepath.Join
}
