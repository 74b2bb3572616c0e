package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"switchboard/internal/config"
	"switchboard/internal/report"
	"switchboard/internal/store"
)

const businessReportUsage = `  switchboard report business-center --date YYYY-MM-DD [--csv|--json]
                               the day's business-center revenue by service, room and operator
  switchboard report devices   [--csv|--json]
                               the shift handover's device check: state, supplies, paper, open alerts
                               (exit 1 when a device needs attention)`

func runBusinessReport(kind string, args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("report "+kind, flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.Usage = func() { fmt.Fprintln(stderr, "usage:\n"+businessReportUsage); fl.PrintDefaults() }
	configFlag := fl.String("config", "", "config file (default $"+config.EnvVar+", else "+config.DefaultPath+")")
	asCSV := fl.Bool("csv", false, "write CSV (one block per table) instead of a table")
	asJSON := fl.Bool("json", false, "write JSON instead of a table")
	var date *string
	if kind == "business-center" {
		date = fl.String("date", "", "the day, YYYY-MM-DD in the site's time zone (required)")
	}
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fl.NArg() > 0 {
		fmt.Fprintf(stderr, "switchboard report %s: unexpected argument %q\n", kind, fl.Arg(0))
		return 2
	}
	format := report.Text
	switch {
	case *asCSV && *asJSON:
		fmt.Fprintf(stderr, "switchboard report %s: --csv and --json exclude each other\n", kind)
		return 2
	case *asCSV:
		format = report.CSV
	case *asJSON:
		format = report.JSON
	}
	cfg, ok := loadConfig(*configFlag, stderr)
	if !ok {
		return 2
	}
	loc := cfg.Site.Location()
	var period report.Period
	if date != nil {
		if *date == "" {
			fmt.Fprintf(stderr, "switchboard report %s: --date is required (e.g. --date %s)\n", kind, time.Now().In(loc).Format(time.DateOnly))
			return 2
		}
		var err error
		if period, err = report.Day(*date, loc); err != nil {
			fmt.Fprintf(stderr, "switchboard report %s: %v\n", kind, err)
			return 2
		}
	}
	// A report reads an existing ledger; it never creates an empty one.
	if _, err := os.Stat(cfg.Store.Path); err != nil {
		fmt.Fprintf(stderr, "switchboard report %s: no ledger at store.path %s: %v\n", kind, cfg.Store.Path, err)
		return 1
	}
	ctx := context.Background()
	st, err := store.Open(ctx, cfg.Store.Path)
	if err != nil {
		fmt.Fprintf(stderr, "switchboard report %s: %v\n", kind, err)
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
