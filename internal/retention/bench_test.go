package retention

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"switchboard/internal/store"
	"switchboard/internal/store/storetest"
)

// trafficVersion names the generator's output in the cache file name:
// change it when fill writes different rows.
const trafficVersion = 1

// benchTraffic is 400 days of a 500-room hotel at 10 calls a room a day
// (two million calls), or what SB_RETENTION_DAYS, SB_RETENTION_ROOMS and
// SB_RETENTION_CALLS (calls a room a day) say, for a quicker run.
func benchTraffic(b *testing.B) traffic {
	tr := traffic{Days: 400, Rooms: 500, CallsPerRoomDay: 10, Now: testNow}
	for _, v := range []struct {
		env string
		to  *int
	}{{"SB_RETENTION_DAYS", &tr.Days}, {"SB_RETENTION_ROOMS", &tr.Rooms}, {"SB_RETENTION_CALLS", &tr.CallsPerRoomDay}} {
		if s := os.Getenv(v.env); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n <= 0 {
				b.Fatalf("%s=%q: want a positive whole number", v.env, s)
			}
			*v.to = n
		}
	}
	return tr
}

// cachedStore is a store filled with tr, generated once and kept under
// $TMPDIR, its name keyed by the schema and generator versions and the
// traffic: generating two million calls takes minutes.
func cachedStore(b *testing.B, tr traffic) string {
	name := fmt.Sprintf("gen%d-%dd-%dr-%dc", trafficVersion, tr.Days, tr.Rooms, tr.CallsPerRoomDay)
	return storetest.Cached(b, "retention", name, func(st *store.Store) error {
		b.Logf("generating %d calls", tr.calls())
		return fill(context.Background(), st, tr)
	})
}

// BenchmarkNightlyPurge runs the nightly job with retention_days 365 over
// the traffic (400 days: the first night deletes 35 days of calls, frames
// and keys, and every event acknowledged over a week ago, as on a store
// whose events were never purged), then the next night's run (one day of
// rows). Run it with -benchtime 1x: each iteration copies the store.
func BenchmarkNightlyPurge(b *testing.B) {
	ctx := context.Background()
	tr := benchTraffic(b)
	cached := cachedStore(b, tr)
	b.ResetTimer()
	var first, next Report
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		path := filepath.Join(b.TempDir(), "sb.db")
		if err := storetest.CopyFile(cached, path); err != nil {
			b.Fatal(err)
		}
		st, err := store.Open(ctx, path)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		j := Job{Store: st, RetentionDays: 365, Now: func() time.Time { return tr.Now }}
		if first, err = j.Run(ctx); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		j.Now = func() time.Time { return tr.Now.AddDate(0, 0, 1) }
		if next, err = j.Run(ctx); err != nil {
			b.Fatal(err)
		}
		st.Close()
	}
	if os.Getenv("SB_RETENTION_TRACE") != "" {
		for _, x := range first.Batches {
			if x.Took > DefaultBudget {
				fmt.Fprintf(os.Stderr, "%s size %d rows %d took %v\n", x.Step, x.Size, x.Rows, x.Took)
			}
		}
	}
	const mb = 1 << 20
	b.ReportMetric(first.Took.Seconds(), "purge-s")
	b.ReportMetric(float64(first.Longest().Took.Microseconds())/1000, "longest-batch-ms")
	b.ReportMetric(float64(percentile(first.Batches, 0.99).Microseconds())/1000, "p99-batch-ms")
	b.ReportMetric(float64(overBudget(first.Batches, DefaultBudget)), "batches-over-50ms")
	b.ReportMetric(float64(len(first.Batches)), "batches")
	b.ReportMetric(float64(first.Total()), "rows-deleted")
	b.ReportMetric(float64(first.SizeBefore)/mb, "MB-before")
	b.ReportMetric(float64(first.SizeAfter)/mb, "MB-after")
	b.ReportMetric(next.Took.Seconds(), "next-night-s")
	b.ReportMetric(float64(next.Longest().Took.Microseconds())/1000, "next-night-longest-ms")
	b.ReportMetric(float64(overBudget(next.Batches, DefaultBudget)), "next-night-over-50ms")
	b.Logf("%d calls; first night deleted %v in %d batches (longest %s %v); next night deleted %v (longest %s %v)",
		tr.calls(), first.Deleted, len(first.Batches), first.Longest().Step, first.Longest().Took,
		next.Deleted, next.Longest().Step, next.Longest().Took)
}

// percentile is the q-quantile of the batches' durations.
func percentile(batches []Batch, q float64) time.Duration {
	if len(batches) == 0 {
		return 0
	}
	d := make([]time.Duration, len(batches))
	for i, x := range batches {
		d[i] = x.Took
	}
	slices.Sort(d)
	return d[min(len(d)-1, int(q*float64(len(d))))]
}

// overBudget counts the batches that held the writer longer than budget.
func overBudget(batches []Batch, budget time.Duration) int {
	n := 0
	for _, x := range batches {
		if x.Took > budget {
			n++
		}
	}
	return n
}
