package retention

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"

	"switchboard/internal/store"
)

// step is one part of a run.
type step struct {
	name string
	run  func(ctx context.Context, b *batcher, c cutoffs) error
}

// purgeSteps are the deletions, in order. What they keep on purpose:
//   - idem, the dedupe keys, stay for retention_days after the event was
//     enqueued, which is never before the call itself started: a PBX that
//     resends a call (a buffer replay months later) is still recognised
//     after the call's row is gone, as store.Purge always kept them.
//   - journal frames not interpreted yet (status new) stay, whatever their
//     age: the gateway has not read them.
//   - an open copy session, a print job not ended, a fax job still to send,
//     a received fax whose files the fax desk has not destroyed
//     (fax.destroy_days), a stay not checked out.
//
// Wake-ups, the command log, shifts and device alerts are not billing rows
// and are not purged here; the report audit rows are (kv.go).
func purgeSteps() []step {
	return append([]step{
		rangeStep("outbox", "seq", `acked IS NOT NULL AND acked < ?`, outboxCut,
			// Acknowledgement moves in seq order, so the first event not
			// acknowledged (or acknowledged within the week) bounds the range.
			`SELECT MIN(s) FROM (SELECT MIN(seq) AS s FROM outbox WHERE acked IS NULL
			 UNION ALL SELECT MIN(seq) FROM outbox WHERE acked >= ?)`, outboxCut),
		{name: "idem", run: purgeIdem},
		orderedStep("calls", `DELETE FROM calls WHERE (start, idemkey) IN
			(SELECT start, idemkey FROM calls WHERE start < ? ORDER BY start, idemkey LIMIT ?)`),
		// How flagged calls were resolved go with the calls (by the call's start).
		orderedStep("call_resolutions", `DELETE FROM call_resolutions WHERE call IN
			(SELECT call FROM call_resolutions WHERE call_start < ? ORDER BY call_start LIMIT ?)`),
		orderedStep("business_charges", `DELETE FROM business_charges WHERE idemkey IN
			(SELECT idemkey FROM business_charges WHERE at < ? ORDER BY at LIMIT ?)`),
		rangeStep("print_jobs", "id", `ended IS NOT NULL AND ended < ?`, billingCut, "", nil, "spool"),
		rangeStep("copy_sessions", "id", `status <> 'open' AND COALESCE(stopped, started) < ?`, billingCut, "", nil),
		rangeStep("fax_jobs", "id", `state IN ('sent','failed') AND updated < ?`, billingCut, "", nil, "document", "report"),
		// The register line of a received fax stays until its files are
		// destroyed (faxdesk: fax.destroy_days), then until retention_days.
		rangeStep("fax_register", "id", `status = 'destroyed' AND received < ?`, billingCut, "", nil),
		rangeStep("fax_email", "fax_id", `NOT EXISTS (SELECT 1 FROM fax_register r WHERE r.id = fax_email.fax_id)`, nil, "", nil),
		rangeStep("stays", "id", `checkout IS NOT NULL AND checkout < ?`, billingCut, "", nil),
		// Frames come in id order, so the first frame received since the
		// cut-off bounds the range.
		rangeStep("journal", "id", `received < ? AND status <> 'new'`, billingCut,
			`SELECT id FROM journal WHERE received >= ? ORDER BY id LIMIT 1`, billingCut),
		rangeStep("journal_events", "journal_id", `NOT EXISTS (SELECT 1 FROM journal j WHERE j.id = journal_events.journal_id)`, nil,
			`SELECT id FROM journal WHERE received >= ? ORDER BY id LIMIT 1`, billingCut),
	}, kvSteps()...) // kv.go
}

// Arguments of a step's condition.
func billingCut(c cutoffs) []any { return []any{c.billing} }
func outboxCut(c cutoffs) []any  { return []any{c.outbox} }

// orderedStep deletes, batch after batch, the first rows of an index in
// order whose key is before the billing cut-off: del takes the cut-off and
// the batch size. It suits tables without rowid keyed or indexed by time.
func orderedStep(table, del string) step {
	return step{name: table, run: func(ctx context.Context, b *batcher, c cutoffs) error {
		for {
			n := b.size(table)
			rows, err := b.do(ctx, table, n, func(tx *store.Tx) (int64, error) {
				res, err := tx.Exec(del, c.billing, n)
				if err != nil {
					return 0, err
				}
				return res.RowsAffected()
			})
			if err != nil {
				return err
			}
			b.r.Deleted[table] += rows
			if rows < int64(n) {
				return nil
			}
		}
	}}
}

// rangeStep deletes the rows matching where in ranges of the integer key
// (rowid ranges: each batch reads at most its size of rows, however few it
// deletes), from the smallest key to bound: the first key past the
// deletable ones (bound "" or NULL: the last key). files are columns naming
// files the rows own, removed once the deletion is committed.
func rangeStep(table, key, where string, args func(cutoffs) []any, bound string, boundArgs func(cutoffs) []any, files ...string) step {
	return step{name: table, run: func(ctx context.Context, b *batcher, c cutoffs) error {
		st := b.j.Store
		var lo, hi sql.NullInt64
		if err := st.QueryRow(ctx, fmt.Sprintf(`SELECT MIN(%s), MAX(%s)+1 FROM %s`, key, key, table)).Scan(&lo, &hi); err != nil {
			return fmt.Errorf("key range: %w", err)
		}
		if !lo.Valid {
			return nil
		}
		if bound != "" {
			var v sql.NullInt64
			if err := st.QueryRow(ctx, bound, boundArgs(c)...).Scan(&v); err != nil && !errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("bound: %w", err)
			}
			if v.Valid && v.Int64 < hi.Int64 {
				hi = v
			}
		}
		cond := fmt.Sprintf(`%s >= ? AND %s < ? AND (%s)`, key, key, where)
		del := fmt.Sprintf(`DELETE FROM %s WHERE %s`, table, cond)
		var pick string
		if len(files) > 0 {
			pick = fmt.Sprintf(`SELECT %s FROM %s WHERE %s`, strings.Join(files, ", "), table, cond)
		}
		for from := lo.Int64; from < hi.Int64; {
			n := b.size(table)
			to := min(from+int64(n), hi.Int64)
			a := []any{from, to}
			if args != nil {
				a = append(a, args(c)...)
			}
			rows, err := b.do(ctx, table, int(to-from), func(tx *store.Tx) (int64, error) {
				if pick != "" {
					paths, err := filesOf(tx, pick, len(files), a)
					if err != nil {
						return 0, err
					}
					tx.AfterCommit(func() { removeFiles(b.j, table, paths) })
				}
				res, err := tx.Exec(del, a...)
				if err != nil {
					return 0, err
				}
				return res.RowsAffected()
			})
			if err != nil {
				return err
			}
			b.r.Deleted[table] += rows
			from = to
		}
		return nil
	}}
}

// filesOf reads the file paths of the rows about to be deleted.
func filesOf(tx *store.Tx, query string, cols int, args []any) ([]string, error) {
	rows, err := tx.Query(query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		vals := make([]sql.NullString, cols)
		ptrs := make([]any, cols)
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		for _, v := range vals {
			if v.Valid && v.String != "" {
				out = append(out, v.String)
			}
		}
	}
	return out, rows.Err()
}

// removeFiles deletes the files of deleted rows; one already gone is fine.
func removeFiles(j *Job, table string, paths []string) {
	for _, p := range paths {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			j.log().Warn("retention: file of a deleted row not removed", "table", table, "file", p, "err", err)
		}
	}
}

// purgeIdem deletes dedupe keys enqueued before the billing cut-off. The
// table has no index on the time (a second index on millions of keys would
// cost more than it saves), so each batch walks the next window of its
// primary key and deletes what is old in it: a whole pass every night, in
// windows sized like any other batch.
func purgeIdem(ctx context.Context, b *batcher, c cutoffs) error {
	var typ, key string // the cursor: the last key of the previous window
	for {
		n := b.size("idem")
		done := false
		var lastTyp, lastKey string
		rows, err := b.do(ctx, "idem", n, func(tx *store.Tx) (int64, error) {
			err := tx.QueryRow(`SELECT type, idemkey FROM idem WHERE (type, idemkey) > (?, ?) ORDER BY type, idemkey LIMIT 1 OFFSET ?`,
				typ, key, n-1).Scan(&lastTyp, &lastKey)
			var res sql.Result
			switch {
			case errors.Is(err, sql.ErrNoRows):
				done = true
				res, err = tx.Exec(`DELETE FROM idem WHERE (type, idemkey) > (?, ?) AND created < ?`, typ, key, c.billing)
			case err != nil:
				return 0, err
			default:
				res, err = tx.Exec(`DELETE FROM idem WHERE (type, idemkey) > (?, ?) AND (type, idemkey) <= (?, ?) AND created < ?`,
					typ, key, lastTyp, lastKey, c.billing)
			}
			if err != nil {
				return 0, err
			}
			return res.RowsAffected()
		})
		if err != nil {
			return err
		}
		b.r.Deleted["idem"] += rows
		if done {
			return nil
		}
		typ, key = lastTyp, lastKey
	}
}
