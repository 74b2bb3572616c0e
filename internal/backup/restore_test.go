package backup

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"switchboard/internal/store"
)

var restoreAt = time.Date(2026, 12, 4, 9, 30, 0, 0, time.UTC)

// backupOf makes a store with n events at dir/var/sb.db and a backup of it;
// more events are added after the backup when after > 0.
func backupOf(t *testing.T, dir string, n, after int) (storePath, file, epoch string) {
	t.Helper()
	storePath = filepath.Join(dir, "var", "sb.db")
	st := openStore(t, storePath)
	enqueue(t, st, 0, n)
	res, err := Backup(context.Background(), st, filepath.Join(dir, "backups"), 5, restoreAt.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	enqueue(t, st, n, after)
	epoch = st.Epoch()
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	return storePath, res.File, epoch
}

func TestRestoreRefusedWhileDaemonRuns(t *testing.T) {
	storePath, file, _ := backupOf(t, t.TempDir(), 3, 0)
	lock, err := store.TryLock(storePath) // as `switchboard run` does
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Release()
	before, _ := os.ReadFile(storePath)
	_, err = Restore(context.Background(), storePath, file, restoreAt)
	if err == nil || !strings.Contains(err.Error(), "daemon is running") {
		t.Fatalf("restore under the lock: %v, want refused", err)
	}
	if after, _ := os.ReadFile(storePath); string(after) != string(before) {
		t.Error("a refused restore changed the store")
	}
}

func TestRestoreKeepsEpochWhenNothingNewer(t *testing.T) {
	ctx := context.Background()
	storePath, file, epoch := backupOf(t, t.TempDir(), 5, 0)
	// The daemon wrote no event since the backup.
	r, err := Restore(ctx, storePath, file, restoreAt)
	if err != nil {
		t.Fatal(err)
	}
	if r.NewEpoch || r.Epoch != epoch {
		t.Fatalf("restored: %+v, want the backup's epoch %s kept", r, epoch)
	}
	if want := storePath + ".before-restore-20261204T093000Z"; r.Before != want {
		t.Errorf("old store kept as %q, want %q", r.Before, want)
	}
	if _, err := store.Inspect(ctx, r.Before); err != nil {
		t.Errorf("the kept old store: %v", err)
	}
	st := openStore(t, storePath)
	defer st.Close()
	if st.Epoch() != epoch {
		t.Errorf("store opens with epoch %s, want %s", st.Epoch(), epoch)
	}
	if fi, err := store.Inspect(ctx, storePath); err != nil || fi.MaxSeq != 5 {
		t.Errorf("restored store: %+v %v", fi, err)
	}
}

func TestRestoreNewEpochWhenHistoryLost(t *testing.T) {
	ctx := context.Background()
	storePath, file, epoch := backupOf(t, t.TempDir(), 5, 3) // seq 6..8 after the backup
	r, err := Restore(ctx, storePath, file, restoreAt)
	if err != nil {
		t.Fatal(err)
	}
	if !r.NewEpoch || r.Epoch == epoch || r.Epoch == "" {
		t.Fatalf("restored: %+v, want a new epoch (old %s)", r, epoch)
	}
	if !strings.Contains(r.Reason, "6..8") {
		t.Errorf("reason %q does not name the lost seqs", r.Reason)
	}
	st := openStore(t, storePath)
	if st.Epoch() != r.Epoch {
		t.Errorf("store opens with epoch %s, want %s", st.Epoch(), r.Epoch)
	}
	enqueue(t, st, 100, 1)
	st.Close()
	fi, err := store.Inspect(ctx, storePath)
	if err != nil || fi.MaxSeq != 6 || fi.Epoch != r.Epoch {
		t.Errorf("after restore and one event: %+v %v, want seq 6 under %s", fi, err, r.Epoch)
	}
	old, err := store.Inspect(ctx, r.Before)
	if err != nil || old.MaxSeq != 8 || old.Epoch != epoch {
		t.Errorf("kept old store: %+v %v", old, err)
	}
}

func TestRestoreNewEpochWhenNoStore(t *testing.T) {
	storePath, file, epoch := backupOf(t, t.TempDir(), 2, 0)
	os.Remove(storePath) // the disk died
	os.WriteFile(storePath+"-wal", []byte("stale"), 0o600)
	r, err := Restore(context.Background(), storePath, file, restoreAt)
	if err != nil {
		t.Fatal(err)
	}
	if !r.NewEpoch || r.Epoch == epoch || r.Before != "" {
		t.Fatalf("restored: %+v, want a new epoch and nothing kept", r)
	}
	if _, err := os.Stat(storePath + "-wal"); err == nil {
		t.Error("a stale WAL was left beside the restored store")
	}
	if _, err := store.Inspect(context.Background(), storePath); err != nil {
		t.Error(err)
	}
}

func TestRestoreRefusesCorruptFile(t *testing.T) {
	storePath, file, _ := backupOf(t, t.TempDir(), 300, 0)
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	bad := file + ".truncated"
	if err := os.WriteFile(bad, data[:len(data)/2], 0o600); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(storePath)
	_, err = Restore(context.Background(), storePath, bad, restoreAt)
	if err == nil || !strings.Contains(err.Error(), "not a good backup") || !strings.Contains(err.Error(), bad) {
		t.Fatalf("restore of a truncated file: %v, want refused naming it", err)
	}
	t.Logf("refused: %v", err)
	if after, _ := os.ReadFile(storePath); string(after) != string(before) {
		t.Error("a refused restore changed the store")
	}
	if m, _ := filepath.Glob(storePath + ".*"); len(m) != 0 {
		for _, f := range m {
			if !strings.HasSuffix(f, ".lock") {
				t.Errorf("left behind: %s", f)
			}
		}
	}
}
