package console

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"switchboard/internal/report"
	"switchboard/internal/store"
)

// addCharge puts a business-centre charge in the ledger.
func addCharge(t *testing.T, st *store.Store, key, room, operator string, at time.Time, minor int64) {
	t.Helper()
	err := st.InTx(context.Background(), func(tx *store.Tx) error {
		_, err := tx.Exec(`INSERT INTO business_charges(idemkey, service, device, ref, room, operator, at, units, size, color, duplex, state,
			amount, amount_minor, currency, tariff, breakdown, seq) VALUES(?,'print','prn1','print/1',?,?,?,2,'A4',0,0,'completed',?,?,'TWD','t','[]',1)`,
			key, room, operator, at.UnixNano(), fmt.Sprintf("%d.%02d", minor/100, minor%100), minor)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// audits are the report audit rows in the store.
func audits(t *testing.T, st *store.Store) []string {
	t.Helper()
	all, err := st.List(context.Background(), reportAuditNS)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, v := range all {
		out = append(out, string(v))
	}
	return out
}

func TestReportRoles(t *testing.T) {
	f := newFixture(t, false, nil)
	gets := []string{"/reports", "/reports/calls?date=2026-12-04", "/reports/special?week=2026-W49", "/reports/business", "/reports/faxes",
		"/reports/shifts", "/dayclose"}
	posts := []string{"/reports/calls/print", "/reports/business/csv", "/dayclose/close"}
	for _, tc := range []struct {
		code string
		want int
	}{{"0001", 403}, {"0002", 403}, {"0003", 200}, {"0004", 200}} {
		t.Run(tc.code, func(t *testing.T) {
			b := f.browser(t)
			_, tok := b.signIn(tc.code, "1234")
			for _, p := range gets {
				if res := b.do("GET", p, nil); res.code != tc.want {
					t.Errorf("GET %s: %d, want %d", p, res.code, tc.want)
				}
			}
			for _, p := range posts {
				res := b.do("POST", p, url.Values{"csrf": {tok}, "date": {"2026-12-04"}, "approved_by": {"Manager Wang"}})
				if tc.want == 403 && res.code != 403 {
					t.Errorf("POST %s: %d, want 403", p, res.code)
				}
				if tc.want == 200 && res.code >= 400 {
					t.Errorf("POST %s: %d\n%s", p, res.code, res.body)
				}
			}
		})
	}
	// Only the supervisor's and the admin's prints were recorded: a
	// print and a download each.
	if n := len(audits(t, f.st)); n != 4 {
		t.Errorf("%d audit rows, want 4", n)
	}
}

func TestReportCSRF(t *testing.T) {
	f := newFixture(t, false, nil)
	b := f.browser(t)
	b.signIn("0003", "1234")
	for _, p := range []string{"/reports/calls/print", "/reports/business/csv", "/dayclose/close"} {
		for name, form := range map[string]url.Values{
			"no token":    {"date": {"2026-12-04"}, "approved_by": {"Manager Wang"}},
			"wrong token": {"csrf": {"not-the-token"}, "date": {"2026-12-04"}, "approved_by": {"Manager Wang"}},
		} {
			if res := b.do("POST", p, form); res.code != http.StatusForbidden || !strings.Contains(res.body, "stale") {
				t.Errorf("POST %s with %s: %d", p, name, res.code)
			}
		}
	}
	if a := audits(t, f.st); len(a) != 0 {
		t.Errorf("refused posts recorded audit rows: %v", a)
	}
	if _, ok, _ := report.RecordedDayClose(context.Background(), f.st, "2026-12-04"); ok {
		t.Error("a day close without its token was recorded")
	}
}

func TestReportChartsEscaped(t *testing.T) {
	f := newFixture(t, false, nil)
	day := time.Date(2026, 12, 4, 10, 0, 0, 0, site)
	addCharge(t, f.st, "k1", "<script>alert(1)</script>", "0002", day, 1250)
	addCharge(t, f.st, "k2", "1203", "0002", day.Add(time.Hour), 400)
	b := f.browser(t)
	b.signIn("0003", "1234")
	res := b.do("GET", "/reports/business?date=2026-12-04", nil)
	if res.code != 200 {
		t.Fatalf("business report: %d\n%s", res.code, res.body)
	}
	for _, want := range []string{
		`<svg id="chart-service" role="img" aria-labelledby="chart-service-title chart-service-desc"`,
		`<title id="chart-room-title">Revenue by room (top 10)</title>`,
		`&lt;script&gt;alert(1)&lt;/script&gt;</text>`, // the room as an SVG text label
		`>12.50</text>`,
		`<rect x="110" y="2" width="380" height="16"`, // the largest bar is full length
	} {
		if !strings.Contains(res.body, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	if strings.Contains(res.body, "<script>alert(1)") {
		t.Error("a room from the ledger is not escaped")
	}
	if strings.Contains(res.body, "<img") {
		t.Error("a chart is an image")
	}
	res = b.do("GET", "/reports/calls?date=2026-12-04&lang=zh-Hant", nil)
	for _, want := range []string{`<title id="chart-hour-title">外撥電話（依時段）</title>`, ">23:00</text>", "依類別"} {
		if !strings.Contains(res.body, want) {
			t.Errorf("calls report (zh-Hant) lacks %s", want)
		}
	}
}

func TestReportCSVAndPrint(t *testing.T) {
	f := newFixture(t, false, nil)
	addCharge(t, f.st, "k1", "1203", "0002", time.Date(2026, 12, 4, 10, 0, 0, 0, site), 1250)
	b := f.browser(t)
	_, tok := b.signIn("0003", "1234")
	for _, tc := range []struct {
		name, path, approver string
		code                 int
		body, header         []string
		audited              bool
	}{
		{"csv", "/reports/business/csv", "Manager Wang", 200,
			[]string{"service,items,pages,amount,unbilled\ncopy,0,0,0.00,0\nprint,1,2,12.50,0\ntotal,1,2,12.50,0\n", "10:00:00,print,prn1,1203,0002,,2,A4,mono,completed,12.50,"},
			[]string{"text/csv; charset=utf-8", `attachment; filename="business-2026-12-04.csv"`}, true},
		{"print", "/reports/business/print", "Manager Wang", 200,
			[]string{`id="printed">Printed by 0003 · approved by Manager Wang`, `src="/static/print.js"`, "12.50"}, nil, true},
		{"print without approval", "/reports/business/print", "  ", 400, []string{"write the name of the manager"}, nil, false},
		{"csv without approval", "/reports/business/csv", "", 400, []string{"write the name of the manager"}, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(audits(t, f.st))
			res := b.do("POST", tc.path, url.Values{"csrf": {tok}, "date": {"2026-12-04"}, "approved_by": {tc.approver}})
			if res.code != tc.code {
				t.Fatalf("%d, want %d\n%s", res.code, tc.code, res.body)
			}
			for _, want := range tc.body {
				if !strings.Contains(res.body, want) {
					t.Errorf("the answer lacks %q:\n%s", want, res.body)
				}
			}
			for i, want := range tc.header {
				got := res.header.Get([]string{"Content-Type", "Content-Disposition"}[i])
				if got != want {
					t.Errorf("header %d: %q, want %q", i, got, want)
				}
			}
			after := audits(t, f.st)
			if got := len(after) > before; got != tc.audited {
				t.Fatalf("audited %v, want %v", got, tc.audited)
			}
		})
	}
	a := audits(t, f.st)
	if len(a) != 2 || !strings.Contains(strings.Join(a, " "), `"operator":"0003","role":"supervisor","report":"business","period":"2026-12-04","action":"csv","approved_by":"Manager Wang"`) {
		t.Fatalf("audit rows: %v", a)
	}
	// The index lists them.
	res := b.do("GET", "/reports", nil)
	if !strings.Contains(res.body, `id="report-audit"`) || strings.Count(res.body, "Manager Wang") != 2 {
		t.Errorf("the index does not list the prints:\n%s", res.body)
	}
}

func TestReportPages(t *testing.T) {
	f := newFixture(t, false, nil)
	for i := 0; i < 120; i++ {
		addCharge(t, f.st, fmt.Sprintf("k%03d", i), fmt.Sprintf("R%03d", i), "0002", time.Date(2026, 12, 4, 8, 0, i, 0, site), 100)
	}
	b := f.browser(t)
	b.signIn("0003", "1234")
	rows := regexp.MustCompile(`<td>08:0[0-9]:[0-9]{2}</td>`)
	for _, tc := range []struct {
		page       string
		rows       int
		prev, next bool
	}{{"", 50, false, true}, {"2", 50, true, true}, {"3", 20, true, false}, {"9", 20, true, false}, {"x", 50, false, true}} {
		res := b.do("GET", "/reports/business?date=2026-12-04&page="+tc.page, nil)
		if n := len(rows.FindAllString(res.body, -1)); n != tc.rows {
			t.Errorf("page %q: %d charge rows, want %d", tc.page, n, tc.rows)
		}
		if got := strings.Contains(res.body, `rel="prev"`); got != tc.prev {
			t.Errorf("page %q: previous link %v", tc.page, got)
		}
		if got := strings.Contains(res.body, `rel="next"`); got != tc.next {
			t.Errorf("page %q: next link %v", tc.page, got)
		}
	}
	// Bad parameters are answered 400 with what was wrong.
	for _, p := range []string{"/reports/calls?date=2026-13-40", "/reports/special?week=2026-W60", "/reports/shift?shift=abc",
		"/reports/shift?shift=999", "/reports/nosuch", "/dayclose?date=yesterday"} {
		if res := b.do("GET", p, nil); res.code != 400 {
			t.Errorf("GET %s: %d, want 400", p, res.code)
		}
	}
}

func TestShiftReportsAndDayClose(t *testing.T) {
	f := newFixture(t, false, nil)
	clerk := f.browser(t)
	clerk.signIn("0002", "1234") // opens the clerk's shift at 22:00
	f.clock.add(5 * time.Minute)
	addCharge(t, f.st, "k1", "1203", "0002", f.clock.now(), 800)
	f.clock.add(5 * time.Minute)
	sup := f.browser(t)
	_, tok := sup.signIn("0003", "1234")

	res := sup.do("GET", "/reports/shifts?date=2026-12-04", nil)
	link := regexp.MustCompile(`<a href="(/reports/shift\?shift=\d+)">(\d+)</a></td><td>0002</td>`).FindStringSubmatch(res.body)
	if res.code != 200 || link == nil || !strings.Contains(res.body, "STILL OPEN") {
		t.Fatalf("shifts: %d\n%s", res.code, res.body)
	}
	res = sup.do("GET", link[1], nil)
	if res.code != 200 || !strings.Contains(res.body, "Shift journal #"+link[2]+", operator 0002") || !strings.Contains(res.body, "charges/print") {
		t.Fatalf("journal: %d\n%s", res.code, res.body)
	}

	res = sup.do("GET", "/dayclose?date=2026-12-04", nil)
	for _, want := range []string{"not closed yet", "2 shift(s) are still open", `id="chart-dayclose"`, "<td>print</td><td class=\"num\">1</td>"} {
		if !strings.Contains(res.body, want) {
			t.Errorf("day close page lacks %q", want)
		}
	}
	res = sup.do("POST", "/dayclose/close", url.Values{"csrf": {tok}, "date": {"2026-12-04"}})
	if res.code != http.StatusSeeOther || res.header.Get("Location") != "/dayclose?date=2026-12-04" {
		t.Fatalf("close: %d %s", res.code, res.header.Get("Location"))
	}
	rec, ok, err := report.RecordedDayClose(context.Background(), f.st, "2026-12-04")
	if err != nil || !ok || rec.ClosedBy != "0003" || rec.Revision != 1 || rec.OpenShifts != 2 || rec.Total.AmountMinor != 800 {
		t.Fatalf("recorded: %+v %v %v", rec, ok, err)
	}
	res = sup.do("GET", "/dayclose?date=2026-12-04", nil)
	if !strings.Contains(res.body, `id="dayclose-record">This day was closed by 0003 at 2026-12-04 22:10 (revision 1)`) {
		t.Errorf("the page does not show the close:\n%s", res.body)
	}
	// A charge after the close: the print is the day as recorded.
	addCharge(t, f.st, "k2", "1205", "0002", f.clock.now(), 500)
	res = sup.do("POST", "/reports/dayclose/print", url.Values{"csrf": {tok}, "date": {"2026-12-04"}, "approved_by": {"Manager Wang"}})
	if res.code != 200 || !strings.Contains(res.body, "closed by 0003") || !strings.Contains(res.body, "revenue 8.00 TWD") {
		t.Errorf("day close print: %d\n%s", res.code, res.body)
	}
}

// BenchmarkReportPages renders the busiest report pages over a day of
// 1,000 business-centre charges (a page shows 50) and 20 shifts.
func BenchmarkReportPages(b *testing.B) {
	f := newFixture(b, false, nil)
	day := time.Date(2026, 12, 4, 0, 0, 0, 0, site)
	err := f.st.InTx(context.Background(), func(tx *store.Tx) error {
		for i := 0; i < 1000; i++ {
			if _, err := tx.Exec(`INSERT INTO business_charges(idemkey, service, device, ref, room, operator, at, units, size, color, duplex, state,
				amount, amount_minor, currency, tariff, breakdown, seq) VALUES(?,'print','prn1','print/1',?,'0002',?,2,'A4',0,0,'completed','1.00',100,'TWD','t','[]',1)`,
				fmt.Sprintf("k%05d", i), fmt.Sprintf("%d", 1000+i%300), day.Add(time.Duration(i)*time.Minute).UnixNano()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		sh, _, err := f.ops.OpenShift(context.Background(), fmt.Sprintf("9%03d", i), day.Add(time.Duration(i)*time.Hour))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := f.ops.CloseShift(context.Background(), sh.ID, day.Add(time.Duration(i)*time.Hour+50*time.Minute)); err != nil {
			b.Fatal(err)
		}
	}
	br := f.browser(b)
	br.signIn("0003", "1234")
	for _, p := range []string{"/reports/business?date=2026-12-04", "/dayclose?date=2026-12-04", "/reports/shifts?date=2026-12-04"} {
		b.Run(p, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if res := br.do("GET", p, nil); res.code != 200 {
					b.Fatalf("%s: %d", p, res.code)
				}
			}
		})
	}
}

func TestSpreadsheetSafe(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"},
		{"+1", "'+1"}, {"@SUM(A1)", "'@SUM(A1)"}, {"\tx", "'\tx"}, {"-x", "'-x"}, {"-", "'-"},
		{"-1.00", "-1.00"}, {"1203", "1203"}, {"", ""}, {"Chen", "Chen"},
	} {
		got := spreadsheetSafe([]report.Table{{Rows: [][]string{{tc.in}}, Footer: []string{tc.in}}})
		if got[0].Rows[0][0] != tc.want || got[0].Footer[0] != tc.want {
			t.Errorf("%q: %q / %q, want %q", tc.in, got[0].Rows[0][0], got[0].Footer[0], tc.want)
		}
	}
}

// TestReportStringsTranslated: every title, column and empty line the
// report package writes has its Traditional Chinese in reportMessages.
func TestReportStringsTranslated(t *testing.T) {
	f := newFixture(t, false, nil)
	sh, _, err := f.ops.OpenShift(context.Background(), "0002", f.clock.now())
	if err != nil {
		t.Fatal(err)
	}
	v := view{Lang: langZH}
	for _, kind := range reportKinds {
		q := url.Values{"date": {"2026-12-04"}, "week": {"2026-W49"}, "shift": {fmt.Sprint(sh.ID)}}
		doc, err := f.c.buildReport(context.Background(), kind, q)
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		if v.T("rep."+kind) == "rep."+kind {
			t.Errorf("%s: no name", kind)
		}
		for _, tb := range doc.Tables {
			texts := map[string]string{"rep.e.": tb.Empty, "rep.t.": tb.Title}
			for prefix, text := range texts {
				if text != "" && v.RT(prefix, text) == text { // "": a table that always has rows, or no title
					t.Errorf("%s: %q has no translation (%s%s)", kind, text, prefix, strings.ToLower(text))
				}
			}
			for _, c := range tb.Columns {
				if v.RT("rep.col.", c.Name) == c.Name {
					t.Errorf("%s: column %q has no translation", kind, c.Name)
				}
			}
		}
	}
}
