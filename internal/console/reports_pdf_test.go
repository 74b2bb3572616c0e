package console

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"switchboard/internal/pdf"
	"switchboard/internal/store"
)

// TestReportPDF: every report downloads as a PDF for the supervisor and
// the admin, with the manager's approval recorded first; operators and
// business-centre clerks are refused (403) and nothing is recorded.
func TestReportPDF(t *testing.T) {
	f := newFixture(t, false, nil)
	f.c.o.Hotel = "Grand Hotel"
	for i := 0; i < 120; i++ {
		addCharge(t, f.st, fmt.Sprintf("k%03d", i), fmt.Sprintf("R%03d", i), "0002", time.Date(2026, 12, 4, 8, 0, i, 0, site), 100)
	}
	sh, _, err := f.ops.OpenShift(t.Context(), "0002", f.clock.now())
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{"date": {"2026-12-04"}, "week": {"2026-W49"}, "shift": {fmt.Sprint(sh.ID)}, "approved_by": {"Manager Wang"}}
	pages := regexp.MustCompile(`/Type /Pages /Kids \[[^]]*\] /Count (\d+) >>`)
	for _, tc := range []struct {
		code   string
		status int
	}{{"0001", 403}, {"0002", 403}, {"0003", 200}, {"0004", 200}} {
		t.Run(tc.code, func(t *testing.T) {
			b := f.browser(t)
			_, tok := b.signIn(tc.code, "1234")
			form.Set("csrf", tok)
			for _, kind := range []string{"calls", "special", "business", "faxes", "shifts", "shift", "dayclose"} {
				f.clock.add(time.Second) // audit keys sort by time
				before := len(audits(t, f.st))
				res := b.do("POST", "/reports/"+kind+"/pdf", form)
				if res.code != tc.status {
					t.Fatalf("%s: %d, want %d\n%.300s", kind, res.code, tc.status, res.body)
				}
				after := audits(t, f.st)
				if tc.status != 200 {
					if len(after) != before {
						t.Errorf("%s: a refused download was recorded", kind)
					}
					continue
				}
				last, err := f.c.recentReportAudits(t.Context(), 1)
				if err != nil || len(after) != before+1 || len(last) != 1 {
					t.Fatalf("%s: %d audit rows after %d (%v)", kind, len(after), before, err)
				}
				if a := last[0]; a.Operator != tc.code || a.Report != kind || a.Action != "pdf" || a.ApprovedBy != "Manager Wang" || a.Period == "" {
					t.Errorf("%s: audit row %+v", kind, a)
				}
				if ct := res.header.Get("Content-Type"); ct != "application/pdf" {
					t.Errorf("%s: Content-Type %q", kind, ct)
				}
				if cd := res.header.Get("Content-Disposition"); !strings.HasPrefix(cd, `attachment; filename="`+kind+"-") || !strings.HasSuffix(cd, `.pdf"`) {
					t.Errorf("%s: Content-Disposition %q", kind, cd)
				}
				if !strings.HasPrefix(res.body, "%PDF-") || !strings.HasSuffix(res.body, "%%EOF\n") {
					t.Fatalf("%s: not a PDF: %.40q", kind, res.body)
				}
				m := pages.FindStringSubmatch(res.body)
				if m == nil {
					t.Fatalf("%s: no page tree", kind)
				}
				n := m[1]
				if !strings.Contains(res.body, "(Grand Hotel \xb7 "+translate(langEN, "rep."+kind)) || !strings.Contains(res.body, "(Page 1 / "+n+")") ||
					!strings.Contains(res.body, "approved by Manager Wang") {
					t.Errorf("%s: the header or footer is missing\n%s", kind, res.body[strings.Index(res.body, "0.5 w 40 34.0"):][:400])
				}
				if kind == "business" {
					// 120 charges: the charges table runs over pages, every
					// charge on one of them.
					if n == "1" {
						t.Errorf("business: 120 charges on one page")
					}
					for i := 0; i < 120; i++ {
						if !regexp.MustCompile(fmt.Sprintf(`\(08:0\d:\d\d +print +prn1 +R%03d `, i)).MatchString(res.body) {
							t.Fatalf("business: charge R%03d is not in the PDF", i)
						}
					}
				}
			}
		})
	}
	// The index lists the downloads as PDF.
	b := f.browser(t)
	_, tok := b.signIn("0003", "1234")
	if res := b.do("GET", "/reports", nil); !strings.Contains(res.body, "<td>PDF</td>") {
		t.Error("the index does not list the PDF downloads")
	}
	// Without the approver nothing is sent or recorded.
	before := len(audits(t, f.st))
	if res := b.do("POST", "/reports/business/pdf", url.Values{"csrf": {tok}, "date": {"2026-12-04"}}); res.code != 400 || strings.HasPrefix(res.body, "%PDF") {
		t.Errorf("a PDF without approval: %d", res.code)
	}
	if len(audits(t, f.st)) != before {
		t.Error("a PDF without approval was recorded")
	}
}

// BenchmarkReportPDF downloads the business-centre report of a day of
// 1,000 charges as a PDF: the audit row, the report, the layout; in
// English, and in Chinese with the Chinese font (its subset embedded).
func BenchmarkReportPDF(b *testing.B) {
	f := newFixture(b, false, nil)
	day := time.Date(2026, 12, 4, 0, 0, 0, 0, site)
	err := f.st.InTx(b.Context(), func(tx *store.Tx) error {
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
	br := f.browser(b)
	_, tok := br.signIn("0003", "1234")
	form := url.Values{"csrf": {tok}, "date": {"2026-12-04"}, "approved_by": {"Manager Wang"}}
	font, _ := pdf.LoadTrueType(cjkFont) // nil without it: that case is skipped
	for _, lang := range []string{"en", "zh-Hant"} {
		b.Run(lang, func(b *testing.B) {
			if lang != "en" {
				if font == nil {
					b.Skip("no Chinese font")
				}
				f.c.o.PDFFont = font
			}
			var size int
			for i := 0; i < b.N; i++ {
				res := br.do("POST", "/reports/business/pdf?lang="+lang, form)
				if res.code != 200 {
					b.Fatalf("%d", res.code)
				}
				size = len(res.body)
			}
			b.ReportMetric(float64(size), "bytes/pdf")
		})
	}
}

// TestReportPDFGuards: no session, no PDF (to the sign-in page); a form
// without its token is refused and nothing is recorded.
func TestReportPDFGuards(t *testing.T) {
	f := newFixture(t, false, nil)
	form := url.Values{"date": {"2026-12-04"}, "approved_by": {"Manager Wang"}}
	b := f.browser(t)
	if res := b.do("POST", "/reports/business/pdf", form); res.code != 303 || res.header.Get("Location") != "/signin" {
		t.Errorf("no session: %d %s", res.code, res.header.Get("Location"))
	}
	b.signIn("0003", "1234")
	for name, tok := range map[string]string{"no token": "", "wrong token": "not-the-token"} {
		form.Set("csrf", tok)
		if res := b.do("POST", "/reports/business/pdf", form); res.code != 403 || strings.HasPrefix(res.body, "%PDF") {
			t.Errorf("%s: %d", name, res.code)
		}
	}
	if a := audits(t, f.st); len(a) != 0 {
		t.Errorf("refused downloads recorded: %v", a)
	}
}
