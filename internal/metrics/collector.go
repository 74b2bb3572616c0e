// Package metrics exports the gateway's health to Prometheus. Like
// node_exporter's collectors, it keeps no counters of its own: at each
// scrape it reads the ledger (outbox, journal, commands, wake-ups, fax and
// print jobs, the last backup, the device link states) with a few indexed
// queries on the store's reader pool, so the gateway threads nothing
// through its hot paths. It also answers /healthz and /readyz.
package metrics

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"switchboard/internal/backup"
	"switchboard/internal/events"
	"switchboard/internal/store"
)

const namespace = "switchboard"

// ScrapeTimeout bounds one scrape: a busy store yields
// switchboard_scrape_error 1, not a hung scrape.
const ScrapeTimeout = 2 * time.Second

// Device is a configured device, as the metrics label it.
type Device struct {
	ID     string
	Domain string // pbx, hotel, fax, print (the driver registry's)
	// LinkKey is the retained-state key of its link state (the topic of
	// events.Topics.State(domain, id, "link")).
	LinkKey string
}

// Source is what the collector reads.
type Source struct {
	Store   *store.Store
	Devices []Device
	Now     func() time.Time // nil: time.Now
	Log     *slog.Logger     // nil: discarded
}

func (s Source) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(namespace+"_"+name, help, labels, nil)
}

// Collector is a prometheus.Collector over the ledger.
type Collector struct {
	src    Source
	counts journalCounts

	backlog, unsent, oldest         *prometheus.Desc
	enqueued, published, acked      *prometheus.Desc
	deviceUp, lastRecord            *prometheus.Desc
	records, commands, wakeups      *prometheus.Desc
	wakeNext, faxPages, impressions *prometheus.Desc
	dbSize, walSize                 *prometheus.Desc
	backupAt, backupOK              *prometheus.Desc
	scrapeErr, scrapeTook           *prometheus.Desc
	ret                             retentionDescs
}

// NewCollector builds the collector; register it on a registry of its own
// (prometheus.NewRegistry), never the global one.
func NewCollector(src Source) *Collector {
	if src.Log == nil {
		src.Log = slog.New(slog.DiscardHandler)
	}
	return &Collector{
		src:         src,
		backlog:     desc("outbox_backlog_events", "Events in the outbox not yet acknowledged by the back office."),
		unsent:      desc("outbox_unpublished_events", "Events in the outbox never published to the broker."),
		oldest:      desc("outbox_oldest_unacked_age_seconds", "Age of the oldest unacknowledged event (0 when none)."),
		enqueued:    desc("events_enqueued_total", "Events written to the outbox (its last sequence number)."),
		published:   desc("events_published_total", "Events published to the broker."),
		acked:       desc("events_acknowledged_total", "Events acknowledged by the back office (its cursor)."),
		deviceUp:    desc("device_up", "1 when the device's last link state is connected.", "device", "domain"),
		lastRecord:  desc("last_record_timestamp_seconds", "When the device last sent a frame (journal), unix seconds.", "device"),
		records:     desc("records_total", "Journalled frames by device, profile and status (parsed, unparsed, skipped, duplicate, new).", "device", "profile", "status"),
		commands:    desc("commands_total", "Commands received, by outcome (accepted, completed, failed).", "outcome"),
		wakeups:     desc("wakeups_total", "Wake-ups by result (status: answered, unanswered, escalated, cancelled, failed, or still pending).", "result"),
		wakeNext:    desc("wakeup_next_due_seconds", "Seconds until the next wake-up the PBX is to ring (absent when none)."),
		faxPages:    desc("fax_pages_total", "Fax pages sent (jobs sent) and received (register).", "direction"),
		impressions: desc("print_impressions_total", "Impressions printed, by printer.", "device"),
		dbSize:      desc("store_size_bytes", "Size of the SQLite store file."),
		walSize:     desc("store_wal_size_bytes", "Size of the SQLite write-ahead log."),
		backupAt:    desc("backup_last_timestamp_seconds", "When the last backup ran, unix seconds (absent before the first)."),
		backupOK:    desc("backup_last_success", "1 when the last backup succeeded."),
		scrapeErr:   desc("scrape_error", "1 when a query of this scrape failed or timed out (the store is busy)."),
		scrapeTook:  desc("scrape_duration_seconds", "How long this scrape's queries took."),
		ret:         newRetentionDescs(),
	}
}

// Describe sends every metric's description.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.backlog, c.unsent, c.oldest, c.enqueued, c.published, c.acked,
		c.deviceUp, c.lastRecord, c.records, c.commands, c.wakeups, c.wakeNext, c.faxPages, c.impressions,
		c.dbSize, c.walSize, c.backupAt, c.backupOK, c.scrapeErr, c.scrapeTook} {
		ch <- d
	}
	for _, d := range c.ret.list() {
		ch <- d
	}
}

// Collect reads the ledger, within ScrapeTimeout.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), ScrapeTimeout)
	defer cancel()
	failed := 0.0
	for _, part := range []struct {
		name string
		fn   func(context.Context, chan<- prometheus.Metric) error
	}{
		{"outbox", c.outbox}, {"devices", c.devices}, {"journal", c.journal}, {"commands", c.commandsByOutcome},
		{"wakeups", c.wakeupsByResult}, {"business", c.business}, {"files", c.files}, {"backup", c.backup},
		{"retention", c.retention},
	} {
		if err := part.fn(ctx, ch); err != nil {
			failed = 1
			c.src.Log.Warn("metrics: scrape incomplete", "part", part.name, "err", err)
		}
	}
	ch <- prometheus.MustNewConstMetric(c.scrapeErr, prometheus.GaugeValue, failed)
	ch <- prometheus.MustNewConstMetric(c.scrapeTook, prometheus.GaugeValue, time.Since(start).Seconds())
}

func gauge(d *prometheus.Desc, v float64, labels ...string) prometheus.Metric {
	return prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
}

func counter(d *prometheus.Desc, v float64, labels ...string) prometheus.Metric {
	return prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
}

// outbox: the counters are sequence numbers, which never go back (the
// outbox's seq is AUTOINCREMENT), so a purge leaves them monotonic.
func (c *Collector) outbox(ctx context.Context, ch chan<- prometheus.Metric) error {
	st, err := c.src.Store.Stats(ctx)
	if err != nil {
		return err
	}
	// The first unacknowledged row: a primary-key seek.
	var created sql.NullInt64
	err = c.src.Store.QueryRow(ctx, `SELECT created FROM outbox WHERE seq > ? ORDER BY seq LIMIT 1`, st.AckedSeq).Scan(&created)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("oldest unacked: %w", err)
	}
	age := 0.0
	if created.Valid {
		age = max(0, c.src.now().Sub(time.Unix(0, created.Int64)).Seconds())
	}
	ch <- gauge(c.backlog, float64(st.Backlog))
	ch <- gauge(c.unsent, float64(st.Unsent))
	ch <- gauge(c.oldest, age)
	ch <- counter(c.enqueued, float64(st.LastSeq))
	ch <- counter(c.published, float64(st.LastSeq-st.Unsent))
	ch <- counter(c.acked, float64(st.AckedSeq))
	return nil
}

// devices: the link state each device last reported, as the gateway keeps
// it for republishing (retained state), and its last frame.
func (c *Collector) devices(ctx context.Context, ch chan<- prometheus.Metric) error {
	links, err := LinkStates(ctx, c.src.Store, c.src.Devices)
	if err != nil {
		return err
	}
	for _, d := range c.src.Devices {
		up := 0.0
		if links[d.ID] == "connected" {
			up = 1
		}
		ch <- gauge(c.deviceUp, up, d.ID, d.Domain)
		// Walks the (device, received) index backwards to the first frame in.
		var last int64
		err := c.src.Store.QueryRow(ctx, `SELECT received FROM journal WHERE device=? AND dir='in' ORDER BY received DESC LIMIT 1`, d.ID).Scan(&last)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return fmt.Errorf("last frame of %s: %w", d.ID, err)
		default:
			ch <- gauge(c.lastRecord, float64(last)/1e9, d.ID)
		}
	}
	return nil
}

// LinkStates reads each device's last link state ("" when none recorded).
func LinkStates(ctx context.Context, st *store.Store, devices []Device) (map[string]string, error) {
	retained, err := st.List(ctx, "retained")
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(devices))
	for _, d := range devices {
		b, ok := retained[d.LinkKey]
		if !ok {
			out[d.ID] = ""
			continue
		}
		var env struct {
			Data events.DeviceState `json:"data"`
		}
		if err := json.Unmarshal(b, &env); err != nil {
			out[d.ID] = "unreadable"
			continue
		}
		out[d.ID] = env.Data.State
	}
	return out, nil
}

// groupCounts runs a "label, count" query and sends each row.
func (c *Collector) groupCounts(ctx context.Context, ch chan<- prometheus.Metric, d *prometheus.Desc, query string, args ...any) error {
	rows, err := c.src.Store.Query(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var label string
		var n int64
		if err := rows.Scan(&label, &n); err != nil {
			return err
		}
		ch <- counter(d, float64(n), label)
	}
	return rows.Err()
}

// journal: the frames in, by device, profile and status, counted
// incrementally (journalCounts).
func (c *Collector) journal(ctx context.Context, ch chan<- prometheus.Metric) error {
	n, err := c.counts.update(ctx, c.src.Store, time.Now())
	if err != nil {
		return err
	}
	for k, v := range n {
		ch <- counter(c.records, float64(v), k.device, k.profile, k.status)
	}
	return nil
}

func (c *Collector) commandsByOutcome(ctx context.Context, ch chan<- prometheus.Metric) error {
	return c.groupCounts(ctx, ch, c.commands, `SELECT status, COUNT(*) FROM commands GROUP BY status`)
}

func (c *Collector) wakeupsByResult(ctx context.Context, ch chan<- prometheus.Metric) error {
	// Covered by the index wakeups_watch(status, watch_at).
	if err := c.groupCounts(ctx, ch, c.wakeups, `SELECT status, COUNT(*) FROM wakeups GROUP BY status`); err != nil {
		return err
	}
	now := c.src.now()
	var next sql.NullInt64
	if err := c.src.Store.QueryRow(ctx, `SELECT MIN(pbx_at) FROM wakeups WHERE status IN ('pending','sent','retrying') AND pbx_at > ?`,
		now.UnixNano()).Scan(&next); err != nil {
		return fmt.Errorf("next wake-up: %w", err)
	}
	if next.Valid {
		ch <- gauge(c.wakeNext, time.Unix(0, next.Int64).Sub(now).Seconds())
	}
	return nil
}

func (c *Collector) business(ctx context.Context, ch chan<- prometheus.Metric) error {
	var sent, received int64
	if err := c.src.Store.QueryRow(ctx, `SELECT
		COALESCE((SELECT SUM(pages) FROM fax_jobs WHERE state='sent'),0),
		COALESCE((SELECT SUM(pages) FROM fax_register),0)`).Scan(&sent, &received); err != nil {
		return fmt.Errorf("fax pages: %w", err)
	}
	ch <- counter(c.faxPages, float64(sent), "sent")
	ch <- counter(c.faxPages, float64(received), "received")
	return c.groupCounts(ctx, ch, c.impressions, `SELECT device, SUM(impressions) FROM print_jobs GROUP BY device`)
}

func (c *Collector) files(_ context.Context, ch chan<- prometheus.Metric) error {
	p := c.src.Store.Path()
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	ch <- gauge(c.dbSize, float64(fi.Size()))
	wal := 0.0
	if fi, err := os.Stat(p + "-wal"); err == nil {
		wal = float64(fi.Size())
	}
	ch <- gauge(c.walSize, wal)
	return nil
}

func (c *Collector) backup(ctx context.Context, ch chan<- prometheus.Metric) error {
	l, ok, err := backup.LastResult(ctx, c.src.Store)
	if err != nil || !ok {
		return err
	}
	ok1 := 0.0
	if l.OK {
		ok1 = 1
	}
	ch <- gauge(c.backupAt, float64(l.At.UnixNano())/1e9)
	ch <- gauge(c.backupOK, ok1)
	return nil
}
