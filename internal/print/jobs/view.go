package jobs

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"switchboard/internal/events/printer"
	"switchboard/internal/store"
)

// JobView is a print job as the console's job page shows it: what was
// asked, how far the printer got, and what happened to the document.
type JobView struct {
	Job
	JobID       int    // the printer's job-id; 0 before it answered
	State       string // submitting, pending, processing, completed, canceled, aborted, refused, orphaned
	Reasons     string
	Impressions int
	Sheets      int
	Ended       time.Time // zero while running
	Charge      string    // business_charges idemkey once billed
	Deleted     time.Time // when the spooled document was deleted; zero: kept or not yet
}

// Running: the job has not ended.
func (j JobView) Running() bool { return j.Ended.IsZero() }

const jobViewCols = `id, device, command_id, room, operator, name, format, copies, sides, color, media, bytes, spool, keep_until, submitted,
	COALESCE(job_id, 0), state, reasons, impressions, sheets, ended, COALESCE(charge, ''), deleted`

func scanJobView(sc store.Scanner) (JobView, error) {
	var j JobView
	var keep, ended, deleted sql.NullInt64
	var submitted int64
	err := sc.Scan(&j.Row, &j.Device, &j.CommandID, &j.Room, &j.Operator, &j.Name, &j.Format, &j.Copies, &j.Sides, &j.Color, &j.Media,
		&j.Bytes, &j.Spool, &keep, &submitted, &j.JobID, &j.State, &j.Reasons, &j.Impressions, &j.Sheets, &ended, &j.Charge, &deleted)
	if err != nil {
		return j, err
	}
	j.Submitted = time.Unix(0, submitted)
	if keep.Valid {
		k := time.Unix(0, keep.Int64)
		j.KeepUntil = &k
	}
	if ended.Valid {
		j.Ended = time.Unix(0, ended.Int64)
	}
	if deleted.Valid {
		j.Deleted = time.Unix(0, deleted.Int64)
	}
	return j, nil
}

// ByCommand is the job print.submit command id recorded; ok is false when
// none did (the command was refused before the job was recorded).
func ByCommand(ctx context.Context, st *store.Store, commandID string) (j JobView, ok bool, err error) {
	j, err = scanJobView(st.QueryRow(ctx, `SELECT `+jobViewCols+` FROM print_jobs WHERE command_id=? AND command_id <> '' ORDER BY id DESC LIMIT 1`, commandID))
	if errors.Is(err, sql.ErrNoRows) {
		return j, false, nil
	}
	return j, err == nil, err
}

// Recent lists the newest jobs, newest first, at most limit: a walk down
// the primary key (rows are added as jobs are submitted), whatever the
// table's size; submitted has no index.
func Recent(ctx context.Context, st *store.Store, limit int) ([]JobView, error) {
	return store.All(ctx, st, scanJobView, `SELECT `+jobViewCols+` FROM print_jobs ORDER BY id DESC LIMIT ?`, limit)
}

// SessionView is a copy session as the console shows it: open, billed
// (its end reading, the pages billed and the charge) or void.
type SessionView struct {
	Session
	Status  string // open, billed, void
	Stopped time.Time
	End     int64 // the end reading (billed)
	Printed int64 // print-job impressions subtracted
	Pages   int64 // copies billed
	Reason  string
	Charge  string // business_charges idemkey (billed)
}

const sessionViewCols = `id, device, room, operator, media, color, command_id, started, source, start_count, status, stopped,
	COALESCE(end_count, 0), COALESCE(printed, 0), COALESCE(pages, 0), reason, COALESCE(charge, '')`

func scanSessionView(sc store.Scanner) (SessionView, error) {
	var s SessionView
	var started int64
	var stopped sql.NullInt64
	var source string
	err := sc.Scan(&s.ID, &s.Device, &s.Room, &s.Operator, &s.Media, &s.Color, &s.CommandID, &started, &source, &s.Start.Impressions,
		&s.Status, &stopped, &s.End, &s.Printed, &s.Pages, &s.Reason, &s.Charge)
	if err != nil {
		return s, err
	}
	s.Start.At, s.Start.Source, s.Start.Color, s.Start.Mono = time.Unix(0, started), printer.CounterSource(source), -1, -1
	if stopped.Valid {
		s.Stopped = time.Unix(0, stopped.Int64)
	}
	return s, nil
}

// Sessions lists the open copy sessions, then those that started since
// from, newest first, at most limit.
func Sessions(ctx context.Context, st *store.Store, from time.Time, limit int) ([]SessionView, error) {
	return store.All(ctx, st, scanSessionView, `SELECT `+sessionViewCols+` FROM copy_sessions WHERE status = 'open' OR started >= ?
		ORDER BY status = 'open' DESC, started DESC, id DESC LIMIT ?`, from.UnixNano(), limit)
}

// SessionByID reads one copy session; ok is false when there is none.
func SessionByID(ctx context.Context, st *store.Store, id int64) (s SessionView, ok bool, err error) {
	s, err = scanSessionView(st.QueryRow(ctx, `SELECT `+sessionViewCols+` FROM copy_sessions WHERE id=?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return s, false, nil
	}
	return s, err == nil, err
}
