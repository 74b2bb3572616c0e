package metrics

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"

	"switchboard/internal/store"
)

// RecountEvery is how often the journal's counts are recounted in full;
// between recounts a scrape counts only the frames journalled since the
// last one (a primary-key range), so a scrape stays cheap on a ledger of
// a year. The recount catches statuses changed afterwards (reprocess).
const RecountEvery = time.Hour

type recordKey struct{ device, profile, status string }

// journalCounts are the journal's frames in, by device, profile and
// status, for the rows with id <= upto.
type journalCounts struct {
	mu     sync.Mutex
	upto   int64
	n      map[recordKey]int64
	recent time.Time // the last full count
}

// update brings the counts up to the journal's settled rows: every row
// below the first one still 'new' (being interpreted).
func (j *journalCounts) update(ctx context.Context, st *store.Store, now time.Time) (map[recordKey]int64, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	var hi, firstNew sql.NullInt64
	// MAX(id): the primary key's end; MIN(id) of 'new': the partial index
	// of frames not parsed, named by its own term (store migration 14).
	if err := st.QueryRow(ctx, `SELECT (SELECT MAX(id) FROM journal), (SELECT MIN(id) FROM journal WHERE status='new' AND status <> 'parsed')`).Scan(&hi, &firstNew); err != nil {
		return nil, fmt.Errorf("journal bounds: %w", err)
	}
	to := hi.Int64
	if firstNew.Valid && firstNew.Int64-1 < to {
		to = firstNew.Int64 - 1
	}
	from, n := j.upto, j.n
	if n == nil || now.Sub(j.recent) >= RecountEvery || to < from {
		from, n = 0, map[recordKey]int64{}
	}
	if to > from {
		rows, err := st.Query(ctx, `SELECT device, profile, status, COUNT(*) FROM journal
			WHERE id > ? AND id <= ? AND dir='in' GROUP BY device, profile, status`, from, to)
		if err != nil {
			return nil, fmt.Errorf("journal counts: %w", err)
		}
		defer rows.Close()
		add := map[recordKey]int64{}
		for rows.Next() {
			var k recordKey
			var c int64
			if err := rows.Scan(&k.device, &k.profile, &k.status, &c); err != nil {
				return nil, err
			}
			add[k] += c
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("journal counts: %w", err)
		}
		if from == 0 {
			j.recent = now
		} else {
			n = clone(n)
		}
		for k, c := range add {
			n[k] += c
		}
	}
	j.upto, j.n = to, n
	return n, nil
}

func clone(m map[recordKey]int64) map[recordKey]int64 {
	out := make(map[recordKey]int64, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
