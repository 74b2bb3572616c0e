package wakeup

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"switchboard/internal/events/hotel"
	"switchboard/internal/store"
)

// BenchmarkMorning300 is the morning rush: 300 rooms woken at 07:00 (100 of
// them daily). Measured: the 06:30 and 07:00 watchdog passes, then 300
// results, each in its own transaction committed with synchronous=FULL, the
// way the gateway applies them: Result plus the outbox rows of its Publish
// actions. 270 are answered, 20 not answered and 10 busy (a retry is armed
// for those). The store file is on the test's temp folder, so the fsync
// cost is that disk's. Reported: the per-result latency percentiles (ms),
// the same before the commit (the schedule's own work), the 07:00 Due pass
// (ms); ns/op is the whole morning.
func BenchmarkMorning300(b *testing.B) {
	const rooms = 300
	ctx := context.Background()
	var lat, work, due []time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		f := newFixture(b, "Europe/Berlin", Config{RetryAfter: 5 * time.Minute})
		evening := f.at("2026-05-04", "22:00")
		for n := 0; n < rooms; n++ {
			r := req(b, fmt.Sprintf("%d", 1001+n), "2026-05-05", "07:00")
			r.Daily = n%3 == 0
			f.setAcked(r, evening)
		}
		ring := f.at("2026-05-05", "07:00")
		b.StartTimer()

		if acts := f.due(ring.Add(-30 * time.Minute)); len(acts) != 1 {
			b.Fatalf("06:30: %d actions", len(acts))
		}
		t0 := time.Now()
		if acts := f.due(ring); len(acts) != 0 {
			b.Fatalf("07:00: %d actions", len(acts))
		}
		due = append(due, time.Since(t0))
		for n := 0; n < rooms; n++ {
			st := hotel.WakeupAnswered
			switch {
			case n%30 == 7:
				st = hotel.WakeupBusy
			case n%15 == 4:
				st = hotel.WakeupNoAnswer
			}
			res := hotel.WakeupResult{Room: hotel.Room(fmt.Sprintf("%d", 1001+n)), At: ring, Status: st, Code: "AS"}
			now := ring.Add(time.Duration(n) * 200 * time.Millisecond)
			t0 := time.Now()
			err := f.st.InTx(ctx, func(tx *store.Tx) error {
				tr, acts, err := f.s.Result(tx, res, now)
				if err != nil {
					return err
				}
				if !tr.Matched || tr.Duplicate {
					return fmt.Errorf("room %s: %+v", res.Room, tr)
				}
				for _, a := range acts {
					if p, ok := a.(Publish); ok {
						if _, _, err := tx.Enqueue(store.Event{Type: "hotel.pbx.wakeup." + string(p.Notice),
							Topic: "hotel/g/p/pbx/pbx1/event/wakeup." + string(p.Notice), Source: "/hotel/g/p/pbx/pbx1",
							Subject: "room/" + string(p.Room), IdemKey: p.IdemKey, Time: now, Data: p.Reason}); err != nil {
							return err
						}
					}
				}
				work = append(work, time.Since(t0))
				return nil
			})
			lat = append(lat, time.Since(t0))
			if err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		f.st.Close()
		f.st = nil
		b.StartTimer()
	}
	slices.Sort(lat)
	slices.Sort(due)
	slices.Sort(work)
	pct := func(d []time.Duration, p float64) float64 {
		return float64(d[int(float64(len(d)-1)*p)].Microseconds()) / 1000
	}
	b.ReportMetric(pct(lat, 0.50), "p50-result-ms")
	b.ReportMetric(pct(lat, 0.99), "p99-result-ms")
	b.ReportMetric(pct(lat, 1), "max-result-ms")
	b.ReportMetric(pct(work, 0.99), "p99-before-commit-ms")
	b.ReportMetric(pct(due, 0.50), "due-0700-ms")
}
