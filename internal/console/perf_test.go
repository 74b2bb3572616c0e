package console

// Issue 13's performance targets (docs/performance.md, "Console"): every
// page's server time on a 400-day ledger, and what 20 open consoles cost
// at rest. The event latency is BenchmarkEventToBrowser (events_test.go).

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"testing"
	"time"
)

// olderLink is the calls page's link to the next older page.
var olderLink = regexp.MustCompile(`href="(/calls\?day=[^"]+)"`)

// olderPage follows the calls page's "older" link n times from path.
func olderPage(b *testing.B, br *browser, path string, n int) string {
	b.Helper()
	for range n {
		res := br.do("GET", path, nil)
		m := olderLink.FindStringSubmatch(res.body)
		if res.code != http.StatusOK || m == nil {
			b.Fatalf("%s: %d, no link to older calls", path, res.code)
		}
		path = html.UnescapeString(m[1])
	}
	return path
}

// BenchmarkConsolePages: every page's server time through the handler as
// the role that uses it, on the 400-day ledger (1,000,000 calls; see
// hotel400), one page per iteration; reports p50, p95 and the CPU per page.
// Needs SB_CONSOLE_LEDGER=1 (the ledger takes minutes to build once);
// run it with -benchtime 100x.
func BenchmarkConsolePages(b *testing.B) {
	lf := openLedger(b)
	ctx := context.Background()
	var fax, shift int64
	var job string
	if err := lf.st.QueryRow(ctx, `SELECT id FROM fax_register ORDER BY received DESC LIMIT 1`).Scan(&fax); err != nil {
		b.Fatal(err)
	}
	if err := lf.st.QueryRow(ctx, `SELECT MAX(id) FROM shifts WHERE closed IS NOT NULL`).Scan(&shift); err != nil {
		b.Fatal(err)
	}
	if err := lf.st.QueryRow(ctx, `SELECT command_id FROM fax_jobs ORDER BY id DESC LIMIT 1`).Scan(&job); err != nil {
		b.Fatal(err)
	}
	var faxJob, session int64
	if err := lf.st.QueryRow(ctx, `SELECT MAX(id)/2 FROM copy_sessions`).Scan(&session); err != nil {
		b.Fatal(err)
	}
	if err := lf.st.QueryRow(ctx, `SELECT id FROM fax_jobs WHERE command_id=?`, job).Scan(&faxJob); err != nil {
		b.Fatal(err)
	}
	yesterday := ledgerNow.AddDate(0, 0, -1).Format(time.DateOnly)
	yearAgo := ledgerNow.AddDate(-1, 0, 0).Format(time.DateOnly)
	pages := []struct {
		name string
		br   *browser
		path string
	}{
		{"home", lf.operator, "/"},
		{"wakeups", lf.operator, "/wakeups"},
		{"wakeups-board", lf.operator, "/wakeups/board"},
		{"rooms", lf.operator, "/rooms"},
		{"room-card", lf.operator, "/rooms/1101"},
		{"room-cells", lf.operator, "/rooms/cells?room=1101&room=1102"}, // live.js after a room's event
		{"rooms-grid", lf.operator, "/rooms/grid"},                      // live.js after a drop
		{"calls", lf.operator, "/calls"},
		{"calls-supervisor", lf.boss, "/calls"}, // with a resolve form per flagged call
		{"calls-older-10", lf.operator, olderPage(b, lf.operator, "/calls", 10)},
		{"calls-year-ago", lf.operator, "/calls?day=" + yearAgo},
		{"calls-year-ago-older-10", lf.operator, olderPage(b, lf.operator, "/calls?day="+yearAgo, 10)},
		{"emergencies", lf.operator, "/api/emergencies"},
		{"devices", lf.operator, "/devices"},
		{"shift", lf.operator, "/shift"},
		{"print", lf.clerk, "/print"},
		{"print-job", lf.clerk, fmt.Sprintf("/print/jobs/cmd-%d-60", lf.hotel.Days/2)},
		{"copy", lf.clerk, "/copy"},
		{"copy-session", lf.clerk, fmt.Sprintf("/copy/sessions/%d", session)},
		{"fax", lf.clerk, "/fax"},
		{"fax-job", lf.clerk, fmt.Sprintf("/fax/jobs/%d", faxJob)},
		{"fax-inbox", lf.clerk, "/fax/inbox"},
		{"fax-unassigned", lf.clerk, "/fax/inbox?unassigned=1"},
		{"fax-received", lf.clerk, fmt.Sprintf("/fax/inbox/%d", fax)},
		{"fax-page-image", lf.clerk, fmt.Sprintf("/fax/inbox/%d/pages/1", fax)},
		{"clerk-devices", lf.clerk, "/devices"},
		{"reports", lf.boss, "/reports"},
		{"report-calls", lf.boss, "/reports/calls?date=" + yesterday},
		{"report-calls-page-20", lf.boss, "/reports/calls?date=" + yesterday + "&page=20"},
		{"report-special", lf.boss, "/reports/special"},
		{"report-business", lf.boss, "/reports/business?date=" + yesterday},
		{"report-faxes", lf.boss, "/reports/faxes?date=" + yesterday},
		{"report-shifts", lf.boss, "/reports/shifts?date=" + yesterday},
		{"report-shift", lf.boss, fmt.Sprintf("/reports/shift?shift=%d", shift)},
		{"dayclose", lf.boss, "/dayclose?date=" + yesterday},
	}
	for _, pg := range pages {
		b.Run(pg.name, func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			cpu0 := cpuTime(b)
			for b.Loop() {
				start := time.Now()
				res := pg.br.do("GET", pg.path, nil)
				lat = append(lat, time.Since(start))
				if res.code != http.StatusOK {
					b.Fatalf("%s: %d\n%.500s", pg.path, res.code, res.body)
				}
			}
			// The machine is shared: the CPU per page is what a page costs
			// whatever the load; the wall percentiles are what it took.
			b.ReportMetric(float64((cpuTime(b)-cpu0).Microseconds())/1000/float64(len(lat)), "cpu-ms/op")
			slices.Sort(lat)
			pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
			b.ReportMetric(pct(0.50), "p50-ms")
			b.ReportMetric(pct(0.95), "p95-ms")
		})
	}
}

// idleWindow is how long BenchmarkIdleConsoles measures each phase:
// SB_IDLE_WINDOW (a Go duration), 30 s by default.
func idleWindow(b *testing.B) time.Duration {
	if s := os.Getenv("SB_IDLE_WINDOW"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			b.Fatalf("SB_IDLE_WINDOW=%q: want a duration such as 30s", s)
		}
		return d
	}
	return 30 * time.Second
}

// BenchmarkIdleConsoles: what 20 open consoles (20 signed-in /events
// streams over real HTTP) cost at rest, as a share of one core: the
// process's CPU time (getrusage: the server, its feed poller and the
// test's 20 readers) over the window with the streams open, minus the same
// window with the server up and no stream. Run it with -benchtime 1x.
func BenchmarkIdleConsoles(b *testing.B) {
	const consoles = 20
	window := idleWindow(b)
	f := newFixture(b, false, nil)
	srv := httptest.NewServer(f.c)
	b.Cleanup(srv.Close)
	browsers := make([]*browser, consoles)
	for i := range browsers {
		browsers[i] = f.browser(b)
		if res, tok := browsers[i].signIn(fmt.Sprintf("000%d", 1+i%4), "1234"); tok == "" {
			b.Fatalf("sign-in %d: %d", i, res.code)
		}
	}
	var base, open time.Duration
	for b.Loop() {
		c0 := cpuTime(b)
		time.Sleep(window)
		base = cpuTime(b) - c0
		streams := make([]*sseClient, 0, consoles)
		for _, br := range browsers {
			s, code := br.openStream(srv, "")
			if code != http.StatusOK {
				b.Fatalf("/events: %d", code)
			}
			streams = append(streams, s)
		}
		time.Sleep(time.Second) // the streams' first reads are not at rest
		c1 := cpuTime(b)
		time.Sleep(window)
		open = cpuTime(b) - c1
		for _, s := range streams {
			s.close()
		}
	}
	share := func(d time.Duration) float64 { return 100 * d.Seconds() / window.Seconds() }
	b.ReportMetric(share(open-base), "%core-20-consoles")
	b.ReportMetric(share(base), "%core-no-console")
	b.ReportMetric(share(open), "%core-with-consoles")
}
