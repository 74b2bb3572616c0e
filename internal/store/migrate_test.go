package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
)

// oldStore makes a store file at path as a binary that knew migrations up
// to upto left it, open without this binary's Open (the test writes the
// rows that binary would have, then closes it and opens it with Open).
func oldStore(t *testing.T, path string, upto int) *sql.DB {
	t.Helper()
	old, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { old.Close() })
	if _, err := old.Exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	for v := 1; v <= upto; v++ {
		if _, err := old.Exec(migrations[v]); err != nil {
			t.Fatalf("migration %d: %v", v, err)
		}
		if _, err := old.Exec(`INSERT INTO schema_migrations VALUES(?, 0)`, v); err != nil {
			t.Fatal(err)
		}
	}
	return old
}

// TestMigrateFillsGaps: a reserved version (an empty entry: another
// branch's number) is not recorded, and a version missing below the highest
// one recorded is applied when the store is opened again, as the reserved
// number will be once its SQL lands.
func TestMigrateFillsGaps(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sb.db")
	st, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	versions := func() map[int]bool {
		t.Helper()
		rows, err := st.Query(ctx, `SELECT version FROM schema_migrations`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out := map[int]bool{}
		for rows.Next() {
			var v int
			if err := rows.Scan(&v); err != nil {
				t.Fatal(err)
			}
			out[v] = true
		}
		return out
	}
	for v, sql := range migrations {
		if v == 0 {
			continue
		}
		if got := versions()[v]; got != (sql != "") {
			t.Errorf("version %d recorded: %v, want %v (reserved: %v)", v, got, sql != "", sql == "")
		}
	}
	// Version 10 (two indexes) as if it had not been applied yet, below
	// the highest recorded.
	if _, err := st.w.ExecContext(ctx, `DROP INDEX print_jobs_to_check; DROP INDEX print_jobs_command; DELETE FROM schema_migrations WHERE version = 10`); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if st, err = Open(ctx, path); err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var n int
	if err := st.QueryRow(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name IN ('print_jobs_to_check', 'print_jobs_command')`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 2 || !versions()[10] {
		t.Errorf("version 10 not applied again below %d: %d indexes", len(migrations)-1, n)
	}
}
