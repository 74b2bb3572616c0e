package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"switchboard/internal/store"
)

// Restored is what Restore did.
type Restored struct {
	From   store.FileInfo  // the backup, as checked
	Old    *store.FileInfo // the store it replaced; nil when none or unreadable
	OldErr error           // why the old store could not be read, if it could not
	Before string          // where the old store was kept ("" when there was none)
	Epoch  string          // the restored store's seqepoch
	// NewEpoch: the restored store got a new seqepoch because sequence
	// numbers after the backup's highest may have been given to other events
	// (Reason says why); consumers must start over from the new epoch.
	NewEpoch bool
	Reason   string
}

// Restore replaces the store at storePath with the backup file. It refuses
// while the daemon runs (it holds the store's lock, store.TryLock) and when
// the backup fails Inspect. The old store is kept beside it as
// "<path>.before-restore-<time>" (with its WAL); a stale -wal or -shm is
// never left to be applied to the restored file.
//
// The restored store keeps the backup's seqepoch only when its history is
// known to be whole: the old store is readable, has the same seqepoch and no
// seq beyond the backup's highest. Otherwise, events numbered after the
// backup may have been published and acknowledged, and the same numbers
// would now name other events, so it gets a new seqepoch.
func Restore(ctx context.Context, storePath, file string, now time.Time) (Restored, error) {
	var r Restored
	lock, err := store.TryLock(storePath)
	if errors.Is(err, store.ErrLocked) {
		return r, fmt.Errorf("restore: refused, the daemon is running (it holds %s): stop it first", store.LockPath(storePath))
	}
	if err != nil {
		return r, fmt.Errorf("restore: %w", err)
	}
	defer lock.Release()

	if r.From, err = store.Inspect(ctx, file); err != nil {
		return r, fmt.Errorf("restore: refused, not a good backup: %w", err)
	}
	_, statErr := os.Stat(storePath)
	oldExists := statErr == nil
	switch {
	case !oldExists:
		r.Reason = fmt.Sprintf("there is no store at %s, so what consumers acknowledged after seq %d cannot be known", storePath, r.From.MaxSeq)
	default:
		old, err := store.Inspect(ctx, storePath)
		if err != nil {
			r.OldErr = err
			r.Reason = fmt.Sprintf("the old store is unreadable (%v), so what consumers acknowledged after seq %d cannot be known", err, r.From.MaxSeq)
			break
		}
		r.Old = &old
		switch {
		case old.Epoch != r.From.Epoch:
			r.Reason = fmt.Sprintf("the old store has seqepoch %s, the backup %s: consumers follow the old one", old.Epoch, r.From.Epoch)
		case old.MaxSeq > r.From.MaxSeq:
			r.Reason = fmt.Sprintf("the old store reached seq %d, the backup only %d: events %d..%d are lost and their numbers would be given again",
				old.MaxSeq, r.From.MaxSeq, r.From.MaxSeq+1, old.MaxSeq)
		}
	}
	r.NewEpoch = r.Reason != ""
	r.Epoch = r.From.Epoch

	tmp := storePath + ".restore.tmp"
	if err := copyFile(file, tmp); err != nil {
		os.Remove(tmp)
		return r, fmt.Errorf("restore: %w", err)
	}
	if r.NewEpoch {
		if r.Epoch, err = store.RenewEpoch(ctx, tmp); err != nil {
			os.Remove(tmp)
			return r, fmt.Errorf("restore: %w", err)
		}
	}
	if oldExists {
		r.Before = storePath + ".before-restore-" + now.UTC().Format(nameLayout)
		if err := os.Rename(storePath, r.Before); err != nil {
			os.Remove(tmp)
			return r, fmt.Errorf("restore: keep the old store as %s: %w", r.Before, err)
		}
		if err := os.Rename(storePath+"-wal", r.Before+"-wal"); err != nil && !errors.Is(err, os.ErrNotExist) {
			return r, fmt.Errorf("restore: keep the old store's WAL: %w", err)
		}
	}
	// A WAL left by a store that is no longer there would be replayed
	// into the restored file and corrupt it.
	for _, side := range []string{"-wal", "-shm", "-journal"} {
		if err := os.Remove(storePath + side); err != nil && !errors.Is(err, os.ErrNotExist) {
			return r, fmt.Errorf("restore: remove stale %s: %w", storePath+side, err)
		}
	}
	if err := os.Rename(tmp, storePath); err != nil {
		return r, fmt.Errorf("restore: put %s in place: %w", storePath, err)
	}
	if err := syncDir(filepath.Dir(storePath)); err != nil {
		return r, fmt.Errorf("restore: %w", err)
	}
	return r, nil
}

// copyFile copies src to a new file dst of mode 0600 and fsyncs it.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	os.Remove(dst)
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copy %s to %s: %w", src, dst, err)
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return fmt.Errorf("fsync %s: %w", dst, err)
	}
	return out.Close()
}
