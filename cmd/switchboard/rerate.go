package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"switchboard/internal/config"
	"switchboard/internal/folio"
	"switchboard/internal/gateway"
)

func rerateFlags(fl *pflag.FlagSet) action {
	configFlag := fl.String("config", "", "config file (default $"+config.EnvVar+", else "+config.DefaultPath+")")
	since := fl.String("since", "", "calls that started at or after (date, RFC 3339 time, or a duration like 24h); required")
	until := fl.String("until", "", "calls that started before (date, RFC 3339 time, or a duration like 1h); required")
	dry := fl.Bool("dry-run", false, "print what would change; write nothing")
	asJSON := fl.Bool("json", false, "print the result as JSON")
	return func(pos []string, stdout, stderr io.Writer) int {
		if len(pos) > 0 {
			fmt.Fprintf(stderr, "switchboard rerate: unexpected argument %q\n", arg(pos, 0))
			return 2
		}
		cfg, ok := loadConfig(*configFlag, stderr)
		if !ok {
			return 2
		}
		if *since == "" || *until == "" {
			fmt.Fprintln(stderr, "switchboard rerate: --since and --until are required (e.g. --since 2026-11-01 --until 2026-12-01)")
			return 2
		}
		loc := cfg.Site.Location()
		from, err := parseWhen(*since, loc)
		if err != nil {
			fmt.Fprintf(stderr, "switchboard rerate: --since: %v\n", err)
			return 2
		}
		to, err := parseWhen(*until, loc)
		if err != nil {
			fmt.Fprintf(stderr, "switchboard rerate: --until: %v\n", err)
			return 2
		}
		ctx := context.Background()
		g, err := gateway.OpenOffline(ctx, cfg, newLogger(cfg, stderr))
		if err != nil {
			fmt.Fprintf(stderr, "switchboard rerate: %v\n", err)
			return 1
		}
		defer g.Close()
		res, err := g.Rerate(ctx, folio.RerateOptions{Since: from, Until: to, DryRun: *dry})
		if *asJSON {
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			_ = enc.Encode(res)
		} else {
			writeRerate(stdout, res, *dry, from.In(loc).Format("2006-01-02 15:04"), to.In(loc).Format("2006-01-02 15:04"))
		}
		if err != nil {
			fmt.Fprintf(stderr, "switchboard rerate: %v\n", err)
			return 1
		}
		if res.Review > 0 || res.Failed > 0 {
			return 1
		}
		return 0
	}
}

func writeRerate(w io.Writer, r folio.RerateResult, dry bool, from, to string) {
	verb := "re-rated"
	if dry {
		verb = "dry run, nothing written:"
	}
	fmt.Fprintf(w, "%s %d outgoing calls started %s to %s: %d unchanged, %d posted with a new amount (adjusted), %d not posted (ledger refreshed), %d to review, %d could not be rated\n",
		verb, r.Calls, from, to, r.Unchanged, r.Adjusted, r.Refreshed, r.Review, r.Failed)
	for _, c := range r.Changes {
		what := "not posted (" + c.NotPosted + "): ledger"
		if c.Posted {
			what = "posted: adjustment"
			if c.AdjustmentSeq > 0 {
				what += fmt.Sprintf(" seq %d", c.AdjustmentSeq)
			}
		}
		room := c.Room
		if room == "" {
			room = "ext " + c.Extension
		}
		fmt.Fprintf(w, "  %s  %s  %s  %s %s -> %s (%s -> %s)  %s", c.Start.Format("2006-01-02 15:04:05"), room, c.Call, c.Currency,
			c.OldAmount, c.NewAmount, c.OldVersion, c.NewVersion, what)
		if c.Note != "" {
			fmt.Fprintf(w, "  REVIEW: %s", c.Note)
		}
		fmt.Fprintln(w)
	}
}
