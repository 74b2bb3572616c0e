// Package faxjobs keeps the fax work of the business center in the store:
// the queue of faxes to send with its retry policy (busy, no answer), the
// register of received faxes (who it is for, delivered when and to whom)
// and the retention of faxes nobody claimed. It decides and records; it
// never dials, rates or publishes (the fax desk, internal/faxdesk, does, in
// the same transactions).
package faxjobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"switchboard/internal/store"
)

// Job states.
const (
	Queued  = "queued"  // waiting for its first attempt
	Sending = "sending" // the modem is on it
	Retry   = "retry"   // an attempt failed retryably; next_at says when
	Sent    = "sent"    // every page confirmed
	Failed  = "failed"  // given up (or some pages confirmed and the call cut)
)

// Policy is how often a fax is tried: busy and no answer are tried again
// (front office practice: three attempts, three minutes apart).
type Policy struct {
	Attempts int           // attempts in all (1: no retry)
	Interval time.Duration // between the end of one attempt and the next
}

// DefaultPolicy is three attempts, three minutes apart.
func DefaultPolicy() Policy { return Policy{Attempts: 3, Interval: 3 * time.Minute} }

// ErrNotFound is returned for an unknown job or fax id.
var ErrNotFound = errors.New("no such fax")

// Job is one fax to send.
type Job struct {
	ID          int64
	CommandID   string
	Device      string
	Number      string // as given
	Dial        string // what the modem dials
	Canonical   string // country code + national number
	Kind        string // local, national, mobile, international
	Zone        string // domestic, international
	Destination string
	Room        string
	Operator    string
	Document    string // TIFF Class F file
	Pages       int
	Fine        bool
	Quote       string // JSON of the quote
	State       string
	Attempts    int
	MaxAttempts int
	RetryEvery  time.Duration
	NextAt      time.Time
	Created     time.Time
	Updated     time.Time
	LastError   string
	Confirmed   int // pages confirmed over all attempts
	BitRate     int
	RemoteID    string
	Started     time.Time
	Duration    time.Duration
	Report      string // transmission report PDF
	Result      string // JSON of the per-page results, in the job's page numbers, over all attempts
	Charge      string
	// Shift is the console shift that sent the fax (0: none, or a job from
	// before store migration 11): the charges of its attempts, made by
	// the send queue later, belong to it.
	Shift int64
}

// Final is true once the job will not be tried again.
func (j Job) Final() bool { return j.State == Sent || j.State == Failed }

// Enqueue stores a new job, due at once; it returns its id. The policy in
// force is stored with the job.
func Enqueue(tx *store.Tx, j Job, p Policy, now time.Time) (int64, error) {
	if p.Attempts < 1 {
		p.Attempts = 1
	}
	res, err := tx.Exec(`INSERT INTO fax_jobs(command_id, device, number, dial, canonical, kind, zone, destination, room, operator,
		document, pages, fine, quote, state, max_attempts, retry_every, next_at, created, updated, shift)
		VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		j.CommandID, j.Device, j.Number, j.Dial, j.Canonical, j.Kind, j.Zone, j.Destination, j.Room, j.Operator,
		j.Document, j.Pages, j.Fine, j.Quote, Queued, p.Attempts, int64(p.Interval), now.UnixNano(), now.UnixNano(), now.UnixNano(),
		sql.NullInt64{Int64: j.Shift, Valid: j.Shift != 0})
	if err != nil {
		return 0, fmt.Errorf("fax job: %w", err)
	}
	return res.LastInsertId()
}

// SetQuote stores the quote of a job (its JSON, which carries the job's id).
func SetQuote(tx *store.Tx, id int64, quote string) error {
	if _, err := tx.Exec(`UPDATE fax_jobs SET quote=? WHERE id=?`, quote, id); err != nil {
		return fmt.Errorf("fax job %d quote: %w", id, err)
	}
	return nil
}

const jobCols = `id, command_id, device, number, dial, canonical, kind, zone, destination, room, operator, document, pages, fine, quote,
	state, attempts, max_attempts, retry_every, next_at, created, updated, last_error, confirmed, bitrate, remote_id, started, duration,
	report, result, COALESCE(charge, ''), COALESCE(shift, 0)`

func scanJob(sc interface{ Scan(...any) error }) (Job, error) {
	var j Job
	var every, next, created, updated, dur int64
	var started sql.NullInt64
	err := sc.Scan(&j.ID, &j.CommandID, &j.Device, &j.Number, &j.Dial, &j.Canonical, &j.Kind, &j.Zone, &j.Destination, &j.Room,
		&j.Operator, &j.Document, &j.Pages, &j.Fine, &j.Quote, &j.State, &j.Attempts, &j.MaxAttempts, &every, &next, &created, &updated,
		&j.LastError, &j.Confirmed, &j.BitRate, &j.RemoteID, &started, &dur, &j.Report, &j.Result, &j.Charge, &j.Shift)
	if err != nil {
		return j, err
	}
	j.RetryEvery, j.Duration = time.Duration(every), time.Duration(dur)
	j.NextAt, j.Created, j.Updated = time.Unix(0, next), time.Unix(0, created), time.Unix(0, updated)
	if started.Valid {
		j.Started = time.Unix(0, started.Int64)
	}
	return j, nil
}

// GetJob reads one job.
func GetJob(ctx context.Context, st *store.Store, id int64) (Job, error) {
	j, err := scanJob(st.QueryRow(ctx, `SELECT `+jobCols+` FROM fax_jobs WHERE id=?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return j, fmt.Errorf("fax job %d: %w", id, ErrNotFound)
	}
	return j, err
}

// JobByCommand reads the job a fax.send command made.
func JobByCommand(ctx context.Context, st *store.Store, commandID string) (Job, error) {
	j, err := scanJob(st.QueryRow(ctx, `SELECT `+jobCols+` FROM fax_jobs WHERE command_id=?`, commandID))
	if errors.Is(err, sql.ErrNoRows) {
		return j, fmt.Errorf("fax job of command %s: %w", commandID, ErrNotFound)
	}
	return j, err
}

// Due lists the jobs whose attempt is due at now, oldest first.
func Due(ctx context.Context, st *store.Store, now time.Time) ([]Job, error) {
	return queryJobs(ctx, st, `SELECT `+jobCols+` FROM fax_jobs WHERE state IN ('queued','retry') AND next_at <= ? ORDER BY next_at, id`, now.UnixNano())
}

// Jobs lists the jobs created in [from, to) (zero times: no bound), newest last.
func Jobs(ctx context.Context, st *store.Store, from, to time.Time) ([]Job, error) {
	lo, hi := int64(0), int64(1<<62)
	if !from.IsZero() {
		lo = from.UnixNano()
	}
	if !to.IsZero() {
		hi = to.UnixNano()
	}
	return queryJobs(ctx, st, `SELECT `+jobCols+` FROM fax_jobs WHERE created >= ? AND created < ? ORDER BY id`, lo, hi)
}

func queryJobs(ctx context.Context, st *store.Store, q string, args ...any) ([]Job, error) {
	return store.All(ctx, st, scanJob, q, args...)
}

// Claim marks a due job as being sent and counts the attempt; ok is false
// when the job is not due any more (claimed or cancelled meanwhile).
func Claim(tx *store.Tx, id int64, now time.Time) (ok bool, err error) {
	res, err := tx.Exec(`UPDATE fax_jobs SET state='sending', attempts=attempts+1, started=?, updated=? WHERE id=? AND state IN ('queued','retry')`,
		now.UnixNano(), now.UnixNano(), id)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// Unclaim gives back an attempt that never placed a call (a stop cut it off
// before the dial): the job is due again at now, its attempt not counted.
func Unclaim(tx *store.Tx, id int64, now time.Time, why string) error {
	_, err := tx.Exec(`UPDATE fax_jobs SET state=CASE WHEN attempts > 1 THEN 'retry' ELSE 'queued' END, attempts=attempts-1,
		next_at=?, updated=?, last_error=? WHERE id=? AND state='sending'`, now.UnixNano(), now.UnixNano(), why, id)
	return err
}

// Requeue gives back an attempt a stop cut off before any page was
// confirmed: the job is due again at next, its attempt not counted. A job
// that is not being sent is left as it is.
func Requeue(tx *store.Tx, id int64, next time.Time) error {
	_, err := tx.Exec(`UPDATE fax_jobs SET state='retry', attempts=attempts-1, next_at=? WHERE id=? AND state='sending'`, next.UnixNano(), id)
	if err != nil {
		return fmt.Errorf("fax job %d requeue: %w", id, err)
	}
	return nil
}

// Outcome is what one attempt came to.
type Outcome struct {
	Pages     int  // pages in the job
	Confirmed int  // pages the receiver confirmed (MCF, RTP, PIP)
	Retryable bool // busy, no answer, no carrier, timeouts
	Error     string
}

// Decide says what follows an attempt (the job's Attempts already counts
// it; o.Pages is the pages this attempt was to send, the ones not
// confirmed before): sent when every page was confirmed; another attempt
// after the interval when it failed retryably (busy, no answer, or a line
// cut after some pages went through) and attempts remain; failed
// otherwise. The pages a cut attempt had confirmed are billed with its
// call and are not sent again: the next attempt sends only the others.
func Decide(j Job, o Outcome, now time.Time) (state string, next time.Time) {
	switch {
	case o.Error == "" && o.Confirmed >= o.Pages && o.Pages > 0:
		return Sent, now
	case o.Confirmed < o.Pages && o.Retryable && j.Attempts < j.MaxAttempts:
		return Retry, now.Add(j.RetryEvery)
	}
	return Failed, now
}

// Attempt is what the fax desk records of one attempt.
type Attempt struct {
	Outcome
	BitRate  int
	RemoteID string
	Start    time.Time
	Duration time.Duration
	Report   string // transmission report PDF
	Result   string // JSON per page
	Charge   string // business_charges idemkey ('' if nothing billed)
	// Total is the pages confirmed over every attempt so far, this one
	// included (stored in the job's confirmed column).
	Total int
}

// Finish records an attempt and the state Decide chose.
func Finish(tx *store.Tx, id int64, a Attempt, state string, next, now time.Time) error {
	var charge any
	if a.Charge != "" {
		charge = a.Charge
	}
	_, err := tx.Exec(`UPDATE fax_jobs SET state=?, next_at=?, updated=?, last_error=?, confirmed=?, bitrate=?, remote_id=?, started=?,
		duration=?, report=CASE WHEN ?='' THEN report ELSE ? END, result=?, charge=COALESCE(?, charge) WHERE id=?`,
		state, next.UnixNano(), now.UnixNano(), a.Error, a.Total, a.BitRate, a.RemoteID, a.Start.UnixNano(),
		int64(a.Duration), a.Report, a.Report, a.Result, charge, id)
	return err
}

// Interrupted lists the jobs a stop left in the sending state: whether the
// fax went through is unknown (the driver's journal has the session).
func Interrupted(ctx context.Context, st *store.Store) ([]Job, error) {
	return queryJobs(ctx, st, `SELECT `+jobCols+` FROM fax_jobs WHERE state='sending' ORDER BY id`)
}
