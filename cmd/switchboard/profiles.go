package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"gopkg.in/yaml.v3"

	"switchboard/drivers"
	"switchboard/drivers/all"
	"switchboard/drivers/pbx"
	"switchboard/internal/profile"
)

const profilesUsage = "usage: switchboard profiles [--profiles-dir DIR] list|show ID|test [ID]"

// profilesCommand is `switchboard profiles list|show ID|test [ID]`.
// --profiles-dir belongs to the group, so it goes before or after the
// subcommand alike.
func profilesCommand() *cobra.Command {
	dir := new(string)
	sub := func(use, short string) *cobra.Command {
		name, _, _ := strings.Cut(use, " ")
		return leaf(use, short, profilesUsage, func(*pflag.FlagSet) action {
			return func(pos []string, stdout, stderr io.Writer) int {
				return runProfiles(name, *dir, pos, stdout, stderr)
			}
		})
	}
	cmd := group("profiles", "list firmware profiles of every driver; show and test PBX ones (profiles list|show ID|test [ID])", profilesUsage,
		sub("list", "the profiles of every driver"),
		sub("show ID", "a PBX profile as YAML, after extends"),
		sub("test [ID]", "run the inline examples of one PBX profile, or of all; exit 1 when one fails"))
	cmd.PersistentFlags().StringVar(dir, "profiles-dir", "", "directory of profiles that override or add to the embedded ones")
	return cmd
}

func runProfiles(sub, dir string, pos []string, stdout, stderr io.Writer) int {
	if sub == "list" && len(pos) > 0 {
		fmt.Fprintln(stderr, "usage: switchboard profiles list")
		return 2
	}
	reg, err := profile.Default()
	if dir != "" {
		reg, err = profile.Load(dir)
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
		if len(pos) != 1 {
			fmt.Fprintln(stderr, "usage: switchboard profiles show ID")
			return 2
		}
		p, err := reg.Lookup(pos[0])
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
		if len(pos) > 1 {
			fmt.Fprintln(stderr, "usage: switchboard profiles test [ID]")
			return 2
		}
		if len(pos) == 1 {
			p, err := reg.Lookup(pos[0])
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
