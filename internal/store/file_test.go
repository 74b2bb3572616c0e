package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSnapshotInspectRenew(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, filepath.Join(dir, "sb.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.InTx(ctx, func(tx *Tx) error {
		for i := 0; i < 3; i++ {
			if _, _, err := tx.Enqueue(Event{Type: "t", Topic: "x", IdemKey: string(rune('a' + i))}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// The readers are query_only: VACUUM INTO is refused there, which is
	// why SnapshotTo has a connection of its own.
	if _, err := s.r.ExecContext(ctx, `VACUUM INTO ?`, filepath.Join(dir, "ro.db")); err == nil {
		t.Error("VACUUM INTO ran on a query_only reader: SnapshotTo could use the reader pool")
	}
	dest := filepath.Join(dir, "copy.db")
	if err := s.SnapshotTo(ctx, dest); err != nil {
		t.Fatal(err)
	}
	fi, err := Inspect(ctx, dest)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Epoch != s.Epoch() || fi.MaxSeq != 3 || fi.Events != 3 {
		t.Fatalf("inspect: %+v, want epoch %s and 3 events", fi, s.Epoch())
	}
	for _, side := range []string{"-wal", "-shm"} {
		if _, err := os.Stat(dest + side); err == nil {
			t.Errorf("inspect left %s behind", dest+side)
		}
	}
	e2, err := RenewEpoch(ctx, dest)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err = Inspect(ctx, dest); err != nil || fi.Epoch != e2 || e2 == s.Epoch() {
		t.Fatalf("after renew: %+v %v, want epoch %s", fi, err, e2)
	}
	// Not a ledger, and not a database at all.
	other := filepath.Join(dir, "other.db")
	os.WriteFile(other, []byte(strings.Repeat("not sqlite ", 100)), 0o600)
	if _, err := Inspect(ctx, other); err == nil {
		t.Error("inspect accepted a file that is no database")
	}
}

func TestLockRefusesSecondHolder(t *testing.T) {
	p := filepath.Join(t.TempDir(), "sb.db")
	l, err := TryLock(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := TryLock(p); !errors.Is(err, ErrLocked) {
		t.Fatalf("second lock: %v, want ErrLocked", err)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	l2, err := TryLock(p)
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	l2.Release()
}
