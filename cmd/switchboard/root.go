package main

import (
	"errors"
	"fmt"
	"io"
	"sort"

	"github.com/spf13/cobra"
)

// exitCode carries a subcommand's exit status out of cobra's Execute, which
// only knows errors: 1 is a result the caller should look at, 2 bad usage or
// bad configuration. The subcommand has already printed its own message.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// codeErr turns a subcommand's exit code into what a cobra RunE returns.
func codeErr(code int) error {
	if code == 0 {
		return nil
	}
	return exitCode(code)
}

const rootLong = `switchboard is the hotel front-office edge gateway: one binary for the
daemon (run), its checks and tools (check, smdr, profiles, rate, tail, ...)
and the device simulators (sim).

Every command takes --config F (default ./switchboard.yaml or $SWITCHBOARD_CONFIG).
Exit status: 0 success, 1 a result to look at (e.g. unparsed lines, a failed
command), 2 bad usage or bad configuration.`

// newRoot builds the whole command tree. It is built anew for every run, so
// two runs in one test process share nothing.
func newRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "switchboard",
		Short: "the hotel front-office edge gateway",
		Long:  rootLong,
		// Errors and usage are printed by dispatch, once, in the project's
		// own words; cobra would print them a second time.
		SilenceErrors: true,
		SilenceUsage:  true,
		// No arguments at all is a usage error, as before cobra: exit 2.
		RunE: func(cmd *cobra.Command, args []string) error {
			fmt.Fprint(cmd.ErrOrStderr(), cmd.UsageString())
			return exitCode(2)
		},
		Args:              cobra.NoArgs,
		DisableAutoGenTag: true, // the man pages stay byte-identical between builds
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	all := commands()
	names := make([]string, 0, len(all))
	for n := range all {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		root.AddCommand(wrapped(n, all[n]))
	}
	root.AddCommand(newManCommand(root))
	return root
}

// wrapped runs a subcommand that still parses its own arguments: cobra
// hands it everything after its name, flags included.
func wrapped(name string, c command) *cobra.Command {
	return &cobra.Command{
		Use:                name,
		Short:              c.summary,
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return codeErr(c.run(args, cmd.OutOrStdout(), cmd.ErrOrStderr()))
		},
	}
}

// dispatch runs one command line and returns the process exit code.
func dispatch(args []string, stdout, stderr io.Writer) int {
	if args == nil {
		args = []string{} // nil would make cobra read os.Args
	}
	root := newRoot(stdout, stderr)
	root.SetArgs(args)
	cmd, err := root.ExecuteC()
	var code exitCode
	switch {
	case err == nil:
		return 0
	case errors.As(err, &code):
		return int(code)
	}
	// A usage error cobra found (an unknown command or flag, a missing
	// argument): say what and where to look.
	fmt.Fprintf(stderr, "switchboard: %v\n", err)
	fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
	return 2
}
