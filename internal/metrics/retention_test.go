package metrics

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"switchboard/internal/retention"
)

// TestMetricsRetention: the last retention run's time, outcome and rows
// deleted per table, as internal/retention recorded them; nothing before
// the first run.
func TestMetricsRetention(t *testing.T) {
	ran := time.Date(2026, 3, 10, 19, 30, 0, 0, time.UTC)
	for _, tc := range []struct {
		name   string
		report *retention.Report // nil: never ran
		err    error
		want   map[string]string // sample -> value; "" = absent
	}{
		{name: "never ran", want: map[string]string{
			"switchboard_retention_last_run_timestamp_seconds":           "",
			`switchboard_retention_last_run_deleted_rows{table="calls"}`: "",
		}},
		{name: "ran", report: &retention.Report{Started: ran, Took: 90 * time.Second, FreedBytes: 4096,
			Deleted: map[string]int64{"calls": 1200, "outbox": 5000},
			Batches: []retention.Batch{{Step: "calls", Took: 12 * time.Millisecond}, {Step: "outbox", Took: 30 * time.Millisecond}}},
			want: map[string]string{
				"switchboard_retention_last_run_timestamp_seconds":            strconv.FormatFloat(float64(ran.Unix()), 'g', -1, 64),
				"switchboard_retention_last_run_success":                      "1",
				"switchboard_retention_last_run_duration_seconds":             "90",
				"switchboard_retention_last_run_longest_batch_seconds":        "0.03",
				"switchboard_retention_last_run_freed_bytes":                  "4096",
				`switchboard_retention_last_run_deleted_rows{table="calls"}`:  "1200",
				`switchboard_retention_last_run_deleted_rows{table="outbox"}`: "5000",
			}},
		{name: "failed", report: &retention.Report{Started: ran, Deleted: map[string]int64{}}, err: errors.New("disk full"),
			want: map[string]string{"switchboard_retention_last_run_success": "0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := openStore(t)
			if tc.report != nil {
				if err := retention.Record(context.Background(), st, *tc.report, tc.err); err != nil {
					t.Fatal(err)
				}
			}
			got := scrape(t, NewHandler(Options{Source: Source{Store: st}}))
			for sample, want := range tc.want {
				g, ok := got[sample]
				if want == "" && ok {
					t.Errorf("%s = %q, want it absent", sample, g)
				}
				if want != "" && g != want {
					t.Errorf("%s = %q (present %v), want %q", sample, g, ok, want)
				}
			}
			if got["switchboard_scrape_error"] != "0" {
				t.Errorf("scrape error %q", got["switchboard_scrape_error"])
			}
		})
	}
}
