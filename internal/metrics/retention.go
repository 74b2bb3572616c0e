package metrics

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"

	"switchboard/internal/retention"
)

// retentionDescs are the metrics of the last nightly retention run, read
// from what internal/retention recorded in the store.
type retentionDescs struct {
	at, ok, took, longest, freed *prometheus.Desc
	deleted                      *prometheus.Desc
}

func newRetentionDescs() retentionDescs {
	return retentionDescs{
		at:      desc("retention_last_run_timestamp_seconds", "When the last retention run started, unix seconds (absent before the first)."),
		ok:      desc("retention_last_run_success", "1 when the last retention run completed."),
		took:    desc("retention_last_run_duration_seconds", "How long the last retention run took."),
		longest: desc("retention_last_run_longest_batch_seconds", "The longest any transaction of the last retention run held the write lock."),
		freed:   desc("retention_last_run_freed_bytes", "Bytes the last retention run's incremental vacuum gave back to the file system."),
		deleted: desc("retention_last_run_deleted_rows", "Rows the last retention run deleted, by table.", "table"),
	}
}

func (d retentionDescs) list() []*prometheus.Desc {
	return []*prometheus.Desc{d.at, d.ok, d.took, d.longest, d.freed, d.deleted}
}

func (c *Collector) retention(ctx context.Context, ch chan<- prometheus.Metric) error {
	l, ok, err := retention.LastResult(ctx, c.src.Store)
	if err != nil || !ok {
		return err
	}
	d := c.ret
	success := 0.0
	if l.OK {
		success = 1
	}
	ch <- gauge(d.at, float64(l.At.UnixNano())/1e9)
	ch <- gauge(d.ok, success)
	ch <- gauge(d.took, l.TookS)
	ch <- gauge(d.longest, l.LongestS)
	ch <- gauge(d.freed, float64(l.FreedB))
	for table, n := range l.Deleted {
		ch <- gauge(d.deleted, float64(n), table)
	}
	return nil
}
