package stays

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"switchboard/internal/store"
)

// ErrNoStay is a stay id the store does not hold.
var ErrNoStay = errors.New("no such stay")

// ByID reads one stay (ErrNoStay: none).
func ByID(tx *store.Tx, id int64) (*Stay, error) {
	s, err := scanStay(tx.QueryRow(`SELECT `+stayCols+` FROM stays WHERE id=?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("stay %d: %w", id, ErrNoStay)
	}
	if err != nil {
		return nil, fmt.Errorf("stay %d: %w", id, err)
	}
	return s, nil
}

// LastBefore is the room's last stay that checked out at or before t (the
// guest who just left), or nil.
func LastBefore(tx *store.Tx, room string, t time.Time) (*Stay, error) {
	s, err := scanStay(tx.QueryRow(`SELECT `+stayCols+` FROM stays WHERE room=? AND checkout IS NOT NULL AND checkout<=? ORDER BY checkout DESC LIMIT 1`,
		room, nanos(t)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("room %s last stay before %s: %w", room, t.Format(time.RFC3339), err)
	}
	return s, nil
}

// GuestAt is the name of the guest who was in room at t ("" when the room
// was vacant), read outside a transaction: the guest a fax job was sent
// for, named on its transmission report long after.
func GuestAt(ctx context.Context, st *store.Store, room string, t time.Time) (string, error) {
	s, err := scanStay(st.QueryRow(ctx, `SELECT `+stayCols+` FROM stays WHERE room=? AND checkin<=? AND (checkout IS NULL OR checkout>?) ORDER BY checkin DESC LIMIT 1`,
		room, nanos(t), nanos(t)))
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("room %s guest at %s: %w", room, t.Format(time.RFC3339), err)
	}
	return s.Guest, nil
}
