package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"switchboard/drivers/all"
	"switchboard/internal/config"
)

// checkCommand is `switchboard check [--config F]`: exit 0 and one line when
// the config is good; exit 2 and every problem, one per line, when it is not.
func checkCommand() *cobra.Command {
	return leaf("check [--config F]", "validate the config file and list every problem in it",
		"Reads the config file and lists every problem in it, one per line.\nExit status: 0 valid, 2 invalid or unreadable.",
		func(fl *pflag.FlagSet) action {
			configFlag := configFlag(fl)
			return func(pos []string, stdout, stderr io.Writer) int {
				if len(pos) > 0 {
					fmt.Fprintf(stderr, "switchboard check: unexpected argument %q (the file goes in --config)\n", pos[0])
					return 2
				}
				return runCheck(*configFlag, stdout, stderr)
			}
		})
}

func runCheck(configFlag string, stdout, stderr io.Writer) int {
	path := config.Resolve(configFlag)
	cfg, err := config.LoadWith(path, all.Registry().Catalog())
	if err != nil {
		var verr *config.ValidationError
		if errors.As(err, &verr) {
			fmt.Fprintln(stderr, verr.Error())
			fmt.Fprintf(stderr, "config invalid: %s (%s)\n", path, plural(len(verr.Problems), "problem"))
		} else {
			fmt.Fprintf(stderr, "switchboard check: %v\n", err)
		}
		return 2
	}
	fmt.Fprintf(stdout, "config OK: %s (%s)\n", path, plural(len(cfg.Devices), "device"))
	return 0
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
