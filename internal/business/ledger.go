package business

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"switchboard/internal/events"
	"switchboard/internal/rating"
	"switchboard/internal/store"
)

// Entry is one row of the business-centre ledger: an item billed once,
// under its idemkey, in the transaction that enqueued its event (Seq).
type Entry struct {
	IdemKey  string
	Service  string // rating.ServicePrint, ServiceCopy, ServiceFaxSend, ServiceFaxReceive
	Device   string
	Ref      string // print/{job row}, copy/{session}, fax-job/{job}, fax/{register id}
	Room     string
	Operator string
	At       time.Time // when the service ended
	Units    int64     // impressions (print, copy) or pages (fax)
	Size     string    // A4, A3 ('' for fax)
	Color    bool
	Duplex   bool
	State    string // completed, partial, canceled, aborted
	Price    Price
	Tariff   string
	Seq      int64
	// Shift is the console shift the charge belongs to: the shift the
	// desk copied onto the job or session it bills (a print job that ends
	// after its command, billed by the device's report). 0: the shift of
	// the command being handled (the transaction context's actor), if any.
	Shift int64
}

// shiftOf is the shift an entry is recorded under: its own, else the
// command's (tx's actor), else none (NULL: no console command caused it).
func shiftOf(tx *store.Tx, e Entry) sql.NullInt64 {
	sh := e.Shift
	if sh == 0 {
		sh = events.ShiftFrom(tx.Context())
	}
	return sql.NullInt64{Int64: sh, Valid: sh != 0}
}

// Record writes an entry, under its console shift (Entry.Shift). A second
// entry with the same idemkey is refused by the table's key: an item is
// billed once.
func Record(tx *store.Tx, e Entry) error {
	lines, err := json.Marshal(e.Price.Lines())
	if err != nil {
		return fmt.Errorf("business charge %s: breakdown: %w", e.IdemKey, err)
	}
	_, err = tx.Exec(`INSERT INTO business_charges(idemkey, service, device, ref, room, operator, at, units, size, color, duplex, state,
		amount, amount_minor, currency, tariff, breakdown, unbilled, seq, shift) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		e.IdemKey, e.Service, e.Device, e.Ref, e.Room, e.Operator, e.At.UnixNano(), e.Units, e.Size, e.Color, e.Duplex, e.State,
		e.Price.Price.String(), e.Price.Minor, e.Price.Currency, e.Tariff, string(lines), e.Price.Unbilled, e.Seq, shiftOf(tx, e))
	if err != nil {
		return fmt.Errorf("business charge %s: %w", e.IdemKey, err)
	}
	return nil
}

// Billed reports whether an item was billed under idemkey.
func Billed(tx *store.Tx, idemkey string) (bool, error) {
	var one int
	err := tx.QueryRow(`SELECT 1 FROM business_charges WHERE idemkey=?`, idemkey).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// Posted is a billed item as a reply or a later event reads it back.
type Posted struct {
	IdemKey     string
	Units       int64
	Amount      rating.Money
	AmountMinor int64
	Currency    string
	Breakdown   []events.Line
	Unbilled    string
}

func scanPosted(sc store.Scanner) (Posted, error) {
	var p Posted
	var amount, breakdown string
	if err := sc.Scan(&p.IdemKey, &p.Units, &amount, &p.AmountMinor, &p.Currency, &breakdown, &p.Unbilled); err != nil {
		return p, err
	}
	var err error
	if p.Amount, err = rating.ParseMoney(amount); err != nil {
		return p, fmt.Errorf("business charge %s: %w", p.IdemKey, err)
	}
	_ = json.Unmarshal([]byte(breakdown), &p.Breakdown)
	return p, nil
}

const postedCols = `idemkey, units, amount, amount_minor, currency, breakdown, unbilled`

// ForRef lists what was billed for one item of a device (the attempts of
// a fax job), in the order they were billed.
func ForRef(tx *store.Tx, service, device, ref string) ([]Posted, error) {
	rows, err := tx.Query(`SELECT `+postedCols+` FROM business_charges WHERE service=? AND device=? AND ref=? ORDER BY at, idemkey`,
		service, device, ref)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Posted
	for rows.Next() {
		p, err := scanPosted(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// Get reads the entry billed under idemkey; ok is false when there is none.
func Get(ctx context.Context, st *store.Store, idemkey string) (p Posted, ok bool, err error) {
	p, err = scanPosted(st.QueryRow(ctx, `SELECT `+postedCols+` FROM business_charges WHERE idemkey=?`, idemkey))
	if errors.Is(err, sql.ErrNoRows) {
		return p, false, nil
	}
	return p, err == nil, err
}
