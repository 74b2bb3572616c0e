package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/pflag"

	"switchboard/internal/config"
	"switchboard/internal/report"
)

const businessReportUsage = `  switchboard report business-center --date YYYY-MM-DD [--csv|--json]
                               the day's business-center revenue by service, room and operator
  switchboard report devices   [--csv|--json]
                               the shift handover's device check: state, supplies, paper, open alerts
                               (exit 1 when a device needs attention)`

// businessReportFlags declares the flags of `report business-center` and
// `report devices`.
func businessReportFlags(kind string) func(fl *pflag.FlagSet) action {
	return func(fl *pflag.FlagSet) action {
		ra := newReportArgs(kind, fl)
		var date *string
		if kind == "business-center" {
			date = fl.String("date", "", "the day, YYYY-MM-DD in the site's time zone (required)")
		}
		return func(pos []string, stdout, stderr io.Writer) int {
			format, cfg, exit := ra.parse(pos, stderr)
			if cfg == nil {
				return exit
			}
			return runBusinessReport(ra, date, format, cfg, stdout, stderr)
		}
	}
}

func runBusinessReport(ra *reportArgs, date *string, format report.Format, cfg *config.Config, stdout, stderr io.Writer) int {
	kind := ra.kind
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
