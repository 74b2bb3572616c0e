package retention

import (
	"context"

	"switchboard/internal/store"
)

// vacuum gives the pages the deletions freed back to the file system, a
// batch of pages per transaction (PRAGMA incremental_vacuum(N): it moves
// pages from the end of the file into free ones and truncates, so a batch
// costs like a batch of row writes and is sized the same way), then
// checkpoints the write-ahead log so the main file shrinks now. A store
// not in auto_vacuum=INCREMENTAL mode (ConvertIncrementalVacuum was not
// run) is left as it is: its free pages are reused by later writes.
func vacuum(ctx context.Context, b *batcher) error {
	st := b.j.Store
	on, err := st.IncrementalVacuum(ctx)
	if err != nil {
		return err
	}
	if !on {
		b.j.log().Warn("retention: the store is not in incremental auto-vacuum mode; freed pages stay in the file (restart the daemon to convert it)")
		return nil
	}
	free, pageSize, err := st.FreePages(ctx)
	if err != nil {
		return err
	}
	for free > 0 {
		n := min(int64(b.size("vacuum")), free)
		if _, err := b.do(ctx, "vacuum", int(n), func(tx *store.Tx) (int64, error) {
			return n, tx.VacuumStep(int(n))
		}); err != nil {
			return err
		}
		left, _, err := st.FreePages(ctx)
		if err != nil {
			return err
		}
		if left >= free { // nothing moved: another writer is filling pages
			break
		}
		b.r.FreedBytes += (free - left) * pageSize
		free = left
	}
	_, err = st.Checkpoint(ctx)
	return err
}
