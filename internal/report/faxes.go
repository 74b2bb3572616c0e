package report

import (
	"context"
	"fmt"
	"strconv"
	"time"

	faxjobs "switchboard/internal/fax/jobs"
	"switchboard/internal/store"
)

// FaxLine is one line of the register of received faxes (接收傳真程序:
// name, room, date, pages, time received, time delivered, recipient's
// signature). The guest's name is in it: the register is printed for the
// business center and the manager only.
type FaxLine struct {
	ID          int64      `json:"id"`
	Name        string     `json:"name"`
	Room        string     `json:"room"`
	Date        string     `json:"date"` // received, YYYY-MM-DD
	Pages       int        `json:"pages"`
	Partial     bool       `json:"partial"` // verify the page count
	Received    time.Time  `json:"received"`
	Delivered   *time.Time `json:"delivered,omitempty"`
	DeliveredBy string     `json:"delivered_by,omitempty"`
	SignedBy    string     `json:"signed_by,omitempty"`
	Status      string     `json:"status"`
	Note        string     `json:"note,omitempty"` // CHECK OUT YYYY-MM-DD
}

// FaxRegister is the day's register of received faxes.
type FaxRegister struct {
	Period    Period    `json:"period"`
	Faxes     []FaxLine `json:"faxes"`
	Pages     int       `json:"pages"`
	Delivered int       `json:"delivered"`
	Open      int       `json:"open"` // not delivered (still to hand over, unclaimed, archived)
}

// LoadFaxes reads the register lines of the faxes received in the period.
func LoadFaxes(ctx context.Context, st *store.Store, p Period) ([]faxjobs.Fax, error) {
	return faxjobs.List(ctx, st, faxjobs.Filter{From: p.From, To: p.To})
}

// Faxes builds the register of the period from its lines, in the order the
// faxes came in; times are shown in the period's zone.
func Faxes(p Period, list []faxjobs.Fax) FaxRegister {
	loc := p.From.Location()
	r := FaxRegister{Period: p, Faxes: []FaxLine{}}
	for _, f := range list {
		l := FaxLine{ID: f.ID, Name: f.Name, Room: f.Room, Date: f.Received.In(loc).Format(time.DateOnly), Pages: f.Pages, Partial: f.Partial,
			Received: f.Received.In(loc), DeliveredBy: f.DeliveredBy, SignedBy: f.SignedBy, Status: f.Status}
		if f.Delivered != nil {
			d := f.Delivered.In(loc)
			l.Delivered = &d
			r.Delivered++
		} else {
			r.Open++
		}
		if f.CheckedOut != nil {
			l.Note = "CHECK OUT " + f.CheckedOut.In(loc).Format(time.DateOnly)
		}
		r.Pages += f.Pages
		r.Faxes = append(r.Faxes, l)
	}
	return r
}

// Heading is the register's title line.
func (r FaxRegister) Heading() string {
	return fmt.Sprintf("Fax register %s: %d faxes received, %d pages, %d delivered, %d open", r.Period.Label, len(r.Faxes), r.Pages, r.Delivered, r.Open)
}

// Tables is the register as one table.
func (r FaxRegister) Tables() []Table {
	t := Table{Title: "Received faxes", Empty: "no fax received",
		Columns: []Column{{Name: "No."}, {Name: "Name"}, {Name: "Room"}, {Name: "Date"}, {Name: "Pages", Right: true}, {Name: "Received"},
			{Name: "Delivered"}, {Name: "Delivered by"}, {Name: "Signed by"}, {Name: "Status"}}}
	for _, l := range r.Faxes {
		pages := strconv.Itoa(l.Pages)
		if l.Partial {
			pages += " (partial)"
		}
		delivered := ""
		if l.Delivered != nil {
			delivered = l.Delivered.Format("2006-01-02 15:04")
		}
		status := l.Status
		if l.Note != "" {
			status = l.Note
		}
		t.Rows = append(t.Rows, []string{strconv.FormatInt(l.ID, 10), l.Name, l.Room, l.Date, pages, l.Received.Format("15:04"),
			delivered, l.DeliveredBy, l.SignedBy, status})
	}
	if len(r.Faxes) > 0 {
		t.Footer = []string{"Total", "", "", "", strconv.Itoa(r.Pages), "", strconv.Itoa(r.Delivered), "", "", ""}
	}
	return []Table{t}
}
