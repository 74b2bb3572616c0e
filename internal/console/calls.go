package console

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"switchboard/internal/folio/ledger"
	"switchboard/internal/operators"
)

// callsPageSize is how many calls one page of the log shows.
const callsPageSize = 100

// callRow is one line of the call log as the page shows it: the dialed
// number masked as the events mask it.
type callRow struct {
	ledger.Logged
	Masked string
}

// Duration is the call's length as m:ss.
func (r callRow) Duration() string { return fmt.Sprintf("%d:%02d", r.DurationS/60, r.DurationS%60) }

// Reason is why the call is flagged, or why it was not posted.
func (r callRow) Reason() string {
	why := strings.Join(r.Flags, ", ")
	if r.NotPosted != "" && !r.Posted {
		if why != "" {
			why += ": "
		}
		why += r.NotPosted
	}
	return why
}

// Calls: the call log and the emergency banner are the switchboard's.
func (s *session) Calls() bool { return s.role != operators.RoleBusiness }

// callsPage is the day's call log, newest first, a page at a time, and the
// day's flagged calls (跑帳/漏帳: vacant room, after check-out, late,
// stay-ambiguous, unrateable) for the night audit, each with how it was
// resolved or, for supervisors, the form that resolves it.
func (c *Console) callsPage(w http.ResponseWriter, r *http.Request, s session) {
	c.showCalls(w, r, s, "")
}

// showCalls shows the page of r's day and cursor; problem (not "") is a
// resolution the desk refused, shown above the flagged list.
func (c *Console) showCalls(w http.ResponseWriter, r *http.Request, s session, problem string) {
	ctx := r.Context()
	now := c.now().In(c.o.Location)
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, c.o.Location)
	if d, err := time.ParseInLocation("2006-01-02", r.URL.Query().Get("day"), c.o.Location); err == nil {
		day = d
	}
	cur := parseCursor(r.URL.Query().Get("before"))
	newest := cur.Start == 0
	// The page is the day's: its newest end is the day's end, not the
	// ledger's (an unbounded read showed today's calls under an older day
	// and scanned every later call for the flagged list).
	end := ledger.Cursor{Start: day.AddDate(0, 0, 1).UnixNano()}
	if newest || cur.Start > end.Start {
		cur = end
	}
	calls, err := ledger.Recent(ctx, c.o.Host.Store(), day, cur, false, callsPageSize+1)
	if err != nil {
		c.o.Log.Error("call log", "err", err)
		http.Error(w, "the call log cannot be read", http.StatusInternalServerError)
		return
	}
	older := ""
	if len(calls) > callsPageSize {
		calls = calls[:callsPageSize]
		last := calls[len(calls)-1]
		older = "/calls?day=" + day.Format("2006-01-02") + "&before=" + strconv.FormatInt(last.Start.UnixNano(), 10) + "." + last.IdemKey
	}
	flagged, err := ledger.Recent(ctx, c.o.Host.Store(), day, end, true, callsPageSize)
	if err != nil {
		c.o.Log.Error("flagged calls", "err", err)
		http.Error(w, "the call log cannot be read", http.StatusInternalServerError)
		return
	}
	data := map[string]any{"Day": day.Format("2006-01-02"), "Calls": c.callRows(calls), "Older": older, "Newest": newest}
	if err := c.flaggedData(ctx, data, day, flagged); err != nil { // calls_resolve.go
		c.o.Log.Error("flagged calls", "err", err)
		http.Error(w, "the call log cannot be read", http.StatusInternalServerError)
		return
	}
	status := http.StatusOK
	if problem != "" {
		data["Problem"], status = problem, http.StatusUnprocessableEntity
	}
	c.render(w, r, status, "calls", &s, data)
}

func (c *Console) callRows(ls []ledger.Logged) []callRow {
	out := make([]callRow, 0, len(ls))
	for _, l := range ls {
		out = append(out, callRow{Logged: l, Masked: c.o.MaskDialed(l.Dialed)})
	}
	return out
}

// parseCursor reads "<start ns>.<idemkey>"; anything else is the newest end.
func parseCursor(v string) ledger.Cursor {
	ns, key, ok := strings.Cut(v, ".")
	if !ok {
		return ledger.Cursor{}
	}
	start, err := strconv.ParseInt(ns, 10, 64)
	if err != nil || start <= 0 {
		return ledger.Cursor{}
	}
	return ledger.Cursor{Start: start, IdemKey: key}
}

// alarm is an emergency call not acknowledged yet: a banner on every page
// of the switchboard's roles (報警電話: inform management, engineering,
// security and the medical room at once).
type alarm struct {
	Key       string    `json:"key"` // the call's idemkey, which the emergency event shares
	Room      string    `json:"room"`
	Extension string    `json:"extension"`
	Dialed    string    `json:"dialed"`
	Service   string    `json:"service"`
	Start     time.Time `json:"start"`
}

// Emergency banners look back this far; older ones are the night audit's.
const alarmWindow = 24 * time.Hour

// ackNS is the store's key-value namespace of acknowledged emergencies:
// key the call's idemkey, value who acknowledged it and when.
const ackNS = "console.emergency.ack"

type ack struct {
	Operator string    `json:"operator"`
	At       time.Time `json:"at"`
}

// alarms are the emergency calls of the last day nobody acknowledged.
func (c *Console) alarms(ctx context.Context) ([]alarm, error) {
	st := c.o.Host.Store()
	calls, err := ledger.Emergencies(ctx, st, c.now().Add(-alarmWindow), 50)
	if err != nil {
		return nil, err
	}
	var out []alarm
	for _, l := range calls {
		if _, acked, err := st.Get(ctx, ackNS, l.IdemKey); err != nil {
			return nil, err
		} else if acked {
			continue
		}
		a := alarm{Key: l.IdemKey, Room: l.Room, Extension: l.Extension, Dialed: c.o.MaskDialed(l.Dialed), Service: "emergency", Start: l.Start}
		// The event says which service the number calls (police, fire, ambulance).
		if data, ok, err := st.EventData(ctx, "hotel.pbx.emergency.call", l.IdemKey); err == nil && ok {
			var ev struct{ Service, Dialed string }
			if json.Unmarshal(data, &ev) == nil && ev.Service != "" {
				a.Service, a.Dialed = ev.Service, ev.Dialed
			}
		}
		out = append(out, a)
	}
	return out, nil
}

// emergencyAck records that the operator acknowledged an emergency call
// (in the store: who and when), announces it to the live pages, and goes
// back to the page it came from.
func (c *Console) emergencyAck(w http.ResponseWriter, r *http.Request, s session) {
	key := r.PostFormValue("key")
	if key == "" || len(key) > 200 {
		http.Error(w, "which emergency?", http.StatusUnprocessableEntity)
		return
	}
	v, _ := json.Marshal(ack{Operator: s.code, At: c.now()})
	if err := c.o.Host.Store().Put(r.Context(), ackNS, key, v); err != nil {
		c.o.Log.Error("emergency not acknowledged", "operator", s.code, "err", err)
		http.Error(w, "the acknowledgement could not be recorded", http.StatusInternalServerError)
		return
	}
	c.o.Log.Warn("emergency acknowledged", "operator", s.code, "call", key)
	c.feed.announce("console.emergency.acknowledged", map[string]string{"key": key, "operator": s.code})
	back := r.PostFormValue("back")
	if !strings.HasPrefix(back, "/") || strings.HasPrefix(back, "//") || strings.ContainsAny(back, "\\\r\n") {
		back = "/calls"
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// apiEmergencies lists the open emergencies for live.js's banner.
func (c *Console) apiEmergencies(w http.ResponseWriter, r *http.Request, s session) {
	list, err := c.alarms(r.Context())
	if err != nil {
		c.o.Log.Error("emergencies", "err", err)
		http.Error(w, "the emergencies cannot be read", http.StatusInternalServerError)
		return
	}
	if list == nil {
		list = []alarm{}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(list)
}
