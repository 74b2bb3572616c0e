// Package stays is the typed store of the guests' stays (table stays):
// who is in which room since when. Check-in and check-out are the hotel
// desk's (internal/hoteldesk); call billing reads which stay a call
// belongs to.
package stays

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"switchboard/internal/store"
)

// ErrOccupied and ErrVacant refuse a check-in or check-out that does not
// fit the room's state.
var (
	ErrOccupied = errors.New("room is occupied")
	ErrVacant   = errors.New("room is vacant")
)

func nanos(t time.Time) int64 { return t.UnixNano() }

func scanStay(sc interface{ Scan(...any) error }) (*Stay, error) {
	var s Stay
	var vip int
	var in int64
	var out sql.NullInt64
	if err := sc.Scan(&s.ID, &s.Room, &s.Reservation, &s.Guest, &s.Language, &vip, &in, &out); err != nil {
		return nil, err
	}
	s.VIP = vip != 0
	s.CheckIn = time.Unix(0, in)
	if out.Valid {
		t := time.Unix(0, out.Int64)
		s.CheckOut = &t
	}
	return &s, nil
}

// Stay is one guest's stay in a room (check-in to check-out).
type Stay struct {
	ID          int64      `json:"id"`
	Room        string     `json:"room"`
	Reservation string     `json:"reservation,omitempty"`
	Guest       string     `json:"-"` // never in events or topics
	Language    string     `json:"language,omitempty"`
	VIP         bool       `json:"vip,omitempty"`
	CheckIn     time.Time  `json:"checked_in"`
	CheckOut    *time.Time `json:"checked_out,omitempty"`
}

const stayCols = `id, room, reservation, guest, language, vip, checkin, checkout`

// CheckIn opens a stay. A room with an open stay is refused: check the
// guest out (or move them) first.
func CheckIn(tx *store.Tx, s Stay) (*Stay, error) {
	if cur, err := Open(tx, s.Room); err != nil {
		return nil, err
	} else if cur != nil {
		return nil, fmt.Errorf("room %s: %w since %s (reservation %q): check out first", s.Room, ErrOccupied, cur.CheckIn.Format(time.RFC3339), cur.Reservation)
	}
	vip := 0
	if s.VIP {
		vip = 1
	}
	res, err := tx.Exec(`INSERT INTO stays(room, reservation, guest, language, vip, checkin) VALUES(?,?,?,?,?,?)`,
		s.Room, s.Reservation, s.Guest, s.Language, vip, nanos(s.CheckIn))
	if err != nil {
		return nil, fmt.Errorf("check in room %s: %w", s.Room, err)
	}
	s.ID, _ = res.LastInsertId()
	s.CheckOut = nil
	return &s, nil
}

// CheckOut closes the room's open stay.
func CheckOut(tx *store.Tx, room string, at time.Time) (*Stay, error) {
	cur, err := Open(tx, room)
	if err != nil {
		return nil, err
	}
	if cur == nil {
		return nil, fmt.Errorf("room %s: %w: nobody to check out", room, ErrVacant)
	}
	if at.Before(cur.CheckIn) {
		return nil, fmt.Errorf("room %s: check-out %s before check-in %s", room, at.Format(time.RFC3339), cur.CheckIn.Format(time.RFC3339))
	}
	if _, err := tx.Exec(`UPDATE stays SET checkout=? WHERE id=?`, nanos(at), cur.ID); err != nil {
		return nil, fmt.Errorf("check out room %s: %w", room, err)
	}
	cur.CheckOut = &at
	return cur, nil
}

// Open is the room's current stay, or nil.
func Open(tx *store.Tx, room string) (*Stay, error) {
	s, err := scanStay(tx.QueryRow(`SELECT `+stayCols+` FROM stays WHERE room=? AND checkout IS NULL`, room))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("room %s: %w", room, err)
	}
	return s, nil
}

// At finds the stay a call at t from room belongs to, and the room's
// last check-out before t (for calls made after the guest left).
func At(tx *store.Tx, room string, t time.Time) (stay *Stay, lastCheckOut *time.Time, err error) {
	stay, err = scanStay(tx.QueryRow(`SELECT `+stayCols+` FROM stays WHERE room=? AND checkin<=? AND (checkout IS NULL OR checkout>?) ORDER BY checkin DESC LIMIT 1`,
		room, nanos(t), nanos(t)))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		stay = nil
	case err != nil:
		return nil, nil, fmt.Errorf("room %s stay at %s: %w", room, t.Format(time.RFC3339), err)
	}
	var co sql.NullInt64
	err = tx.QueryRow(`SELECT MAX(checkout) FROM stays WHERE room=? AND checkout<=?`, room, nanos(t)).Scan(&co)
	if err != nil {
		return nil, nil, fmt.Errorf("room %s last check-out: %w", room, err)
	}
	if co.Valid {
		c := time.Unix(0, co.Int64)
		lastCheckOut = &c
	}
	return stay, lastCheckOut, nil
}

// Occupied lists the open stays.
func Occupied(ctx context.Context, st *store.Store) ([]Stay, error) {
	return store.All(ctx, st, func(sc store.Scanner) (Stay, error) {
		s, err := scanStay(sc)
		if err != nil {
			return Stay{}, err
		}
		return *s, nil
	}, `SELECT `+stayCols+` FROM stays WHERE checkout IS NULL ORDER BY room`)
}

// Current is the room's open stay (nil: the room is vacant), read outside
// a transaction.
func Current(ctx context.Context, st *store.Store, room string) (*Stay, error) {
	s, err := scanStay(st.QueryRow(ctx, `SELECT `+stayCols+` FROM stays WHERE room=? AND checkout IS NULL`, room))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("room %s: %w", room, err)
	}
	return s, nil
}

// Of lists the stays of a room ("": of every room), the latest
// check-in first, at most limit of them: the guests a fax may be for.
func Of(tx *store.Tx, room string, limit int) ([]Stay, error) {
	q, args := `SELECT `+stayCols+` FROM stays`, []any{}
	if room != "" {
		q += ` WHERE room=?`
		args = append(args, room)
	}
	rows, err := tx.Query(q+` ORDER BY checkin DESC LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("stays of room %q: %w", room, err)
	}
	defer rows.Close()
	var out []Stay
	for rows.Next() {
		s, err := scanStay(rows)
		if err != nil {
			return nil, fmt.Errorf("stays of room %q: %w", room, err)
		}
		out = append(out, *s)
	}
	return out, rows.Err()
}
