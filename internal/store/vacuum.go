package store

import (
	"context"
	"fmt"
	"os"
	"time"
)

// SQLite's auto_vacuum modes (https://sqlite.org/pragma.html#pragma_auto_vacuum):
// with INCREMENTAL the pages a DELETE frees stay on the freelist until
// PRAGMA incremental_vacuum hands them back to the file system, so the
// nightly retention can shrink the file in small steps instead of one
// VACUUM that rewrites the whole file under the write lock. Open asks for
// it on every connection, which a new file takes.
const autoVacuumIncremental = 2

// IncrementalVacuum says whether the file is in auto_vacuum=INCREMENTAL
// mode (stores created before it was the default are not, until
// ConvertIncrementalVacuum).
func (s *Store) IncrementalVacuum(ctx context.Context) (bool, error) {
	var mode int
	if err := s.w.QueryRowContext(ctx, `PRAGMA auto_vacuum`).Scan(&mode); err != nil {
		return false, fmt.Errorf("store: read auto_vacuum: %w", err)
	}
	return mode == autoVacuumIncremental, nil
}

// ConvertIncrementalVacuum switches an existing store to
// auto_vacuum=INCREMENTAL. SQLite only changes the mode of a database that
// has tables by rebuilding the whole file (VACUUM): it holds the write lock
// throughout, needs free disk space about the size of the file, and takes
// in the order of seconds per hundred MB on a mini-PC. It is done once, at
// daemon start before devices are read (cmd/switchboard run logs it), never
// by the nightly job.
func (s *Store) ConvertIncrementalVacuum(ctx context.Context) error {
	if _, err := s.w.ExecContext(ctx, `PRAGMA auto_vacuum=INCREMENTAL`); err != nil {
		return fmt.Errorf("store: set auto_vacuum: %w", err)
	}
	if _, err := s.w.ExecContext(ctx, `VACUUM`); err != nil {
		return fmt.Errorf("store: VACUUM to enable incremental vacuum (needs free disk space about the size of %s): %w", s.path, err)
	}
	return nil
}

// FreePages is the number of pages on the freelist (what an incremental
// vacuum can give back) and the page size in bytes.
func (s *Store) FreePages(ctx context.Context) (pages, pageSize int64, err error) {
	if err := s.w.QueryRowContext(ctx, `PRAGMA freelist_count`).Scan(&pages); err != nil {
		return 0, 0, fmt.Errorf("store: freelist count: %w", err)
	}
	if err := s.w.QueryRowContext(ctx, `PRAGMA page_size`).Scan(&pageSize); err != nil {
		return 0, 0, fmt.Errorf("store: page size: %w", err)
	}
	return pages, pageSize, nil
}

// VacuumStep gives up to pages free pages back to the file system in one
// write transaction (PRAGMA incremental_vacuum(N)).
func (t *Tx) VacuumStep(pages int) error {
	if pages < 1 {
		return fmt.Errorf("store: incremental vacuum of %d pages", pages)
	}
	// A pragma's argument cannot be a bound parameter; pages is an int.
	if _, err := t.exec(fmt.Sprintf(`PRAGMA incremental_vacuum(%d)`, pages)); err != nil {
		return fmt.Errorf("store: incremental vacuum: %w", err)
	}
	return nil
}

// Checkpoint copies the write-ahead log into the file (PRAGMA
// wal_checkpoint(PASSIVE)), so pages an incremental vacuum gave back leave
// the main file now, and the next write transaction starts the log over
// instead of paying for an automatic checkpoint in its COMMIT (SQLite runs
// one in the commit that takes the log past 1000 pages). It runs on a
// reader connection: a checkpoint takes no write lock, so the writer
// connection, which the gateway commits on, stays free meanwhile. PASSIVE
// never waits for a reader (TRUNCATE would, up to busy_timeout). busy is
// true when readers kept it from copying every page.
func (s *Store) Checkpoint(ctx context.Context) (busy bool, err error) {
	var b, logPages, moved int64
	if err := s.r.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&b, &logPages, &moved); err != nil {
		return false, fmt.Errorf("store: checkpoint: %w", err)
	}
	return b != 0 || moved < logPages, nil
}

// TruncateWAL checkpoints what is left in the WAL and cuts the file to
// zero (wal_checkpoint(TRUNCATE)): it waits for the writer's transaction
// and holds the next one back while it runs, so it is for the end of a
// job that just checkpointed (nothing left to copy: a moment).
func (s *Store) TruncateWAL(ctx context.Context) error {
	var b, logPages, moved int64
	if err := s.r.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&b, &logPages, &moved); err != nil {
		return fmt.Errorf("store: truncate the WAL: %w", err)
	}
	return nil
}

// FileSize is the size of the store's file and of its write-ahead log.
func (s *Store) FileSize() (file, wal int64, err error) {
	fi, err := os.Stat(s.path)
	if err != nil {
		return 0, 0, fmt.Errorf("store: %w", err)
	}
	if w, err := os.Stat(s.path + "-wal"); err == nil {
		wal = w.Size()
	}
	return fi.Size(), wal, nil
}

// Measure runs fn in one write transaction and reports how long the
// transaction held the write lock: from BEGIN IMMEDIATE (taken before fn
// runs) to the end of COMMIT, without the wait for the writer connection.
func (s *Store) Measure(ctx context.Context, fn func(tx *Tx) error) (time.Duration, error) {
	var start time.Time
	err := s.InTx(ctx, func(tx *Tx) error {
		start = time.Now()
		return fn(tx)
	})
	if start.IsZero() {
		return 0, err
	}
	return time.Since(start), err
}
