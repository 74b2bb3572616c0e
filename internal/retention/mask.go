package retention

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"switchboard/internal/store"
)

// The masking cursors are kept in the store's state area, so a run picks
// up where the last one stopped and a row is read once, not every night.
const (
	stateNS       = "retention"
	callsCursor   = "masked_calls"
	faxJobsCursor = "masked_fax_jobs"
)

// callCursor is the last call (in the ledger's key order) already masked.
type callCursor struct {
	Start int64  `json:"start"`
	Key   string `json:"idemkey"`
}

// maskedCall is a call row read for masking.
type maskedCall struct {
	start     int64
	key       string
	dialed    string
	rated     string
	journalID int64
}

// maskCalls masks the dialed number of calls that started before `before`:
// the ledger row (dialed, and the stored RatedCall's dialed and raw line)
// and the journal frame the PBX sent. Class, destination and matched
// prefix stay, so reports still group IDD/DDD by destination.
func maskCalls(ctx context.Context, b *batcher, m Masker, before int64) error {
	var cur callCursor
	if err := readCursor(ctx, b.j.Store, callsCursor, &cur); err != nil {
		return err
	}
	for {
		n := b.size("mask calls")
		var read int
		rows, err := b.do(ctx, "mask calls", n, func(tx *store.Tx) (int64, error) {
			calls, err := readCalls(tx, cur, before, n)
			if err != nil {
				return 0, err
			}
			read = len(calls)
			var changed int64
			for _, c := range calls {
				ok, err := maskCall(tx, m, c)
				if err != nil {
					return 0, err
				}
				if ok {
					changed++
				}
			}
			if read == 0 {
				return 0, nil
			}
			last := calls[len(calls)-1]
			next := callCursor{Start: last.start, Key: last.key}
			if err := putCursor(tx, callsCursor, next); err != nil {
				return 0, err
			}
			cur = next // read by the next batch only once this one committed (b.do returns its error otherwise)
			return changed, nil
		})
		if err != nil {
			return err
		}
		b.r.Masked["calls"] += rows
		if read < n {
			return nil
		}
	}
}

func readCalls(tx *store.Tx, cur callCursor, before int64, n int) ([]maskedCall, error) {
	rs, err := tx.Query(`SELECT start, idemkey, dialed, rated, journal_id FROM calls
		WHERE (start, idemkey) > (?, ?) AND start < ? ORDER BY start, idemkey LIMIT ?`, cur.Start, cur.Key, before, n)
	if err != nil {
		return nil, fmt.Errorf("read calls: %w", err)
	}
	defer rs.Close()
	var out []maskedCall
	for rs.Next() {
		var c maskedCall
		if err := rs.Scan(&c.start, &c.key, &c.dialed, &c.rated, &c.journalID); err != nil {
			return nil, fmt.Errorf("read calls: %w", err)
		}
		out = append(out, c)
	}
	return out, rs.Err()
}

// maskCall masks one call; false when its number was masked already (or
// is too short to have a subscriber part).
func maskCall(tx *store.Tx, m Masker, c maskedCall) (bool, error) {
	dialed, _ := m.MaskStored(c.dialed, "")
	if dialed == c.dialed {
		return false, nil
	}
	rated, err := maskRated(m, c.dialed, c.rated)
	if err != nil {
		return false, fmt.Errorf("call %s: %w", c.key, err)
	}
	if _, err := tx.Exec(`UPDATE calls SET dialed=?, rated=? WHERE start=? AND idemkey=?`, dialed, rated, c.start, c.key); err != nil {
		return false, fmt.Errorf("call %s: %w", c.key, err)
	}
	raw, err := tx.FrameRaw(c.journalID)
	if err != nil {
		return false, fmt.Errorf("call %s: %w", c.key, err)
	}
	if raw == nil { // the frame was purged, or the call came from a hotel link
		return true, nil
	}
	if _, masked := m.MaskStored(c.dialed, string(raw)); masked != string(raw) {
		if _, err := tx.Exec(`UPDATE journal SET raw=? WHERE id=?`, []byte(masked), c.journalID); err != nil {
			return false, fmt.Errorf("call %s: journal frame %d: %w", c.key, c.journalID, err)
		}
	}
	return true, nil
}

// maskRated masks the dialed number and raw line of a stored RatedCall
// (JSON), leaving every other field as it is.
func maskRated(m Masker, dialed, rated string) (string, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal([]byte(rated), &fields); err != nil {
		return "", fmt.Errorf("stored rating is not JSON: %w", err)
	}
	var raw string
	if v, ok := fields["raw"]; ok {
		if err := json.Unmarshal(v, &raw); err != nil {
			return "", fmt.Errorf("stored rating: raw: %w", err)
		}
	}
	d, r := m.MaskStored(dialed, raw)
	for k, v := range map[string]string{"dialed": d, "raw": r} {
		if _, ok := fields[k]; !ok {
			continue
		}
		enc, err := json.Marshal(v)
		if err != nil {
			return "", err
		}
		fields[k] = enc
	}
	out, err := json.Marshal(fields)
	return string(out), err
}

// maskFaxJobs masks the numbers of fax jobs created before `before`.
func maskFaxJobs(ctx context.Context, b *batcher, m Masker, before int64) error {
	var cur int64
	if err := readCursor(ctx, b.j.Store, faxJobsCursor, &cur); err != nil {
		return err
	}
	for {
		n := b.size("mask fax_jobs")
		var read int
		rows, err := b.do(ctx, "mask fax_jobs", n, func(tx *store.Tx) (int64, error) {
			type job struct {
				id                      int64
				number, dial, canonical string
			}
			rs, err := tx.Query(`SELECT id, number, dial, canonical FROM fax_jobs WHERE id > ? AND created < ? ORDER BY id LIMIT ?`, cur, before, n)
			if err != nil {
				return 0, err
			}
			var jobs []job
			for rs.Next() {
				var j job
				if err := rs.Scan(&j.id, &j.number, &j.dial, &j.canonical); err != nil {
					rs.Close()
					return 0, err
				}
				jobs = append(jobs, j)
			}
			rs.Close()
			if err := rs.Err(); err != nil {
				return 0, err
			}
			read = len(jobs)
			var changed int64
			for _, j := range jobs {
				num, _ := m.MaskStored(j.number, "")
				dial, _ := m.MaskStored(j.dial, "")
				canon, _ := m.MaskStored(j.canonical, "")
				if num == j.number && dial == j.dial && canon == j.canonical {
					continue
				}
				if _, err := tx.Exec(`UPDATE fax_jobs SET number=?, dial=?, canonical=? WHERE id=?`, num, dial, canon, j.id); err != nil {
					return 0, fmt.Errorf("fax job %d: %w", j.id, err)
				}
				changed++
			}
			if read == 0 {
				return 0, nil
			}
			next := jobs[len(jobs)-1].id
			if err := putCursor(tx, faxJobsCursor, next); err != nil {
				return 0, err
			}
			cur = next
			return changed, nil
		})
		if err != nil {
			return err
		}
		b.r.Masked["fax_jobs"] += rows
		if read < n {
			return nil
		}
	}
}

func readCursor(ctx context.Context, st *store.Store, key string, v any) error {
	raw, ok, err := st.Get(ctx, stateNS, key)
	if err != nil || !ok {
		return err
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("masking cursor %s/%s: %w (delete it to mask from the start again)", stateNS, key, err)
	}
	return nil
}

func putCursor(tx *store.Tx, key string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return errors.Join(fmt.Errorf("masking cursor %s", key), err)
	}
	return tx.Put(stateNS, key, raw)
}
