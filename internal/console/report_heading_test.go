package console

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"switchboard/internal/report"
)

// TestReportHeadings: every report's first line in English is word for
// word what internal/report writes (the CLI's), and in Chinese is in
// Chinese; the day close's says whether and by whom it was closed.
func TestReportHeadings(t *testing.T) {
	f := newFixture(t, false, nil)
	ctx := context.Background()
	sh, _, err := f.ops.OpenShift(ctx, "0002", f.clock.now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	addCharge(t, f.st, "k1", "1203", "0002", f.clock.now().Add(-30*time.Minute), 1250)
	q := url.Values{"date": {"2026-12-04"}, "week": {"2026-W49"}, "shift": {fmt.Sprint(sh.ID)}}
	zhStarts := map[string]string{"calls": "國際／國內長途電話統計 2026-12-04", "special": "特殊電話 2026-W49", "business": "商務中心營收 2026-12-04",
		"faxes": "傳真登記簿 2026-12-04", "shifts": "當日班次 2026-12-04", "shift": fmt.Sprintf("班次日誌 #%d，經辦人 0002", sh.ID), "dayclose": "日結 2026-12-04"}
	check := func(t *testing.T, kind string) {
		doc, err := f.c.buildReport(ctx, kind, q)
		if err != nil {
			t.Fatal(err)
		}
		if len(doc.Head) == 0 {
			t.Fatalf("%s: no heading parts", kind)
		}
		if en := (view{Lang: langEN}).ReportHeading(doc); en != doc.Heading {
			t.Errorf("%s: English heading\n%q, internal/report's\n%q", kind, en, doc.Heading)
		}
		zh := view{Lang: langZH}.ReportHeading(doc)
		if !strings.HasPrefix(zh, zhStarts[kind]) || strings.Contains(zh, "%!") {
			t.Errorf("%s: Chinese heading %q", kind, zh)
		}
	}
	for _, kind := range reportKinds {
		t.Run(kind, func(t *testing.T) { check(t, kind) })
	}
	if _, err := report.RecordDayClose(ctx, f.st, mustGather(t, f), "0003", f.clock.now()); err != nil {
		t.Fatal(err)
	}
	t.Run("dayclose closed", func(t *testing.T) {
		check(t, "dayclose")
		doc, _ := f.c.buildReport(ctx, "dayclose", q)
		if zh := (view{Lang: langZH}).ReportHeading(doc); !strings.HasSuffix(zh, "已由 0003 於 2026-12-04 22:00 日結（版本 1）") {
			t.Errorf("closed day: %q", zh)
		}
	})
}

// mustGather is the fixture's day close of 2026-12-04 as of now.
func mustGather(t *testing.T, f *fixture) report.DayClose {
	t.Helper()
	p, err := report.Day("2026-12-04", site)
	if err != nil {
		t.Fatal(err)
	}
	d, err := f.c.gatherDay(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
