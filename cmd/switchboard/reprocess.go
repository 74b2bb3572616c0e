package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/pflag"

	"switchboard/internal/config"
	"switchboard/internal/gateway"
)

// parseWhen reads an RFC 3339 time, a date (YYYY-MM-DD, midnight in the site
// zone), or a duration back from now ("24h").
func parseWhen(s string, loc *time.Location) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation("2006-01-02", s, loc); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		return time.Now().Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("%q is not a time: use 2026-11-27, 2026-11-27T08:00:00+08:00, or 24h", s)
}

func reprocessFlags(fl *pflag.FlagSet) action {
	configFlag := fl.String("config", "", "config file (default $"+config.EnvVar+", else "+config.DefaultPath+")")
	since := fl.String("since", "", "re-read frames received since (date, RFC 3339 time, or a duration like 24h); required")
	device := fl.String("device", "", "only this device")
	prof := fl.String("profile", "", "read with this profile instead of the configured one")
	return func(pos []string, stdout, stderr io.Writer) int {
		cfg, ok := loadConfig(*configFlag, stderr)
		if !ok {
			return 2
		}
		if *since == "" {
			fmt.Fprintln(stderr, "switchboard reprocess: --since is required (e.g. --since 24h)")
			return 2
		}
		t, err := parseWhen(*since, cfg.Site.Location())
		if err != nil {
			fmt.Fprintf(stderr, "switchboard reprocess: --since: %v\n", err)
			return 2
		}
		ctx := context.Background()
		g, err := gateway.OpenOffline(ctx, cfg, newLogger(cfg, stderr))
		if err != nil {
			fmt.Fprintf(stderr, "switchboard reprocess: %v\n", err)
			return 1
		}
		defer g.Close()
		res, err := g.Reprocess(ctx, gateway.ReprocessOptions{Device: *device, Profile: *prof, Since: t})
		for _, r := range res {
			fmt.Fprintf(stdout, "%s: %d frames re-read with profile %s: %d now parsed, %d skipped, %d still unreadable\n",
				r.Device, r.Read, r.Profile, r.Parsed, r.Skip, len(r.StillUnparsed))
			for _, u := range r.StillUnparsed {
				fmt.Fprintf(stdout, "  %s\n", u)
			}
		}
		if err != nil {
			fmt.Fprintf(stderr, "switchboard reprocess: %v\n", err)
			return 1
		}
		for _, r := range res {
			if len(r.StillUnparsed) > 0 {
				return 1
			}
		}
		return 0
	}
}
