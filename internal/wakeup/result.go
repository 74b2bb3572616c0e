package wakeup

import (
	"fmt"
	"strings"
	"time"

	"switchboard/internal/events/hotel"
	"switchboard/internal/store"
)

// Transition is what a PBX result did to the schedule.
type Transition struct {
	Matched   bool   // the result belongs to a wake-up we set
	Duplicate bool   // the same result was applied before: nothing changed
	Stale     bool   // recorded but not applied (an earlier attempt's, or after the wake-up ended)
	Wakeup    Wakeup // after the result (zero when not matched)
	From, To  Status
	Note      string
}

// Result applies a wake-up result the PBX reported, received at now.
//
// The result is matched by room and by the echoed time read on the site's
// wall clock to the minute (FIAS WA echoes WR's DA/TI), against the time
// the PBX was given (a retry's time) or the requested time, never by the
// instant: a PBX echo of 02:30 on the night clocks go back parses to
// either 02:30, and we sent the first. A result whose PBX gave no time
// (SX-200 without the time field) is matched to the room's earliest
// active wake-up that is due. A result that matches nothing is not
// applied to another wake-up: it comes back as a NoticeUnmatched publish.
//
// The same result twice (same wake-up, same time, same outcome) is one
// transition. Outcomes:
//   - answered: Answered, publish answered; a late answered after an
//     escalation still turns it Answered (housekeeping can stand down);
//   - busy, no_answer: with attempts left, Retrying and a SendToPBX
//     RetryAfter from now; otherwise Escalated (publish unanswered and
//     escalated) or Unanswered with Config.NoEscalation;
//   - retry (the PBX retries by itself): Retrying, same PBX time, watched
//     for PBXRetryWindow;
//   - deleted (at the PBX or on the room phone): Cancelled; a daily series
//     ends;
//   - unprocessable: Failed, publish at-risk;
//   - unknown code: no transition, publish at-risk.
//
// A daily wake-up is re-armed for its next day (a SendToPBX) once its
// result is final (FIAS WR has no repeat flag).
func (s *Schedule) Result(tx *store.Tx, res hotel.WakeupResult, now time.Time) (Transition, []Action, error) {
	if res.Room == "" {
		return Transition{}, nil, fmt.Errorf("%w: wake-up result without a room", ErrRequest)
	}
	var r *row
	var key string
	var err error
	if res.At.IsZero() {
		r, err = s.one(tx, `WHERE room=? AND status IN `+activeSQL+` AND pbx_at <= ? ORDER BY pbx_at`,
			string(res.Room), now.Add(s.cfg.Grace).UnixNano())
		if r != nil {
			key = r.pbxWall
		}
	} else {
		key = wallOfInstant(res.At, s.loc)
		// The wake-up whose current PBX time this is, else the one
		// requested for it (an earlier attempt's echo); the latest if a
		// replaced one had the same time.
		r, err = s.one(tx, `WHERE room=? AND pbx_wall=? ORDER BY id DESC`, string(res.Room), key)
		if err == nil && r == nil {
			r, err = s.one(tx, `WHERE room=? AND wall=? ORDER BY id DESC`, string(res.Room), key)
		}
	}
	if err != nil {
		return Transition{}, nil, err
	}
	if r == nil {
		at := "without a time"
		if key != "" {
			at = "at " + key
		}
		return Transition{Note: "no wake-up for room " + string(res.Room) + " " + at}, []Action{Publish{
			Notice:  NoticeUnmatched,
			IdemKey: fmt.Sprintf("wakeup/unmatched/%s/%s/%s", res.Room, strings.ReplaceAll(key, " ", "T"), res.Status),
			Room:    res.Room, At: res.At, Reason: fmt.Sprintf("the PBX reported %s for room %s %s: no such wake-up was set", res.Status, res.Room, at),
			Code: res.Code,
		}}, nil
	}
	tr := Transition{Matched: true, From: r.Status, To: r.Status}
	var dup int
	if err := tx.QueryRow(`SELECT COUNT(*) FROM wakeup_results WHERE wakeup_id=? AND pbx_wall=? AND outcome=?`,
		r.ID, key, string(res.Status)).Scan(&dup); err != nil {
		return tr, nil, fmt.Errorf("wake-up %d results: %w", r.ID, err)
	}
	if dup > 0 {
		tr.Duplicate, tr.Wakeup = true, r.Wakeup
		return tr, nil, nil
	}
	current := key == r.pbxWall
	lateAnswer := current && res.Status == hotel.WakeupAnswered &&
		(r.Status == Escalated || r.Status == Unanswered || r.Status == Failed)
	applied := current && (r.Status.Active() || lateAnswer)
	if _, err := tx.Exec(`INSERT INTO wakeup_results(wakeup_id, pbx_wall, outcome, code, attempt, applied, received) VALUES(?,?,?,?,?,?,?)`,
		r.ID, key, string(res.Status), res.Code, r.Attempts+1, b2i(applied), now.UnixNano()); err != nil {
		return tr, nil, fmt.Errorf("wake-up %d result: %w", r.ID, err)
	}
	if !applied {
		tr.Stale, tr.Wakeup = true, r.Wakeup
		if current {
			tr.Note = fmt.Sprintf("%s after the wake-up was %s", res.Status, r.Status)
		} else {
			tr.Note = fmt.Sprintf("%s for %s, an earlier call (the PBX now holds %s)", res.Status, key, r.pbxWall)
		}
		return tr, nil, nil
	}
	acts, err := s.apply(tx, r, res, now)
	if err != nil {
		return tr, nil, err
	}
	if err := s.save(tx, r, now); err != nil {
		return tr, nil, err
	}
	tr.To, tr.Wakeup = r.Status, r.Wakeup
	return tr, acts, nil
}

// apply is the state machine proper; the caller saves r.
func (s *Schedule) apply(tx *store.Tx, r *row, res hotel.WakeupResult, now time.Time) ([]Action, error) {
	var acts []Action
	final := true
	if res.Status != hotel.WakeupUnknown {
		r.LastResult, r.LastCode, r.ResultAt = res.Status, res.Code, now.In(s.loc)
	}
	pub := func(n Notice, reason string, retry bool) Publish {
		return Publish{Notice: n, IdemKey: noticeKey(r.Wakeup, r.pbxWall, n), Wakeup: r.Wakeup, Room: r.Room,
			At: r.PBXAt, Attempt: r.Attempts, Retry: retry, Reason: reason, Code: res.Code}
	}
	switch res.Status {
	case hotel.WakeupAnswered:
		if r.Status.Active() {
			r.Attempts++
		}
		r.Status = Answered
		acts = append(acts, pub(NoticeAnswered, "", false))
	case hotel.WakeupBusy, hotel.WakeupNoAnswer:
		r.Attempts++
		if r.Attempts < s.cfg.Attempts {
			acts = append(acts, pub(NoticeUnanswered, string(res.Status), true))
			retryAt := now.Add(s.cfg.RetryAfter + time.Minute - time.Nanosecond).Truncate(time.Minute).In(s.loc)
			r.Status, r.PBXAt, r.pbxWall = Retrying, retryAt, wallOfInstant(retryAt, s.loc)
			r.watchAt = retryAt.Add(s.cfg.Grace).UnixNano()
			r.pbxSeq++
			acts = append(acts, s.send(r, true))
			final = false
			break
		}
		acts = append(acts, pub(NoticeUnanswered, string(res.Status), false))
		r.Status = Escalated
		if s.cfg.NoEscalation {
			r.Status = Unanswered
		} else {
			// 叫醒服務 g: rooms that do not answer go to housekeeping at once.
			acts = append(acts, pub(NoticeEscalated, fmt.Sprintf("%s after %d call(s)", res.Status, r.Attempts), false))
		}
	case hotel.WakeupRetry:
		r.Attempts++
		r.Status = Retrying
		r.watchAt = now.Add(s.cfg.PBXRetryWindow + s.cfg.Grace).UnixNano()
		final = false
	case hotel.WakeupDeleted:
		r.Status, r.PBX, r.Note = Cancelled, PBXCancelled, "deleted at the PBX"
		r.rearmed = true // the series ends
	case hotel.WakeupUnprocessable:
		r.Status, r.Note = Failed, "the PBX could not process it (code "+res.Code+")"
		acts = append(acts, s.atRisk(r, "unprocessable", r.Note))
	default:
		final = false
		r.atRiskFor = r.watchAt // the watchdog need not say it again
		acts = append(acts, s.atRisk(r, "unknown-"+res.Code, fmt.Sprintf("the PBX reported an unknown result (code %q)", res.Code)))
	}
	if final {
		more, err := s.rearm(tx, r, now)
		if err != nil {
			return nil, err
		}
		acts = append(acts, more...)
	}
	return acts, nil
}

// rearm arms a daily wake-up's next occurrence, once: the next day whose
// time is still ahead, within Until, and without a wake-up of its own for
// the room (a one-off set for that day wins; the series resumes the day
// after). The caller saves r.
func (s *Schedule) rearm(tx *store.Tx, r *row, now time.Time) ([]Action, error) {
	if !r.Daily || r.rearmed {
		return nil, nil
	}
	r.rearmed = true
	for d, i := r.Date.AddDays(1), 0; i < 400; d, i = d.AddDays(1), i+1 {
		if !r.Until.IsZero() && r.Until.Before(d) {
			return nil, nil
		}
		at, res := Resolve(d, r.Clock, s.loc)
		if !at.After(now) {
			continue
		}
		taken, err := s.one(tx, `WHERE room=? AND date=? AND status IN `+openSQL, string(r.Room), d.String())
		if err != nil {
			return nil, err
		}
		if taken != nil {
			continue
		}
		next := &row{Wakeup: Wakeup{
			Series: r.Series, Room: r.Room, Date: d, Clock: r.Clock, At: at.In(s.loc), Resolution: res,
			Daily: true, Until: r.Until, RequestedBy: r.RequestedBy, Operator: r.Operator, RecordedAt: r.RecordedAt,
			Status: Pending, PBX: PBXSending, PBXAt: at.In(s.loc),
		}, pbxWall: wallOfInstant(at, s.loc), pbxSeq: 1, watchAt: at.Add(s.cfg.Grace).UnixNano()}
		if err := s.insert(tx, next, now); err != nil {
			return nil, err
		}
		return []Action{s.send(next, false)}, nil
	}
	return nil, nil
}

// Due is the watchdog; call it every minute or so. It marks wake-ups whose
// time has come as Ringing, and returns, each once (what was emitted is
// stored):
//   - a NoticeAtRisk for every wake-up with no result Grace after its PBX
//     time (or PBXRetryWindow after a PBX "retry"); a daily one is re-armed
//     for its next day then, so a lost result does not lose tomorrow;
//   - a Preflight per day, Preflight before its earliest wake-up still to
//     ring (late if the gateway was down then, as long as one is ahead).
func (s *Schedule) Due(tx *store.Tx, now time.Time) ([]Action, error) {
	n := now.UnixNano()
	if err := s.markRinging(tx, "", nil, now); err != nil {
		return nil, err
	}
	late, err := s.rows(tx, `WHERE status IN `+activeSQL+` AND watch_at <= ? AND at_risk_for <> watch_at ORDER BY pbx_at, room`, n)
	if err != nil {
		return nil, err
	}
	var acts []Action
	for _, r := range late {
		r.atRiskFor = r.watchAt
		reason := fmt.Sprintf("no result %s after the call at %s", s.cfg.Grace, r.PBXAt.Format("15:04"))
		if r.LastResult == hotel.WakeupRetry {
			reason = fmt.Sprintf("no result %s after the PBX said it would retry", s.cfg.PBXRetryWindow+s.cfg.Grace)
		}
		acts = append(acts, s.atRisk(r, fmt.Sprintf("overdue-%d", r.Attempts), reason))
		more, err := s.rearm(tx, r, now)
		if err != nil {
			return nil, err
		}
		acts = append(acts, more...)
		if err := s.save(tx, r, now); err != nil {
			return nil, err
		}
	}
	days, err := tx.Query(`SELECT date, MIN(pbx_at) FROM wakeups WHERE status IN ('pending','sent','retrying') AND pbx_at > ?
		GROUP BY date HAVING MIN(pbx_at) <= ? ORDER BY date`, n, now.Add(s.cfg.Preflight).UnixNano())
	if err != nil {
		return nil, fmt.Errorf("wake-ups preflight: %w", err)
	}
	type day struct {
		date  string
		first int64
	}
	var ds []day
	for days.Next() {
		var d day
		if err := days.Scan(&d.date, &d.first); err != nil {
			days.Close()
			return nil, fmt.Errorf("wake-ups preflight: %w", err)
		}
		ds = append(ds, d)
	}
	days.Close()
	if err := days.Err(); err != nil {
		return nil, fmt.Errorf("wake-ups preflight: %w", err)
	}
	for _, d := range ds {
		res, err := tx.Exec(`INSERT INTO wakeup_marks(kind, key, emitted) VALUES('preflight', ?, ?) ON CONFLICT DO NOTHING`, d.date, n)
		if err != nil {
			return nil, fmt.Errorf("wake-ups preflight %s: %w", d.date, err)
		}
		if k, _ := res.RowsAffected(); k == 0 {
			continue
		}
		rs, err := s.rows(tx, `WHERE date=? AND status IN ('pending','sent','retrying') AND pbx_at > ? ORDER BY pbx_at, room`, d.date, n)
		if err != nil {
			return nil, err
		}
		date, _ := ParseDate(d.date)
		p := Preflight{IdemKey: "wakeup/preflight/" + d.date, Date: date, First: time.Unix(0, d.first).In(s.loc)}
		for _, r := range rs {
			p.Rooms = append(p.Rooms, r.Room)
		}
		acts = append(acts, p)
	}
	return acts, nil
}

// markRinging moves wake-ups whose PBX time has come from Pending/Sent to
// Ringing (awaiting the result); cond narrows it ("room=? AND ").
func (s *Schedule) markRinging(tx *store.Tx, cond string, args []any, now time.Time) error {
	n := now.UnixNano()
	args = append([]any{n}, append(args, n)...)
	if _, err := tx.Exec(`UPDATE wakeups SET status='ringing', updated=? WHERE `+cond+`status IN `+openSQL+` AND pbx_at <= ?`, args...); err != nil {
		return fmt.Errorf("wake-ups due: %w", err)
	}
	return nil
}
