// Package storetest helps benchmarks build large stores quickly: multi-row
// INSERTs through the store's own tables, and a cache of the generated file
// in $TMPDIR keyed by the schema version, so a ledger of a million calls is
// generated once per schema, not once per run.
package storetest

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"switchboard/internal/store"
)

// Inserter writes rows of one table with multi-row INSERT statements, many
// rows a statement: one statement per row makes a million rows take minutes.
type Inserter struct {
	tx    *store.Tx
	head  string
	cols  int
	per   int
	query string
	args  []any
	n     int
}

// NewInserter writes rows of table's columns cols (comma-separated) in tx.
// Flush writes what is left; call it before the transaction ends.
func NewInserter(tx *store.Tx, table, cols string) *Inserter {
	c := strings.Count(cols, ",") + 1
	per := max(1, 30000/c/10) // well under SQLite's bound of 32766 parameters
	q := "INSERT INTO " + table + "(" + cols + ") VALUES " + rows(c, per)
	return &Inserter{tx: tx, head: "INSERT INTO " + table + "(" + cols + ") VALUES ", cols: c, per: per, query: q}
}

func rows(cols, n int) string {
	row := "(" + strings.TrimSuffix(strings.Repeat("?,", cols), ",") + ")"
	return strings.TrimSuffix(strings.Repeat(row+",", n), ",")
}

// Add adds one row: one value per column, in the columns' order.
func (in *Inserter) Add(vals ...any) error {
	if len(vals) != in.cols {
		return fmt.Errorf("%s: %d values for %d columns", in.head, len(vals), in.cols)
	}
	in.args = append(in.args, vals...)
	in.n++
	if in.n == in.per {
		return in.Flush()
	}
	return nil
}

// Flush writes the rows added since the last statement.
func (in *Inserter) Flush() error {
	if in.n == 0 {
		return nil
	}
	q := in.query
	if in.n < in.per {
		q = in.head + rows(in.cols, in.n)
	}
	_, err := in.tx.Exec(q, in.args...)
	in.args, in.n = in.args[:0], 0
	if err != nil {
		return fmt.Errorf("insert rows: %w", err)
	}
	return nil
}

// SchemaVersion is the store's schema version, read from a new store.
func SchemaVersion(tb testing.TB) int {
	tb.Helper()
	st, err := store.Open(context.Background(), filepath.Join(tb.TempDir(), "schema.db"))
	if err != nil {
		tb.Fatal(err)
	}
	defer st.Close()
	var v int
	if err := st.QueryRow(context.Background(), `SELECT MAX(version) FROM schema_migrations`).Scan(&v); err != nil {
		tb.Fatal(err)
	}
	return v
}

// Cached is the path of a store in $TMPDIR named
// "switchboard-<prefix>-schema<N>-<name>.db", made by fill on the first call
// (into a ".part" file renamed when complete, so an interrupted run leaves
// no half store behind). name should carry the generator's version and
// sizes: a store written by another generator must not be taken for it.
func Cached(tb testing.TB, prefix, name string, fill func(*store.Store) error) string {
	tb.Helper()
	file := fmt.Sprintf("switchboard-%s-schema%d-%s.db", prefix, SchemaVersion(tb), name)
	path := filepath.Join(os.TempDir(), file)
	if _, err := os.Stat(path); err == nil {
		return path
	}
	tmp := path + ".part"
	for _, p := range []string{tmp, tmp + "-wal", tmp + "-shm"} {
		os.Remove(p)
	}
	start := time.Now()
	st, err := store.Open(context.Background(), tmp)
	if err != nil {
		tb.Fatal(err)
	}
	if err := fill(st); err != nil {
		st.Close()
		tb.Fatalf("generate %s: %v", file, err)
	}
	if err := st.Close(); err != nil { // checkpoints: one file
		tb.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		tb.Fatal(err)
	}
	tb.Logf("generated %s in %v", path, time.Since(start).Round(time.Second))
	return path
}

// CopyFile copies a store file to another path and syncs it: the copy's
// gigabytes still being written back would stall a benchmark's first
// commits (fsync).
func CopyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return fmt.Errorf("copy store: %w", err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		return fmt.Errorf("copy store: %w", err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copy store %s to %s: %w", from, to, err)
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return fmt.Errorf("copy store: sync %s: %w", to, err)
	}
	return out.Close()
}
