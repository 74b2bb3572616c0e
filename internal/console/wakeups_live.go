package console

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"switchboard/internal/hoteldesk"
	"switchboard/internal/report"
	"switchboard/internal/wakeup"
)

// The wake-up board: the list turns red for every room whose wake-up went
// unanswered, was escalated, failed or is at risk, and the page chimes
// until an operator acknowledges it (叫醒服務: an unanswered room is
// followed up at once; the night shift hands over the list). The board
// is one template the page and live.js share: live.js reads it again on
// every wake-up event (GET /wakeups/board), so what the page shows after
// an event is exactly what a reload would show.

// wakeupAckNS is the key-value namespace of acknowledged wake-up alarms:
// key the wake-up's id, value who acknowledged it and when.
const wakeupAckNS = "console.wakeup.ack"

// atRiskWindow is how far back at-risk notices mark the board.
const atRiskWindow = 24 * time.Hour

// boardRow is one wake-up on the board.
type boardRow struct {
	wakeupRow
	Alarm  string // why the row is red: unanswered, escalated, failed, at-risk; "" when not
	Reason string // the at-risk notice's reason
	Acked  *ack   // who acknowledged the alarm
}

// preflight is the banner before the day's first wake-up: is the hotel
// link up, and how many wake-ups are still to ring.
type preflight struct {
	LinkState string    // connected, disconnected, ... ("" unknown)
	Since     time.Time // of the link state
	Due       int       // wake-ups still to ring
	First     time.Time // the next one
	Down      string    // an at-risk notice of the link being down: its reason
}

// alarmOf says why a wake-up is red.
func alarmOf(w wakeup.Wakeup) string {
	switch w.Status {
	case wakeup.Unanswered, wakeup.Escalated, wakeup.Failed:
		return string(w.Status)
	}
	return ""
}

// board marks the rows' alarms and acknowledgements and reads the
// pre-flight state.
func (c *Console) board(ctx context.Context, rows []wakeupRow) ([]boardRow, preflight, int, error) {
	st := c.o.Host.Store()
	risks, err := hoteldesk.AtRiskSince(ctx, st, c.now().Add(-atRiskWindow), 200)
	if err != nil {
		return nil, preflight{}, 0, err
	}
	risky := map[int64]string{}
	var pf preflight
	for _, a := range risks {
		if a.WakeupID != 0 {
			if _, ok := risky[a.WakeupID]; !ok {
				risky[a.WakeupID] = a.Reason
			}
		} else if pf.Down == "" && len(a.Rooms) > 0 {
			pf.Down = a.Reason
		}
	}
	out := make([]boardRow, len(rows))
	open := 0
	for i, r := range rows {
		b := boardRow{wakeupRow: r, Alarm: alarmOf(r.Wakeup)}
		if reason, ok := risky[r.ID]; ok && b.Alarm == "" && r.Status.Active() {
			b.Alarm, b.Reason = "at-risk", reason
		}
		if b.Alarm != "" {
			v, ok, err := st.Get(ctx, wakeupAckNS, strconv.FormatInt(r.ID, 10))
			if err != nil {
				return nil, preflight{}, 0, err
			}
			if ok {
				var a ack
				if json.Unmarshal(v, &a) == nil {
					b.Acked = &a
				}
			} else {
				open++
			}
		}
		if r.Status.Active() && !r.PBXAt.IsZero() {
			pf.Due++
			if pf.First.IsZero() || r.PBXAt.Before(pf.First) {
				pf.First = r.PBXAt
			}
		}
		out[i] = b
	}
	if c.o.HotelLink != "" {
		rep, err := report.LoadDevices(ctx, st, c.now().In(c.o.Location))
		if err != nil {
			return nil, preflight{}, 0, err
		}
		for _, d := range rep.Devices {
			if d.Device == c.o.HotelLink && d.Link != nil {
				pf.LinkState, pf.Since = d.Link.State, d.Link.Since
			}
		}
	}
	return out, pf, open, nil
}

// wakeupBoard is the board alone, for live.js.
func (c *Console) wakeupBoard(w http.ResponseWriter, r *http.Request, s session) {
	data, err := c.wakeupData(r)
	if err != nil {
		c.o.Log.Error("wake-up board", "err", err)
		http.Error(w, "the wake-ups cannot be read", http.StatusInternalServerError)
		return
	}
	c.fragment(w, r, s, "wakeups", "wakeups_board", "/wakeups", data)
}

// wakeupAck records that the operator acknowledged a red wake-up (who and
// when, in the store), tells the other pages, and goes back to the board.
func (c *Console) wakeupAck(w http.ResponseWriter, r *http.Request, s session) {
	id, err := strconv.ParseInt(r.PostFormValue("id"), 10, 64)
	if err != nil || id <= 0 {
		http.Error(w, "which wake-up? (id: want the wake-up's number)", http.StatusUnprocessableEntity)
		return
	}
	v, _ := json.Marshal(ack{Operator: s.code, At: c.now()})
	if err := c.o.Host.Store().Put(r.Context(), wakeupAckNS, strconv.FormatInt(id, 10), v); err != nil {
		c.o.Log.Error("wake-up alarm not acknowledged", "operator", s.code, "err", err)
		http.Error(w, "the acknowledgement could not be recorded", http.StatusInternalServerError)
		return
	}
	c.o.Log.Info("wake-up alarm acknowledged", "operator", s.code, "wakeup", id)
	c.feed.announce("console.wakeup.acknowledged", map[string]string{"id": fmt.Sprint(id), "operator": s.code})
	http.Redirect(w, r, "/wakeups", http.StatusSeeOther)
}
