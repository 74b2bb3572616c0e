// Package retention is the nightly clean-up of the store: it deletes billing
// rows older than store.retention_days and acknowledged outbox events older
// than a week, masks dialed numbers older than store.mask_dialed_after_days,
// and gives the freed pages back to the file system (incremental vacuum), so
// the ledger of a gateway that runs for years stays bounded. Every change
// is made in small write transactions whose size adapts so that none holds
// SQLite's write lock longer than a budget (50 ms by default), with a pause
// between them so the gateway's own commits go on; each transaction is
// measured and reported (Report). Schedule runs the job every night at the
// site's configured hour.
package retention

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"switchboard/internal/store"
)

// Defaults of a Job.
const (
	// DefaultBudget is the longest a transaction of the job may hold the
	// write lock (issue 14: "never hold the write lock for more than 50 ms").
	DefaultBudget = 50 * time.Millisecond
	// DefaultOutboxDays keeps acknowledged events a week, for replays a
	// back office asks for after an incident of its own (DESIGN.md §5).
	DefaultOutboxDays = 7
)

// Masker masks a stored dialed number and the raw text that shows it.
// *folio.Biller's MaskStored is the one the daemon uses: the digits a
// report needs (trunk access code, country and area code, class) stay and
// the subscriber part becomes '*', as billing.mask_dialed does in events.
type Masker interface {
	MaskStored(dialed, raw string) (maskedDialed, maskedRaw string)
}

// Job is one retention run's settings.
type Job struct {
	Store *store.Store
	// RetentionDays: billing rows (calls, business charges, fax and print
	// records, stays, journal frames) older than this are deleted, and
	// dedupe keys enqueued longer ago than this. Must be > 0.
	RetentionDays int
	// OutboxDays: acknowledged events older than this are deleted; 0:
	// DefaultOutboxDays.
	OutboxDays int
	// MaskAfterDays: dialed numbers of calls and faxes older than this are
	// masked; 0: never.
	MaskAfterDays int
	// Masker masks them (read at each run: a reloaded tariff may change
	// the trunk access codes); nil with MaskAfterDays > 0 is an error.
	Masker func() Masker
	// Budget bounds each transaction's hold of the write lock; 0:
	// DefaultBudget.
	Budget time.Duration
	// Log gets one line per step and per run; nil: discarded.
	Log *slog.Logger
	// Now is the clock; nil: time.Now.
	Now func() time.Time
}

func (j *Job) now() time.Time {
	if j.Now != nil {
		return j.Now()
	}
	return time.Now()
}

func (j *Job) budget() time.Duration {
	if j.Budget > 0 {
		return j.Budget
	}
	return DefaultBudget
}

func (j *Job) log() *slog.Logger {
	if j.Log != nil {
		return j.Log
	}
	return slog.New(slog.DiscardHandler)
}

// Batch is one write transaction of a run: which step, how many rows it
// changed, how many it was sized for (rows, or keys of a range), and how
// long it held the write lock.
type Batch struct {
	Step string
	Rows int64
	Size int
	Took time.Duration
}

// Report is what a run did.
type Report struct {
	Started time.Time
	Took    time.Duration
	// Deleted counts the rows deleted, by table.
	Deleted map[string]int64
	// Masked counts the rows whose dialed numbers were masked, by table.
	Masked map[string]int64
	// Batches lists every write transaction in order.
	Batches []Batch
	// FreedBytes is what the incremental vacuum gave back to the file
	// system (pages times page size).
	FreedBytes int64
	// SizeBefore and SizeAfter are the store file's size (with its WAL).
	SizeBefore, SizeAfter int64
}

// Longest is the batch that held the write lock longest.
func (r Report) Longest() Batch {
	var b Batch
	for _, x := range r.Batches {
		if x.Took > b.Took {
			b = x
		}
	}
	return b
}

// Total is the number of rows deleted.
func (r Report) Total() int64 {
	var n int64
	for _, v := range r.Deleted {
		n += v
	}
	return n
}

// Run does one retention pass: the deletions, the masking, then the
// incremental vacuum. It stops at the first error (what was committed
// stays committed: each batch is whole) and returns what it did so far.
func (j *Job) Run(ctx context.Context) (r Report, err error) {
	now := j.now()
	r = Report{Started: now, Deleted: map[string]int64{}, Masked: map[string]int64{}}
	if j.Store == nil {
		return r, fmt.Errorf("retention: no store")
	}
	if j.RetentionDays <= 0 {
		return r, fmt.Errorf("retention: retention_days is %d: want a positive number of days", j.RetentionDays)
	}
	if j.MaskAfterDays > 0 && j.Masker == nil {
		return r, fmt.Errorf("retention: mask_dialed_after_days is %d but no masker was given", j.MaskAfterDays)
	}
	start := time.Now()
	defer func() { r.Took = time.Since(start) }()
	file, wal, err := j.Store.FileSize()
	if err != nil {
		return r, fmt.Errorf("retention: %w", err)
	}
	r.SizeBefore = file + wal
	outboxDays := j.OutboxDays
	if outboxDays <= 0 {
		outboxDays = DefaultOutboxDays
	}
	c := cutoffs{
		billing: now.AddDate(0, 0, -j.RetentionDays).UnixNano(),
		outbox:  now.AddDate(0, 0, -outboxDays).UnixNano(),
	}
	b := newBatcher(j, &r)
	for _, s := range purgeSteps() {
		if err := s.run(ctx, b, c); err != nil {
			return r, fmt.Errorf("retention: %s: %w", s.name, err)
		}
	}
	if j.MaskAfterDays > 0 {
		m := j.Masker()
		if m == nil {
			return r, fmt.Errorf("retention: mask_dialed_after_days is %d but the masker is nil", j.MaskAfterDays)
		}
		before := now.AddDate(0, 0, -j.MaskAfterDays).UnixNano()
		if err := maskCalls(ctx, b, m, before); err != nil {
			return r, fmt.Errorf("retention: mask calls: %w", err)
		}
		if err := maskFaxJobs(ctx, b, m, before); err != nil {
			return r, fmt.Errorf("retention: mask fax jobs: %w", err)
		}
	}
	if err := vacuum(ctx, b); err != nil {
		return r, fmt.Errorf("retention: incremental vacuum: %w", err)
	}
	// The file gets shorter when a checkpoint copies the vacuum's last
	// pages back (the store's checkpointer would, within seconds), and the
	// WAL that held them is cut: the size after is the size it will have.
	if _, err := j.Store.Checkpoint(ctx); err != nil {
		return r, fmt.Errorf("retention: %w", err)
	}
	if err := j.Store.TruncateWAL(ctx); err != nil {
		return r, fmt.Errorf("retention: %w", err)
	}
	if file, wal, err = j.Store.FileSize(); err != nil {
		return r, fmt.Errorf("retention: %w", err)
	}
	r.SizeAfter = file + wal
	return r, nil
}

// cutoffs are the instants (unix ns) before which rows go.
type cutoffs struct {
	billing int64
	outbox  int64
}
