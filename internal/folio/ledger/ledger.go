// Package ledger is the typed store of the call ledger (table calls): one
// row per call the PBX recorded, with what rating and posting decided. The
// call billing desk (internal/folio) writes and re-rates rows through it;
// reports read the table themselves (internal/report).
package ledger

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"switchboard/internal/store"
)

// Call is one ledger row as it is written.
type Call struct {
	IdemKey   string
	Device    string
	JournalID int64
	Start     time.Time
	DurationS int
	Direction string
	Extension string
	Room      string
	RoomClass string
	Dialed    string
	Answered  *bool // nil: the PBX cannot tell
	Trunk     string
	PBXCost   string
	Rating
	Flags       []byte // JSON list
	Posted      bool
	NotPosted   string
	StayID      int64 // 0: no stay
	Reservation string
	Late        bool
	RecordedSeq int64
	ChargedSeq  int64 // 0: no charge event
}

// Rating is what rating decided about a call; re-rating replaces it.
type Rating struct {
	Class         string
	Destination   string
	MatchedPrefix string
	RateID        string
	TariffVersion string
	BillableS     int
	CarrierCost   string
	Price         string
	AmountMinor   int64
	Currency      string
	Rated         []byte // the whole RatedCall, JSON
}

// Insert writes a call once: a call already in the ledger (the PBX sent it
// again, a frame was reprocessed) stays as it was.
func Insert(tx *store.Tx, c Call) error {
	_, err := tx.Exec(`INSERT INTO calls(idemkey, device, journal_id, start, duration_s, direction, extension, room, room_class, dialed,
		answered, trunk, pbx_cost, class, destination, matched_prefix, rate_id, tariff_version, billable_s, carrier_cost, price, amount_minor, currency,
		rated, flags, posted, not_posted, stay_id, reservation, late, recorded_seq, charged_seq, rated_at)
		VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(idemkey) DO NOTHING`,
		c.IdemKey, c.Device, c.JournalID, c.Start.UnixNano(), c.DurationS, c.Direction, c.Extension, c.Room, c.RoomClass, c.Dialed,
		nullBool(c.Answered), c.Trunk, c.PBXCost, c.Class, c.Destination, c.MatchedPrefix, c.RateID, c.TariffVersion, c.BillableS, c.CarrierCost, c.Price,
		c.AmountMinor, c.Currency, string(c.Rated), string(c.Flags), boolInt(c.Posted), c.NotPosted, nullID(c.StayID), c.Reservation, boolInt(c.Late),
		c.RecordedSeq, nullID(c.ChargedSeq), time.Now().UnixNano())
	if err != nil {
		return fmt.Errorf("ledger call %s: %w", c.IdemKey, err)
	}
	return nil
}

// Priced is a stored call as re-rating reads it: what rating needs and what
// the comparison needs.
type Priced struct {
	IdemKey, Device, Extension, Room, Dialed, Trunk, PBXCost string
	Class, Destination, MatchedPrefix, RateID, TariffVersion string
	CarrierCost, Price, Currency, NotPosted                  string
	Start                                                    int64 // Unix ns
	AmountMinor, DurationS, BillableS                        int64
	Posted                                                   bool
	Answered                                                 sql.NullBool
}

// PagePriced reads the next page of calls in direction, in (start, idemkey)
// order, after (afterStart, afterKey) and before until (Unix ns).
func PagePriced(ctx context.Context, st *store.Store, direction string, afterStart int64, afterKey string, until int64, limit int) ([]Priced, error) {
	rows, err := st.Query(ctx, `SELECT idemkey, device, extension, room, dialed, class, destination, matched_prefix,
		rate_id, tariff_version, carrier_cost, price, currency, not_posted, start, amount_minor,
		duration_s, billable_s, posted, answered, trunk, pbx_cost
		FROM calls WHERE start >= ? AND start < ? AND (start > ? OR idemkey > ?) AND direction = ?
		ORDER BY start, idemkey LIMIT ?`, afterStart, until, afterStart, afterKey, direction, limit)
	if err != nil {
		return nil, fmt.Errorf("read calls: %w", err)
	}
	defer rows.Close()
	out := make([]Priced, 0, limit)
	for rows.Next() {
		var r Priced
		var posted int64
		if err := rows.Scan(&r.IdemKey, &r.Device, &r.Extension, &r.Room, &r.Dialed, &r.Class, &r.Destination, &r.MatchedPrefix,
			&r.RateID, &r.TariffVersion, &r.CarrierCost, &r.Price, &r.Currency, &r.NotPosted, &r.Start, &r.AmountMinor,
			&r.DurationS, &r.BillableS, &posted, &r.Answered, &r.Trunk, &r.PBXCost); err != nil {
			return nil, fmt.Errorf("read calls: %w", err)
		}
		r.Posted = posted != 0
		out = append(out, r)
	}
	return out, rows.Err()
}

// Posting is where a call's charge went: its frame, its charge event, its
// stay.
type Posting struct {
	JournalID, ChargedSeq, StayID int64
	Reservation                   string
	Rated                         []byte // the stored RatedCall, JSON
}

// PostingOf reads a call's posting.
func PostingOf(tx *store.Tx, idemkey string) (Posting, error) {
	var p Posting
	var rated string
	if err := tx.QueryRow(`SELECT journal_id, COALESCE(charged_seq,0), COALESCE(stay_id,0), reservation, rated FROM calls WHERE idemkey=?`, idemkey).
		Scan(&p.JournalID, &p.ChargedSeq, &p.StayID, &p.Reservation, &rated); err != nil {
		return p, fmt.Errorf("call %s: %w", idemkey, err)
	}
	p.Rated = []byte(rated)
	return p, nil
}

// Rerate replaces a call's rating if it still has the price and tariff
// version it was read with; it reports whether it did (false: another
// re-rating changed the row since).
func Rerate(tx *store.Tx, idemkey, readPrice, readVersion string, r Rating) (bool, error) {
	out, err := tx.Exec(`UPDATE calls SET class=?, destination=?, matched_prefix=?, rate_id=?, tariff_version=?, billable_s=?,
		carrier_cost=?, price=?, amount_minor=?, currency=?, rated=?, rated_at=? WHERE idemkey=? AND price=? AND tariff_version=?`,
		r.Class, r.Destination, r.MatchedPrefix, r.RateID, r.TariffVersion, r.BillableS, r.CarrierCost,
		r.Price, r.AmountMinor, r.Currency, string(r.Rated), time.Now().UnixNano(), idemkey, readPrice, readVersion)
	if err != nil {
		return false, fmt.Errorf("call %s: %w", idemkey, err)
	}
	n, err := out.RowsAffected()
	return n == 1, err
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func nullBool(b *bool) any {
	if b == nil {
		return nil
	}
	return boolInt(*b)
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}
