package console

// The supervisor's day close (結帳程序: after every shift closed under its
// own operator code, the day is closed): the page shows the day as it
// stands (report.CloseDay: shifts, open ones listed as still open, revenue
// by service and operator, IDD/DDD, what is still open) and "close the
// day" records it and publishes hotel.edge.day.closed for the back office
// in one transaction (dayclose_event.go); printing goes through the
// reports' approved print, which prints the day as recorded.

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"switchboard/internal/report"
)

// gatherDay gathers the day close of p as of now.
func (c *Console) gatherDay(ctx context.Context, p report.Period) (report.DayClose, error) {
	in, err := report.LoadDayClose(ctx, c.o.Host.Store(), c.ops, p, c.now())
	if err != nil {
		return report.DayClose{}, err
	}
	in.Mask = c.o.MaskDialed
	return report.CloseDay(in)
}

// dayCloseChart is the day's revenue by service.
func dayCloseChart(d report.DayClose) barChart {
	vals := make([]barValue, 0, len(d.ByService))
	for _, t := range d.ByService {
		vals = append(vals, barValue{Label: t.Key, N: t.AmountMinor, Shown: t.Amount.String()})
	}
	return newBarChart("chart-dayclose", "rep.chart.service", vals)
}

// dayCloseDay is the day the request names (?date= or the form's), today
// by default.
func (c *Console) dayCloseDay(date string) (report.Period, error) {
	if date == "" {
		date = c.now().In(c.o.Location).Format(time.DateOnly)
	}
	p, err := report.Day(date, c.o.Location)
	if err != nil {
		return p, fmt.Errorf("%w: %v", errBadInput, err)
	}
	return p, nil
}

// dayClosePage shows the day as it stands, and the close recorded for it.
func (c *Console) dayClosePage(w http.ResponseWriter, r *http.Request, s session) {
	p, err := c.dayCloseDay(r.URL.Query().Get("date"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	d, err := c.gatherDay(r.Context(), p)
	if err != nil {
		c.o.Log.Error("day close", "day", p.Label, "err", err)
		http.Error(w, "the day close could not be gathered: "+err.Error(), http.StatusInternalServerError)
		return
	}
	rec, closed, err := report.RecordedDayClose(r.Context(), c.o.Host.Store(), p.Label)
	if err != nil {
		c.o.Log.Error("day close", "day", p.Label, "err", err)
		http.Error(w, "the recorded day close cannot be read", http.StatusInternalServerError)
		return
	}
	doc := reportDoc{Kind: "dayclose", Label: p.Label, Heading: d.Heading(), Head: dayCloseHead(d, nil, false, c.o.Location), Tables: d.Tables(),
		Charts: []barChart{dayCloseChart(d)}}
	doc.Query = map[string][]string{"date": {p.Label}}
	tables, _, _ := paginate(doc, 0)
	data := map[string]any{"Doc": doc, "Tables": tables, "Day": d}
	if closed {
		data["Record"] = rec
	}
	c.render(w, r, http.StatusOK, "dayclose", &s, data)
}

// dayCloseRecord closes the day: gathers it now, records it with the
// supervisor's code and publishes it; closing again replaces it (a new
// revision, a new event).
func (c *Console) dayCloseRecord(w http.ResponseWriter, r *http.Request, s session) {
	p, err := c.dayCloseDay(r.PostFormValue("date"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	d, err := c.gatherDay(r.Context(), p)
	if err == nil {
		var rec report.DayCloseRecord
		if rec, err = c.recordDayClose(r.Context(), s, d); err == nil { // dayclose_event.go
			c.o.Log.Info("day closed", "day", p.Label, "operator", s.code, "revision", rec.Revision, "open_shifts", d.OpenShifts)
		}
	}
	if closedMeanwhile(err) {
		http.Error(w, "the day was not closed: "+err.Error(), http.StatusConflict)
		return
	}
	if err != nil {
		c.o.Log.Error("day not closed", "day", p.Label, "err", err)
		http.Error(w, "the day could not be closed: "+err.Error(), http.StatusInternalServerError)
		return
	}
	http.Redirect(w, r, "/dayclose?date="+p.Label, http.StatusSeeOther)
}
