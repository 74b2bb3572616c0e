package retention

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"switchboard/internal/store"
)

// Schedule runs a Job every night at Hour:Minute of the site's zone, and
// once at start when the last run (kept in the store) is more than a day
// old or there was none, so a gateway that was off at night catches up.
type Schedule struct {
	Job          Job
	Hour, Minute int
	Loc          *time.Location // the site's zone (config site.timezone)
	// After is the timer; nil: time.After. Tests hand in a fake clock
	// with Job.Now.
	After func(time.Duration) <-chan time.Time
}

// Last is the last run's outcome as recorded in the store's state area
// (namespace "retention", key "last"), for logs and metrics.
type Last struct {
	At        time.Time        `json:"at"`
	OK        bool             `json:"ok"`
	TookS     float64          `json:"took_s"`
	Deleted   map[string]int64 `json:"deleted,omitempty"`
	Masked    map[string]int64 `json:"masked,omitempty"`
	Batches   int              `json:"batches"`
	LongestS  float64          `json:"longest_batch_s"`
	Longest   string           `json:"longest_batch_step,omitempty"`
	FreedB    int64            `json:"freed_bytes"`
	SizeAfter int64            `json:"size_after_bytes"`
	Error     string           `json:"error,omitempty"`
}

// Record keeps a run's outcome in the store (LastResult reads it).
func Record(ctx context.Context, st *store.Store, r Report, runErr error) error {
	l := Last{At: r.Started.UTC(), OK: runErr == nil, TookS: r.Took.Seconds(), Deleted: r.Deleted, Masked: r.Masked,
		Batches: len(r.Batches), FreedB: r.FreedBytes, SizeAfter: r.SizeAfter}
	lb := r.Longest()
	l.LongestS, l.Longest = lb.Took.Seconds(), lb.Step
	if runErr != nil {
		l.Error = runErr.Error()
	}
	b, err := json.Marshal(l)
	if err != nil {
		return fmt.Errorf("retention: record: %w", err)
	}
	return st.Put(ctx, stateNS, "last", b)
}

// LastResult reads what Record kept; ok is false before the first run.
func LastResult(ctx context.Context, st *store.Store) (l Last, ok bool, err error) {
	b, ok, err := st.Get(ctx, stateNS, "last")
	if err != nil || !ok {
		return l, ok, err
	}
	if err := json.Unmarshal(b, &l); err != nil {
		return l, false, fmt.Errorf("retention: last run: %w", err)
	}
	return l, true, nil
}

// Next is when the next run is due at now, given the last run (zero: none):
// now when the last is more than a day old, else the next Hour:Minute of
// the site's wall clock that is at least 12 hours after the last run (a
// catch-up run at 01:00 does not run again at 03:30). On a day the clock
// skips Hour:Minute (DST), time.Date moves it past the gap.
func (s Schedule) Next(now, last time.Time) time.Time {
	if last.IsZero() || now.Sub(last) > 24*time.Hour {
		return now
	}
	loc := s.Loc
	if loc == nil {
		loc = time.UTC
	}
	from := last.Add(12 * time.Hour)
	if now.After(from) {
		from = now
	}
	t := from.In(loc)
	for d := 0; ; d++ {
		at := time.Date(t.Year(), t.Month(), t.Day()+d, s.Hour, s.Minute, 0, 0, loc)
		if !at.Before(from) {
			return at
		}
	}
}

// Run runs the job when due until ctx ends, logging each run and
// recording it in the store.
func (s Schedule) Run(ctx context.Context) {
	log := s.Job.log()
	after := s.After
	if after == nil {
		after = time.After
	}
	for {
		var lastAt time.Time
		if l, ok, err := LastResult(ctx, s.Job.Store); err != nil {
			log.Warn("retention: last run unreadable; running now", "err", err)
		} else if ok {
			lastAt = l.At
		}
		now := s.Job.now()
		next := s.Next(now, lastAt)
		if wait := next.Sub(now); wait > 0 {
			log.Info("next retention run", "at", next.In(s.loc()).Format(time.RFC3339), "in", wait.Round(time.Second))
			select {
			case <-ctx.Done():
				return
			case <-after(wait):
			}
		}
		r, err := s.Job.Run(ctx)
		if ctx.Err() != nil {
			return
		}
		lb := r.Longest()
		if err != nil {
			log.Error("retention run failed", "err", err, "deleted", r.Total(), "took", r.Took.Round(time.Millisecond))
		} else {
			log.Info("retention run done", "deleted", r.Deleted, "masked", r.Masked, "batches", len(r.Batches),
				"longest_batch", lb.Took.Round(time.Microsecond), "longest_step", lb.Step,
				"freed_bytes", r.FreedBytes, "size_before", r.SizeBefore, "size_after", r.SizeAfter, "took", r.Took.Round(time.Millisecond))
		}
		if lb.Took > s.Job.budget() {
			log.Warn("retention batch held the write lock over its budget", "step", lb.Step, "took", lb.Took, "budget", s.Job.budget())
		}
		if rerr := Record(ctx, s.Job.Store, r, err); rerr != nil {
			log.Warn("retention result not recorded", "err", rerr)
			return // without a record the loop would run again at once
		}
	}
}

func (s Schedule) loc() *time.Location {
	if s.Loc == nil {
		return time.UTC
	}
	return s.Loc
}
