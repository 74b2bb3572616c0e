package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"switchboard/internal/config"
	"switchboard/internal/events"
	"switchboard/internal/folio"
	"switchboard/internal/rating"
	"switchboard/internal/store"
	"switchboard/tariffs"
)

// planWith is the embedded example plan with one line replaced.
func planWith(t testing.TB, from, to string) []byte {
	t.Helper()
	b, err := tariffs.FS.ReadFile(tariffs.DefaultPlan)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	if !strings.Contains(s, from) {
		t.Fatalf("example plan has no %q", from)
	}
	return []byte(strings.Replace(s, from, to, 1))
}

func TestRerateAdjustsPostedCallsOnce(t *testing.T) {
	g, pbxAddr, stop := hotelGateway(t)
	bo := newBackOffice(t, g.BrokerURL())
	bo.waitOnline(g)
	loc := g.Location()
	checkin := time.Date(2026, 11, 27, 8, 0, 0, 0, loc)
	if r := bo.command(g.topics.Command("edge", "gw1", "folio.checkin"), "ci1", "hotel.edge.cmd.folio.checkin",
		events.CheckInData{Room: "1203", Reservation: "R881", At: &checkin}); r.Status != "completed" {
		t.Fatalf("check-in: %+v", r)
	}
	at := time.Date(2026, 11, 27, 10, 0, 0, 0, loc)
	sendPBX(t, pbxAddr,
		avayaCall(at, 65, "1203", "90081312345678", 1),                   // IDD Japan, posted 16.90
		avayaCall(at.Add(time.Minute), 65, "1203", "962345678", 2),       // local, posted 0.50 (the minimum)
		avayaCall(at.Add(4*time.Minute), 90, "1205", "9001212555000", 5), // vacant room calling the USA: not posted
		avayaCall(at.Add(5*time.Minute), 60, "8101", "902087654321", 6),  // admin DDD: not posted
	)
	deadline := time.Now().Add(10 * time.Second)
	for len(outboxByType(t, g.Store())["hotel.pbx.call.recorded"]) < 4 {
		if time.Now().After(deadline) {
			t.Fatal("calls not recorded")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cfg := *g.cfg
	stop()

	// The hotel raises its IDD markup from 30% to 40%:
	//   8.80 +40% = 12.32; +3.00 = 15.32; +10% = 16.852; +6% = 17.86312; up to 0.10: 17.90.
	plan := filepath.Join(t.TempDir(), "plan.yaml")
	if err := os.WriteFile(plan, planWith(t, "idd: {markup: 30%", "idd: {markup: 40%"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg.Billing.Plan = plan
	ctx := context.Background()
	off, err := OpenOffline(ctx, &cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer off.Close()
	st := off.Store()
	before, _ := st.Stats(ctx)
	opts := folio.RerateOptions{Since: time.Date(2026, 11, 27, 0, 0, 0, 0, loc), Until: time.Date(2026, 11, 28, 0, 0, 0, 0, loc), DryRun: true}

	dry, err := off.Rerate(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if dry.Calls != 4 || dry.Adjusted != 1 || dry.Refreshed != 1 || dry.Unchanged != 2 || dry.Review != 0 {
		t.Fatalf("dry run = %+v; want 4 calls: 1 adjusted (Japan), 1 refreshed (vacant USA), 2 unchanged", dry)
	}
	if after, _ := st.Stats(ctx); after.LastSeq != before.LastSeq {
		t.Fatalf("dry run wrote events: seq %d -> %d", before.LastSeq, after.LastSeq)
	}
	var price string
	st.QueryRow(ctx, `SELECT price FROM calls WHERE destination='Japan'`).Scan(&price)
	if price != "16.90" {
		t.Fatalf("dry run changed the ledger: Japan price %s", price)
	}

	opts.DryRun = false
	res, err := off.Rerate(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Adjusted != 1 || res.Refreshed != 1 || len(res.Changes) != 2 {
		t.Fatalf("rerate = %+v", res)
	}
	byType := outboxByType(t, st) // validates every event against its schema
	adj := byType[folio.AdjustedType]
	if len(adj) != 1 {
		t.Fatalf("%d adjusted events, want 1", len(adj))
	}
	var a folio.Adjusted
	if err := json.Unmarshal(adj[0].Data, &a); err != nil {
		t.Fatal(err)
	}
	charged := byType["hotel.pbx.call.charged"]
	if len(charged) != 2 {
		t.Fatalf("%d charged events, want still 2", len(charged))
	}
	var chargedJapan folio.Charge
	for _, c := range charged {
		var ch folio.Charge
		json.Unmarshal(c.Data, &ch)
		if ch.Destination == "Japan" {
			chargedJapan = ch
			if c.IdemKey != a.Call || c.Seq != a.ChargedSeq {
				t.Errorf("adjustment for %s seq %d, charge was %s seq %d", a.Call, a.ChargedSeq, c.IdemKey, c.Seq)
			}
		}
	}
	want := folio.Adjusted{Room: "1203", OriginalAmount: rating.MustMoney("16.90"), OriginalAmountMinor: 1690, NewAmount: rating.MustMoney("17.90"),
		NewAmountMinor: 1790, Difference: rating.MustMoney("1.00"), DifferenceMinor: 100, Currency: "CNY"}
	if a.Room != want.Room || a.OriginalAmount != want.OriginalAmount || a.OriginalAmountMinor != want.OriginalAmountMinor ||
		a.NewAmount != want.NewAmount || a.NewAmountMinor != want.NewAmountMinor || a.Difference != want.Difference ||
		a.DifferenceMinor != want.DifferenceMinor || a.Currency != want.Currency || a.Reservation != "R881" ||
		a.OriginalTariffVersion != chargedJapan.TariffVersion || a.NewTariffVersion == "" {
		t.Errorf("adjusted = %+v", a)
	}
	wantKey := a.Call + "/adjust/" + a.NewTariffVersion + "/17.90"
	if adj[0].IdemKey != wantKey || adj[0].Subject != "room/1203" {
		t.Errorf("adjusted idemkey %q subject %q, want %q room/1203", adj[0].IdemKey, adj[0].Subject, wantKey)
	}
	var posted int
	var rated string
	st.QueryRow(ctx, `SELECT price, posted, rated FROM calls WHERE destination='Japan'`).Scan(&price, &posted, &rated)
	var rc folio.RatedCall
	json.Unmarshal([]byte(rated), &rc)
	if price != "17.90" || posted != 1 || rc.Price.String() != "17.90" || !rc.Posted || rc.Room != "1203" {
		t.Errorf("ledger row after rerate: price %s posted %d rated %+v", price, posted, rc)
	}

	// Again: nothing left to change, no second adjustment.
	again, err := off.Rerate(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if again.Unchanged != 4 || len(again.Changes) != 0 {
		t.Fatalf("second rerate = %+v, want everything unchanged", again)
	}
	if n := len(outboxByType(t, st)[folio.AdjustedType]); n != 1 {
		t.Fatalf("%d adjusted events after a second rerate, want 1", n)
	}
	if _, err := off.Rerate(ctx, folio.RerateOptions{Since: opts.Until, Until: opts.Since}); err == nil {
		t.Error("until before since accepted")
	}
}

// BenchmarkRerate re-rates stored calls: half posted, half not, spread
// over a month. SB_RERATE_CALLS sets how many (default 100000). "same"
// re-rates on the plan they were rated with (read, rate, compare); "adjust"
// changes the IDD and mobile markup each pass, so every posted IDD or
// mobile call gets an adjustment event and a ledger update.
func BenchmarkRerate(b *testing.B) {
	n := 100000
	if s := os.Getenv("SB_RERATE_CALLS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	cfg := rerateConfig(b)
	ctx := context.Background()
	g, err := OpenOffline(ctx, cfg, quiet)
	if err != nil {
		b.Fatal(err)
	}
	defer g.Close()
	loc := g.Location()
	since := time.Date(2026, 11, 1, 0, 0, 0, 0, loc)
	t0 := time.Now()
	fillCalls(b, g, since, n)
	b.Logf("inserted %d calls in %s", n, time.Since(t0).Round(time.Millisecond))
	opts := folio.RerateOptions{Since: since, Until: since.AddDate(0, 1, 0)}
	base := g.Biller()

	b.Run("same", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			res, err := g.Rerate(ctx, opts)
			if err != nil || res.Calls != n || res.Unchanged != n {
				b.Fatalf("rerate: %v %+v", err, res)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/call")
	})
	b.Run("adjust", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			pct := fmt.Sprintf("%d%%", 31+i)
			data := strings.Replace(string(planWith(b, "idd: {markup: 30%", "idd: {markup: "+pct)), "mobile: {markup: 50%", "mobile: {markup: "+pct, 1)
			p, err := rating.LoadPlan([]byte(data))
			if err != nil {
				b.Fatal(err)
			}
			eng, err := rating.NewEngine(base.Engine.Tariff, p)
			if err != nil {
				b.Fatal(err)
			}
			nb := *base
			nb.Engine = eng
			g.biller.Store(&nb)
			res, err := g.Rerate(ctx, opts)
			if err != nil || res.Calls != n || res.Adjusted == 0 {
				b.Fatalf("rerate: %v calls %d adjusted %d", err, res.Calls, res.Adjusted)
			}
			if i == 0 {
				b.Logf("pass 1: %d calls, %d adjusted, %d refreshed, %d unchanged", res.Calls, res.Adjusted, res.Refreshed, res.Unchanged)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/call")
	})
}

func rerateConfig(t testing.TB) *config.Config {
	return &config.Config{
		Site:    config.Site{Group: "acme", Property: "h042", Gateway: "gw1", Timezone: "Asia/Shanghai"},
		Store:   config.Store{Path: filepath.Join(t.TempDir(), "sb.db")},
		Billing: config.Billing{Numbering: config.Numbering{HomeArea: "21", TrunkAccess: []string{"9"}}, MaskDialed: 7},
		Rooms:   []config.Rooms{{Extensions: "1101-1299", Class: "guest"}},
	}
}

// fillCalls stores n rated calls the way folio.Biller.Bill does, without
// going through a device (far faster for a benchmark's million rows).
func fillCalls(t testing.TB, g *Gateway, since time.Time, n int) {
	t.Helper()
	bl := g.Biller()
	numbers := []string{"900813%08d", "96%07d", "9138%08d", "9020%08d", "9001212%07d"}
	ctx := context.Background()
	const chunk = 20000
	for lo := 0; lo < n; lo += chunk {
		err := g.Store().InTx(ctx, func(tx *store.Tx) error {
			for i := lo; i < min(lo+chunk, n); i++ {
				yes := true
				rec := events.CallRecord{Profile: "avaya-ipoffice", Kind: events.KindCall, Direction: events.Outgoing,
					Start: since.Add(time.Duration(i) * 2 * time.Second), DurationS: 30 + i%600, Answered: &yes,
					Extension: strconv.Itoa(1101 + i%199), Trunk: "9001", Dialed: fmt.Sprintf(numbers[i%len(numbers)], i%10000000)}
				rec.End = rec.Start.Add(time.Duration(rec.DurationS) * time.Second)
				rc, _, err := bl.Rate(rec)
				if err != nil {
					return err
				}
				posted := i%2 == 0 && rc.Price > 0
				rc.Posted, rc.Room = posted, rec.Extension
				var charged any
				notPosted := ""
				if posted {
					charged = int64(2*i + 2)
				} else {
					notPosted = folio.VacantRoom
				}
				rc.NotPosted = notPosted
				rated, _ := json.Marshal(rc)
				if _, err := tx.Exec(`INSERT INTO calls(idemkey, device, journal_id, start, duration_s, direction, extension, room, room_class, dialed,
					answered, trunk, pbx_cost, class, destination, matched_prefix, rate_id, tariff_version, billable_s, carrier_cost, price, amount_minor, currency,
					rated, flags, posted, not_posted, stay_id, reservation, late, recorded_seq, charged_seq, rated_at)
					VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
					fmt.Sprintf("pbx1/%024x#0", i), "pbx1", i+1, rec.Start.UnixNano(), rec.DurationS, string(rec.Direction), rec.Extension,
					rec.Extension, "guest", rec.Dialed, 1, rec.Trunk, rec.PBXCost, string(rc.Class), rc.Destination, rc.MatchedPrefix, rc.RateID, rc.TariffVersion,
					rc.BillableS, rc.CarrierCost.String(), rc.Price.String(), rc.AmountMinor, rc.Currency, rated, "[]", boolInt(posted),
					notPosted, nil, "", 0, 2*i+1, charged, time.Now().UnixNano()); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
