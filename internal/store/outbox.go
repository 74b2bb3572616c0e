package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"switchboard/internal/events"
)

// Event is what a producer hands the outbox; the store gives it its seq and
// wraps it in the CloudEvents envelope.
type Event struct {
	Type    string // hotel.pbx.call.recorded
	Topic   string
	Source  string
	Subject string // room/1203; never a guest's name
	IdemKey string // business identity; same key, same event
	// Stable: IdemKey is the device's own data (a call's record, by its
	// bytes), so the event's id is the same on any database of this
	// gateway; otherwise the id also names the database's epoch
	// (events.EventID).
	Stable bool
	Time   time.Time
	Data   any // marshaled as JSON
}

// OutboxRow is one stored event.
type OutboxRow struct {
	Seq     int64
	EventID string
	Type    string
	Topic   string
	Payload []byte
	Created time.Time
}

// Enqueue adds an event in the transaction. When an event of the same type
// and idemkey was enqueued before, nothing is added and dup is true with the
// first event's seq: a PBX resending a call does not make a second event.
func (t *Tx) Enqueue(ev Event) (seq int64, dup bool, err error) {
	if ev.Type == "" || ev.Topic == "" || ev.IdemKey == "" {
		return 0, false, fmt.Errorf("outbox: event needs type, topic and idemkey (got %q %q %q)", ev.Type, ev.Topic, ev.IdemKey)
	}
	// The first event of this identity, if any, and the next seq, in one
	// query (each query in a transaction costs database/sql a goroutine).
	// BEGIN IMMEDIATE holds the write lock, so max+1 is ours and the
	// AUTOINCREMENT sequence keeps numbers from ever being reused.
	var first sql.NullInt64
	if err := t.queryRow(`SELECT (SELECT seq FROM idem WHERE type=? AND idemkey=?),
		COALESCE((SELECT seq FROM sqlite_sequence WHERE name='outbox'),0)+1`, ev.Type, ev.IdemKey).Scan(&first, &seq); err != nil {
		return 0, false, fmt.Errorf("outbox: idem lookup: %w", err)
	}
	if first.Valid {
		return first.Int64, true, t.attribute(ev.Type, first.Int64)
	}
	data, err := json.Marshal(ev.Data)
	if err != nil {
		return 0, false, fmt.Errorf("outbox: %s data: %w", ev.Type, err)
	}
	when := ev.Time
	if when.IsZero() {
		when = time.Now()
	}
	env := events.Envelope{
		SpecVersion:     events.SpecVersion,
		ID:              events.EventID(ev.Source, ev.Type, ev.IdemKey, t.s.idEpoch(ev.Stable)),
		Source:          ev.Source,
		Type:            ev.Type,
		Time:            when,
		Subject:         ev.Subject,
		DataContentType: "application/json",
		DataSchema:      events.SchemaURI(ev.Type),
		Seq:             seq,
		SeqEpoch:        t.s.epoch,
		IdemKey:         ev.IdemKey,
		Data:            data,
	}
	if a, ok := events.ActorFrom(t.ctx); ok {
		env.Principal, env.PrincipalRole, env.Shift = a.Principal, a.Role, a.Shift
	}
	payload, err := json.Marshal(&env)
	if err != nil {
		return 0, false, fmt.Errorf("outbox: envelope: %w", err)
	}
	now := nanos(time.Now())
	if _, err := t.exec(
		`INSERT INTO outbox(seq, event_id, type, idemkey, topic, payload, created) VALUES(?,?,?,?,?,?,?)`,
		seq, env.ID, ev.Type, ev.IdemKey, ev.Topic, payload, now); err != nil {
		return 0, false, fmt.Errorf("outbox: insert: %w", err)
	}
	if _, err := t.exec(
		`INSERT INTO idem(type, idemkey, seq, created) VALUES(?,?,?,?)`, ev.Type, ev.IdemKey, seq, now); err != nil {
		return 0, false, fmt.Errorf("outbox: idem insert: %w", err)
	}
	if f := t.s.fresh.Load(); f != nil {
		// Hooks of a savepoint rolled back are dropped with it (group.go).
		row := OutboxRow{Seq: seq, EventID: env.ID, Type: ev.Type, Topic: ev.Topic, Payload: payload, Created: time.Unix(0, now)}
		t.AfterCommit(func() { (*f)(row) })
	}
	return seq, false, t.attribute(ev.Type, seq)
}

// attribute records event seq of type typ as produced by the frame set
// with ForFrame, if any.
func (t *Tx) attribute(typ string, seq int64) error {
	if t.frame == 0 {
		return nil
	}
	if _, err := t.exec(
		`INSERT OR IGNORE INTO journal_events(journal_id, type, seq) VALUES(?,?,?)`, t.frame, typ, seq); err != nil {
		return fmt.Errorf("outbox: journal frame %d events: %w", t.frame, err)
	}
	return nil
}

// FrameEvent is an event a journal frame's delivery emitted (or found
// emitted already).
type FrameEvent struct {
	JournalID int64
	Type      string
	Seq       int64
}

// FrameEvents lists the events of the journal frames with ids in
// [from, to], by frame and seq.
func (s *Store) FrameEvents(ctx context.Context, from, to int64) ([]FrameEvent, error) {
	rows, err := s.rquery(ctx, `SELECT journal_id, type, seq FROM journal_events
		WHERE journal_id BETWEEN ? AND ? ORDER BY journal_id, seq`, from, to)
	if err != nil {
		return nil, fmt.Errorf("journal events: %w", err)
	}
	defer rows.Close()
	var out []FrameEvent
	for rows.Next() {
		var e FrameEvent
		if err := rows.Scan(&e.JournalID, &e.Type, &e.Seq); err != nil {
			return nil, fmt.Errorf("journal events: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// idEpoch is the epoch an event id names: none for a stable key.
func (s *Store) idEpoch(stable bool) string {
	if stable {
		return ""
	}
	return s.epoch
}

// Enqueue adds one event in its own transaction.
func (s *Store) Enqueue(ctx context.Context, ev Event) (seq int64, dup bool, err error) {
	err = s.InTx(ctx, func(tx *Tx) error {
		seq, dup, err = tx.Enqueue(ev)
		return err
	})
	return seq, dup, err
}

// Pending returns up to limit events with seq > after, in seq order.
//
// Not interruptible (a short read of the primary key): the publisher
// polls after every commit, and a cancellable context costs two goroutines
// a query (Tx.stmtCtx).
func (s *Store) Pending(ctx context.Context, after int64, limit int) ([]OutboxRow, error) {
	ctx = context.WithoutCancel(ctx)
	rows, err := s.rquery(ctx,
		`SELECT seq, event_id, type, topic, payload, created FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?`,
		after, limit)
	if err != nil {
		return nil, fmt.Errorf("outbox: pending: %w", err)
	}
	defer rows.Close()
	// Not sized by limit: the publisher polls after every commit and most
	// polls find one event or none, and a 500-row slice each time was
	// half of an SMDR call's allocation (a GC every 26 calls).
	var out []OutboxRow
	for rows.Next() {
		var r OutboxRow
		var created sql.NullInt64
		if err := rows.Scan(&r.Seq, &r.EventID, &r.Type, &r.Topic, &r.Payload, &created); err != nil {
			return nil, fmt.Errorf("outbox: scan: %w", err)
		}
		r.Created = fromNanos(created)
		out = append(out, r)
	}
	return out, rows.Err()
}

// OnEnqueued has f called with every event once the transaction that
// enqueued it committed (nil: no more), so that the publisher need not read
// back what was just written (bus.Outbox). Calls come from the committing
// goroutines: two transactions' events may arrive out of seq order, and
// none arrive for events enqueued before f was set. The outbox table stays
// the record; f only saves a read.
func (s *Store) OnEnqueued(f func(OutboxRow)) {
	if f == nil {
		s.fresh.Store(nil)
		return
	}
	s.fresh.Store(&f)
}

// MarkPublished records that the broker PUBACKed every event up to upto.
//
// One cursor in meta, not a time on each row: the publisher sends in seq
// order from the acknowledged cursor on (a replay never skips ahead), so
// what the broker acknowledged is always everything up to a seq. Marking
// rows one by one rewrote every page of a second's events (about 1,500
// rows, their payloads included, in the 10,000-call benchmark) in one
// transaction that the next SMDR read waited behind, once a second.
// The column outbox.published is no longer written (migration 14 turned
// what it held into the cursor).
func (s *Store) MarkPublished(ctx context.Context, upto int64) error {
	_, err := s.w.ExecContext(ctx,
		`INSERT INTO meta(key,value) VALUES('published_seq',?)
		ON CONFLICT(key) DO UPDATE SET value=excluded.value WHERE CAST(value AS INTEGER) < CAST(excluded.value AS INTEGER)`,
		strconv.FormatInt(upto, 10))
	if err != nil {
		return fmt.Errorf("outbox: mark published up to %d: %w", upto, err)
	}
	return nil
}

// PublishedSeq is the highest seq the broker acknowledged (PUBACK) or the
// back office did: an ack beyond it names events nobody received.
func (s *Store) PublishedSeq(ctx context.Context) (int64, error) {
	acked, err := s.AckedSeq(ctx)
	if err != nil {
		return 0, err
	}
	published, err := s.metaSeq(ctx, "published_seq")
	if err != nil {
		return 0, fmt.Errorf("outbox: published seq: %w", err)
	}
	return max(acked, published), nil
}

// Ack records that the back office consumed everything up to seq. The
// cursor only moves forward and never past the last event.
func (s *Store) Ack(ctx context.Context, upto int64) (acked int64, err error) {
	err = s.InTx(ctx, func(tx *Tx) error {
		var last, cur int64
		if err := tx.queryRow(`SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name='outbox'),0)`).Scan(&last); err != nil {
			return err
		}
		cur, err := tx.ackedSeq()
		if err != nil {
			return err
		}
		acked = min(upto, last)
		if acked <= cur {
			acked = cur
			return nil
		}
		if _, err := tx.exec(`UPDATE outbox SET acked=? WHERE seq > ? AND seq <= ?`, nanos(time.Now()), cur, acked); err != nil {
			return err
		}
		_, err = tx.exec(
			`INSERT INTO meta(key,value) VALUES('acked_seq',?) ON CONFLICT(key) DO UPDATE SET value=excluded.value`,
			strconv.FormatInt(acked, 10))
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("outbox: ack %d: %w", upto, err)
	}
	return acked, nil
}

func (t *Tx) ackedSeq() (int64, error) {
	var v string
	err := t.queryRow(`SELECT value FROM meta WHERE key='acked_seq'`).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(v, 10, 64)
}

// AckedSeq is the back office's cursor: everything up to it was consumed.
func (s *Store) AckedSeq(ctx context.Context) (int64, error) {
	v, err := s.metaSeq(ctx, "acked_seq")
	if err != nil {
		return 0, fmt.Errorf("outbox: acked seq: %w", err)
	}
	return v, nil
}

// metaSeq reads a seq kept in meta (0 when it was never written).
func (s *Store) metaSeq(ctx context.Context, key string) (int64, error) {
	var v string
	err := s.rqueryRow(context.WithoutCancel(ctx), `SELECT value FROM meta WHERE key=?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(v, 10, 64)
}

// OutboxStats summarizes the outbox for the status message.
type OutboxStats struct {
	LastSeq  int64 `json:"last_seq"`
	AckedSeq int64 `json:"acked_seq"`
	Backlog  int64 `json:"backlog"` // events not yet acknowledged
	Unsent   int64 `json:"unsent"`  // events never PUBACKed
}

// Stats reads the outbox counters.
func (s *Store) Stats(ctx context.Context) (OutboxStats, error) {
	var st OutboxStats
	var err error
	if st.AckedSeq, err = s.AckedSeq(ctx); err != nil {
		return st, err
	}
	published, err := s.PublishedSeq(ctx)
	if err != nil {
		return st, err
	}
	err = s.rqueryRow(ctx, `SELECT
		COALESCE((SELECT seq FROM sqlite_sequence WHERE name='outbox'),0),
		(SELECT COUNT(*) FROM outbox WHERE seq > ?),
		(SELECT COUNT(*) FROM outbox WHERE seq > ?)`, st.AckedSeq, published).
		Scan(&st.LastSeq, &st.Backlog, &st.Unsent)
	if err != nil {
		return st, fmt.Errorf("outbox: stats: %w", err)
	}
	return st, nil
}

// Purge deletes acknowledged events older than before (they stay available
// for replay until then) and dedupe keys older than keepKeys.
func (s *Store) Purge(ctx context.Context, before, keepKeys time.Time) (int64, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM outbox WHERE acked IS NOT NULL AND acked < ?`, nanos(before))
	if err != nil {
		return 0, fmt.Errorf("outbox: purge: %w", err)
	}
	if _, err := s.w.ExecContext(ctx, `DELETE FROM idem WHERE created < ?`, nanos(keepKeys)); err != nil {
		return 0, fmt.Errorf("outbox: purge keys: %w", err)
	}
	return res.RowsAffected()
}

// EventData is the data of the event enqueued under (typ, idemkey), as it
// was published; ok is false when there is none (or it was purged).
func (s *Store) EventData(ctx context.Context, typ, idemkey string) (data json.RawMessage, ok bool, err error) {
	var payload []byte
	err = s.rqueryRow(ctx, `SELECT o.payload FROM idem i JOIN outbox o ON o.seq=i.seq WHERE i.type=? AND i.idemkey=?`,
		typ, idemkey).Scan(&payload)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("event %s %s: %w", typ, idemkey, err)
	}
	var env struct {
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(payload, &env); err != nil {
		return nil, false, fmt.Errorf("event %s %s: %w", typ, idemkey, err)
	}
	return env.Data, true, nil
}

// EventsData is the data of the events of type typ whose idemkey starts
// with prefix, in seq order (a job's page events, keyed under the job's
// attempt). The (type, idemkey) key of idem serves the range; purged
// events are not found.
func (s *Store) EventsData(ctx context.Context, typ, prefix string) ([]json.RawMessage, error) {
	if prefix == "" || prefix[len(prefix)-1] == 0xff {
		return nil, fmt.Errorf("events %s: prefix %q cannot bound a range", typ, prefix)
	}
	// Keys compare as bytes (BINARY): the keys starting with prefix are
	// those from prefix up to prefix with its last byte incremented.
	upper := prefix[:len(prefix)-1] + string([]byte{prefix[len(prefix)-1] + 1})
	rows, err := s.rquery(ctx, `SELECT o.payload FROM idem i JOIN outbox o ON o.seq=i.seq
		WHERE i.type=? AND i.idemkey>=? AND i.idemkey<? ORDER BY i.seq`, typ, prefix, upper)
	if err != nil {
		return nil, fmt.Errorf("events %s %s*: %w", typ, prefix, err)
	}
	defer rows.Close()
	var out []json.RawMessage
	for rows.Next() {
		var payload []byte
		if err := rows.Scan(&payload); err != nil {
			return nil, fmt.Errorf("events %s %s*: %w", typ, prefix, err)
		}
		var env struct {
			Data json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(payload, &env); err != nil {
			return nil, fmt.Errorf("events %s %s*: %w", typ, prefix, err)
		}
		out = append(out, env.Data)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("events %s %s*: %w", typ, prefix, err)
	}
	return out, nil
}
