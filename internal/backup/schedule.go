package backup

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"switchboard/internal/store"
)

// Schedule makes a backup every Every while the daemon runs.
type Schedule struct {
	Store *store.Store
	Dir   string
	Every time.Duration
	Keep  int
	Log   *slog.Logger
	Now   func() time.Time // the clock; nil: time.Now
}

func (s Schedule) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Next is when the next backup is due after now: Every after the newest
// backup in Dir, or now when there is none or it is older than that.
func (s Schedule) Next(now time.Time) time.Time {
	files, err := List(s.Dir)
	if err != nil || len(files) == 0 {
		return now
	}
	next := files[len(files)-1].Time.Add(s.Every)
	if next.Before(now) {
		return now
	}
	return next
}

// Run makes backups until ctx ends, logging each result and recording the
// last one in the store (LastResult).
func (s Schedule) Run(ctx context.Context) {
	for {
		wait := s.Next(s.now()).Sub(s.now())
		s.Log.Info("next store backup", "dir", s.Dir, "in", wait.Round(time.Second))
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		at := s.now()
		res, err := Backup(ctx, s.Store, s.Dir, s.Keep, at)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			s.Log.Error("store backup failed", "dir", s.Dir, "err", err)
		} else {
			s.Log.Info("store backup made", "file", res.File, "bytes", res.Size, "took", res.Took.Round(time.Millisecond),
				"seqepoch", res.Epoch, "seq", res.MaxSeq, "removed", len(res.Removed))
		}
		if rerr := Record(ctx, s.Store, at, res, err); rerr != nil {
			s.Log.Warn("store backup result not recorded", "err", rerr)
		}
		if err != nil {
			// Do not hammer a full disk: try again in an hour at most.
			if !sleep(ctx, min(time.Hour, s.Every)) {
				return
			}
		}
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// Last is the last backup's outcome as recorded in the store's state area
// (namespace "backup", key "last"), for status pages and metrics.
type Last struct {
	At    time.Time `json:"at"`
	OK    bool      `json:"ok"`
	File  string    `json:"file,omitempty"`
	Bytes int64     `json:"bytes,omitempty"`
	TookS float64   `json:"took_s,omitempty"`
	Error string    `json:"error,omitempty"`
}

// Record keeps a backup's outcome in the store (LastResult reads it).
func Record(ctx context.Context, st *store.Store, at time.Time, res Result, err error) error {
	l := Last{At: at.UTC(), OK: err == nil, File: res.File, Bytes: res.Size, TookS: res.Took.Seconds()}
	if err != nil {
		l.Error = err.Error()
	}
	b, jerr := json.Marshal(l)
	if jerr != nil {
		return jerr
	}
	return st.Put(ctx, "backup", "last", b)
}

// LastResult reads what Record kept; ok is false before the first backup.
func LastResult(ctx context.Context, st *store.Store) (l Last, ok bool, err error) {
	b, ok, err := st.Get(ctx, "backup", "last")
	if err != nil || !ok {
		return l, ok, err
	}
	if err := json.Unmarshal(b, &l); err != nil {
		return l, false, fmt.Errorf("backup: last result: %w", err)
	}
	return l, true, nil
}
