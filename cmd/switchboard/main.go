// Command switchboard is the hotel front-office edge gateway: one binary
// for the daemon (run), its checks and tools (check, smdr, profiles, rate,
// tail, ...) and the device simulators (sim).
package main

import (
	"os"
	"time"

	"github.com/spf13/cobra"
)

// commands is every subcommand: the one list of them. Each declares its
// flags on its cobra command; the exit codes are 0 success, 1 a result the
// caller should look at (e.g. unparsed lines), 2 bad usage or bad
// configuration.
func commands() []*cobra.Command {
	return []*cobra.Command{
		backupCommand(), restoreCommand(), checkCommand(), passwdCommand(),
		copyCommand(),
		leaf("demo [--dir D] [--profile ID] [--rate N] [--listen ADDR] [--console ADDR]",
			"run the gateway on its embedded default with a simulated PBX and show its events (make run)", "", demoFlags),
		switchCommand("dnd", "do not disturb on a room's line: dnd on|off ROOM"),
		callCommand(), faxCommand(), folioCommand(), guestCommand(),
		switchCommand("mwl", "message-waiting lamp: mwl on|off ROOM"),
		operatorCommand(os.Stdin, time.Now),
		leaf("print --printer P --room R --operator O [flags] FILE",
			"print a document for a room through the running gateway (billed by impressions)", printUsage, printFlags),
		profilesCommand(),
		leaf("rate [--tariff F] [--plan P] [--profile ID --tz ZONE] [FILE|-]",
			"rate calls: CallRecord JSON lines (or raw SMDR with --profile) to RatedCall JSON lines", "", rateFlags),
		reportCommand(),
		leaf("reprocess --since T [--device D] [--profile ID]",
			"read journaled frames that failed before again (after a profile fix)", "", reprocessFlags),
		leaf("rerate --since T --until T [--dry-run] [--json]",
			"re-rate stored calls with the current tariff and plan; posted calls get an adjustment, never a second charge", "", rerateFlags),
		leaf("run [--config F]", "run the gateway daemon (SIGINT/SIGTERM stop it cleanly)", "", daemonFlags),
		simCommand(), smdrCommand(),
		leaf("tail [--topic FILTER] [--json] [--ack] [--count N] [--timeout D]",
			"print the gateway's events as they arrive (an MQTT client of the running gateway)", "", tailFlags),
		leaf("version", "print the version", "", versionFlags),
		wakeupCommand(),
	}
}

func main() {
	os.Exit(dispatch(os.Args[1:], os.Stdout, os.Stderr))
}
