package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"switchboard/internal/report"
)

const businessReportUsage = `  switchboard report business-center --date YYYY-MM-DD [--csv|--json]
                               the day's business-center revenue by service, room and operator
  switchboard report devices   [--csv|--json]
                               the shift handover's device check: state, supplies, paper, open alerts
                               (exit 1 when a device needs attention)`

func runBusinessReport(kind string, args []string, stdout, stderr io.Writer) int {
	ra := newReportArgs(kind, stderr)
	fl := ra.fl
	fl.Usage = func() { fmt.Fprintln(stderr, "usage:\n"+businessReportUsage); fl.PrintDefaults() }
	var date *string
	if kind == "business-center" {
		date = fl.String("date", "", "the day, YYYY-MM-DD in the site's time zone (required)")
	}
	format, cfg, exit := ra.parse(args)
	if cfg == nil {
		return exit
	}
	loc := cfg.Site.Location()
	var period report.Period
	if date != nil {
		p, ok := ra.day(*date, loc)
		if !ok {
			return 2
		}
		period = p
	}
	ctx := context.Background()
	st, ok := ra.openLedger(ctx, cfg)
	if !ok {
		return 1
	}
	defer st.Close()
	code := 0
	var heading string
	var tables []report.Table
	var v any
	switch kind {
	case "business-center":
		charges, err := report.LoadBusiness(ctx, st, period)
		if err == nil {
			var r report.BusinessRevenue
			if r, err = report.Business(period, charges); err == nil {
				heading, tables, v = r.Heading(), r.Tables(), r
			}
		}
		if err != nil {
			fmt.Fprintf(stderr, "switchboard report %s: %v\n", kind, err)
			return 1
		}
	case "devices":
		r, err := report.LoadDevices(ctx, st, time.Now().In(loc))
		if err != nil {
			fmt.Fprintf(stderr, "switchboard report %s: %v\n", kind, err)
			return 1
		}
		heading, tables, v = r.Heading(), r.Tables(), r
		if r.NeedsAttention() {
			code = 1
		}
	}
	if err := report.Write(stdout, format, heading, tables, v); err != nil {
		fmt.Fprintf(stderr, "switchboard report %s: %v\n", kind, err)
		return 1
	}
	return code
}
