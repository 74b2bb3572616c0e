package ledger

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"switchboard/internal/store"
)

// Logged is a call as the console's call log shows it. Dialed is the number
// as the PBX printed it: the reader masks it (billing.mask_dialed) before
// showing it, as the events do.
type Logged struct {
	IdemKey     string
	Start       time.Time
	DurationS   int
	Direction   string
	Extension   string
	Room        string
	Class       string
	Destination string
	Dialed      string
	AmountMinor int64
	Currency    string
	Posted      bool
	NotPosted   string
	Late        bool
	Flags       []string
}

// Cursor is a position in the log, newest first: the calls strictly older
// than (Start, IdemKey). The zero Cursor is the newest end.
type Cursor struct {
	Start   int64 // Unix ns; 0: the newest end
	IdemKey string
}

const logColumns = `idemkey, start, duration_s, direction, extension, room, class, destination, dialed, amount_minor, currency, posted, not_posted, late, flags`

// Recent reads up to limit calls that started at or after since and
// before cur, newest first. flaggedOnly keeps the calls the night audit
// must see (any flag: vacant room, after check-out, late, unrateable, ...).
func Recent(ctx context.Context, st *store.Store, since time.Time, cur Cursor, flaggedOnly bool, limit int) ([]Logged, error) {
	before, key := cur.Start, cur.IdemKey
	if before == 0 {
		before, key = 1<<63-1, ""
	}
	q := `SELECT ` + logColumns + ` FROM calls WHERE start >= ? AND (start < ? OR (start = ? AND idemkey < ?))`
	if flaggedOnly {
		q += ` AND flags NOT IN ('', '[]', 'null')`
	}
	q += ` ORDER BY start DESC, idemkey DESC LIMIT ?`
	return readLogged(ctx, st, q, since.UnixNano(), before, before, key, limit)
}

// Emergencies reads the calls to an emergency number since since, newest
// first (the rating class "emergency").
func Emergencies(ctx context.Context, st *store.Store, since time.Time, limit int) ([]Logged, error) {
	return readLogged(ctx, st, `SELECT `+logColumns+` FROM calls WHERE start >= ? AND class = 'emergency' ORDER BY start DESC, idemkey DESC LIMIT ?`,
		since.UnixNano(), limit)
}

func readLogged(ctx context.Context, st *store.Store, q string, args ...any) ([]Logged, error) {
	rows, err := st.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read call log: %w", err)
	}
	defer rows.Close()
	var out []Logged
	for rows.Next() {
		var l Logged
		var start int64
		var posted, late int
		var flags string
		if err := rows.Scan(&l.IdemKey, &start, &l.DurationS, &l.Direction, &l.Extension, &l.Room, &l.Class, &l.Destination, &l.Dialed,
			&l.AmountMinor, &l.Currency, &posted, &l.NotPosted, &late, &flags); err != nil {
			return nil, fmt.Errorf("read call log: %w", err)
		}
		l.Start, l.Posted, l.Late = time.Unix(0, start), posted != 0, late != 0
		if flags != "" {
			if err := json.Unmarshal([]byte(flags), &l.Flags); err != nil {
				return nil, fmt.Errorf("read call log: call %s flags: %w", l.IdemKey, err)
			}
		}
		out = append(out, l)
	}
	return out, rows.Err()
}
