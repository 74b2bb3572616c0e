package report

import (
	"fmt"
	"strconv"
	"time"

	"switchboard/internal/operators"
)

// HourCount is the outgoing calls that started in one hour of the day.
type HourCount struct {
	Hour  int `json:"hour"` // 0-23, site-local clock
	Calls int `json:"calls"`
}

// CallsByHour counts the outgoing calls of l by the site-local hour they
// started in (the clock hour: a day with a daylight-saving change has one
// hour twice or not at all, and its calls land in the hour the clock showed).
func CallsByHour(l *Ledger) []HourCount {
	loc := l.Period.From.Location()
	out := make([]HourCount, 24)
	for h := range out {
		out[h].Hour = h
	}
	for _, c := range l.Calls {
		if c.Direction == "outgoing" {
			out[c.Start.In(loc).Hour()].Calls++
		}
	}
	return out
}

// ShiftsTable lists a day's shifts (the shift reports' index).
func ShiftsTable(shifts []ShiftOfDay, loc *time.Location) Table {
	const hm = "2006-01-02 15:04"
	t := Table{Title: "Shifts", Empty: "no shift in the day", Columns: []Column{{Name: "shift", Right: true}, {Name: "operator"},
		{Name: "opened"}, {Name: "closed"}, {Name: "commands", Right: true}, {Name: "charges", Right: true}, {Name: "amount", Right: true}}}
	for _, s := range shifts {
		closed := "STILL OPEN"
		if !s.Shift.Open() {
			closed = s.Shift.Closed.In(loc).Format(hm)
		}
		var cmds, charges int
		var minor int64
		for _, svc := range s.Journal.Services {
			cmds += svc.Commands
			charges += svc.Charges
			minor += svc.AmountMinor
		}
		t.Rows = append(t.Rows, []string{strconv.FormatInt(s.Shift.ID, 10), s.Shift.Operator, s.Shift.Opened.In(loc).Format(hm), closed,
			itoa(cmds), itoa(charges), minorUnits(minor)})
	}
	return t
}

// JournalHeading is a shift journal's title line.
func JournalHeading(j operators.Journal, open bool, loc *time.Location) string {
	state := "closed"
	if open {
		state = "still open, so far"
	}
	return fmt.Sprintf("Shift journal #%d, operator %s, %s to %s (%s)", j.Shift, j.Operator, j.Opened.In(loc).Format("2006-01-02 15:04"),
		j.Closed.In(loc).Format("2006-01-02 15:04"), state)
}

// JournalTables are a shift journal's sections (結帳程序: every item
// posted in the shift, by service, with totals).
func JournalTables(j operators.Journal, loc *time.Location) []Table {
	totals := Table{Title: "Totals by service", Empty: "nothing posted", Columns: []Column{{Name: "service"}, {Name: "commands", Right: true},
		{Name: "completed", Right: true}, {Name: "failed", Right: true}, {Name: "charges", Right: true}, {Name: "amount", Right: true}, {Name: "currency"}}}
	for _, s := range j.Services {
		totals.Rows = append(totals.Rows, []string{s.Service, itoa(s.Commands), itoa(s.Completed), itoa(s.Failed), itoa(s.Charges),
			minorUnits(s.AmountMinor), s.Currency})
	}
	items := Table{Title: "Items posted in the shift", Empty: "nothing posted", Columns: []Column{{Name: "time"}, {Name: "service"},
		{Name: "command"}, {Name: "device"}, {Name: "status"}, {Name: "reason"}}}
	for _, it := range j.Items {
		items.Rows = append(items.Rows, []string{it.Sent.In(loc).Format("2006-01-02 15:04:05"), it.Service, it.Command, it.Device, it.Status, it.Reason})
	}
	// Each job's charges on one line (a fax billed per attempt under its
	// fax job), so the journal says what each charge was for.
	jobs := Table{Title: "Charges by job", Empty: "nothing posted", Columns: []Column{{Name: "time"}, {Name: "service"}, {Name: "job"},
		{Name: "room"}, {Name: "charges", Right: true}, {Name: "units", Right: true}, {Name: "amount", Right: true}, {Name: "currency"}}}
	for _, c := range j.Charges {
		jobs.Rows = append(jobs.Rows, []string{c.Last.In(loc).Format("2006-01-02 15:04:05"), c.Service, c.Ref, c.Room, itoa(c.Charges),
			strconv.FormatInt(c.Units, 10), minorUnits(c.AmountMinor), c.Currency})
	}
	return []Table{totals, items, jobs}
}
