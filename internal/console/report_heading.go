package console

// The reports' first lines in the page's language. internal/report writes
// them as English sentences for the CLI (Heading()); the console keeps the
// same sentence as a message (rep.h.*) and its values, so a page in
// Chinese says it in Chinese. TestReportHeadings checks that the English
// messages still say exactly what internal/report says.

import (
	"fmt"
	"strings"
	"time"

	"switchboard/internal/operators"
	"switchboard/internal/report"
)

// headPart is a message key and its values; a value of type msg is itself
// a message key, translated before it is put in.
type headPart struct {
	Key  string
	Args []any
}

// msg is a message key used as a heading's value.
type msg string

// ReportHeading is doc's first line in v's language (its English heading
// when it has no parts).
func (v view) ReportHeading(doc reportDoc) string {
	if len(doc.Head) == 0 {
		return doc.Heading
	}
	var b strings.Builder
	for _, p := range doc.Head {
		args := make([]any, len(p.Args))
		for i, a := range p.Args {
			if m, ok := a.(msg); ok {
				a = v.T(string(m))
			}
			args[i] = a
		}
		fmt.Fprintf(&b, v.T(p.Key), args...)
	}
	return b.String()
}

// orDash is a currency, "-" when there is none (as internal/report writes it).
func orDash(cur string) string {
	if cur == "" {
		return "-"
	}
	return cur
}

func callsHead(s report.CallStats) []headPart {
	return []headPart{{"rep.h.calls", []any{s.Period.Label, s.Period.From.Location().String(), orDash(s.Currency), s.Total.Calls, s.Total.Posted,
		s.Total.Revenue.String(), s.Flagged.ToResolve, s.Flagged.Settled}}}
}

func specialHead(s report.SpecialCalls) []headPart {
	return []headPart{{"rep.h.special", []any{s.Period.Label, s.Period.From.Format(time.DateOnly), s.Period.To.AddDate(0, 0, -1).Format(time.DateOnly),
		s.Period.From.Location().String(), len(s.Calls)}}}
}

func businessHead(r report.BusinessRevenue) []headPart {
	cur := orDash(r.Currency)
	return []headPart{{"rep.h.business", []any{r.Period.Label, cur, r.Total.Items, r.Total.Amount.String(), strings.TrimSpace(cur)}}}
}

func faxesHead(r report.FaxRegister) []headPart {
	return []headPart{{"rep.h.faxes", []any{r.Period.Label, len(r.Faxes), r.Pages, r.Delivered, r.Open}}}
}

func shiftsHead(p report.Period, n int) []headPart {
	return []headPart{{"rep.h.shifts", []any{p.Label, p.From.Location().String(), n}}}
}

func journalHead(j operators.Journal, open bool, loc *time.Location) []headPart {
	state := msg("rep.h.closed")
	if open {
		state = "rep.h.open"
	}
	return []headPart{{"rep.h.shift", []any{j.Shift, j.Operator, j.Opened.In(loc).Format("2006-01-02 15:04"), j.Closed.In(loc).Format("2006-01-02 15:04"), state}}}
}

// dayCloseHead is the day close's line, and whether and by whom it was
// closed when rec is given (closed: recorded, else not closed yet).
func dayCloseHead(d report.DayClose, rec *report.DayCloseRecord, closed bool, loc *time.Location) []headPart {
	h := []headPart{{"rep.h.dayclose", []any{d.Period.Label, d.Period.From.Location().String(), d.Gathered.Format("2006-01-02 15:04"), len(d.Shifts),
		d.OpenShifts, d.Total.Amount.String(), orDash(d.Currency), len(d.Open.Faxes), len(d.Open.CopySessions), len(d.Open.Calls), len(d.CallsSettled)}}}
	switch {
	case rec == nil:
	case closed:
		h = append(h, headPart{"rep.h.closedby", []any{rec.ClosedBy, rec.ClosedAt.In(loc).Format("2006-01-02 15:04"), rec.Revision}})
	default:
		h = append(h, headPart{"rep.h.notclosed", nil})
	}
	return h
}
