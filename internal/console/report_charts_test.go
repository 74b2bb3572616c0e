package console

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	faxjobs "switchboard/internal/fax/jobs"
	"switchboard/internal/folio"
	"switchboard/internal/folio/ledger"
	"switchboard/internal/store"
)

// addSentFax puts a fax job that ended at `at` in state with pages
// confirmed.
func addSentFax(t *testing.T, st *store.Store, key, state string, at time.Time, confirmed int) {
	t.Helper()
	err := st.InTx(context.Background(), func(tx *store.Tx) error {
		_, err := tx.Exec(`INSERT INTO fax_jobs(command_id, device, number, dial, canonical, kind, zone, room, operator, document, pages, fine,
			state, max_attempts, retry_every, next_at, created, updated, confirmed) VALUES(?,'fax1','1','1','1','local','domestic','1203','0002','x.tif',?,0,?,3,0,0,?,?,?)`,
			key, confirmed, state, at.UnixNano(), at.UnixNano(), confirmed)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestReportChartsEveryReport: the special-calls list, the fax register,
// the shifts of the day and a shift journal each draw their charts as
// inline SVG with real text, labelled for screen readers, in the page's
// language, with what a guest or a device wrote escaped.
func TestReportChartsEveryReport(t *testing.T) {
	f := newFixture(t, false, nil)
	now := f.clock.now() // 2026-12-04 22:00, a Friday of 2026-W49
	special := func(key string, at time.Time, ext, flags, why string) ledger.Call {
		c := loggedCall(key, at, ext, "90213456789", "local", flags, false)
		c.CarrierCost, c.NotPosted = "1.00", why
		return c
	}
	addCalls(t, f.st,
		special("s1", now.Add(-49*time.Hour), `<script>alert(1)</script>`, `["vacant-room"]`, folio.VacantRoom),
		special("s2", now.Add(-2*time.Hour), "1205", `["vacant-room","after-checkout"]`, folio.VacantRoom),
		special("s3", now.Add(-time.Hour), "1206", `["after-checkout"]`, folio.AfterCheckOut))
	registerFax(t, f.st, faxjobs.Fax{Key: "k1", Device: "fax1", Received: now.Add(-3 * time.Hour), Pages: 3, RemoteID: "<b>remote</b>"})
	registerFax(t, f.st, faxjobs.Fax{Key: "k2", Device: "fax1", Received: now.Add(-2 * time.Hour), Pages: 2})
	addSentFax(t, f.st, "c1", "sent", now.Add(-time.Hour), 4)
	addSentFax(t, f.st, "c2", "failed", now.Add(-time.Hour), 1)  // not sent: not counted
	addSentFax(t, f.st, "c3", "sent", now.Add(-30*time.Hour), 7) // the day before
	sh, _, err := f.ops.OpenShift(context.Background(), "0002", now.Add(-4*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	addCharge(t, f.st, "k1", "1203", "0002", now.Add(-3*time.Hour), 1250)
	b := f.browser(t)
	b.signIn("0003", "1234")
	svg := func(id string) string {
		return fmt.Sprintf(`<svg id="%s" role="img" aria-labelledby="%s-title %s-desc"`, id, id, id)
	}
	for _, tc := range []struct {
		name, path string
		has        []string
	}{
		{"special", "/reports/special?week=2026-W49&lang=en", []string{svg("chart-day"), svg("chart-rule"),
			`<title id="chart-day-title">Special calls by day</title>`,
			`<desc id="chart-day-desc">2026-11-30: 0; 2026-12-01: 0; 2026-12-02: 1; 2026-12-03: 0; 2026-12-04: 2; 2026-12-05: 0; 2026-12-06: 0</desc>`,
			`>2026-12-02</text>`, `<desc id="chart-rule-desc">after check-out: 2; vacant room: 2</desc>`}},
		{"special in Chinese", "/reports/special?week=2026-W49&lang=zh-Hant", []string{`<title id="chart-rule-title">特殊電話（依規則，一通可符合多項）</title>`,
			`>退房後</text>`, `>空房</text>`, "<td>否：通話時為空房</td>"}},
		{"faxes", "/reports/faxes?date=2026-12-04&lang=en", []string{svg("chart-faxpages"), svg("chart-delivery"),
			`<desc id="chart-faxpages-desc">received: 5; sent: 4</desc>`, `<desc id="chart-delivery-desc">delivered: 0; waiting: 2</desc>`}},
		{"faxes in Chinese", "/reports/faxes?date=2026-12-04&lang=zh-Hant", []string{`>收到</text>`, `>待送</text>`, `<td>未指定</td>`}},
		{"shifts", "/reports/shifts?date=2026-12-04&lang=en", []string{svg("chart-shifts"),
			fmt.Sprintf(`<desc id="chart-shifts-desc">#%d 0002 · charges/print: 12.50 TWD</desc>`, sh.ID), "<td>STILL OPEN</td>"}},
		{"shifts in Chinese", "/reports/shifts?date=2026-12-04&lang=zh-Hant", []string{fmt.Sprintf(`>#%d 0002 · 收費/列印</text>`, sh.ID), "<td>尚未結班</td>"}},
		{"shift journal", fmt.Sprintf("/reports/shift?shift=%d&lang=en", sh.ID), []string{svg("chart-journal"),
			`<desc id="chart-journal-desc">charges/print: 12.50 TWD</desc>`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := b.do("GET", tc.path, nil)
			if res.code != 200 {
				t.Fatalf("%d\n%s", res.code, res.body)
			}
			for _, want := range tc.has {
				if !strings.Contains(res.body, want) {
					t.Errorf("the page lacks %s\n%s", want, res.body[strings.Index(res.body, "<main"):])
				}
			}
			if strings.Contains(res.body, "<script>alert") || strings.Contains(res.body, "<b>remote") || strings.Contains(res.body, "<img") {
				t.Error("device text unescaped, or a chart drawn as an image")
			}
			// Every bar has its label and its value as text.
			rects := len(regexp.MustCompile(`<rect `).FindAllString(res.body, -1))
			texts := len(regexp.MustCompile(`</text>`).FindAllString(res.body, -1))
			if rects == 0 || texts != 2*rects {
				t.Errorf("%d bars, %d texts", rects, texts)
			}
		})
	}
}

// TestReportCells: the English cells internal/report writes are
// translated on the page, in the columns that carry them only.
func TestReportCells(t *testing.T) {
	zh := view{Lang: langZH}
	for _, tc := range []struct{ col, in, want string }{
		{"closed", "STILL OPEN", "尚未結班"},
		{"POSTED", "yes", "是"},
		{"POSTED", "no: room vacant at the time of the call", "否：通話時為空房"},
		{"POSTED", "no: cannot rate: no rate for 999", "否：無法計價：no rate for 999"},
		{"RULES", "over 30 min, class special, vacant room", "超過 30 分鐘、類別 special、空房"},
		{"RULES", "over 100.00", "超過 100.00"},
		{"why", "vacant-room, late-charge; room vacant at the time of the call", "空房、遲到的費用；通話時為空房"},
		{"Status", "CHECK OUT 2026-12-01", "已退房 2026-12-01"},
		{"Status", "delivered", "已送達"},
		{"Pages", "3 (partial)", "3（不完整）"},
		{"class", "all outgoing", "全部外撥"},
		{"footer", "Total", "合計"},
		{"service", "fax-send", "傳真發送"},
		{"service", "charges/fax-receive", "收費/傳真接收"},
		{"service", "pbx/wakeup", "總機/叫醒"},
		{"name", "yes", "yes"},               // a guest's name is data
		{"room", "STILL OPEN", "STILL OPEN"}, // not a translated column
		{"status", "something new", "something new"},
	} {
		if got := zh.Cell(tc.col, tc.in); got != tc.want {
			t.Errorf("Cell(%q, %q) = %q, want %q", tc.col, tc.in, got, tc.want)
		}
		if got := (view{Lang: langEN}).Cell(tc.col, tc.in); got != tc.in {
			t.Errorf("English Cell(%q, %q) = %q", tc.col, tc.in, got)
		}
	}
}
