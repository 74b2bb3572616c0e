package store

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Frame statuses in the journal.
const (
	FrameNew       = "new"       // journaled, not interpreted yet (or interrupted)
	FrameParsed    = "parsed"    // became a record
	FrameSkipped   = "skipped"   // header, rule, blank: nothing to record
	FrameUnparsed  = "unparsed"  // could not be read; reason says why
	FrameDuplicate = "duplicate" // a record already recorded (PBX resend)
)

// Directions of a journaled frame.
const (
	DirIn  = "in"  // from the device
	DirOut = "out" // to the device
)

// Frame is one raw unit a device sent (an SMDR line, a link record).
type Frame struct {
	ID       int64
	Device   string
	Received time.Time
	Raw      []byte
	Key      string
	Status   string
	Reason   string
	Profile  string
}

// AppendFrame journals a raw frame in its own transaction and returns its id.
// It is committed (fsynced) before the caller interprets the frame.
func (s *Store) AppendFrame(ctx context.Context, device, profile string, received time.Time, raw []byte) (int64, error) {
	res, err := s.w.ExecContext(ctx,
		`INSERT INTO journal(device, received, raw, profile) VALUES(?,?,?,?)`,
		device, nanos(received), raw, profile)
	if err != nil {
		return 0, fmt.Errorf("journal %s: %w", device, err)
	}
	return res.LastInsertId()
}

// NewFrame is a frame to journal.
type NewFrame struct {
	Raw []byte
	Key string
}

// AppendFrames journals several frames in one transaction (one fsync) and
// returns their ids in order. dir is "in" (from the device) or "out".
func (s *Store) AppendFrames(ctx context.Context, device, profile, dir string, received time.Time, frames []NewFrame) ([]int64, error) {
	return s.appendFrames(ctx, device, profile, dir, received, frames, nil)
}

// tailNS is the state namespace of the record tails devices were receiving.
const tailNS = "tail"

// AppendFramesTail is AppendFrames that also replaces the device's kept
// tail (the start of a record still being received; empty: none) in the
// same transaction.
func (s *Store) AppendFramesTail(ctx context.Context, device, profile, dir string, received time.Time, frames []NewFrame, tail []byte) ([]int64, error) {
	return s.appendFrames(ctx, device, profile, dir, received, frames, func(tx *Tx) error {
		return tx.KeepTail(device, received, tail)
	})
}

// KeptTail returns the tail a device was receiving when it was last kept,
// and when its last byte arrived; nil when there is none.
func (s *Store) KeptTail(ctx context.Context, device string) ([]byte, time.Time, error) {
	v, ok, err := s.Get(ctx, tailNS, device)
	if err != nil || !ok || len(v) < 8 {
		return nil, time.Time{}, err
	}
	at := time.Unix(0, int64(binary.BigEndian.Uint64(v)))
	return v[8:], at, nil
}

func (s *Store) appendFrames(ctx context.Context, device, profile, dir string, received time.Time, frames []NewFrame, also func(*Tx) error) ([]int64, error) {
	var ids []int64
	err := s.InTx(ctx, func(tx *Tx) (err error) {
		if ids, err = tx.AppendFrames(device, profile, dir, received, frames); err != nil {
			return err
		}
		if also != nil {
			return also(tx)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("journal %s: %w", device, err)
	}
	return ids, nil
}

// AppendFrames journals frames in tx: with what is made of them, in one
// commit.
func (t *Tx) AppendFrames(device, profile, dir string, received time.Time, frames []NewFrame) ([]int64, error) {
	ids := make([]int64, 0, len(frames))
	for _, f := range frames {
		res, err := t.exec(
			`INSERT INTO journal(device, dir, received, raw, key, profile) VALUES(?,?,?,?,?,?)`,
			device, dir, nanos(received), f.Raw, f.Key, profile)
		if err != nil {
			return nil, fmt.Errorf("journal %s: %w", device, err)
		}
		id, err := res.LastInsertId()
		if err != nil {
			return nil, fmt.Errorf("journal %s: %w", device, err)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// KeepTail keeps in tx the start of the record a device is sending (none:
// tail empty) and when its last byte arrived.
func (t *Tx) KeepTail(device string, received time.Time, tail []byte) error {
	if len(tail) == 0 {
		return t.Delete(tailNS, device)
	}
	v := binary.BigEndian.AppendUint64(nil, uint64(nanos(received)))
	return t.Put(tailNS, device, append(v, tail...))
}

// FrameRaw is a journaled frame's bytes (nil when there is no such frame).
func (t *Tx) FrameRaw(id int64) ([]byte, error) {
	var raw []byte
	err := t.queryRow(`SELECT raw FROM journal WHERE id=?`, id).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return raw, err
}

// MarkFrame records what became of a frame.
func (t *Tx) MarkFrame(id int64, status, reason string) error {
	_, err := t.exec(
		`UPDATE journal SET status=?, reason=?, updated=? WHERE id=?`,
		status, reason, nanos(time.Now()), id)
	if err != nil {
		return fmt.Errorf("journal frame %d: %w", id, err)
	}
	return nil
}

// SentToDevice reports whether a frame sent to device at or after since,
// whose key begins with keyPrefix, begins with rawPrefix: the evidence of
// a command a driver journaled before writing it (a fax modem's dial).
func (s *Store) SentToDevice(ctx context.Context, device string, since time.Time, keyPrefix string, rawPrefix []byte) (bool, error) {
	var n int
	err := s.rqueryRow(ctx, `SELECT COUNT(*) FROM journal WHERE device=? AND received >= ? AND dir='out'
		AND substr(key, 1, length(?)) = ? AND substr(raw, 1, length(?)) = ?`,
		device, nanos(since), keyPrefix, keyPrefix, rawPrefix, rawPrefix).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("journal %s: %w", device, err)
	}
	return n > 0, nil
}

// FrameFilter selects journal rows.
type FrameFilter struct {
	Device   string    // "" = all
	Dir      string    // DirIn, DirOut; "" = both
	Statuses []string  // empty = all
	Since    time.Time // zero = beginning
	Until    time.Time // zero = now
	AfterID  int64
	Limit    int // 0 = 1000
}

// Frames lists journal rows in id order.
func (s *Store) Frames(ctx context.Context, f FrameFilter) ([]Frame, error) {
	q := `SELECT id, device, received, raw, key, status, reason, profile FROM journal WHERE id > ?`
	args := []any{f.AfterID}
	if f.Device != "" {
		q += ` AND device = ?`
		args = append(args, f.Device)
	}
	if f.Dir != "" {
		q += ` AND dir = ?`
		args = append(args, f.Dir)
	}
	if !f.Since.IsZero() {
		q += ` AND received >= ?`
		args = append(args, nanos(f.Since))
	}
	if !f.Until.IsZero() {
		q += ` AND received < ?`
		args = append(args, nanos(f.Until))
	}
	if len(f.Statuses) > 0 {
		q += ` AND status IN (`
		for i, st := range f.Statuses {
			if i > 0 {
				q += `,`
			}
			q += `?`
			args = append(args, st)
		}
		q += `)`
		if !slices.Contains(f.Statuses, FrameParsed) {
			q += ` AND status <> 'parsed'` // the journal_unsettled index (migration 14)
		}
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 1000
	}
	q += ` ORDER BY id LIMIT ?`
	args = append(args, limit)
	rows, err := s.rquery(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("journal query: %w", err)
	}
	defer rows.Close()
	var out []Frame
	for rows.Next() {
		var fr Frame
		var rec sql.NullInt64
		if err := rows.Scan(&fr.ID, &fr.Device, &rec, &fr.Raw, &fr.Key, &fr.Status, &fr.Reason, &fr.Profile); err != nil {
			return nil, fmt.Errorf("journal scan: %w", err)
		}
		fr.Received = fromNanos(rec)
		out = append(out, fr)
	}
	return out, rows.Err()
}

// CountFrames counts journal rows by status for a device ("" = all).
func (s *Store) CountFrames(ctx context.Context, device string) (map[string]int64, error) {
	rows, err := s.rquery(ctx,
		`SELECT status, COUNT(*) FROM journal WHERE (?='' OR device=?) GROUP BY status`, device, device)
	if err != nil {
		return nil, fmt.Errorf("journal count: %w", err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var st string
		var n int64
		if err := rows.Scan(&st, &n); err != nil {
			return nil, err
		}
		out[st] = n
	}
	return out, rows.Err()
}
