// Command switchboard is the hotel front-office edge gateway: one binary
// for the daemon (run), its checks and tools (check, smdr, profiles, rate,
// tail, ...) and the device simulators (sim).
package main

import (
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"
)

// command is one subcommand. run gets the arguments after the subcommand name
// and returns the process exit code: 0 success, 1 a result the caller should
// look at (e.g. unparsed lines), 2 bad usage or bad configuration.
type command struct {
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

// commands is every subcommand, by name: the one list of them.
func commands() map[string]command {
	return map[string]command{
		"fax":    {"business-center fax: send --to N --room R --operator O FILE, list [--unassigned] [--date D], show ID, assign, deliver", runFax},
		"report": {"supervisor reports: reconcile --date D | calls --date D | special --week 2026-W48 | business-center --date D | devices | faxes --date D", runReport},
	}
}

// cobraCommands are the subcommands that declare their flags on cobra.
func cobraCommands() []*cobra.Command {
	return []*cobra.Command{
		backupCommand(), restoreCommand(), checkCommand(), passwdCommand(),
		leaf("demo [--dir D] [--profile ID] [--rate N]",
			"run the gateway on its embedded default with a simulated PBX and show its events (make run)", "", demoFlags),
		leaf("print --printer P --room R --operator O [flags] FILE",
			"print a document for a room through the running gateway (billed by impressions)", printUsage, printFlags),
		leaf("rate [--tariff F] [--plan P] [--profile ID --tz ZONE] [FILE|-]",
			"rate calls: CallRecord JSON lines (or raw SMDR with --profile) to RatedCall JSON lines", "", rateFlags),
		leaf("reprocess --since T [--device D] [--profile ID]",
			"read journaled frames that failed before again (after a profile fix)", "", reprocessFlags),
		leaf("rerate --since T --until T [--dry-run] [--json]",
			"re-rate stored calls with the current tariff and plan; posted calls get an adjustment, never a second charge", "", rerateFlags),
		leaf("run [--config F]", "run the gateway daemon (SIGINT/SIGTERM stop it cleanly)", "", daemonFlags),
		leaf("tail [--topic FILTER] [--json] [--ack] [--count N] [--timeout D]",
			"print the gateway's events as they arrive (an MQTT client of the running gateway)", "", tailFlags),
		wakeupCommand(), guestCommand(),
		switchCommand("dnd", "do not disturb on a room's line: dnd on|off ROOM"),
		switchCommand("mwl", "message-waiting lamp: mwl on|off ROOM"),
		folioCommand(), copyCommand(), operatorCommand(os.Stdin, time.Now),
		simCommand(),
		smdrCommand(), profilesCommand(),
		leaf("version", "print the version", "", versionFlags),
	}
}

func main() {
	os.Exit(dispatch(os.Args[1:], os.Stdout, os.Stderr))
}
