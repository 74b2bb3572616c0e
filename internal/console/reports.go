package console

// The supervisor's reports (issue 13, "Reports"): the daily IDD/DDD
// statistics, the weekly special-calls list, the business centre's
// revenue, the fax register, the shift journals and the day close, built
// by internal/report (the same tables the CLI prints), shown with charts
// as inline SVG, paginated, printable and downloadable as CSV. Printing
// and downloading need the manager's approval (the seed: reports are
// printed only with the manager's approval), recorded as an audit row.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"switchboard/internal/operators"
	"switchboard/internal/report"
)

// reportKinds are the reports by their path segment, in the index's order.
var reportKinds = []string{"calls", "special", "business", "faxes", "shifts", "shift", "dayclose"}

// reportPageSize is the rows of a table on one screen page; printing and
// CSV have every row.
const reportPageSize = 50

// errBadInput is a request the report cannot be built for (a malformed
// date, week or shift): answered 400 with what was wrong.
var errBadInput = errors.New("bad input")

// reportDoc is a report ready to show, print or download.
type reportDoc struct {
	Kind    string
	Label   string // the day, the week or the shift, for the audit row and the file name
	Heading string
	Head    []headPart // Heading as messages and values (report_heading.go)
	Tables  []report.Table
	Charts  []barChart
	// Links are the first column's links, by table index then row (the
	// shifts list links each shift to its journal).
	Links map[int][]string
	// Query keeps the report's parameters for its pages and forms.
	Query url.Values
}

func (c *Console) reportRoutes(roles []operators.Role) {
	c.mux.Handle("GET /reports", c.page(roles, c.reportsIndex))
	c.mux.Handle("GET /reports/{kind}", c.page(roles, c.reportPage))
	c.mux.Handle("POST /reports/{kind}/print", c.page(roles, c.reportPrint))
	c.mux.Handle("POST /reports/{kind}/csv", c.page(roles, c.reportCSV))
	c.mux.Handle("POST /reports/{kind}/pdf", c.page(roles, c.reportPDF)) // reports_pdf.go
	c.mux.Handle("GET /dayclose", c.page(roles, c.dayClosePage))
	c.mux.Handle("POST /dayclose/close", c.page(roles, c.dayCloseRecord))
}

// reportsIndex lists the reports with their period pickers and the last
// prints and downloads.
func (c *Console) reportsIndex(w http.ResponseWriter, r *http.Request, s session) {
	audits, err := c.recentReportAudits(r.Context(), 20)
	if err != nil {
		c.o.Log.Error("report audit", "err", err)
	}
	now := c.now().In(c.o.Location)
	y, wk := now.ISOWeek()
	c.render(w, r, http.StatusOK, "reports", &s, map[string]any{"Kinds": []string{"calls", "special", "business", "faxes", "shifts", "dayclose"},
		"Today": now.Format(time.DateOnly),
		"Week":  fmt.Sprintf("%d-W%02d", y, wk), "Audits": audits})
}

// reportPage shows one report, a page of its long tables at a time.
func (c *Console) reportPage(w http.ResponseWriter, r *http.Request, s session) {
	doc, ok := c.reportDoc(w, r, r.URL.Query())
	if !ok {
		return
	}
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	page = max(page, 1) // 0 would be every row (printing)
	tables, pages, page := paginate(doc, page)
	data := map[string]any{"Doc": doc, "Tables": tables, "Page": page, "Pages": pages}
	if page > 1 {
		data["Prev"] = pageLink(doc, page-1)
	}
	if page < pages {
		data["Next"] = pageLink(doc, page+1)
	}
	c.render(w, r, http.StatusOK, "report", &s, data)
}

// reportPrint records the approved print and shows the whole report in
// the print layout (A4, navigation hidden).
func (c *Console) reportPrint(w http.ResponseWriter, r *http.Request, s session) {
	doc, approver, ok := c.approvedReport(w, r, s, "print")
	if !ok {
		return
	}
	tables, _, _ := paginate(doc, 0)
	c.render(w, r, http.StatusOK, "report_print", &s, map[string]any{"Doc": doc, "Tables": tables, "Approver": approver, "At": c.now()})
}

// reportCSV records the approved download and sends the report's tables
// as CSV (the CLI's --csv: one block per table).
func (c *Console) reportCSV(w http.ResponseWriter, r *http.Request, s session) {
	doc, _, ok := c.approvedReport(w, r, s, "csv")
	if !ok {
		return
	}
	var b strings.Builder
	if err := report.Write(&b, report.CSV, doc.Heading, spreadsheetSafe(doc.Tables), nil); err != nil {
		c.o.Log.Error("report csv", "report", doc.Kind, "err", err)
		http.Error(w, "the report could not be written as CSV", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-%s.csv"`, doc.Kind, safeName(doc.Label)))
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte(b.String()))
}

// approvedReport builds the posted report and records who printed or
// downloaded it with whose approval; without an approver's name nothing
// is printed (400, the form says why). An audit row that cannot be
// written stops the print: the seed wants every print accounted for.
func (c *Console) approvedReport(w http.ResponseWriter, r *http.Request, s session, action string) (reportDoc, string, bool) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "the form could not be read: "+err.Error(), http.StatusBadRequest)
		return reportDoc{}, "", false
	}
	q := url.Values{}
	for _, k := range []string{"date", "week", "shift"} {
		if v := r.PostForm.Get(k); v != "" {
			q.Set(k, v)
		}
	}
	doc, ok := c.reportDoc(w, r, q)
	if !ok {
		return doc, "", false
	}
	approver := strings.TrimSpace(r.PostForm.Get("approved_by"))
	if approver == "" || len(approver) > 80 {
		tables, pages, page := paginate(doc, 1)
		c.render(w, r, http.StatusBadRequest, "report", &s, map[string]any{"Doc": doc, "Tables": tables, "Page": page, "Pages": pages,
			"Problem": "rep.noapproval"})
		return doc, "", false
	}
	a := reportAudit{At: c.now(), Operator: s.code, Role: string(s.role), Report: doc.Kind, Period: doc.Label, Action: action, ApprovedBy: approver}
	if err := c.recordReportAudit(r.Context(), a); err != nil {
		c.o.Log.Error("report audit not recorded", "report", doc.Kind, "err", err)
		http.Error(w, "the print could not be recorded, so the report is not printed: the store cannot be written", http.StatusInternalServerError)
		return doc, "", false
	}
	c.o.Log.Info("report "+action, "report", doc.Kind, "period", doc.Label, "operator", s.code, "approved_by", approver)
	return doc, approver, true
}

// reportDoc builds the report the request names; a bad parameter is
// answered 400 and a store error 500 here (ok false).
func (c *Console) reportDoc(w http.ResponseWriter, r *http.Request, q url.Values) (reportDoc, bool) {
	kind := r.PathValue("kind")
	doc, err := c.buildReport(r.Context(), kind, q)
	switch {
	case errors.Is(err, errBadInput):
		http.Error(w, err.Error(), http.StatusBadRequest)
		return doc, false
	case err != nil:
		c.o.Log.Error("report", "report", kind, "err", err)
		http.Error(w, "the report could not be built: the ledger cannot be read", http.StatusInternalServerError)
		return doc, false
	}
	return doc, true
}

// buildReport reads and builds report kind for the period in q.
func (c *Console) buildReport(ctx context.Context, kind string, q url.Values) (reportDoc, error) {
	loc := c.o.Location
	doc := reportDoc{Kind: kind, Query: url.Values{}}
	day := func() (report.Period, error) {
		d := q.Get("date")
		if d == "" {
			d = c.now().In(loc).Format(time.DateOnly)
		}
		p, err := report.Day(d, loc)
		if err != nil {
			return p, fmt.Errorf("%w: %v", errBadInput, err)
		}
		doc.Label = p.Label
		doc.Query.Set("date", p.Label)
		return p, nil
	}
	switch kind {
	case "calls":
		p, err := day()
		if err != nil {
			return doc, err
		}
		l, err := report.LoadCalls(ctx, c.o.Host.Store(), p)
		if err != nil {
			return doc, err
		}
		st, err := report.Stats(l)
		if err != nil {
			return doc, err
		}
		doc.Heading, doc.Head, doc.Tables = st.Heading(), callsHead(st), st.Tables()
		byClass := make([]barValue, 0, len(st.ByClass))
		for _, t := range st.ByClass {
			byClass = append(byClass, barValue{Label: t.Key, N: int64(t.Calls), Shown: strconv.Itoa(t.Calls)})
		}
		byHour := []barValue{}
		for _, h := range report.CallsByHour(l) {
			byHour = append(byHour, barValue{Label: fmt.Sprintf("%02d:00", h.Hour), N: int64(h.Calls), Shown: strconv.Itoa(h.Calls)})
		}
		doc.Charts = []barChart{newBarChart("chart-class", "rep.chart.class", byClass), newBarChart("chart-hour", "rep.chart.hour", byHour)}
	case "special":
		week := q.Get("week")
		if week == "" {
			y, w := c.now().In(loc).ISOWeek()
			week = fmt.Sprintf("%d-W%02d", y, w)
		}
		p, err := report.Week(week, loc)
		if err != nil {
			return doc, fmt.Errorf("%w: %v", errBadInput, err)
		}
		doc.Label = p.Label
		doc.Query.Set("week", p.Label)
		rules := report.DefaultRules()
		l, err := report.LoadSpecial(ctx, c.o.Host.Store(), p, rules) // the week's candidates, not its every call
		if err != nil {
			return doc, err
		}
		sp := report.Special(l, rules)
		for i := range sp.Calls {
			sp.Calls[i].Dialed = c.o.MaskDialed(sp.Calls[i].Dialed) // as the calls page and the events show it
		}
		doc.Heading, doc.Head, doc.Tables = sp.Heading(), specialHead(sp), sp.Tables()
		doc.Charts = specialCharts(sp) // report_charts.go
	case "business":
		p, err := day()
		if err != nil {
			return doc, err
		}
		charges, err := report.LoadBusiness(ctx, c.o.Host.Store(), p)
		if err != nil {
			return doc, err
		}
		b, err := report.Business(p, charges)
		if err != nil {
			return doc, err
		}
		doc.Heading, doc.Head, doc.Tables = b.Heading(), businessHead(b), b.Tables()
		doc.Charts = []barChart{newBarChart("chart-service", "rep.chart.service", moneyBars(b.ByService, 0)),
			newBarChart("chart-room", "rep.chart.room", moneyBars(b.ByRoom, 10))}
	case "faxes":
		p, err := day()
		if err != nil {
			return doc, err
		}
		list, err := report.LoadFaxes(ctx, c.o.Host.Store(), p)
		if err != nil {
			return doc, err
		}
		reg := report.Faxes(p, list)
		sent, err := report.LoadFaxesSent(ctx, c.o.Host.Store(), p)
		if err != nil {
			return doc, err
		}
		doc.Heading, doc.Head, doc.Tables, doc.Charts = reg.Heading(), faxesHead(reg), reg.Tables(), faxCharts(reg, sent)
	case "shifts":
		p, err := day()
		if err != nil {
			return doc, err
		}
		shifts, err := c.shiftsOfDay(ctx, p)
		if err != nil {
			return doc, err
		}
		doc.Heading, doc.Head = fmt.Sprintf("Shifts %s (%s): %d", p.Label, loc, len(shifts)), shiftsHead(p, len(shifts))
		doc.Tables, doc.Charts = []report.Table{report.ShiftsTable(shifts, loc)}, []barChart{shiftsChart(shifts)}
		links := make([]string, len(shifts))
		for i, sh := range shifts {
			links[i] = "/reports/shift?shift=" + strconv.FormatInt(sh.Shift.ID, 10)
		}
		doc.Links = map[int][]string{0: links}
	case "shift":
		id, err := strconv.ParseInt(q.Get("shift"), 10, 64)
		if err != nil || id <= 0 {
			return doc, fmt.Errorf("%w: shift %q: want the shift's number (from the shifts report)", errBadInput, q.Get("shift"))
		}
		sh, err := c.ops.GetShift(ctx, id)
		if errors.Is(err, operators.ErrNoShift) {
			return doc, fmt.Errorf("%w: there is no shift %d", errBadInput, id)
		}
		if err != nil {
			return doc, err
		}
		j, err := c.ops.ShiftJournal(ctx, sh, c.now())
		if err != nil {
			return doc, err
		}
		doc.Label = "shift-" + strconv.FormatInt(id, 10)
		doc.Query.Set("shift", strconv.FormatInt(id, 10))
		doc.Heading, doc.Tables = report.JournalHeading(j, sh.Open(), loc), report.JournalTables(j, loc)
		doc.Head = journalHead(j, sh.Open(), loc)
		doc.Charts = []barChart{journalChart(j)}
	case "dayclose":
		p, err := day()
		if err != nil {
			return doc, err
		}
		// A closed day prints as it was recorded; an open one as it stands.
		rec, closed, err := report.RecordedDayClose(ctx, c.o.Host.Store(), p.Label)
		if err != nil {
			return doc, err
		}
		d := rec.DayClose
		if !closed {
			if d, err = c.gatherDay(ctx, p); err != nil {
				return doc, err
			}
		}
		doc.Heading, doc.Tables = d.Heading(), d.Tables()
		if closed {
			doc.Heading += fmt.Sprintf(" — closed by %s at %s (revision %d)", rec.ClosedBy, rec.ClosedAt.In(loc).Format("2006-01-02 15:04"), rec.Revision)
		} else {
			doc.Heading += " — NOT CLOSED YET"
		}
		doc.Charts, doc.Head = []barChart{dayCloseChart(d)}, dayCloseHead(d, &rec, closed, loc)
	default:
		return doc, fmt.Errorf("%w: no report %q (the reports: %s)", errBadInput, kind, strings.Join(reportKinds, ", "))
	}
	return doc, nil
}

// shiftsOfDay are the shifts open at some time in p, with their journals.
func (c *Console) shiftsOfDay(ctx context.Context, p report.Period) ([]report.ShiftOfDay, error) {
	shifts, err := c.ops.ShiftsBetween(ctx, p.From, p.To)
	if err != nil {
		return nil, err
	}
	out := make([]report.ShiftOfDay, 0, len(shifts))
	for _, sh := range shifts {
		j, err := c.ops.ShiftJournal(ctx, sh, c.now())
		if err != nil {
			return nil, err
		}
		out = append(out, report.ShiftOfDay{Shift: sh, Journal: j})
	}
	return out, nil
}

// moneyBars are revenue lines as bars (the amount in minor units sets the
// length), the largest n first when n > 0.
func moneyBars(ts []report.BusinessTotals, n int) []barValue {
	out := make([]barValue, 0, len(ts))
	for _, t := range ts {
		out = append(out, barValue{Label: t.Key, N: t.AmountMinor, Shown: t.Amount.String()})
	}
	if n > 0 {
		sort.SliceStable(out, func(i, j int) bool { return out[i].N > out[j].N })
		out = out[:min(n, len(out))]
	}
	return out
}

// shownTable is a report table as the page shows it: translated titles
// and headers, one page of rows.
type shownTable struct {
	ID      string
	Title   string
	Columns []report.Column
	Rows    [][]string
	Links   []string // the first column's link per row shown ("" none)
	Footer  []string
	Empty   string
	From    int // the first row shown, 1-based
	Total   int // rows in the whole table
}

// paginate cuts the report's tables to page (1-based; 0: every row, for
// printing). Tables longer than a page share the page number; pages is
// the longest table's page count.
func paginate(doc reportDoc, page int) ([]shownTable, int, int) {
	pages := 1
	for _, t := range doc.Tables {
		pages = max(pages, (len(t.Rows)+reportPageSize-1)/reportPageSize)
	}
	if page != 0 {
		page = min(max(page, 1), pages)
	}
	out := make([]shownTable, 0, len(doc.Tables))
	for i, t := range doc.Tables {
		st := shownTable{ID: fmt.Sprintf("%s-t%d", doc.Kind, i), Title: t.Title, Columns: t.Columns, Footer: t.Footer, Empty: t.Empty,
			Total: len(t.Rows), Rows: t.Rows, Links: doc.Links[i], From: 1}
		if page > 0 {
			lo := min((page-1)*reportPageSize, len(t.Rows))
			hi := min(lo+reportPageSize, len(t.Rows))
			st.Rows, st.From = t.Rows[lo:hi], lo+1
			if st.Links != nil {
				st.Links = st.Links[lo:hi]
			}
		}
		out = append(out, st)
	}
	return out, pages, page
}

// pageLink is the report's address on another page.
func pageLink(doc reportDoc, page int) string {
	q := url.Values{}
	for k, v := range doc.Query {
		q[k] = v
	}
	q.Set("page", strconv.Itoa(page))
	return "/reports/" + doc.Kind + "?" + q.Encode()
}

// safeName keeps a label usable in a file name.
func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-' {
			return r
		}
		return '_'
	}, s)
}

// pageParts are the templates a page is parsed with beside layout.html
// and its own: the reports share their body (charts, tables, pager).
var pageParts = map[string][]string{
	"report":       {"templates/report_parts.html"},
	"report_print": {"templates/report_parts.html"},
	"dayclose":     {"templates/report_parts.html"},
}

// spreadsheetSafe copies tables with every cell a spreadsheet would take
// for a formula (=, +, @, a tab or carriage return first, or - before
// anything but a digit: a guest's name, a fax's remote id) prefixed with
// a quote, as OWASP's "CSV Injection" advises; amounts like -1.00 stay
// numbers.
func spreadsheetSafe(tables []report.Table) []report.Table {
	risky := func(v string) bool {
		if v == "" {
			return false
		}
		switch v[0] {
		case '=', '+', '@', '\t', '\r':
			return true
		case '-':
			return len(v) == 1 || v[1] < '0' || v[1] > '9'
		}
		return false
	}
	clean := func(row []string) []string {
		if row == nil {
			return nil
		}
		out := make([]string, len(row))
		for i, v := range row {
			if risky(v) {
				v = "'" + v
			}
			out[i] = v
		}
		return out
	}
	out := make([]report.Table, len(tables))
	for i, t := range tables {
		t.Rows = append([][]string(nil), t.Rows...)
		for j := range t.Rows {
			t.Rows[j] = clean(t.Rows[j])
		}
		t.Footer = clean(t.Footer)
		out[i] = t
	}
	return out
}
