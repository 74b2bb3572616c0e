package operators

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"switchboard/internal/store"
)

// shiftCharge is the business-centre charges of a shift for one service
// and currency.
type shiftCharge struct {
	service, currency string
	n                 int
	minor             int64
}

// shiftCharges sums the business-centre charges that belong to shift sh
// (its window ends at end), billed up to now.
//
// A charge recorded since store migration 11 names its shift
// (business_charges.shift: the console shift of the command that caused
// it, copied onto the print job, copy session or fax job it bills, so a
// print sent at the end of one shift and billed after the next one opened
// stays in the first). That column decides, whoever's window it fell in.
//
// A charge without one (shift NULL: billed before migration 11, or caused
// by no console command: a job the back office sent over MQTT) falls back
// to what the journal did before: the shift whose console command caused
// it, through its ref (business.Entry.Ref: print/{job row},
// copy/{session}, fax-job/{job}) and that command's link to a shift
// (shift_commands); failing that, its operator and the shift's time window.
//
// The charges are also listed by the job that caused them (byJob).
func (s *Store) shiftCharges(ctx context.Context, sh Shift, end, now time.Time) ([]shiftCharge, []ChargeItem, error) {
	// The fallback looks past the shift's end, up to now, for charges
	// billed late that its commands caused; since migration 11 those name
	// their shift, so it looks no further than a day after the migration
	// (a job in flight across the upgrade): on a 400-day ledger the charges
	// after an old shift are most of it.
	upto := later(end, now)
	var applied sql.NullInt64 // unix seconds
	if err := s.st.QueryRow(ctx, `SELECT applied FROM schema_migrations WHERE version=11`).Scan(&applied); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, nil, fmt.Errorf("store migration 11: %w", err)
	}
	if applied.Valid {
		if cut := time.Unix(applied.Int64, 0).Add(24 * time.Hour); cut.Before(upto) {
			upto = later(end, cut)
		}
	}
	type row struct {
		service, currency string
		minor, at, shift  int64
		job               chargeRow
	}
	rows, err := store.All(ctx, s.st, func(r store.Scanner) (row, error) {
		var c row
		err := r.Scan(&c.service, &c.currency, &c.minor, &c.at, &c.shift, &c.job.ref, &c.job.room, &c.job.units, &c.job.command)
		c.job.service, c.job.currency, c.job.minor, c.job.at = c.service, c.currency, c.minor, c.at
		return c, err
	}, `SELECT service, currency, amount_minor, at, shift_id, ref, room, units, command_id FROM (
			SELECT bc.service, bc.currency, bc.amount_minor, bc.at, bc.shift AS shift_id,
				bc.ref, bc.room, bc.units, COALESCE(pj.command_id, cs.command_id, fj.command_id, '') AS command_id
			FROM business_charges bc
			LEFT JOIN print_jobs pj ON bc.service = 'print' AND pj.id = CAST(substr(bc.ref, 7) AS INTEGER)
			LEFT JOIN copy_sessions cs ON bc.service = 'copy' AND cs.id = CAST(substr(bc.ref, 6) AS INTEGER)
			LEFT JOIN fax_jobs fj ON bc.service = 'fax-send' AND fj.id = CAST(substr(bc.ref, 9) AS INTEGER)
			WHERE bc.shift = ?
		UNION ALL
			SELECT bc.service, bc.currency, bc.amount_minor, bc.at, COALESCE(sc.shift_id, 0),
				bc.ref, bc.room, bc.units, COALESCE(pj.command_id, cs.command_id, fj.command_id, '')
			FROM business_charges bc
			LEFT JOIN print_jobs pj ON bc.service = 'print' AND pj.id = CAST(substr(bc.ref, 7) AS INTEGER)
			LEFT JOIN copy_sessions cs ON bc.service = 'copy' AND cs.id = CAST(substr(bc.ref, 6) AS INTEGER)
			LEFT JOIN fax_jobs fj ON bc.service = 'fax-send' AND fj.id = CAST(substr(bc.ref, 9) AS INTEGER)
			LEFT JOIN shift_commands sc ON sc.command_id = COALESCE(pj.command_id, cs.command_id, fj.command_id)
			WHERE bc.shift IS NULL AND bc.operator = ? AND bc.at >= ? AND bc.at < ?)
		ORDER BY service, currency`, sh.ID, sh.Operator, nanos(sh.Opened), nanos(upto))
	if err != nil {
		return nil, nil, err
	}
	var out []shiftCharge
	var jobs []chargeRow
	for _, r := range rows {
		mine := r.shift == sh.ID || (r.shift == 0 && r.at < nanos(end))
		if !mine {
			continue
		}
		jobs = append(jobs, r.job)
		if n := len(out); n == 0 || out[n-1].service != r.service || out[n-1].currency != r.currency {
			out = append(out, shiftCharge{service: r.service, currency: r.currency})
		}
		out[len(out)-1].n++
		out[len(out)-1].minor += r.minor
	}
	return out, byJob(jobs), nil
}

// later is the later of two instants.
func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
