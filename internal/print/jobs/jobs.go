// Package jobs keeps the print desk's records in the store: the print jobs
// submitted through print.submit (the context billing needs, the spooled
// document and its retention, what the printer reported) and the walk-up
// copy sessions metered from a device's counter.
package jobs

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"switchboard/internal/events/printer"
	"switchboard/internal/store"
)

// ErrNotFound: no such job or session.
var ErrNotFound = sql.ErrNoRows

// followNS is the state area where the identity of each running job is
// kept (its row id -> Followed), to follow it again after a restart.
const followNS = "print.follow"

// Followed is a running job's identity as the driver reported it.
type Followed struct {
	UUID      string    `json:"uuid,omitempty"`
	Submitted time.Time `json:"submitted"`
}

func followKey(device string, row int64) string { return fmt.Sprintf("%s/%d", device, row) }

// Job is a print_jobs row: what print.submit asked and for whom.
type Job struct {
	Row       int64
	Device    string
	CommandID string
	Room      string
	Operator  string
	Name      string
	Format    string
	Copies    int
	Sides     string
	Color     string // monochrome, color
	Media     string
	Bytes     int
	Spool     string
	KeepUntil *time.Time
	Submitted time.Time
	// Shift is the console shift that sent the job (0: none, or a job
	// from before store migration 11): its charge, made when the job
	// ends, belongs to it.
	Shift int64
}

// nullShift is a shift as its nullable column keeps it (0: NULL).
func nullShift(sh int64) sql.NullInt64 { return sql.NullInt64{Int64: sh, Valid: sh != 0} }

// Submitting records a job about to be sent to its printer (state
// submitting, no job-id yet) and returns its row id.
func Submitting(tx *store.Tx, j Job) (int64, error) {
	var keep any
	if j.KeepUntil != nil {
		keep = j.KeepUntil.UnixNano()
	}
	res, err := tx.Exec(`INSERT INTO print_jobs(device, command_id, room, operator, name, format, copies, sides, color, media, bytes, spool, keep_until, submitted, state, shift)
		VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,'submitting',?)`,
		j.Device, j.CommandID, j.Room, j.Operator, j.Name, j.Format, j.Copies, j.Sides, j.Color, j.Media, j.Bytes, j.Spool, keep, j.Submitted.UnixNano(), nullShift(j.Shift))
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// Refused records that the printer refused a job being submitted.
func Refused(tx *store.Tx, row int64, reason string, at time.Time) error {
	_, err := tx.Exec(`UPDATE print_jobs SET state='refused', reasons=?, ended=? WHERE id=? AND state='submitting'`, reason, at.UnixNano(), row)
	return err
}

// Accepted records the job-id the printer gave a job.
func Accepted(tx *store.Tx, row int64, id printer.JobID) error {
	_, err := tx.Exec(`UPDATE print_jobs SET job_id=?, state=CASE WHEN state='submitting' THEN 'pending' ELSE state END WHERE id=?`, int(id), row)
	return err
}

// Unknown records a job that ended without print.submit having recorded
// it (billed without a room) and returns it.
func Unknown(tx *store.Tx, device string, d printer.JobDone, color string) (Job, error) {
	res, err := tx.Exec(`INSERT INTO print_jobs(device, job_id, command_id, room, operator, name, copies, sides, color, media, bytes, submitted, state)
		VALUES(?,?,'','','',?,?,?,?,?,0,?,'pending')`, device, int(d.JobID), d.Name, d.Copies, d.Sides, color, d.Media, d.At.UnixNano())
	if err != nil {
		return Job{}, err
	}
	id, _ := res.LastInsertId()
	return Job{Row: id, Device: device, Name: d.Name, Copies: d.Copies, Sides: d.Sides, Color: color, Media: d.Media, Submitted: d.At}, nil
}

// Get reads a job's row.
func Get(tx *store.Tx, row int64) (Job, error) {
	var j Job
	var keep, shift sql.NullInt64
	var submitted int64
	err := tx.QueryRow(`SELECT id, device, command_id, room, operator, name, format, copies, sides, color, media, bytes, spool, keep_until, submitted, shift
		FROM print_jobs WHERE id=?`, row).Scan(&j.Row, &j.Device, &j.CommandID, &j.Room, &j.Operator, &j.Name, &j.Format, &j.Copies, &j.Sides,
		&j.Color, &j.Media, &j.Bytes, &j.Spool, &keep, &submitted, &shift)
	if err != nil {
		return j, err
	}
	j.Shift = shift.Int64
	j.Submitted = time.Unix(0, submitted)
	if keep.Valid {
		k := time.Unix(0, keep.Int64)
		j.KeepUntil = &k
	}
	return j, nil
}

// RowOf finds the row of a job the driver reports. Among the running rows
// with its job-id (two share one when the printer restarted and reused
// it): the row whose kept job-uuid is uuid; else, when uuid is known, the
// newest row whose job-uuid is not known yet; else the newest. Failing
// that, the row being submitted (the printer can report a job before
// Print-Job has returned its id to the submitter; submissions to a device
// are serialized). ErrNotFound: none.
func RowOf(tx *store.Tx, device string, id printer.JobID, uuid string) (int64, error) {
	rows, err := tx.Query(`SELECT j.id, COALESCE(kv.value, '') FROM print_jobs j LEFT JOIN kv ON kv.ns=? AND kv.key=?||'/'||j.id
		WHERE j.device=? AND j.job_id=? AND j.ended IS NULL ORDER BY j.id DESC`, followNS, device, device, int(id))
	if err != nil {
		return 0, err
	}
	var newest, unknown, same int64
	for rows.Next() {
		var row int64
		var ident []byte
		if err := rows.Scan(&row, &ident); err != nil {
			rows.Close()
			return 0, err
		}
		var f Followed
		_ = json.Unmarshal(ident, &f)
		if newest == 0 {
			newest = row
		}
		if uuid != "" && f.UUID == uuid && same == 0 {
			same = row
		}
		if f.UUID == "" && unknown == 0 {
			unknown = row
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	switch {
	case same != 0:
		return same, nil
	case uuid != "" && unknown != 0:
		return unknown, nil
	case uuid == "" && newest != 0:
		return newest, nil
	}
	var row int64
	err = tx.QueryRow(`SELECT id FROM print_jobs WHERE device=? AND job_id IS NULL AND state='submitting' ORDER BY id DESC LIMIT 1`, device).Scan(&row)
	return row, err
}

// Progress records a running job's progress and keeps its identity for
// following it again after a restart. The row being submitted gets its
// job-id here: a gateway stopped before Print-Job returned can still
// resume the job.
func Progress(tx *store.Tx, device string, row int64, u printer.JobUpdate) error {
	if _, err := tx.Exec(`UPDATE print_jobs SET job_id=?, state=?, impressions=? WHERE id=?`, int(u.JobID), string(u.State), u.Impressions, row); err != nil {
		return err
	}
	b, err := json.Marshal(Followed{UUID: u.UUID, Submitted: u.Submitted})
	if err != nil {
		return err
	}
	return tx.Put(followNS, followKey(device, row), b)
}

// End is what the printer reported of a job that ended.
type End struct {
	JobID              printer.JobID
	State              string // completed, canceled, aborted, orphaned
	Reasons            string
	Impressions        int
	Sheets             int
	CounterImpressions int
	At                 time.Time
	Charge             string // business_charges idemkey
}

// Ended records a job's end and its charge; the job is no longer followed.
func Ended(tx *store.Tx, device string, row int64, e End) error {
	_, err := tx.Exec(`UPDATE print_jobs SET job_id=?, state=?, reasons=?, impressions=?, sheets=?, counter_impressions=?, ended=?, charge=? WHERE id=?`,
		int(e.JobID), e.State, e.Reasons, e.Impressions, e.Sheets, e.CounterImpressions, e.At.UnixNano(), e.Charge, row)
	if err != nil {
		return err
	}
	return tx.Delete(followNS, followKey(device, row))
}

// Running is a job a previous run left unfinished, to follow again.
type Running struct {
	Row         int64
	JobID       printer.JobID
	Job         printer.Job
	State       printer.JobState
	Impressions int
	// Followed is the identity kept (nil: the gateway stopped before the
	// printer's first answer was kept).
	Followed  *Followed
	Submitted time.Time
}

// Unfinished returns the device's jobs a previous run left running, after
// marking orphaned those that cannot be followed again: sent, but the
// printer's job-id never came back (the gateway stopped during Print-Job).
// orphaned is how many were.
func Unfinished(tx *store.Tx, device string, at time.Time, why string) (out []Running, orphaned int64, err error) {
	res, err := tx.Exec(`UPDATE print_jobs SET state='orphaned', ended=?, reasons=? WHERE device=? AND ended IS NULL AND job_id IS NULL`,
		at.UnixNano(), why, device)
	if err != nil {
		return nil, 0, err
	}
	orphaned, _ = res.RowsAffected()
	rows, err := tx.Query(`SELECT j.id, j.job_id, j.name, j.format, j.copies, j.sides, j.color, j.media, j.operator, j.spool, j.submitted, j.state, j.impressions, kv.value
		FROM print_jobs j LEFT JOIN kv ON kv.ns=? AND kv.key=?||'/'||j.id WHERE j.device=? AND j.ended IS NULL ORDER BY j.id`, followNS, device, device)
	if err != nil {
		return nil, orphaned, err
	}
	defer rows.Close()
	for rows.Next() {
		var r Running
		var id, submitted int64
		var state string
		var ident []byte
		jb := &r.Job
		if err := rows.Scan(&r.Row, &id, &jb.Name, &jb.Format, &jb.Copies, &jb.Sides, &jb.ColorMode, &jb.Media, &jb.User, &jb.Path,
			&submitted, &state, &r.Impressions, &ident); err != nil {
			return nil, orphaned, err
		}
		r.JobID, r.State, r.Submitted = printer.JobID(id), printer.JobState(state), time.Unix(0, submitted)
		var f Followed
		if len(ident) > 0 && json.Unmarshal(ident, &f) == nil {
			r.Followed = &f
		}
		out = append(out, r)
	}
	return out, orphaned, rows.Err()
}

// Spooled is a job's spooled document.
type Spooled struct {
	Row  int64
	Path string
}

// Expired lists the spooled documents of jobs that ended and that nobody
// asked to keep, or kept past their date.
func Expired(ctx context.Context, st *store.Store, now time.Time) ([]Spooled, error) {
	return store.All(ctx, st, func(sc store.Scanner) (Spooled, error) {
		var s Spooled
		err := sc.Scan(&s.Row, &s.Path)
		return s, err
	}, `SELECT id, spool FROM print_jobs WHERE spool <> '' AND ended IS NOT NULL AND (keep_until IS NULL OR keep_until <= ?)`, now.UnixNano())
}

// SpoolDeleted records that a job's document was deleted.
func SpoolDeleted(tx *store.Tx, row int64, at time.Time) error {
	_, err := tx.Exec(`UPDATE print_jobs SET spool='', deleted=? WHERE id=?`, at.UnixNano(), row)
	return err
}

// Status is a job's state and impressions so far, and its charge's
// idemkey once it ended ("" before).
type Status struct {
	State       string
	Impressions int
	Charge      string
}

// StatusOf reads a job's state.
func StatusOf(ctx context.Context, st *store.Store, row int64) (Status, error) {
	var s Status
	var charge sql.NullString
	err := st.QueryRow(ctx, `SELECT state, impressions, charge FROM print_jobs WHERE id=?`, row).Scan(&s.State, &s.Impressions, &charge)
	s.Charge = charge.String
	return s, err
}

// RunningOn counts the device's jobs that have not ended.
func RunningOn(ctx context.Context, st *store.Store, device string) (int, error) {
	var n int
	err := st.QueryRow(ctx, `SELECT COUNT(*) FROM print_jobs WHERE device=? AND ended IS NULL`, device).Scan(&n)
	return n, err
}

// EndedBetween lists the jobs of a device that ended in (from, to] and
// added to its counter: when they ended and how much.
func EndedBetween(ctx context.Context, st *store.Store, device string, from, to time.Time) ([]printer.JobDone, error) {
	return store.All(ctx, st, func(sc store.Scanner) (printer.JobDone, error) {
		var at int64
		var n int
		err := sc.Scan(&at, &n)
		return printer.JobDone{At: time.Unix(0, at), CounterImpressions: n}, err
	}, `SELECT ended, counter_impressions FROM print_jobs WHERE device=? AND ended > ? AND ended <= ? AND counter_impressions > 0`,
		device, from.UnixNano(), to.UnixNano())
}

// Session is a walk-up copy session.
type Session struct {
	ID        int64
	Device    string
	Room      string
	Operator  string
	Media     string
	Color     string
	CommandID string
	Start     printer.Counters // the start reading
	// Shift is the console shift that started the session (0: none): its
	// charge, made when the session stops, belongs to it.
	Shift int64
}

// OpenSession is the device's open copy session; ok is false when none is.
func OpenSession(ctx context.Context, st *store.Store, device string) (s Session, ok bool, err error) {
	var started int64
	var source string
	var shift sql.NullInt64
	err = st.QueryRow(ctx, `SELECT id, device, room, operator, media, color, command_id, started, source, start_count, shift FROM copy_sessions WHERE device=? AND status='open'`, device).
		Scan(&s.ID, &s.Device, &s.Room, &s.Operator, &s.Media, &s.Color, &s.CommandID, &started, &source, &s.Start.Impressions, &shift)
	s.Shift = shift.Int64
	if errors.Is(err, sql.ErrNoRows) {
		return s, false, nil
	}
	if err != nil {
		return s, false, err
	}
	s.Start.At, s.Start.Source, s.Start.Color, s.Start.Mono = time.Unix(0, started), printer.CounterSource(source), -1, -1
	return s, true, nil
}

// StartSession opens a copy session at its start reading.
func StartSession(tx *store.Tx, s Session) (int64, error) {
	res, err := tx.Exec(`INSERT INTO copy_sessions(device, room, operator, media, color, command_id, started, source, start_count, status, shift) VALUES(?,?,?,?,?,?,?,?,?,'open',?)`,
		s.Device, s.Room, s.Operator, s.Media, s.Color, s.CommandID, s.Start.At.UnixNano(), string(s.Start.Source), s.Start.Impressions, nullShift(s.Shift))
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// VoidSession closes an open session without billing it.
func VoidSession(tx *store.Tx, id int64, at time.Time, reason string) error {
	_, err := tx.Exec(`UPDATE copy_sessions SET status='void', stopped=?, reason=? WHERE id=? AND status='open'`, at.UnixNano(), reason, id)
	return err
}

// BillSession closes a session with its end reading and charge.
func BillSession(tx *store.Tx, id int64, end printer.Counters, printed, pages int64, charge string) error {
	_, err := tx.Exec(`UPDATE copy_sessions SET status='billed', stopped=?, end_count=?, printed=?, pages=?, charge=? WHERE id=?`,
		end.At.UnixNano(), end.Impressions, printed, pages, charge, id)
	return err
}

// FollowedOf is the identity kept for a running job (ok false: none yet).
func FollowedOf(ctx context.Context, st *store.Store, device string, row int64) (f Followed, ok bool, err error) {
	b, ok, err := st.Get(ctx, followNS, followKey(device, row))
	if err != nil || !ok {
		return f, false, err
	}
	return f, true, json.Unmarshal(b, &f)
}
