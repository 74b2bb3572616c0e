// Package store is the gateway's durable ledger: one SQLite file (pure Go,
// modernc.org/sqlite) in WAL mode with synchronous=FULL. It holds the journal
// of every raw frame a device sent, the outbox of events waiting for the back
// office, the command log used to dedupe commands, and a small key/value
// state area. Journal first: a frame is committed before anything interprets
// it; an event and the ledger row it belongs to are committed together.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Store is an open ledger. It is safe for concurrent use: writes are
// serialized on one connection, reads use their own pool.
type Store struct {
	path  string
	w     *sql.DB                      // one connection, BEGIN IMMEDIATE
	r     *sql.DB                      // readers (WAL lets them run beside the writer)
	ws    *stmts                       // prepared statements of the writer
	rs    *stmts                       // and of the readers
	gate  atomic.Pointer[func() error] // gate.go
	ckpt  *checkpointer                // checkpoint.go
	epoch string
	fresh atomic.Pointer[func(OutboxRow)] // OnEnqueued
}

// Open opens (creating if needed) the ledger at path and migrates it.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" {
		return nil, errors.New("store: empty path")
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("store: create folder for %s: %w", path, err)
		}
	}
	// synchronous=FULL: a commit is on disk before Commit returns, so a power
	// cut after a PUBACK-worthy commit cannot lose the row (DESIGN.md §5).
	q := url.Values{}
	// Before WAL: the WAL header fixes the page size, after which a new
	// file's auto_vacuum can no longer change without a VACUUM
	// (vacuum.go). On an existing file it changes nothing, but it takes the
	// write lock to say so: `switchboard backup` beside a daemon that
	// commits without a pause waited out busy_timeout for it and failed
	// (SQLITE_BUSY, 1 run in 6 of TestBackupAndRestoreCommands).
	if fi, err := os.Stat(path); err != nil || fi.Size() == 0 {
		q.Add("_pragma", "auto_vacuum(INCREMENTAL)")
	}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(ON)")
	// Checkpoints run beside the writer, not inside its commits (checkpoint.go).
	// No journal_size_limit: a WAL file cut back after each restart grows
	// again, and an fsync of a growing file also commits its new size (the
	// 10,000-call benchmark's p99 went from 8 to 18-109 ms); SQLite reuses
	// the file in place otherwise.
	q.Add("_pragma", "wal_autocheckpoint(0)")
	q.Set("_txlock", "immediate")
	w, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	s := &Store{path: path, w: w, ws: newStmts(w, true)}
	if err := s.migrate(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("store: %s: %w", path, err)
	}
	rq := url.Values{}
	rq.Add("_pragma", "busy_timeout(10000)")
	rq.Add("_pragma", "query_only(1)")
	r, err := sql.Open("sqlite", "file:"+path+"?"+rq.Encode())
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open readers %s: %w", path, err)
	}
	r.SetMaxOpenConns(4)
	s.r, s.rs = r, newStmts(r, false)
	if s.ckpt, err = startCheckpointer(path); err != nil {
		s.Close()
		return nil, err
	}
	if s.epoch, err = s.ensureEpoch(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Path is the file the store lives in.
func (s *Store) Path() string { return s.path }

// Epoch changes only when the database is recreated; consumers use it with
// seq to notice that sequence numbers started over.
func (s *Store) Epoch() string { return s.epoch }

// Close flushes and closes the database.
func (s *Store) Close() error {
	var errs []error
	if s.ckpt != nil {
		errs = append(errs, s.ckpt.close())
	}
	if s.rs != nil {
		s.rs.close()
	}
	s.ws.close()
	if s.r != nil {
		errs = append(errs, s.r.Close())
	}
	if s.w != nil {
		// A checkpoint folds the WAL into the main file so a clean shutdown
		// leaves one file behind.
		_, _ = s.w.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
		errs = append(errs, s.w.Close())
	}
	return errors.Join(errs...)
}

func (s *Store) ensureEpoch(ctx context.Context) (string, error) {
	var epoch string
	err := s.w.QueryRowContext(ctx, `SELECT value FROM meta WHERE key='seqepoch'`).Scan(&epoch)
	if err == nil {
		return epoch, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("store: read seqepoch: %w", err)
	}
	if epoch, err = newEpoch(); err != nil {
		return "", err
	}
	if _, err := s.w.ExecContext(ctx, `INSERT INTO meta(key,value) VALUES('seqepoch',?)`, epoch); err != nil {
		return "", fmt.Errorf("store: write seqepoch: %w", err)
	}
	return epoch, nil
}

// InTx runs fn in one write transaction (BEGIN IMMEDIATE) and commits it;
// any error rolls everything back. What fn asked to run after the commit
// (Tx.AfterCommit) runs once the commit succeeded, in order; never after a
// rollback.
func (s *Store) InTx(ctx context.Context, fn func(tx *Tx) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	if err := s.admit(ctx); err != nil {
		return err
	}
	// Once begun, it finishes (Tx.stmtCtx).
	t, err := s.w.BeginTx(context.WithoutCancel(ctx), nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	tx := &Tx{tx: t, s: s, ctx: ctx}
	if err := fn(tx); err != nil {
		_ = t.Rollback()
		return err
	}
	if err := t.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	if s.ckpt != nil {
		s.ckpt.committed()
	}
	s.ws.prepareMissed(ctx)
	for _, f := range tx.after {
		f()
	}
	return nil
}

// Scanner is a row being read: *sql.Row or *sql.Rows.
type Scanner = interface{ Scan(dest ...any) error }

// All runs a read query and reads every row with scan, in order.
func All[T any](ctx context.Context, s *Store, scan func(Scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := s.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Tx is one write transaction.
type Tx struct {
	tx    *sql.Tx
	s     *Store
	ctx   context.Context
	after []func()
	frame int64 // ForFrame: the journal frame events are attributed to
}

// ForFrame attributes the events enqueued from now on in the transaction
// to journal frame id (0: to none), recorded with the frame so that
// reconciliation can follow it to what it produced.
func (t *Tx) ForFrame(id int64) { t.frame = id }

// AfterCommit runs f once the transaction has committed (not at all if it
// rolls back): work that must not act on what may still be undone, such as
// sending a command to a device or waking a worker.
func (t *Tx) AfterCommit(f func()) { t.after = append(t.after, f) }

// Context is the transaction's context.
func (t *Tx) Context() context.Context { return t.ctx }

// Exec runs a statement in the transaction (for ledger tables owned by other
// packages through their own migrations).
func (t *Tx) Exec(query string, args ...any) (sql.Result, error) {
	return t.exec(query, args...)
}

// Query runs a multi-row query in the transaction.
func (t *Tx) Query(query string, args ...any) (*sql.Rows, error) {
	return t.query(query, args...)
}

// QueryRow runs a query in the transaction.
func (t *Tx) QueryRow(query string, args ...any) *sql.Row {
	return t.queryRow(query, args...)
}

// Query runs a query on the reader pool (not in a transaction).
func (s *Store) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return s.rquery(ctx, query, args...)
}

// QueryRow runs a single-row query on the reader pool.
func (s *Store) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return s.rqueryRow(ctx, query, args...)
}

func nanos(t time.Time) int64 { return t.UnixNano() }

func fromNanos(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.Unix(0, n.Int64)
}
