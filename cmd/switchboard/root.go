package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"switchboard/internal/config"
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
	root.AddCommand(commands()...)
	root.AddCommand(newManCommand(root))
	return root
}

// dispatch runs one command line and returns the process exit code.
func dispatch(args []string, stdout, stderr io.Writer) int {
	return execute(newRoot(stdout, stderr), args, stdout, stderr)
}

// execute runs one command line on a command tree (the whole CLI, or one
// command of it in a test) and returns the process exit code.
func execute(root *cobra.Command, args []string, stdout, stderr io.Writer) int {
	return executeContext(context.Background(), root, args, stdout, stderr)
}

// executeContext is execute with a context the commands see as
// cmd.Context(): a test stops a simulator by cancelling it.
func executeContext(ctx context.Context, root *cobra.Command, args []string, stdout, stderr io.Writer) int {
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SilenceErrors, root.SilenceUsage = true, true
	if args == nil {
		args = []string{} // nil would make cobra read os.Args
	}
	root.SetArgs(goFlagSpelling(root, args))
	cmd, err := root.ExecuteContextC(ctx)
	var code exitCode
	switch {
	case err == nil:
		return 0
	case errors.As(err, &code):
		return int(code)
	}
	// A usage error cobra found (an unknown command or flag, a flag without
	// its value): say what, then the command's usage, as the flag package
	// did before cobra.
	fmt.Fprintf(stderr, "%s: %v\n", cmd.CommandPath(), err)
	fmt.Fprint(stderr, cmd.UsageString())
	return 2
}

// action runs a command once cobra has parsed its flags; pos are its
// positional arguments. It returns the exit code.
type action func(pos []string, stdout, stderr io.Writer) int

// leaf is a command without subcommands: declare puts its flags on the cobra
// command's own flag set (so --help, completion and the man page list them)
// and returns what runs it. Flags go before or after the positional
// arguments alike; the action checks the positional arguments itself, so its
// usage messages stay the ones the docs show.
func leaf(use, short, long string, declare func(fl *pflag.FlagSet) action) *cobra.Command {
	// The use line lists the flags that matter; --help lists them all.
	cmd := &cobra.Command{Use: use, Short: short, Long: long, Args: cobra.ArbitraryArgs, DisableFlagsInUseLine: true}
	act := declare(cmd.Flags())
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		return codeErr(act(args, cmd.OutOrStdout(), cmd.ErrOrStderr()))
	}
	return cmd
}

// group is a command of subcommands (fax send, fax list, ...). Without a
// subcommand, or with one it does not have, it prints usage to stderr and
// exits 2, as the hand-written dispatch did; "help" prints it to stdout.
func group(use, short, usage string, subs ...*cobra.Command) *cobra.Command {
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Long:  usage,
		Args:  cobra.ArbitraryArgs,
		// An unknown subcommand's flags (operator promote 0001 --config F)
		// must not hide that the subcommand is what is wrong.
		FParseErrWhitelist:    cobra.FParseErrWhitelist{UnknownFlags: true},
		DisableFlagsInUseLine: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 && args[0] == "help" {
				fmt.Fprintln(cmd.OutOrStdout(), usage)
				return nil
			}
			if len(args) > 0 {
				fmt.Fprintf(cmd.ErrOrStderr(), "switchboard %s: unknown subcommand %q\n", cmd.Name(), args[0])
			}
			fmt.Fprintln(cmd.ErrOrStderr(), usage)
			return exitCode(2)
		},
	}
	cmd.AddCommand(subs...)
	return cmd
}

// configFlag is the --config flag every command that reads the config takes.
func configFlag(fl *pflag.FlagSet) *string {
	return fl.String("config", "", "config file (default $"+config.EnvVar+", else "+config.DefaultPath+")")
}

// goFlagSpelling rewrites -name to --name where name is a flag of the command
// the line resolves to. The CLI parsed its flags with Go's flag package
// before cobra, which takes one dash as well as two, and command lines in
// scripts (`check -config F`) must keep working; pflag would read -config as
// the shorthands c, o, n, f, i, g. The value after a flag that takes one is
// left alone, whatever it looks like.
func goFlagSpelling(root *cobra.Command, args []string) []string {
	cmd, _, err := root.Find(args)
	if err != nil || cmd.DisableFlagParsing {
		return args
	}
	lookup := func(name string) *pflag.Flag {
		if f := cmd.Flags().Lookup(name); f != nil {
			return f
		}
		return cmd.InheritedFlags().Lookup(name)
	}
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(out, args[i:]...)
		}
		if len(a) < 2 || a[0] != '-' {
			out = append(out, a)
			continue
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		f := lookup(name)
		if f != nil && len(name) > 1 && a[1] != '-' {
			a = "-" + a
		}
		out = append(out, a)
		if f != nil && !hasValue && f.NoOptDefVal == "" && i+1 < len(args) {
			i++
			out = append(out, args[i]) // the flag's value
		}
	}
	return out
}

// arg is the i-th positional argument, or "" when there are fewer.
func arg(pos []string, i int) string {
	if i < len(pos) {
		return pos[i]
	}
	return ""
}
