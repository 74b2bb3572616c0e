package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"switchboard/internal/config"
	"switchboard/internal/rating"
	"switchboard/internal/report"
	"switchboard/internal/store"
)

const reportUsage = `usage:
  switchboard report reconcile --date YYYY-MM-DD [--device ID] [--csv|--json]
  switchboard report calls     --date YYYY-MM-DD [--csv|--json]
  switchboard report special   --week YYYY-Www [--over-minutes 30] [--over-amount 100] [--classes special]
                               [--destinations LIST] [--vacant] [--after-checkout] [--emergency] [--fallback]
                               [--unposted] [--csv|--json]
` + businessReportUsage + `
  switchboard report faxes     --date YYYY-MM-DD [--csv|--json]   the register of received faxes
Every report takes --config F. Dates and weeks are in the site's time zone.`

// reportCommand is `switchboard report KIND`: the supervisor's reports.
func reportCommand() *cobra.Command {
	return group("report",
		"supervisor reports: reconcile --date D | calls --date D | special --week 2026-W48 | business-center --date D | devices | faxes --date D",
		reportUsage,
		leaf("reconcile --date YYYY-MM-DD [--device D] [--csv|--json]",
			"every journaled frame explained: parsed, charged, or why not (exit 1 when one is unexplained)", reportUsage, reportFlags("reconcile")),
		leaf("calls --date YYYY-MM-DD [--csv|--json]", "the day's IDD/DDD statistics", reportUsage, reportFlags("calls")),
		leaf("special --week YYYY-Www [rule flags] [--csv|--json]", "the week's special calls, by the rules' flags", reportUsage, reportFlags("special")),
		leaf("business-center --date YYYY-MM-DD [--shift N] [--csv|--json]", "the day's business-center revenue by service, room and operator",
			reportUsage, businessReportFlags("business-center")),
		leaf("devices [--csv|--json]", "the shift handover's device check (exit 1 when a device needs attention)",
			reportUsage, businessReportFlags("devices")),
		leaf("faxes --date YYYY-MM-DD [--csv|--json]", "the day's register of received faxes", reportUsage, faxReportFlags))
}

// reportFlags declares the flags of `report kind` for reconcile, calls and
// special.
func reportFlags(kind string) func(fl *pflag.FlagSet) action {
	return func(fl *pflag.FlagSet) action {
		ra := newReportArgs(kind, fl)
		var date, week, device *string
		var rules *ruleFlags
		switch kind {
		case "reconcile", "calls":
			date = fl.String("date", "", "the day, YYYY-MM-DD in the site's time zone (required)")
			if kind == "reconcile" {
				device = fl.String("device", "", "only this device's frames")
			}
		case "special":
			week = fl.String("week", "", "the ISO week, e.g. 2026-W48 (required)")
			rules = addRuleFlags(fl)
		}
		return func(pos []string, stdout, stderr io.Writer) int {
			format, cfg, exit := ra.parse(pos, stderr)
			if cfg == nil {
				return exit
			}
			return runReport(ra, date, week, device, rules, format, cfg, stdout, stderr)
		}
	}
}

func runReport(ra *reportArgs, date, week, device *string, rules *ruleFlags, format report.Format, cfg *config.Config, stdout, stderr io.Writer) int {
	kind := ra.kind
	loc := cfg.Site.Location()
	var period report.Period
	if week != nil {
		if *week == "" {
			fmt.Fprintf(stderr, "switchboard report %s: --week is required (e.g. --week %s)\n", kind, isoWeek(time.Now().In(loc)))
			return 2
		}
		var err error
		if period, err = report.Week(*week, loc); err != nil {
			fmt.Fprintf(stderr, "switchboard report %s: %v\n", kind, err)
			return 2
		}
	} else {
		p, ok := ra.day(*date, loc)
		if !ok {
			return 2
		}
		period = p
	}
	var r report.Rules
	if rules != nil {
		var err error
		if r, err = rules.rules(cfg.Billing.MaskDialed); err != nil {
			fmt.Fprintf(stderr, "switchboard report %s: %v\n", kind, err)
			return 2
		}
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
	case "reconcile":
		l, err := report.LoadJournal(ctx, st, period, *device)
		if err != nil {
			fmt.Fprintf(stderr, "switchboard report reconcile: %v\n", err)
			return 1
		}
		rec := report.Reconcile(l)
		heading, tables, v = rec.Heading(), rec.Tables(), rec
		if rec.Unexplained > 0 {
			code = 1
		}
	case "calls":
		l, err := report.LoadCalls(ctx, st, period)
		if err != nil {
			fmt.Fprintf(stderr, "switchboard report calls: %v\n", err)
			return 1
		}
		s, err := report.Stats(l)
		if err != nil {
			fmt.Fprintf(stderr, "switchboard report calls: %v\n", err)
			return 1
		}
		heading, tables, v = s.Heading(), s.Tables(), s
	case "special":
		l, err := report.LoadCalls(ctx, st, period)
		if err != nil {
			fmt.Fprintf(stderr, "switchboard report special: %v\n", err)
			return 1
		}
		s := report.Special(l, r)
		heading, tables, v = s.Heading(), s.Tables(), s
	}
	if err := report.Write(stdout, format, heading, tables, v); err != nil {
		fmt.Fprintf(stderr, "switchboard report %s: %v\n", kind, err)
		return 1
	}
	return code
}

// reportArgs is what the reports' command lines share: --config, --csv and
// --json (each report adds its own flags beside them), the --date of a day's
// report, and the ledger the report reads.
type reportArgs struct {
	kind          string
	stderr        io.Writer
	configFlag    *string
	asCSV, asJSON *bool
}

func newReportArgs(kind string, fl *pflag.FlagSet) *reportArgs {
	return &reportArgs{kind: kind,
		configFlag: fl.String("config", "", "config file (default $"+config.EnvVar+", else "+config.DefaultPath+")"),
		asCSV:      fl.Bool("csv", false, "write CSV (one block per table) instead of a table"),
		asJSON:     fl.Bool("json", false, "write JSON instead of a table"),
	}
}

// parse checks the positional arguments (there are none), picks the output
// format and loads the config; later messages go to stderr. A nil cfg means
// stop: it has said why on stderr, and exit is the exit code.
func (ra *reportArgs) parse(pos []string, stderr io.Writer) (format report.Format, cfg *config.Config, exit int) {
	ra.stderr = stderr
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "switchboard report %s: unexpected argument %q\n", ra.kind, pos[0])
		return format, nil, 2
	}
	format = report.Text
	switch {
	case *ra.asCSV && *ra.asJSON:
		fmt.Fprintf(stderr, "switchboard report %s: --csv and --json exclude each other\n", ra.kind)
		return format, nil, 2
	case *ra.asCSV:
		format = report.CSV
	case *ra.asJSON:
		format = report.JSON
	}
	cfg, ok := loadConfig(*ra.configFlag, stderr)
	if !ok {
		return format, nil, 2
	}
	return format, cfg, 0
}

// day is the period of --date (required) in the site's zone; false: it
// has said why on stderr.
func (ra *reportArgs) day(date string, loc *time.Location) (report.Period, bool) {
	if date == "" {
		fmt.Fprintf(ra.stderr, "switchboard report %s: --date is required (e.g. --date %s)\n", ra.kind, time.Now().In(loc).Format(time.DateOnly))
		return report.Period{}, false
	}
	period, err := report.Day(date, loc)
	if err != nil {
		fmt.Fprintf(ra.stderr, "switchboard report %s: %v\n", ra.kind, err)
		return report.Period{}, false
	}
	return period, true
}

// openLedger opens the ledger at store.path; when ok is false it has said
// why on stderr.
func (ra *reportArgs) openLedger(ctx context.Context, cfg *config.Config) (st *store.Store, ok bool) {
	// A report reads an existing ledger; it never creates an empty one.
	if _, err := os.Stat(cfg.Store.Path); err != nil {
		fmt.Fprintf(ra.stderr, "switchboard report %s: no ledger at store.path %s: %v\n", ra.kind, cfg.Store.Path, err)
		return nil, false
	}
	st, err := store.Open(ctx, cfg.Store.Path)
	if err != nil {
		fmt.Fprintf(ra.stderr, "switchboard report %s: %v\n", ra.kind, err)
		return nil, false
	}
	return st, true
}

type ruleFlags struct {
	overMinutes                                          *int
	overAmount, classes, destinations                    *string
	vacant, afterCheckout, emergency, fallback, unposted *bool
}

func addRuleFlags(fl *pflag.FlagSet) *ruleFlags {
	d := report.DefaultRules()
	classes := make([]string, len(d.Classes))
	for i, c := range d.Classes {
		classes[i] = string(c)
	}
	return &ruleFlags{
		overMinutes:   fl.Int("over-minutes", d.OverMinutes, "calls longer than this many minutes (0: off)"),
		overAmount:    fl.String("over-amount", d.OverAmount.String(), "calls priced above this amount (0: off)"),
		classes:       fl.String("classes", strings.Join(classes, ","), "every call of these classes (comma list; \"\": none)"),
		destinations:  fl.String("destinations", "", "calls to these destinations (names, any case) or dialed prefixes (comma list)"),
		vacant:        fl.Bool("vacant", d.Vacant, "outside calls from vacant rooms"),
		afterCheckout: fl.Bool("after-checkout", d.AfterCheckout, "outside calls after the guest checked out"),
		emergency:     fl.Bool("emergency", d.Emergency, "calls to emergency numbers"),
		fallback:      fl.Bool("fallback", d.Fallback, "calls rated by a fallback rate or to an unknown number"),
		unposted:      fl.Bool("unposted", d.Unposted, "other flagged calls: unrateable, unknown extension, late charge, PBX cost differs"),
	}
}

func (f *ruleFlags) rules(mask int) (report.Rules, error) {
	r := report.Rules{OverMinutes: *f.overMinutes, Vacant: *f.vacant, AfterCheckout: *f.afterCheckout, Emergency: *f.emergency,
		Fallback: *f.fallback, Unposted: *f.unposted, Mask: mask}
	if r.OverMinutes < 0 {
		return r, fmt.Errorf("--over-minutes %d: want 0 or more", r.OverMinutes)
	}
	m, err := rating.ParseMoney(*f.overAmount)
	if err != nil || m < 0 {
		return r, fmt.Errorf("--over-amount %q: want a decimal amount like 100 or 99.50", *f.overAmount)
	}
	r.OverAmount = m
	known := map[string]bool{}
	for _, c := range report.Classes {
		known[string(c)] = true
	}
	for _, c := range splitList(*f.classes) {
		if !known[c] {
			return r, fmt.Errorf("--classes: unknown class %q (have %v)", c, report.Classes)
		}
		r.Classes = append(r.Classes, rating.Class(c))
	}
	r.Destinations = splitList(*f.destinations)
	return r, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func isoWeek(t time.Time) string {
	y, w := t.ISOWeek()
	return fmt.Sprintf("%d-W%02d", y, w)
}
