package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"
)

// SnapshotTo writes a consistent copy of the whole database to dest with
// VACUUM INTO. dest must not exist or be empty (create it first to choose
// its mode). The copy is read in one read transaction, so the writer goes
// on committing beside it (WAL); it runs on a connection of its own because
// the readers' query_only forbids VACUUM INTO (it writes, if another file).
func (s *Store) SnapshotTo(ctx context.Context, dest string) error {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	db, err := sql.Open("sqlite", "file:"+s.path+"?"+q.Encode())
	if err != nil {
		return fmt.Errorf("store: snapshot of %s: %w", s.path, err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, dest); err != nil {
		return fmt.Errorf("store: snapshot of %s into %s: %w", s.path, dest, err)
	}
	return nil
}

// FileInfo is what Inspect found in a database file.
type FileInfo struct {
	Path    string
	Epoch   string // meta seqepoch; "" when the file has none
	MaxSeq  int64  // the highest outbox seq ever given (purged rows included)
	Events  int64  // outbox rows present
	Version int    // schema version
}

// requiredTables are the tables every ledger has since migration 1.
var requiredTables = []string{"meta", "journal", "outbox", "idem", "commands", "kv", "schema_migrations"}

// Inspect checks a database file without changing it: PRAGMA
// integrity_check must answer ok, the ledger's tables must be there and its
// schema must not be newer than this binary. It reads the file's seqepoch and
// the outbox's highest seq.
func Inspect(ctx context.Context, path string) (FileInfo, error) {
	fi := FileInfo{Path: path}
	st, err := os.Stat(path)
	if err != nil {
		return fi, fmt.Errorf("store: %w", err)
	}
	if !st.Mode().IsRegular() {
		return fi, fmt.Errorf("store: %s is not a regular file", path)
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "query_only(1)")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return fi, fmt.Errorf("store: open %s: %w", path, err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	rows, err := db.QueryContext(ctx, `PRAGMA integrity_check`)
	if err != nil {
		return fi, fmt.Errorf("store: %s is not a readable SQLite database: %w", path, err)
	}
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			rows.Close()
			return fi, fmt.Errorf("store: integrity check of %s: %w", path, err)
		}
		problems = append(problems, line)
	}
	if err := rows.Err(); err != nil {
		rows.Close()
		return fi, fmt.Errorf("store: integrity check of %s: %w", path, err)
	}
	rows.Close()
	if len(problems) != 1 || problems[0] != "ok" {
		if len(problems) > 5 {
			problems = append(problems[:5], "...")
		}
		return fi, fmt.Errorf("store: %s fails the integrity check: %s", path, strings.Join(problems, "; "))
	}
	for _, t := range requiredTables {
		var n int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type='table' AND name=?`, t).Scan(&n); err != nil {
			return fi, fmt.Errorf("store: %s: %w", path, err)
		}
		if n == 0 {
			return fi, fmt.Errorf("store: %s is not a switchboard ledger: no table %s", path, t)
		}
	}
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version),0) FROM schema_migrations`).Scan(&fi.Version); err != nil {
		return fi, fmt.Errorf("store: %s: schema version: %w", path, err)
	}
	if fi.Version > len(migrations)-1 {
		return fi, fmt.Errorf("store: %s has schema version %d, newer than this binary knows (%d)", path, fi.Version, len(migrations)-1)
	}
	err = db.QueryRowContext(ctx, `SELECT value FROM meta WHERE key='seqepoch'`).Scan(&fi.Epoch)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fi, fmt.Errorf("store: %s: seqepoch: %w", path, err)
	}
	if err := db.QueryRowContext(ctx, `SELECT
		MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name='outbox'),0), COALESCE((SELECT MAX(seq) FROM outbox),0)),
		(SELECT count(*) FROM outbox)`).Scan(&fi.MaxSeq, &fi.Events); err != nil {
		return fi, fmt.Errorf("store: %s: outbox: %w", path, err)
	}
	return fi, nil
}

// RenewEpoch gives the database file at path (not open elsewhere) a new
// seqepoch and returns it: consumers then know that sequence numbers after
// the file's highest mean other events than the ones they may have seen.
func RenewEpoch(ctx context.Context, path string) (string, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=synchronous(FULL)")
	if err != nil {
		return "", fmt.Errorf("store: open %s: %w", path, err)
	}
	defer db.Close()
	epoch, err := newEpoch()
	if err != nil {
		return "", err
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO meta(key,value) VALUES('seqepoch',?)
		ON CONFLICT(key) DO UPDATE SET value=excluded.value`, epoch); err != nil {
		return "", fmt.Errorf("store: %s: new seqepoch: %w", path, err)
	}
	return epoch, db.Close()
}

// newEpoch is a seqepoch: the time it was made and 32 random bits.
func newEpoch() (string, error) {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("store: seqepoch: %w", err)
	}
	return time.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:]), nil
}
