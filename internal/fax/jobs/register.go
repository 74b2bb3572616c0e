package faxjobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"switchboard/internal/events"
	"switchboard/internal/store"
)

// Register statuses of a received fax.
const (
	Unassigned = "unassigned" // no guest found yet (no name, no room)
	Assigned   = "assigned"   // matched to a guest's current stay
	CheckedOut = "checked-out"
	Delivered  = "delivered"
	Archived   = "archived"  // unclaimed past the holding period
	Destroyed  = "destroyed" // files deleted; the register line stays
)

// Fax is one line of the register of received faxes (接收傳真程序: name,
// room, date, pages, time received, time delivered, recipient's signature).
type Fax struct {
	ID          int64
	Key         string // the driver's session key
	Device      string
	Received    time.Time
	Pages       int
	RemoteID    string
	BadLines    int
	Partial     bool // a page was cut or the sender did not end the call properly
	Complete    bool
	BitRate     int
	Error       string
	TIFF, PDF   string
	Status      string
	Room        string
	Name        string // the guest's name: for the register, never for events
	StayID      int64
	CheckedOut  *time.Time
	Assigned    *time.Time
	Delivered   *time.Time
	DeliveredBy string
	SignedBy    string
	Archived    *time.Time
	Destroyed   *time.Time
	Charge      string
}

// Registered reports whether the session keyed key is in the register.
func Registered(tx *store.Tx, key string) (bool, error) {
	var one int
	err := tx.QueryRow(`SELECT 1 FROM fax_register WHERE key=?`, key).Scan(&one)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("fax register %s: %w", key, err)
	}
	return true, nil
}

// Register adds a received fax as unassigned; dup is true (and id the
// existing line's) when the session was registered before.
func Register(tx *store.Tx, f Fax) (id int64, dup bool, err error) {
	err = tx.QueryRow(`SELECT id FROM fax_register WHERE key=?`, f.Key).Scan(&id)
	switch {
	case err == nil:
		return id, true, nil
	case !errors.Is(err, sql.ErrNoRows):
		return 0, false, err
	}
	res, err := tx.Exec(`INSERT INTO fax_register(key, device, received, pages, remote_id, bad_lines, partial, complete, bitrate, error, tiff, pdf, status)
		VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)`, f.Key, f.Device, f.Received.UnixNano(), f.Pages, f.RemoteID, f.BadLines, f.Partial, f.Complete,
		f.BitRate, f.Error, f.TIFF, f.PDF, Unassigned)
	if err != nil {
		return 0, false, fmt.Errorf("fax register: %w", err)
	}
	id, err = res.LastInsertId()
	return id, false, err
}

const faxCols = `id, key, device, received, pages, remote_id, bad_lines, partial, complete, bitrate, error, tiff, pdf, status, room, name,
	COALESCE(stay_id, 0), checked_out, assigned, delivered, delivered_by, signed_by, archived, destroyed, COALESCE(charge, '')`

func optTime(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := time.Unix(0, n.Int64)
	return &t
}

func scanFax(sc interface{ Scan(...any) error }) (Fax, error) {
	var f Fax
	var recv int64
	var co, as, de, ar, ds sql.NullInt64
	err := sc.Scan(&f.ID, &f.Key, &f.Device, &recv, &f.Pages, &f.RemoteID, &f.BadLines, &f.Partial, &f.Complete, &f.BitRate, &f.Error,
		&f.TIFF, &f.PDF, &f.Status, &f.Room, &f.Name, &f.StayID, &co, &as, &de, &f.DeliveredBy, &f.SignedBy, &ar, &ds, &f.Charge)
	if err != nil {
		return f, err
	}
	f.Received = time.Unix(0, recv)
	f.CheckedOut, f.Assigned, f.Delivered, f.Archived, f.Destroyed = optTime(co), optTime(as), optTime(de), optTime(ar), optTime(ds)
	return f, nil
}

// GetFax reads one register line.
func GetFax(ctx context.Context, st *store.Store, id int64) (Fax, error) {
	f, err := scanFax(st.QueryRow(ctx, `SELECT `+faxCols+` FROM fax_register WHERE id=?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return f, fmt.Errorf("fax %d: %w", id, ErrNotFound)
	}
	return f, err
}

// GetFaxTx reads one register line inside a transaction.
func GetFaxTx(tx *store.Tx, id int64) (Fax, error) {
	f, err := scanFax(tx.QueryRow(`SELECT `+faxCols+` FROM fax_register WHERE id=?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return f, fmt.Errorf("fax %d: %w", id, ErrNotFound)
	}
	return f, err
}

// Filter selects register lines.
type Filter struct {
	From, To   time.Time // received in [From, To); zero: no bound
	Unassigned bool      // only faxes nobody has been found for
}

// List reads the register in the order the faxes came in.
func List(ctx context.Context, st *store.Store, f Filter) ([]Fax, error) {
	lo, hi := int64(0), int64(1<<62)
	if !f.From.IsZero() {
		lo = f.From.UnixNano()
	}
	if !f.To.IsZero() {
		hi = f.To.UnixNano()
	}
	q := `SELECT ` + faxCols + ` FROM fax_register WHERE received >= ? AND received < ?`
	if f.Unassigned {
		q += ` AND status = 'unassigned'`
	}
	return store.All(ctx, st, scanFax, q+` ORDER BY received, id`, lo, hi)
}

// Assignment is who a fax was found to be for.
type Assignment struct {
	Room       string
	Name       string
	StayID     int64
	CheckedOut *time.Time // the guest had left: status checked-out
}

// Assign records who the fax is for. Delivered, archived or destroyed
// faxes cannot be reassigned.
func Assign(tx *store.Tx, id int64, a Assignment, now time.Time) (Fax, error) {
	f, err := GetFaxTx(tx, id)
	if err != nil {
		return f, err
	}
	switch f.Status {
	case Delivered, Archived, Destroyed:
		return f, fmt.Errorf("fax %d is %s", id, f.Status)
	}
	status := Assigned
	var co any
	if a.CheckedOut != nil {
		status, co = CheckedOut, a.CheckedOut.UnixNano()
	}
	var stay any
	if a.StayID != 0 {
		stay = a.StayID
	}
	if _, err := tx.Exec(`UPDATE fax_register SET status=?, room=?, name=?, stay_id=?, checked_out=?, assigned=? WHERE id=?`,
		status, a.Room, a.Name, stay, co, now.UnixNano(), id); err != nil {
		return f, err
	}
	return GetFaxTx(tx, id)
}

// Deliver records that the fax was handed over and signed for, and in which
// console shift (delivered_shift: the shift of the fax.deliver command
// being handled, tx's actor; NULL when no console shift sent it).
func Deliver(tx *store.Tx, id int64, by, signedBy, charge string, now time.Time) (Fax, error) {
	f, err := GetFaxTx(tx, id)
	if err != nil {
		return f, err
	}
	switch f.Status {
	case Delivered:
		return f, fmt.Errorf("fax %d was delivered on %s by %s", id, f.Delivered.Format(time.RFC3339), f.DeliveredBy)
	case Archived, Destroyed, CheckedOut:
		return f, fmt.Errorf("fax %d is %s", id, f.Status)
	}
	var ch any
	if charge != "" {
		ch = charge
	}
	shift := events.ShiftFrom(tx.Context())
	if _, err := tx.Exec(`UPDATE fax_register SET status='delivered', delivered=?, delivered_by=?, signed_by=?, charge=?, delivered_shift=? WHERE id=?`,
		now.UnixNano(), by, signedBy, ch, sql.NullInt64{Int64: shift, Valid: shift != 0}, id); err != nil {
		return f, err
	}
	return GetFaxTx(tx, id)
}

// Retention is how long unclaimed faxes are kept (接收傳真程序: no name
// and no room, keep 10 days, then archive; destroyed after 3 months).
type Retention struct {
	ArchiveAfter time.Duration // unassigned or checked-out, counted from reception
	DestroyAfter time.Duration // archived, counted from reception
}

// DefaultRetention is 10 days, then archive; destroyed after 90 days.
func DefaultRetention() Retention {
	return Retention{ArchiveAfter: 10 * 24 * time.Hour, DestroyAfter: 90 * 24 * time.Hour}
}

// DueArchive lists the unclaimed faxes (unassigned, or for a guest who
// had checked out) received before now - ArchiveAfter.
func DueArchive(ctx context.Context, st *store.Store, r Retention, now time.Time) ([]Fax, error) {
	return listWhere(ctx, st, `status IN ('unassigned','checked-out') AND received <= ?`, now.Add(-r.ArchiveAfter).UnixNano())
}

// DueDestroy lists the archived faxes received before now - DestroyAfter.
func DueDestroy(ctx context.Context, st *store.Store, r Retention, now time.Time) ([]Fax, error) {
	return listWhere(ctx, st, `status = 'archived' AND received <= ?`, now.Add(-r.DestroyAfter).UnixNano())
}

func listWhere(ctx context.Context, st *store.Store, where string, args ...any) ([]Fax, error) {
	return store.All(ctx, st, scanFax, `SELECT `+faxCols+` FROM fax_register WHERE `+where+` ORDER BY received, id`, args...)
}

// MarkArchived moves a fax to the archive (its files' new paths given);
// ok is false when its status changed meanwhile (claimed at the desk).
func MarkArchived(tx *store.Tx, id int64, tiff, pdf string, now time.Time) (ok bool, err error) {
	res, err := tx.Exec(`UPDATE fax_register SET status='archived', archived=?, tiff=?, pdf=? WHERE id=? AND status IN ('unassigned','checked-out')`,
		now.UnixNano(), tiff, pdf, id)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// MarkDestroyed records that a fax's files were deleted.
func MarkDestroyed(tx *store.Tx, id int64, now time.Time) (ok bool, err error) {
	res, err := tx.Exec(`UPDATE fax_register SET status='destroyed', destroyed=?, tiff='', pdf='' WHERE id=? AND status='archived'`, now.UnixNano(), id)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// Waiting counts the faxes assigned to the room's current guest (its open
// stay) and not delivered yet: the message lamp stays on while one waits.
// A departed guest's fax does not count.
func Waiting(tx *store.Tx, room string) (int, error) {
	var n int
	err := tx.QueryRow(`SELECT COUNT(*) FROM fax_register WHERE room=? AND status=?
		AND stay_id IN (SELECT id FROM stays WHERE room=? AND checkout IS NULL)`, room, Assigned, room).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("faxes waiting for room %s: %w", room, err)
	}
	return n, nil
}
