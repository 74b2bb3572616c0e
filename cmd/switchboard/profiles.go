package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"gopkg.in/yaml.v3"

	"switchboard/drivers"
	"switchboard/drivers/all"
	"switchboard/drivers/pbx"
	"switchboard/internal/profile"
)

func runProfiles(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("profiles", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("profiles-dir", "", "directory of profiles that override or add to the embedded ones")
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: switchboard profiles [--profiles-dir DIR] list|show ID|test [ID]")
		return 2
	}
	// Flags may come before or after the subcommand.
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "usage: switchboard profiles [--profiles-dir DIR] list|show ID|test [ID]")
		return 2
	}
	sub := fs.Arg(0)
	if err := fs.Parse(fs.Args()[1:]); err != nil {
		return 2
	}
	reg, err := profile.Default()
	if *dir != "" {
		reg, err = profile.Load(*dir)
	}
	if err != nil {
		fmt.Fprintf(stderr, "profiles: %v\n", err)
		return 2
	}
	switch sub {
	case "list":
		for _, p := range reg.All() {
			fmt.Fprintf(stdout, "%-20s %-22s %-8s %s\n", p.ID, p.Vendor, p.Framing.Type, strings.Join(p.Models, ", "))
		}
		// The other drivers' profiles, from the drivers' registry.
		for _, e := range all.Registry().Entries() {
			if e.Kind == drivers.KindSMDR || e.ProfileIDs == nil {
				continue
			}
			fmt.Fprintf(stdout, "%s (driver %s): %s\n", e.Kind, e.Name, strings.Join(e.ProfileIDs(), ", "))
		}
		return 0
	case "show":
		if fs.NArg() != 1 {
			fmt.Fprintln(stderr, "usage: switchboard profiles show ID")
			return 2
		}
		p, err := reg.Lookup(fs.Arg(0))
		if err != nil {
			fmt.Fprintf(stderr, "profiles: %v\n", err)
			return 2
		}
		fmt.Fprintf(stdout, "# %s (from %s, after extends)\n", p.ID, p.Origin)
		enc := yaml.NewEncoder(stdout)
		enc.SetIndent(2)
		if err := enc.Encode(p.Doc); err != nil {
			fmt.Fprintf(stderr, "profiles: %v\n", err)
			return 2
		}
		return 0
	case "test":
		list := reg.All()
		if fs.NArg() > 1 {
			fmt.Fprintln(stderr, "usage: switchboard profiles test [ID]")
			return 2
		}
		if fs.NArg() == 1 {
			p, err := reg.Lookup(fs.Arg(0))
			if err != nil {
				fmt.Fprintf(stderr, "profiles: %v\n", err)
				return 2
			}
			list = []*profile.PBX{p}
		}
		failed, total := 0, 0
		for _, p := range list {
			if len(p.Examples) == 0 {
				fmt.Fprintf(stdout, "FAIL %s: no inline examples\n", p.ID)
				failed++
				continue
			}
			for i, ex := range p.Examples {
				total++
				if err := pbx.RunExample(p, ex); err != nil {
					failed++
					fmt.Fprintf(stdout, "FAIL %s example %d: %v\n     raw: %q\n", p.ID, i+1, err, ex.Raw)
					continue
				}
				fmt.Fprintf(stdout, "ok   %s example %d\n", p.ID, i+1)
			}
		}
		fmt.Fprintf(stdout, "%d examples, %d failed\n", total, failed)
		if failed > 0 {
			return 1
		}
		return 0
	}
	fmt.Fprintf(stderr, "profiles: unknown subcommand %q (list, show, test)\n", sub)
	return 2
}
