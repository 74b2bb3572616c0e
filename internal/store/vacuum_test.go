package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
)

// TestIncrementalVacuumMode: a new store is created in incremental mode;
// one made before (auto_vacuum none) is converted by a VACUUM, keeping its
// rows.
func TestIncrementalVacuumMode(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		legacy  bool // the file exists already, made without auto_vacuum
		convert bool
		want    bool
	}{
		{name: "new store", want: true},
		{name: "legacy store", legacy: true, want: false},
		{name: "legacy store converted", legacy: true, convert: true, want: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "sb.db")
			if tc.legacy {
				db, err := sql.Open("sqlite", "file:"+path)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := db.Exec(`PRAGMA auto_vacuum=NONE; CREATE TABLE old_rows(x); INSERT INTO old_rows VALUES(1),(2)`); err != nil {
					t.Fatal(err)
				}
				db.Close()
			}
			s, err := Open(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if tc.convert {
				if err := s.ConvertIncrementalVacuum(ctx); err != nil {
					t.Fatal(err)
				}
			}
			on, err := s.IncrementalVacuum(ctx)
			if err != nil || on != tc.want {
				t.Fatalf("incremental vacuum %v (err %v), want %v", on, err, tc.want)
			}
			if tc.legacy {
				var n int
				if err := s.QueryRow(ctx, `SELECT COUNT(*) FROM old_rows`).Scan(&n); err != nil || n != 2 {
					t.Fatalf("rows after open/convert: %d, %v; want 2", n, err)
				}
			}
		})
	}
}

// TestVacuumStepShrinksFile: pages freed by a delete go back to the file
// system batch by batch, and the file is smaller after the checkpoint.
func TestVacuumStepShrinksFile(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	blob := strings.Repeat("x", 3000)
	if err := s.InTx(ctx, func(tx *Tx) error {
		for i := range 500 {
			if err := tx.Put("bulk", string(rune('a'+i%26))+strings.Repeat("k", i), []byte(blob)); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	full, _, err := s.FileSize()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.InTx(ctx, func(tx *Tx) error { _, err := tx.Exec(`DELETE FROM kv WHERE ns='bulk'`); return err }); err != nil {
		t.Fatal(err)
	}
	free, _, err := s.FreePages(ctx)
	if err != nil || free < 300 {
		t.Fatalf("free pages after the delete: %d (%v), want at least 300", free, err)
	}
	for step := 0; free > 0; step++ {
		if step > 100 {
			t.Fatalf("still %d free pages after 100 steps", free)
		}
		if err := s.InTx(ctx, func(tx *Tx) error { return tx.VacuumStep(50) }); err != nil {
			t.Fatal(err)
		}
		left, _, err := s.FreePages(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if left >= free || free-left > 50 {
			t.Fatalf("a step of 50 pages took %d -> %d free pages", free, left)
		}
		free = left
	}
	if _, err := s.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	small, _, err := s.FileSize()
	if err != nil {
		t.Fatal(err)
	}
	if small >= full/2 {
		t.Errorf("file %d bytes after the vacuum, %d before: want it under half", small, full)
	}
}
