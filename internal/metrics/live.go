package metrics

import (
	"context"
	"errors"
	"fmt"

	"switchboard/internal/store"
)

// StoreWritable takes the store's write lock and lets it go, writing
// nothing (BEGIN IMMEDIATE, then a rollback). It is /readyz's store check,
// and the liveness the daemon's systemd watchdog pings on: a writer stuck in
// a transaction holds the one write connection, so this waits until ctx
// ends and the pings stop.
func StoreWritable(ctx context.Context, st *store.Store) error {
	err := st.InTx(ctx, func(*store.Tx) error { return errDryRun })
	if errors.Is(err, errDryRun) {
		return nil
	}
	if err == nil {
		return errors.New("store: dry-run transaction committed")
	}
	return fmt.Errorf("store: not writable: %w", err)
}
