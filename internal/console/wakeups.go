package console

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"

	"switchboard/internal/events/hotel"
	"switchboard/internal/folio/stays"
	"switchboard/internal/wakeup"
)

// wakeupRow is one line of the wake-up list.
type wakeupRow struct {
	wakeup.Wakeup
	Guest string // the room's guest now, from the folio ("" when vacant)
}

// wakeupsPage lists the day's wake-ups in time order (叫醒服務 d: the night
// shift lists them in time order for the handover) with the set form.
func (c *Console) wakeupsPage(w http.ResponseWriter, r *http.Request, s session) {
	c.wakeups(w, r, s, http.StatusOK, nil)
}

func (c *Console) wakeups(w http.ResponseWriter, r *http.Request, s session, status int, extra map[string]any) {
	data, err := c.wakeupData(r)
	if err != nil {
		c.o.Log.Error("wake-ups", "err", err)
		http.Error(w, "the wake-ups cannot be read", http.StatusInternalServerError)
		return
	}
	for k, v := range extra {
		data[k] = v
	}
	c.render(w, r, status, "wakeups", &s, data)
}

// wakeupData is the board's data: tonight's wake-ups (today's and tomorrow
// morning's: a night shift hands over the calls of the coming morning), or
// one day asked for, in time order, with their alarms and the pre-flight
// state.
func (c *Console) wakeupData(r *http.Request) (map[string]any, error) {
	ctx := r.Context()
	today := wakeup.DateOf(c.now().In(c.o.Location))
	days := []wakeup.Date{today, today.AddDays(1)}
	if d := r.URL.Query().Get("date"); d != "" {
		if p, err := wakeup.ParseDate(d); err == nil {
			days = []wakeup.Date{p}
		}
	}
	var list []wakeup.Wakeup
	for _, day := range days {
		ws, err := c.wake.ListDay(ctx, c.o.Host.Store(), day)
		if err != nil {
			return nil, err
		}
		list = append(list, ws...) // each day in time order, the days in order
	}
	occupied, err := stays.Occupied(ctx, c.o.Host.Store())
	if err != nil {
		return nil, fmt.Errorf("stays: %w", err)
	}
	guests := map[string]string{}
	for _, st := range occupied {
		guests[st.Room] = st.Guest
	}
	rows := make([]wakeupRow, 0, len(list))
	for _, wk := range list {
		rows = append(rows, wakeupRow{Wakeup: wk, Guest: guests[string(wk.Room)]})
	}
	board, pf, open, err := c.board(ctx, rows)
	if err != nil {
		return nil, err
	}
	dates := days[0].String()
	if len(days) > 1 {
		dates += " – " + days[1].String()
	}
	return map[string]any{"Date": dates, "Wakeups": board, "HotelLink": c.o.HotelLink, "Preflight": pf, "OpenAlarms": open,
		"Query": r.URL.RawQuery}, nil
}

var (
	roomPattern  = regexp.MustCompile(`^[0-9A-Za-z-]{1,8}$`)
	clockPattern = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)
)

// wakeupRequest is the set form: a wake-up once, or daily (叫醒服務: a
// guest staying several nights often asks for "every morning"), until a
// last day or, without one, until check-out.
type wakeupRequest struct {
	Room, Time string
	Daily      bool
	Until      string // YYYY-MM-DD, daily only ("" = until check-out)
}

// wakeupForm reads and checks the set form; problem is a message for the page.
func wakeupForm(r *http.Request) (q wakeupRequest, problem string) {
	q = wakeupRequest{Room: r.PostFormValue("room"), Time: r.PostFormValue("time"),
		Daily: r.PostFormValue("daily") == "on", Until: r.PostFormValue("until")}
	switch {
	case !roomPattern.MatchString(q.Room):
		return q, "room: want the room number"
	case !clockPattern.MatchString(q.Time):
		return q, "time: want HH:MM, e.g. 06:30"
	case q.Until != "" && !q.Daily:
		return q, "until: a last day is for a daily wake-up only (tick daily, or clear the date)"
	case q.Until != "":
		if _, err := wakeup.ParseDate(q.Until); err != nil {
			return q, "until: want the last day as YYYY-MM-DD"
		}
	}
	return q, ""
}

// formData is the request as the set form and the confirm page show it.
func (q wakeupRequest) formData() map[string]any {
	return map[string]any{"Room": q.Room, "Time": q.Time, "Daily": q.Daily, "Until": q.Until}
}

// wakeupConfirm is the confirm step (叫醒服務 a: repeat and confirm each
// request): it repeats room, time and, for a daily one, its last day
// before anything is sent.
func (c *Console) wakeupConfirm(w http.ResponseWriter, r *http.Request, s session) {
	q, problem := wakeupForm(r)
	if problem != "" {
		d := q.formData()
		d["Problem"] = problem
		c.wakeups(w, r, s, http.StatusUnprocessableEntity, d)
		return
	}
	d := q.formData()
	d["Guest"] = ""
	if st, err := stays.Current(r.Context(), c.o.Host.Store(), q.Room); err == nil && st != nil {
		d["Guest"] = st.Guest
	}
	c.render(w, r, http.StatusOK, "wakeup_confirm", &s, d)
}

// wakeupSet sends pbx/{link}/wakeup.set as the operator.
func (c *Console) wakeupSet(w http.ResponseWriter, r *http.Request, s session) {
	q, problem := wakeupForm(r)
	if problem == "" && c.o.HotelLink == "" {
		problem = "no hotel link is configured"
	}
	if problem != "" {
		d := q.formData()
		d["Problem"] = problem
		c.wakeups(w, r, s, http.StatusUnprocessableEntity, d)
		return
	}
	what := "wakeup.set " + q.Room + " " + q.Time
	if q.Daily {
		what += " daily"
		if q.Until != "" {
			what += " until " + q.Until
		}
	}
	rep, err := c.command(r.Context(), &s, "pbx", c.o.HotelLink, "wakeup.set",
		hotel.WakeupSetData{Room: q.Room, Time: q.Time, Daily: q.Daily, Until: q.Until, RequestedBy: "guest", Operator: s.code})
	c.outcome(w, r, s, rep.Status, rep.Reason, err, what)
}

// wakeupCancel sends pbx/{link}/wakeup.cancel for one wake-up.
func (c *Console) wakeupCancel(w http.ResponseWriter, r *http.Request, s session) {
	room := r.PostFormValue("room")
	id, _ := strconv.ParseInt(r.PostFormValue("id"), 10, 64)
	if !roomPattern.MatchString(room) || c.o.HotelLink == "" {
		c.wakeups(w, r, s, http.StatusUnprocessableEntity, map[string]any{"Problem": "room: want the room number"})
		return
	}
	rep, err := c.command(r.Context(), &s, "pbx", c.o.HotelLink, "wakeup.cancel", hotel.WakeupCancelData{Room: room, ID: id})
	c.outcome(w, r, s, rep.Status, rep.Reason, err, "wakeup.cancel "+room)
}

// outcome shows the list again with what became of the command.
func (c *Console) outcome(w http.ResponseWriter, r *http.Request, s session, status, reason string, err error, what string) {
	if err != nil {
		if err == errNotYours {
			c.forbidden(w, r, s, "role")
			return
		}
		c.o.Log.Error("console command", "what", what, "err", err)
		reason = err.Error()
	}
	code := http.StatusOK
	if status == "failed" || err != nil {
		code = http.StatusUnprocessableEntity
	}
	c.wakeups(w, r, s, code, map[string]any{"Outcome": what, "Status": status, "Reason": reason})
}
