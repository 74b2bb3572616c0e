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

const businessReportUsage = `  switchboard report business-center --date YYYY-MM-DD [--shift N] [--csv|--json]
  switchboard report business-center --shift N [--csv|--json]
                               the day's business-center revenue by service, room and operator;
                               --shift N: only the charges of console shift N (alone: all of them)
  switchboard report devices   [--csv|--json]
                               the shift handover's device check: state, supplies, paper, open alerts
                               (exit 1 when a device needs attention)`

// businessReportFlags declares the flags of `report business-center` and
// `report devices`.
func businessReportFlags(kind string) func(fl *pflag.FlagSet) action {
	return func(fl *pflag.FlagSet) action {
		ra := newReportArgs(kind, fl)
		var date *string
		var shift *int64
		if kind == "business-center" {
			date = fl.String("date", "", "the day, YYYY-MM-DD in the site's time zone (required without --shift)")
			shift = fl.Int64("shift", 0, "only the charges of this console shift (its id, as the shift journal shows it)")
		}
		return func(pos []string, stdout, stderr io.Writer) int {
			format, cfg, exit := ra.parse(pos, stderr)
			if cfg == nil {
				return exit
			}
			if shift != nil && *shift < 0 {
				fmt.Fprintf(stderr, "switchboard report %s: --shift %d: a shift is a positive number (the console's shift id)\n", kind, *shift)
				return 2
			}
			if shift != nil && *shift > 0 && *date == "" {
				return runShiftBusinessReport(ra, *shift, format, cfg, stdout, stderr)
			}
			return runBusinessReport(ra, date, shift, format, cfg, stdout, stderr)
		}
	}
}

func runBusinessReport(ra *reportArgs, date *string, shift *int64, format report.Format, cfg *config.Config, stdout, stderr io.Writer) int {
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
		if err == nil && shift != nil && *shift > 0 {
			charges = report.OfShift(charges, *shift)
			period.Label += fmt.Sprintf(" shift %d", *shift)
		}
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

// runShiftBusinessReport prints the business-center revenue of one console
// shift, whatever days it spans (a night shift crosses midnight).
func runShiftBusinessReport(ra *reportArgs, shift int64, format report.Format, cfg *config.Config, stdout, stderr io.Writer) int {
	ctx := context.Background()
	st, ok := ra.openLedger(ctx, cfg)
	if !ok {
		return 1
	}
	defer st.Close()
	charges, period, err := report.LoadBusinessOfShift(ctx, st, shift, cfg.Site.Location())
	var r report.BusinessRevenue
	if err == nil {
		r, err = report.Business(period, charges)
	}
	if err == nil {
		err = report.Write(stdout, format, r.Heading(), r.Tables(), r)
	}
	if err != nil {
		fmt.Fprintf(stderr, "switchboard report %s: %v\n", ra.kind, err)
		return 1
	}
	return 0
}
