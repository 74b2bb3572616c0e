package wakeup

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"switchboard/internal/events/hotel"
	"switchboard/internal/store"
)

// row is a Wakeup with the bookkeeping the state machine keeps beside it.
type row struct {
	Wakeup
	pbxWall   string // PBXAt as the PBX's wall clock, the key its echo is matched by
	pbxSeq    int    // commands sent for this wake-up; the last one's acks count
	watchAt   int64  // no result by then: at risk
	atRiskFor int64  // the watchAt an at-risk notice was emitted for
	rearmed   bool   // a daily wake-up's next occurrence was armed
}

const rowCols = `id, series, room, date, clock, at, resolution, daily, until, requested_by, operator, recorded_at,
	status, attempts, last_result, last_code, result_at, pbx_state, pbx_wall, pbx_at, pbx_seq, pbx_reason,
	watch_at, at_risk_for, rearmed, note`

type scanner interface{ Scan(...any) error }

func (s *Schedule) scan(sc scanner) (*row, error) {
	var r row
	var date, clock, until string
	var at, recorded, pbxAt int64
	var resultAt sql.NullInt64
	var daily, rearmed int
	if err := sc.Scan(&r.ID, &r.Series, &r.Room, &date, &clock, &at, &r.Resolution, &daily, &until,
		&r.RequestedBy, &r.Operator, &recorded, &r.Status, &r.Attempts, &r.LastResult, &r.LastCode, &resultAt,
		&r.PBX, &r.pbxWall, &pbxAt, &r.pbxSeq, &r.PBXReason, &r.watchAt, &r.atRiskFor, &rearmed, &r.Note); err != nil {
		return nil, err
	}
	var err error
	if r.Date, err = ParseDate(date); err != nil {
		return nil, fmt.Errorf("wake-up %d: stored %w", r.ID, err)
	}
	if r.Clock, err = ParseClock(clock); err != nil {
		return nil, fmt.Errorf("wake-up %d: stored %w", r.ID, err)
	}
	if until != "" {
		if r.Until, err = ParseDate(until); err != nil {
			return nil, fmt.Errorf("wake-up %d: stored %w", r.ID, err)
		}
	}
	r.At = time.Unix(0, at).In(s.loc)
	r.RecordedAt = time.Unix(0, recorded).In(s.loc)
	r.PBXAt = time.Unix(0, pbxAt).In(s.loc)
	if resultAt.Valid {
		r.ResultAt = time.Unix(0, resultAt.Int64).In(s.loc)
	}
	r.Daily, r.rearmed = daily != 0, rearmed != 0
	return &r, nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func nullNanos(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixNano()
}

func (s *Schedule) insert(tx *store.Tx, r *row, now time.Time) error {
	res, err := tx.Exec(`INSERT INTO wakeups(series, room, date, clock, wall, at, resolution, daily, until, requested_by,
		operator, recorded_at, status, attempts, last_result, last_code, result_at, pbx_state, pbx_wall, pbx_at, pbx_seq,
		pbx_reason, watch_at, at_risk_for, rearmed, note, updated) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		r.Series, string(r.Room), r.Date.String(), r.Clock.String(), wall(r.Date, r.Clock), r.At.UnixNano(), string(r.Resolution),
		b2i(r.Daily), r.Until.String(), string(r.RequestedBy), r.Operator, r.RecordedAt.UnixNano(), string(r.Status), r.Attempts,
		string(r.LastResult), r.LastCode, nullNanos(r.ResultAt), string(r.PBX), r.pbxWall, r.PBXAt.UnixNano(), r.pbxSeq,
		r.PBXReason, r.watchAt, r.atRiskFor, b2i(r.rearmed), r.Note, now.UnixNano())
	if err != nil {
		return fmt.Errorf("wake-up room %s %s: %w", r.Room, wall(r.Date, r.Clock), err)
	}
	if r.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	if r.Series == 0 {
		r.Series = r.ID
		if _, err := tx.Exec(`UPDATE wakeups SET series=? WHERE id=?`, r.ID, r.ID); err != nil {
			return fmt.Errorf("wake-up %d: %w", r.ID, err)
		}
	}
	return nil
}

// save writes the mutable columns of r.
func (s *Schedule) save(tx *store.Tx, r *row, now time.Time) error {
	_, err := tx.Exec(`UPDATE wakeups SET room=?, status=?, attempts=?, last_result=?, last_code=?, result_at=?,
		pbx_state=?, pbx_wall=?, pbx_at=?, pbx_seq=?, pbx_reason=?, watch_at=?, at_risk_for=?, rearmed=?, note=?, updated=?
		WHERE id=?`,
		string(r.Room), string(r.Status), r.Attempts, string(r.LastResult), r.LastCode, nullNanos(r.ResultAt),
		string(r.PBX), r.pbxWall, r.PBXAt.UnixNano(), r.pbxSeq, r.PBXReason, r.watchAt, r.atRiskFor, b2i(r.rearmed), r.Note,
		now.UnixNano(), r.ID)
	if err != nil {
		return fmt.Errorf("wake-up %d: %w", r.ID, err)
	}
	return nil
}

type querier interface {
	Query(query string, args ...any) (*sql.Rows, error)
}

// storeQuerier reads through the store's reader pool.
type storeQuerier struct {
	ctx context.Context
	st  *store.Store
}

func (q storeQuerier) Query(query string, args ...any) (*sql.Rows, error) {
	return q.st.Query(q.ctx, query, args...)
}

func (s *Schedule) rows(q querier, where string, args ...any) ([]*row, error) {
	rs, err := q.Query(`SELECT `+rowCols+` FROM wakeups `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("wake-ups: %w", err)
	}
	defer rs.Close()
	var out []*row
	for rs.Next() {
		r, err := s.scan(rs)
		if err != nil {
			return nil, fmt.Errorf("wake-ups: %w", err)
		}
		out = append(out, r)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("wake-ups: %w", err)
	}
	return out, nil
}

func (s *Schedule) one(q querier, where string, args ...any) (*row, error) {
	rs, err := s.rows(q, where+` LIMIT 1`, args...)
	if err != nil || len(rs) == 0 {
		return nil, err
	}
	return rs[0], nil
}

func wakeups(rs []*row) []Wakeup {
	out := make([]Wakeup, len(rs))
	for i, r := range rs {
		out[i] = r.Wakeup
	}
	return out
}

func (s *Schedule) check(r Request) error {
	switch {
	case r.Room == "":
		return fmt.Errorf("%w: no room", ErrRequest)
	case !r.Date.valid():
		return fmt.Errorf("%w: date %q", ErrRequest, r.Date.String())
	case !r.Clock.valid():
		return fmt.Errorf("%w: time %02d:%02d", ErrRequest, r.Clock.Hour, r.Clock.Minute)
	case r.By != ByGuest && r.By != ByOperator && r.By != ByRoomPhone:
		return fmt.Errorf("%w: requested by %q (want guest, operator or room-phone)", ErrRequest, r.By)
	case r.Operator == "" && r.By != ByRoomPhone:
		// 叫醒服務 b: the operator's number is recorded with every request.
		return fmt.Errorf("%w: the operator's number is required", ErrRequest)
	case !r.Until.IsZero() && !r.Daily:
		return fmt.Errorf("%w: an end date is for daily wake-ups only", ErrRequest)
	case !r.Until.IsZero() && (!r.Until.valid() || r.Until.Before(r.Date)):
		return fmt.Errorf("%w: daily until %s, before %s", ErrRequest, r.Until, r.Date)
	}
	return nil
}

// Set records a wake-up and returns the SendToPBX that arms it (none when
// the guest set it on the room phone: the PBX already holds it).
//
// A time that has passed (at or before now) is refused with ErrPast.
// Whether the room exists and is occupied is the caller's check.
//
// A room has at most one wake-up still to ring per day: a Set for a room
// and date that already has one replaces it (cancelled with a CancelAtPBX;
// a daily series it belonged to ends) — the guest's latest instruction
// wins. A wake-up whose call was already made (Ringing, Retrying) is not
// replaced: it keeps awaiting its result beside the new one. The
// same request again (same time, same repetition) changes nothing and
// returns the existing wake-up with no actions, so an operator who enters
// a request twice does not send it twice.
func (s *Schedule) Set(tx *store.Tx, req Request, now time.Time) (Wakeup, []Action, error) {
	if err := s.check(req); err != nil {
		return Wakeup{}, nil, err
	}
	at, res := Resolve(req.Date, req.Clock, s.loc)
	if !at.After(now) {
		return Wakeup{}, nil, fmt.Errorf("%w: room %s %s (%s) is not after %s", ErrPast, req.Room, wall(req.Date, req.Clock),
			at.Format(time.RFC3339), now.In(s.loc).Format(time.RFC3339))
	}
	var acts []Action
	if err := s.markRinging(tx, `room=? AND `, []any{string(req.Room)}, now); err != nil {
		return Wakeup{}, nil, err
	}
	old, err := s.one(tx, `WHERE room=? AND date=? AND status IN `+openSQL, string(req.Room), req.Date.String())
	if err != nil {
		return Wakeup{}, nil, err
	}
	if old != nil {
		if old.Clock == req.Clock && old.Daily == req.Daily && old.Until == req.Until {
			return old.Wakeup, nil, nil
		}
		acts = append(acts, s.cancel(old, "replaced by a request for "+req.Clock.String())...)
		if err := s.save(tx, old, now); err != nil {
			return Wakeup{}, nil, err
		}
	}
	r := &row{Wakeup: Wakeup{
		Room: req.Room, Date: req.Date, Clock: req.Clock, At: at.In(s.loc), Resolution: res,
		Daily: req.Daily, Until: req.Until, RequestedBy: req.By, Operator: req.Operator, RecordedAt: now.In(s.loc),
		Status: Pending, PBX: PBXSending, PBXAt: at.In(s.loc),
	}}
	r.pbxWall = wallOfInstant(at, s.loc)
	r.watchAt = at.Add(s.cfg.Grace).UnixNano()
	if req.By == ByRoomPhone {
		r.Status, r.PBX = Sent, PBXHeld
	} else {
		r.pbxSeq = 1
	}
	if err := s.insert(tx, r, now); err != nil {
		return Wakeup{}, nil, err
	}
	if req.By != ByRoomPhone {
		acts = append(acts, s.send(r, false))
	}
	return r.Wakeup, acts, nil
}

// send is the SendToPBX for r's current PBX time; the caller bumped pbxSeq.
func (s *Schedule) send(r *row, retry bool) SendToPBX {
	r.PBX = PBXSending
	return SendToPBX{Ref: setRef(r.ID, r.pbxSeq), Wakeup: r.Wakeup, Room: r.Room, At: r.PBXAt, Retry: retry}
}

// cancel marks r cancelled and returns the CancelAtPBX when the PBX may
// hold it. The caller saves r.
func (s *Schedule) cancel(r *row, note string) []Action {
	r.Status, r.Note = Cancelled, note
	if r.PBX != PBXSending && r.PBX != PBXHeld {
		return nil
	}
	r.pbxSeq++
	r.PBX = PBXCancelling
	return []Action{CancelAtPBX{Ref: cancelRef(r.ID, r.pbxSeq), Wakeup: r.Wakeup, Room: r.Room, At: r.PBXAt}}
}

// Cancel cancels the room's active wake-up id, or every active wake-up of
// the room when id is 0 (a daily series stops). It returns the cancelled
// wake-ups and the CancelAtPBX actions; ErrNotFound when there is nothing
// to cancel.
func (s *Schedule) Cancel(tx *store.Tx, room hotel.Room, id int64, now time.Time) ([]Wakeup, []Action, error) {
	return s.cancelWhere(tx, room, id, "cancelled", now)
}

// CancelForCheckout cancels every active wake-up of the room, daily ones
// included, because the guest checked out. A room with none is not an
// error.
func (s *Schedule) CancelForCheckout(tx *store.Tx, room hotel.Room, now time.Time) ([]Wakeup, []Action, error) {
	ws, acts, err := s.cancelWhere(tx, room, 0, "check-out", now)
	if errors.Is(err, ErrNotFound) {
		return nil, nil, nil
	}
	return ws, acts, err
}

func (s *Schedule) cancelWhere(tx *store.Tx, room hotel.Room, id int64, note string, now time.Time) ([]Wakeup, []Action, error) {
	where, args := `WHERE room=? AND status IN `+activeSQL, []any{string(room)}
	if id != 0 {
		where, args = where+` AND id=?`, append(args, id)
	}
	rs, err := s.rows(tx, where+` ORDER BY at`, args...)
	if err != nil {
		return nil, nil, err
	}
	if len(rs) == 0 {
		if id != 0 {
			return nil, nil, fmt.Errorf("%w: room %s has no active wake-up %d", ErrNotFound, room, id)
		}
		return nil, nil, fmt.Errorf("%w: room %s has no active wake-up", ErrNotFound, room)
	}
	var acts []Action
	for _, r := range rs {
		acts = append(acts, s.cancel(r, note)...)
		if err := s.save(tx, r, now); err != nil {
			return nil, nil, err
		}
	}
	return wakeups(rs), acts, nil
}

// Move moves the wake-ups of a guest who changed rooms: every active
// wake-up of from whose call is still ahead (PBX time after now) is
// cancelled at the PBX for from and set for to; a daily series follows the
// guest. A call already made stays with from, so its result still
// matches. A wake-up of to still to ring on the same day is replaced (the
// guest moving in wins over whatever the room still held). Whether the PBX
// also moves wake-ups by itself on a room move differs by PBX; the
// explicit cancel and set make the result the same either way.
func (s *Schedule) Move(tx *store.Tx, from, to hotel.Room, now time.Time) ([]Wakeup, []Action, error) {
	if from == "" || to == "" || from == to {
		return nil, nil, fmt.Errorf("%w: move from %q to %q", ErrRequest, from, to)
	}
	if err := s.markRinging(tx, `room=? AND `, []any{string(from)}, now); err != nil {
		return nil, nil, err
	}
	if err := s.markRinging(tx, `room=? AND `, []any{string(to)}, now); err != nil {
		return nil, nil, err
	}
	rs, err := s.rows(tx, `WHERE room=? AND status IN `+activeSQL+` AND pbx_at > ? ORDER BY at`, string(from), now.UnixNano())
	if err != nil {
		return nil, nil, err
	}
	var acts []Action
	for _, r := range rs {
		clash, err := s.one(tx, `WHERE room=? AND date=? AND status IN `+openSQL, string(to), r.Date.String())
		if err != nil {
			return nil, nil, err
		}
		if clash != nil {
			acts = append(acts, s.cancel(clash, fmt.Sprintf("replaced by wake-up %d moved from room %s", r.ID, from))...)
			if err := s.save(tx, clash, now); err != nil {
				return nil, nil, err
			}
		}
		if r.PBX == PBXSending || r.PBX == PBXHeld {
			r.pbxSeq++
			acts = append(acts, CancelAtPBX{Ref: cancelRef(r.ID, r.pbxSeq), Wakeup: r.Wakeup, Room: from, At: r.PBXAt})
		}
		r.Room = to
		r.pbxSeq++
		if r.Status == Sent {
			r.Status = Pending
		}
		acts = append(acts, s.send(r, r.Status == Retrying))
		if err := s.save(tx, r, now); err != nil {
			return nil, nil, err
		}
	}
	return wakeups(rs), acts, nil
}

// Acked applies the PBX's answer to a SendToPBX or CancelAtPBX (matched by
// Ref; see IsRef). An ack of an older command than the wake-up's last one
// is ignored. A refused set makes the wake-up Failed and returns an
// at-risk notice; when the PBX says a person must set it at the console
// (OperatorTask), the wake-up stays pending and the notice says so.
func (s *Schedule) Acked(tx *store.Tx, ack hotel.CommandAck, now time.Time) ([]Action, error) {
	id, kind, n, ok := parseRef(ack.Ref)
	if !ok {
		return nil, fmt.Errorf("%w: %q is not a wake-up command reference", ErrNotFound, ack.Ref)
	}
	r, err := s.one(tx, `WHERE id=?`, id)
	if err != nil {
		return nil, err
	}
	if r == nil {
		return nil, fmt.Errorf("%w: %d (ack %s)", ErrNotFound, id, ack.Ref)
	}
	if n != r.pbxSeq {
		return nil, nil // superseded by a later command
	}
	var acts []Action
	switch {
	case kind == "cancel":
		if ack.OK {
			r.PBX = PBXCancelled
		} else {
			// Nothing rings a cancelled wake-up here; a PBX that rings it
			// anyway reports a result that is recorded as stale.
			r.PBXReason = "cancel refused: " + ack.Reason
		}
	case ack.OK:
		r.PBX, r.PBXReason = PBXHeld, ""
		if r.Status == Pending {
			r.Status = Sent
		}
	default:
		r.PBX, r.PBXReason = PBXRefused, ack.Reason
		reason := "the PBX refused the wake-up: " + ack.Reason
		if ack.OperatorTask {
			reason = "set it at the PBX console: " + ack.Reason
		}
		acts = append(acts, s.atRisk(r, "refused", reason))
		if !ack.OperatorTask && r.Status.Active() {
			r.Status, r.Note = Failed, reason
			more, err := s.rearm(tx, r, now)
			if err != nil {
				return nil, err
			}
			acts = append(acts, more...)
		}
	}
	if err := s.save(tx, r, now); err != nil {
		return nil, err
	}
	return acts, nil
}

// atRisk is an at-risk notice; kind tells one cause from another in its
// IdemKey (refused, overdue, unprocessable...), so each is published once.
func (s *Schedule) atRisk(r *row, kind, reason string) Publish {
	return Publish{Notice: NoticeAtRisk, IdemKey: noticeKey(r.Wakeup, r.pbxWall, NoticeAtRisk) + "/" + kind, Wakeup: r.Wakeup,
		Room: r.Room, At: r.PBXAt, Attempt: r.Attempts, Reason: reason}
}

// Pending lists what the PBX must hold (for a database resync, FIAS DR):
// active wake-ups whose call is still ahead, in PBX-time order.
func (s *Schedule) Pending(ctx context.Context, st *store.Store, now time.Time) ([]Wakeup, error) {
	rs, err := s.rows(storeQuerier{ctx, st},
		`WHERE status IN `+aheadSQL+` AND pbx_at > ? ORDER BY pbx_at, room`, now.UnixNano())
	return wakeups(rs), err
}

// NextPBXAt is the next call the PBX is to make for room: the earliest PBX
// time after now among the wake-ups Pending would return for it, in the
// site's zone. ok is false when the room has none.
func (s *Schedule) NextPBXAt(ctx context.Context, st *store.Store, room hotel.Room, now time.Time) (at time.Time, ok bool, err error) {
	var next sql.NullInt64
	if err := st.QueryRow(ctx, `SELECT MIN(pbx_at) FROM wakeups WHERE room=? AND status IN `+aheadSQL+` AND pbx_at > ?`,
		string(room), now.UnixNano()).Scan(&next); err != nil {
		return time.Time{}, false, err
	}
	if !next.Valid {
		return time.Time{}, false, nil
	}
	return time.Unix(0, next.Int64).In(s.loc), true, nil
}

// Unconfirmed is a wake-up whose last command to the PBX, a set or a
// cancel, the PBX has not acknowledged, with what it takes to send that
// command again.
type Unconfirmed struct {
	ID   int64
	Room hotel.Room // the wake-up's room
	At   time.Time  // the PBX's time (PBXAt), in the site's zone
	Ref  string     // the last command's reference (wakeup/<id>/set/<n> or wakeup/<id>/cancel/<n>), for Acked
}

// UnconfirmedSets lists the wake-ups Pending returns whose last set the PBX
// has not acknowledged (PBXSending), in PBX-time order (then room), with
// that set's reference: what to send again once the link is up, or what a
// database swap handed over.
func (s *Schedule) UnconfirmedSets(ctx context.Context, st *store.Store, now time.Time) ([]Unconfirmed, error) {
	return s.unconfirmed(ctx, st, now, `status IN `+aheadSQL+` AND pbx_state='sending'`, "set", setRef)
}

// UnconfirmedCancels lists the wake-ups whose PBX time is still ahead and
// whose cancel the PBX has not acknowledged (PBXCancelling), in PBX-time
// order (then room), with that cancel's reference: without it, the PBX
// would still ring the room.
func (s *Schedule) UnconfirmedCancels(ctx context.Context, st *store.Store, now time.Time) ([]Unconfirmed, error) {
	return s.unconfirmed(ctx, st, now, `pbx_state='cancelling'`, "cancel", cancelRef)
}

// unconfirmed lists the wake-ups matching where whose PBX time is after
// now, with the reference ref makes of their last command.
func (s *Schedule) unconfirmed(ctx context.Context, st *store.Store, now time.Time, where, kind string, ref func(id int64, n int) string) ([]Unconfirmed, error) {
	rows, err := st.Query(ctx, `SELECT id, room, pbx_at, pbx_seq FROM wakeups
		WHERE `+where+` AND pbx_at > ? ORDER BY pbx_at, room`, now.UnixNano())
	if err != nil {
		return nil, fmt.Errorf("wake-ups to confirm (%s): %w", kind, err)
	}
	defer rows.Close()
	var out []Unconfirmed
	for rows.Next() {
		var u Unconfirmed
		var at int64
		var seq int
		if err := rows.Scan(&u.ID, &u.Room, &at, &seq); err != nil {
			return nil, err
		}
		u.At = time.Unix(0, at).In(s.loc)
		u.Ref = ref(u.ID, seq)
		out = append(out, u)
	}
	return out, rows.Err()
}

// PBXWakeups turns Pending's answer into a hotel-link Snapshot's wake-ups.
func PBXWakeups(ws []Wakeup) []hotel.Wakeup {
	out := make([]hotel.Wakeup, len(ws))
	for i, w := range ws {
		out[i] = hotel.Wakeup{Room: w.Room, At: w.PBXAt}
	}
	return out
}

// ListDay lists every wake-up of a day, cancelled ones included, in time
// order (then room): the night shift's handover list (叫醒服務 c) behind
// `switchboard wakeup list --date D`.
func (s *Schedule) ListDay(ctx context.Context, st *store.Store, d Date) ([]Wakeup, error) {
	rs, err := s.rows(storeQuerier{ctx, st}, `WHERE date=? ORDER BY at, room, id`, d.String())
	return wakeups(rs), err
}

// Get reads one wake-up.
func (s *Schedule) Get(ctx context.Context, st *store.Store, id int64) (Wakeup, error) {
	r, err := s.one(storeQuerier{ctx, st}, `WHERE id=?`, id)
	if err != nil {
		return Wakeup{}, err
	}
	if r == nil {
		return Wakeup{}, fmt.Errorf("%w: %d", ErrNotFound, id)
	}
	return r.Wakeup, nil
}
