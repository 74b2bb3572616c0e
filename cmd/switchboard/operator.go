package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/user"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"switchboard/internal/config"
	"switchboard/internal/operators"
	"switchboard/internal/store"
)

const operatorUsage = `usage: switchboard operator add CODE --name NAME --role operator|business|supervisor|admin [--temporary]
       switchboard operator list
       switchboard operator disable CODE
       switchboard operator enable CODE
       switchboard operator role CODE --role operator|business|supervisor|admin
       switchboard operator unlock CODE
       switchboard operator reset CODE

The console's operators, kept in the gateway's store. add and reset read the
PIN from the terminal without echo (typed twice) or the first line of stdin:
4 to 12 digits, or a password of at least 8 characters. reset also clears a
lockout and enables a disabled code. A reset PIN, or one added with
--temporary, is a one-time PIN: at the next sign-in the console asks the
operator to choose their own before anything else. unlock ends a lockout
after wrong PINs before its 15 minutes. The last enabled admin cannot be
disabled or given another role. Every change is recorded with who (cli:<user>) and when,
as the console's are. Every subcommand takes --config F.`

// operatorCommand is `switchboard operator add|list|disable|enable|role|unlock|reset`; add and
// reset read the PIN from in, and every change is stamped with now.
func operatorCommand(in io.Reader, now func() time.Time) *cobra.Command {
	sub := func(use, short string) *cobra.Command {
		name, _, _ := strings.Cut(use, " ")
		return leaf(use, short, operatorUsage, func(fl *pflag.FlagSet) action {
			configFlag := configFlag(fl)
			var opName, role *string
			temporary := new(bool)
			if name == "add" {
				opName = fl.String("name", "", "the operator's name")
				temporary = fl.Bool("temporary", false, "a one-time PIN: the operator chooses their own at the first sign-in")
			}
			if name == "add" || name == "role" {
				role = fl.String("role", "", "operator, business, supervisor or admin")
			}
			return func(pos []string, stdout, stderr io.Writer) int {
				return operatorRun(in, name, *configFlag, opName, role, *temporary, pos, stdout, stderr, now)
			}
		})
	}
	return group("operator",
		"the console's operators: add CODE --name N --role R, list, disable/enable/unlock CODE, role CODE --role R, reset CODE (PIN from the terminal or stdin)",
		operatorUsage,
		sub("add CODE --name NAME --role operator|business|supervisor|admin [--temporary]", "add an operator (PIN from the terminal or stdin)"),
		sub("list", "list the operators and their state"),
		sub("disable CODE", "disable an operator's code"),
		sub("enable CODE", "let a disabled code sign in again (its PIN unchanged)"),
		sub("role CODE --role operator|business|supervisor|admin", "give an operator another role"),
		sub("unlock CODE", "end a lockout after wrong PINs"),
		sub("reset CODE", "set a one-time PIN (from the terminal or stdin), clear a lockout, enable the code"))
}

// operatorRun is one operator subcommand; name and temporary are set for
// add only, role for add and role.
func operatorRun(in io.Reader, sub, configFlag string, name, role *string, temporary bool, pos []string, stdout, stderr io.Writer, now func() time.Time) int {
	nargs := 1 // the operator code
	if sub == "list" {
		nargs = 0
	}
	if len(pos) > nargs {
		fmt.Fprintf(stderr, "switchboard operator %s: unexpected argument %q (a PIN is never given on the command line: other users see it in ps)\n", sub, pos[nargs])
		return 2
	}
	code := arg(pos, 0)
	needsCode := sub != "list"
	switch {
	case needsCode && code == "":
		fmt.Fprintf(stderr, "switchboard operator %s: the operator code is required\n", sub)
		return 2
	case needsCode:
		if err := operators.CheckCode(code); err != nil {
			fmt.Fprintf(stderr, "switchboard operator %s: %v\n", sub, err)
			return 2
		}
	}
	var r operators.Role
	if sub == "add" || sub == "role" {
		var err error
		if r, err = operators.ParseRole(*role); err != nil {
			fmt.Fprintf(stderr, "switchboard operator %s: --role: %v\n", sub, err)
			return 2
		}
	}
	if sub == "add" {
		if *name == "" {
			fmt.Fprintln(stderr, "switchboard operator add: --name is required")
			return 2
		}
	}
	cfg, ok := loadConfig(configFlag, stderr)
	if !ok {
		return 2
	}
	var pin string
	if sub == "add" || sub == "reset" {
		var err error
		if pin, err = readPIN(in, stderr); err != nil {
			fmt.Fprintf(stderr, "switchboard operator %s: %v\n", sub, err)
			return 2
		}
	}
	ctx := context.Background()
	st, err := store.Open(ctx, cfg.Store.Path)
	if err != nil {
		fmt.Fprintf(stderr, "switchboard operator %s: %v\n", sub, err)
		return 1
	}
	defer st.Close()
	ops := operators.New(st)
	m := ops.As(cliAuthor())
	switch sub {
	case "add":
		err = m.Add(ctx, operators.Operator{Code: code, Name: *name, Role: r, MustChangePIN: temporary}, pin, now())
	case "disable":
		err = m.Disable(ctx, code, now())
	case "enable":
		err = m.Enable(ctx, code, now())
	case "role":
		err = m.SetRole(ctx, code, r, now())
	case "unlock":
		err = m.Unlock(ctx, code, now())
	case "reset":
		err = m.Reset(ctx, code, pin, now())
	case "list":
		return listOperators(ctx, ops, cfg, stdout, stderr, now())
	}
	if err != nil {
		fmt.Fprintf(stderr, "switchboard operator %s: %v\n", sub, err)
		return 1
	}
	done := map[string]string{"add": "added", "disable": "disabled", "enable": "enabled", "role": "role " + string(r),
		"unlock": "unlocked", "reset": "PIN reset (one-time: to be changed at the next sign-in)"}[sub]
	if sub == "add" && temporary {
		done += " (temporary PIN: to be changed at the first sign-in)"
	}
	fmt.Fprintf(stdout, "operator %s: %s\n", code, done)
	return 0
}

func listOperators(ctx context.Context, ops *operators.Store, cfg *config.Config, stdout, stderr io.Writer, now time.Time) int {
	list, err := ops.List(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "switchboard operator list: %v\n", err)
		return 1
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CODE\tNAME\tROLE\tSTATE\tPIN")
	for _, op := range list {
		state := "active"
		switch {
		case op.Disabled:
			state = "disabled"
		case now.Before(op.LockedUntil):
			state = "locked until " + op.LockedUntil.In(cfg.Site.Location()).Format("15:04")
		}
		pin := "own"
		if op.MustChangePIN {
			pin = "one-time"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", op.Code, op.Name, op.Role, state, pin)
	}
	tw.Flush()
	if len(list) == 0 {
		fmt.Fprintln(stdout, "(no operators: add one with `switchboard operator add CODE --name NAME --role ROLE`)")
	}
	return 0
}

// cliAuthor is who the recorded changes name from the command line:
// "cli:" and the person: sudo's SUDO_USER when docs/operations.md's
// `sudo -u switchboard switchboard ...` runs it (the process's own user is
// then the daemon's, which says nothing about who), else the system user.
func cliAuthor() string {
	if u := os.Getenv("SUDO_USER"); u != "" {
		return "cli:" + u
	}
	if u, err := user.Current(); err == nil && u.Username != "" {
		return "cli:" + u.Username
	}
	return "cli"
}

// readPIN reads a PIN as readPassword reads a password, and checks it
// against the console's rules.
func readPIN(in io.Reader, stderr io.Writer) (string, error) {
	pin, err := readPassword(in, stderr)
	if err != nil {
		return "", err
	}
	if err := operators.CheckPIN(pin); err != nil {
		return "", err
	}
	return pin, nil
}
