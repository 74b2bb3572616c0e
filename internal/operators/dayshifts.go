package operators

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"switchboard/internal/store"
)

// ShiftsBetween lists the shifts that were open at some time in [from, to):
// opened before to and not closed before from (an open shift counts), in
// the order they were opened. The supervisor's day close and the shift
// reports read a day's shifts this way, so a night shift that began the
// evening before is on both days.
func (s *Store) ShiftsBetween(ctx context.Context, from, to time.Time) ([]Shift, error) {
	shifts, err := store.All(ctx, s.st, scanShift, `SELECT `+shiftCols+` FROM shifts
		WHERE opened < ? AND (closed IS NULL OR closed >= ?) ORDER BY opened, id`, nanos(to), nanos(from))
	if err != nil {
		return nil, fmt.Errorf("shifts from %s to %s: %w", from.Format(time.RFC3339), to.Format(time.RFC3339), err)
	}
	return shifts, nil
}

// ShiftJournal is a shift's journal: the one recorded when it was closed
// (what was printed for the handover), or for a shift still open the
// journal so far, gathered at now.
func (s *Store) ShiftJournal(ctx context.Context, sh Shift, now time.Time) (Journal, error) {
	if sh.Open() || len(sh.Journal) == 0 {
		return s.Journal(ctx, sh.ID, now)
	}
	var j Journal
	if err := json.Unmarshal(sh.Journal, &j); err != nil {
		return Journal{}, fmt.Errorf("recorded journal of shift %d: %w", sh.ID, err)
	}
	return j, nil
}
