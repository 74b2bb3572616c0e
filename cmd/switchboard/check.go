package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"switchboard/drivers/all"
	"switchboard/internal/config"
)

// runCheck is `switchboard check [--config F]`: exit 0 and one line when the
// config is good; exit 2 and every problem, one per line, when it is not.
func runCheck(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("check", flag.ContinueOnError)
	fl.SetOutput(stderr)
	configFlag := fl.String("config", "", "config file (default $"+config.EnvVar+", else "+config.DefaultPath+")")
	fl.Usage = func() {
		fmt.Fprintln(fl.Output(), "usage: switchboard check [--config F]\n\nReads the config file and lists every problem in it, one per line.\nExit status: 0 valid, 2 invalid or unreadable.\n\nflags:")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fl.NArg() > 0 {
		fmt.Fprintf(stderr, "switchboard check: unexpected argument %q (the file goes in --config)\n", fl.Arg(0))
		return 2
	}

	path := config.Resolve(*configFlag)
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
