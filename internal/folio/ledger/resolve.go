package ledger

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"switchboard/internal/store"
)

// Reader is a transaction or the store read outside one: what the
// resolution reads need (a command is checked before its transaction).
type Reader interface {
	QueryRow(query string, args ...any) *sql.Row
}

// StoreReader reads st outside a transaction, under ctx.
func StoreReader(ctx context.Context, st *store.Store) Reader { return storeReader{ctx, st} }

type storeReader struct {
	ctx context.Context
	st  *store.Store
}

func (r storeReader) QueryRow(q string, args ...any) *sql.Row {
	return r.st.QueryRow(r.ctx, q, args...)
}

// Stored is a call as a resolution reads it: what was decided and posted,
// and what rating and a charge event need.
type Stored struct {
	IdemKey, Device, Direction, Extension, Room, Dialed, Trunk, PBXCost string
	JournalID                                                           int64
	Start                                                               time.Time
	DurationS                                                           int
	Answered                                                            *bool
	Rating
	Flags       []string
	Posted      bool
	NotPosted   string
	StayID      int64
	Reservation string
	Late        bool
	ChargedSeq  int64
}

// ErrNoCall is a call the ledger does not hold.
var ErrNoCall = errors.New("no such call in the ledger")

// Get reads one call by its idemkey (ErrNoCall: none).
func Get(r Reader, idemkey string) (Stored, error) {
	var c Stored
	var start int64
	var answered, stay, charged sql.NullInt64
	var flags, rated string
	var posted, late int
	err := r.QueryRow(`SELECT idemkey, device, direction, extension, room, dialed, trunk, pbx_cost, journal_id, start, duration_s, answered,
		class, destination, matched_prefix, rate_id, tariff_version, billable_s, carrier_cost, price, amount_minor, currency, rated,
		flags, posted, not_posted, stay_id, reservation, late, charged_seq FROM calls WHERE idemkey=?`, idemkey).
		Scan(&c.IdemKey, &c.Device, &c.Direction, &c.Extension, &c.Room, &c.Dialed, &c.Trunk, &c.PBXCost, &c.JournalID, &start, &c.DurationS, &answered,
			&c.Class, &c.Destination, &c.MatchedPrefix, &c.RateID, &c.TariffVersion, &c.BillableS, &c.CarrierCost, &c.Price, &c.AmountMinor, &c.Currency, &rated,
			&flags, &posted, &c.NotPosted, &stay, &c.Reservation, &late, &charged)
	if errors.Is(err, sql.ErrNoRows) {
		return c, ErrNoCall
	}
	if err != nil {
		return c, fmt.Errorf("call %s: %w", idemkey, err)
	}
	c.Start, c.Posted, c.Late, c.StayID, c.ChargedSeq, c.Rated = time.Unix(0, start), posted != 0, late != 0, stay.Int64, charged.Int64, []byte(rated)
	if answered.Valid {
		a := answered.Int64 != 0
		c.Answered = &a
	}
	if flags != "" && flags != "null" {
		if err := json.Unmarshal([]byte(flags), &c.Flags); err != nil {
			return c, fmt.Errorf("call %s flags: %w", idemkey, err)
		}
	}
	return c, nil
}

// Resolution is how a person settled a flagged call (跑帳/漏帳): posted to
// a room, written off, or re-rated and posted; who, when and why.
type Resolution struct {
	Call        string    `json:"call"`
	CallStart   time.Time `json:"call_start"`
	Action      string    `json:"action"`
	Reason      string    `json:"reason"`
	Room        string    `json:"room,omitempty"`
	StayID      int64     `json:"stay_id,omitempty"`
	Price       string    `json:"price,omitempty"`
	AmountMinor int64     `json:"amount_minor"`
	Currency    string    `json:"currency,omitempty"`
	Manual      bool      `json:"manual,omitempty"`
	Principal   string    `json:"principal"`
	Role        string    `json:"role,omitempty"`
	CommandID   string    `json:"command_id,omitempty"`
	Resolved    time.Time `json:"resolved"`
	EventSeq    int64     `json:"event_seq"`
	ChargeSeq   int64     `json:"charge_seq,omitempty"`
}

const resolutionCols = `call, call_start, action, reason, room, stay_id, price, amount_minor, currency, manual, principal, role, command_id, resolved, event_seq, charge_seq`

func scanResolution(sc interface{ Scan(...any) error }) (Resolution, error) {
	var r Resolution
	var start, at int64
	var stay, charge sql.NullInt64
	var manual int
	if err := sc.Scan(&r.Call, &start, &r.Action, &r.Reason, &r.Room, &stay, &r.Price, &r.AmountMinor, &r.Currency, &manual,
		&r.Principal, &r.Role, &r.CommandID, &at, &r.EventSeq, &charge); err != nil {
		return r, err
	}
	r.CallStart, r.Resolved, r.StayID, r.ChargeSeq, r.Manual = time.Unix(0, start), time.Unix(0, at), stay.Int64, charge.Int64, manual != 0
	return r, nil
}

// ResolutionOf reads a call's resolution; ok is false when it has none.
func ResolutionOf(r Reader, call string) (res Resolution, ok bool, err error) {
	res, err = scanResolution(r.QueryRow(`SELECT `+resolutionCols+` FROM call_resolutions WHERE call=?`, call))
	if errors.Is(err, sql.ErrNoRows) {
		return res, false, nil
	}
	if err != nil {
		return res, false, fmt.Errorf("resolution of call %s: %w", call, err)
	}
	return res, true, nil
}

// Resolve records a resolution once. A call resolved already keeps its
// first resolution, which is returned with ok false.
func Resolve(tx *store.Tx, r Resolution) (first Resolution, ok bool, err error) {
	out, err := tx.Exec(`INSERT INTO call_resolutions(`+resolutionCols+`) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(call) DO NOTHING`,
		r.Call, r.CallStart.UnixNano(), r.Action, r.Reason, r.Room, nullID(r.StayID), r.Price, r.AmountMinor, r.Currency, boolInt(r.Manual),
		r.Principal, r.Role, r.CommandID, r.Resolved.UnixNano(), r.EventSeq, nullID(r.ChargeSeq))
	if err != nil {
		return r, false, fmt.Errorf("resolve call %s: %w", r.Call, err)
	}
	if n, err := out.RowsAffected(); err != nil || n == 1 {
		return r, err == nil, err
	}
	first, _, err = ResolutionOf(tx, r.Call)
	return first, false, err
}

// Resolutions reads the resolutions of the calls that started in
// [from, to), by call.
func Resolutions(ctx context.Context, st *store.Store, from, to time.Time) (map[string]Resolution, error) {
	rows, err := st.Query(ctx, `SELECT `+resolutionCols+` FROM call_resolutions WHERE call_start >= ? AND call_start < ?`, from.UnixNano(), to.UnixNano())
	if err != nil {
		return nil, fmt.Errorf("read call resolutions: %w", err)
	}
	defer rows.Close()
	out := map[string]Resolution{}
	for rows.Next() {
		r, err := scanResolution(rows)
		if err != nil {
			return nil, fmt.Errorf("read call resolutions: %w", err)
		}
		out[r.Call] = r
	}
	return out, rows.Err()
}

// FlaggedCounts counts the flagged calls that started in [from, to):
// those still to resolve and those resolved.
func FlaggedCounts(ctx context.Context, st *store.Store, from, to time.Time) (open, resolved int, err error) {
	err = st.QueryRow(ctx, `SELECT COALESCE(SUM(r.call IS NULL),0), COALESCE(SUM(r.call IS NOT NULL),0)
		FROM calls c LEFT JOIN call_resolutions r ON r.call = c.idemkey
		WHERE c.start >= ? AND c.start < ? AND c.flags NOT IN ('', '[]', 'null')`, from.UnixNano(), to.UnixNano()).Scan(&open, &resolved)
	if err != nil {
		return 0, 0, fmt.Errorf("count flagged calls: %w", err)
	}
	return open, resolved, nil
}

// Posted marks a call posted by its resolution: to room and stay, with its
// charge event; r (not nil) is the rating it was posted with.
func Posted(tx *store.Tx, idemkey, room string, stayID int64, reservation string, late bool, chargedSeq int64, r *Rating) error {
	q := `UPDATE calls SET posted=1, not_posted='', room=?, stay_id=?, reservation=?, late=?, charged_seq=?`
	args := []any{room, nullID(stayID), reservation, boolInt(late), chargedSeq}
	if r != nil {
		q += `, class=?, destination=?, matched_prefix=?, rate_id=?, tariff_version=?, billable_s=?, carrier_cost=?, price=?, amount_minor=?,
			currency=?, rated=?, rated_at=?`
		args = append(args, r.Class, r.Destination, r.MatchedPrefix, r.RateID, r.TariffVersion, r.BillableS, r.CarrierCost, r.Price, r.AmountMinor,
			r.Currency, string(r.Rated), time.Now().UnixNano())
	}
	return updateOne(tx, idemkey, q+` WHERE idemkey=? AND posted=0`, append(args, idemkey)...)
}

// WrittenOff marks a posted call as no longer posted: the hotel absorbed
// it (its charge was credited back); why says so in not_posted.
func WrittenOff(tx *store.Tx, idemkey, why string) error {
	return updateOne(tx, idemkey, `UPDATE calls SET posted=0, not_posted=? WHERE idemkey=? AND posted=1`, why, idemkey)
}

func updateOne(tx *store.Tx, idemkey, q string, args ...any) error {
	out, err := tx.Exec(q, args...)
	if err != nil {
		return fmt.Errorf("call %s: %w", idemkey, err)
	}
	n, err := out.RowsAffected()
	if err != nil {
		return fmt.Errorf("call %s: %w", idemkey, err)
	}
	if n != 1 {
		return fmt.Errorf("call %s changed while being resolved (re-rated or posted meanwhile?): look at it again", idemkey)
	}
	return nil
}
