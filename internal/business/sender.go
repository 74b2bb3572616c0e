package business

import (
	"fmt"

	"switchboard/internal/events"
	"switchboard/internal/store"
)

// AsSender runs fn, which enqueues the event and records the charge that
// end work a console command started (a print job, a fax), as that
// command's sender: the principal and role of the command log's row for
// commandID, and the shift the desk copied onto the job. Work no console
// shift sent (shift 0: the back office's, the CLI's, or from before store
// migration 11), or whose command is not in the log any more, runs as it
// did: its events name no principal.
func AsSender(tx *store.Tx, commandID string, shift int64, fn func() error) error {
	if shift == 0 || commandID == "" {
		return fn()
	}
	row, ok, err := tx.Command(commandID)
	if err != nil {
		return fmt.Errorf("sender of command %s: %w", commandID, err)
	}
	if !ok || row.Principal == "" {
		return fn()
	}
	return tx.Acting(events.Actor{Principal: row.Principal, Role: row.Role, Shift: shift}, fn)
}
