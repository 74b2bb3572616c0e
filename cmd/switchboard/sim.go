package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	pbxsim "switchboard/internal/sim/pbx"
)

// simAction runs a simulator until ctx ends (SIGINT/SIGTERM, or a test).
type simAction func(ctx context.Context, pos []string, stdout, stderr io.Writer) int

// simCommand is `switchboard sim pbx|fias|shenou|sx200`: the device
// simulators, by device kind.
func simCommand() *cobra.Command {
	sim := func(use, short, usage string, declare func(fs *pflag.FlagSet) simAction) *cobra.Command {
		cmd := &cobra.Command{Use: use, Short: short, Long: usage, Args: cobra.ArbitraryArgs, DisableFlagsInUseLine: true}
		act := declare(cmd.Flags())
		cmd.RunE = func(cmd *cobra.Command, args []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return codeErr(act(ctx, args, cmd.OutOrStdout(), cmd.ErrOrStderr()))
		}
		return cmd
	}
	return group("sim", "device simulators for demos and tests (sim pbx --profile ID [--pty LINK|--tcp-listen ADDR|--tcp-connect ADDR])",
		"usage: switchboard sim <fias|pbx|shenou|sx200> [flags]",
		sim("pbx --profile ID [--pty LINK | --tcp-listen ADDR | --tcp-connect ADDR | --stdout] [flags]",
			"a PBX printing its SMDR", simPBXUsage, simPBXFlags),
		sim("fias --connect ADDR [--script ROOM=ANSWER,...] [--tz ZONE] [flags]",
			"a PMS interface (FIAS) answering wake-ups", simFIASUsage, simFIASFlags),
		sim("shenou --pty LINK [--smdr-pty LINK2 --smdr-profile ID] [flags]",
			"a Shenou hotel-link PBX", simShenouUsage, simShenouFlags),
		sim("sx200 --pty LINK [--script ROOM=ANSWER,...] [--maid ROOM=CODE@AFTER,...] [--tz ZONE] [flags]",
			"a Mitel SX-200 hotel link", simSX200Usage, simSX200Flags))
}

const simPBXUsage = `usage: switchboard sim pbx --profile ID [--pty LINK | --tcp-listen ADDR | --tcp-connect ADDR | --stdout] [flags]

Prints a hotel's calls as the PBX of profile ID prints its SMDR (the profile's simulate section).
  --pty LINK          create a pty pair, symlink LINK to the slave: the gateway opens LINK as a serial port
  --tcp-listen ADDR   be a PBX that listens (Panasonic port 2300, with the profile's login)
  --tcp-connect ADDR  be a PBX that connects to the collector and reconnects (Avaya IP Office),
                      resending the records of a lost connection (--replay-buffer)
  --stdout            write to standard output (the default)
`

func simPBXFlags(fs *pflag.FlagSet) simAction {
	id := fs.String("profile", "", "PBX profile id (see `switchboard profiles list`)")
	dir := fs.String("profiles-dir", "", "directory of profiles that override or add to the embedded ones")
	ptyLink := fs.String("pty", "", "create a pty pair and symlink `LINK` to its slave")
	listen := fs.String("tcp-listen", "", "listen on `ADDR` as the PBX's SMDR port")
	connect := fs.String("tcp-connect", "", "connect to the collector at `ADDR`")
	toStdout := fs.Bool("stdout", false, "write to standard output (default when no other output is given)")
	rate := fs.Float64("rate", 1, "calls per second (simulated and paced); 0: as fast as possible")
	count := fs.Int("count", 0, "stop after N calls (0: run until interrupted)")
	seed := fs.Uint64("seed", 1, "seed of the call mix: the same seed prints the same calls")
	start := fs.String("start", "", "RFC 3339 time of the first call (default: ten minutes ago)")
	tz := fs.String("tz", "UTC", "zone of the PBX clock (IANA name, e.g. Asia/Shanghai)")
	rooms := fs.String("rooms", "101-1299", "guest extensions FIRST-LAST")
	access := fs.String("access-code", "9", "trunk access code guests dial first")
	garbage := fs.Float64("garbage", 0, "probability of a garbage burst before a record (0-1)")
	noise := fs.Float64("noise", 0, "probability of a wrong-baud noise line before a record (0-1)")
	dropAfter := fs.Int("drop-after", 0, "TCP: cut the connection mid-record after N records (each connection)")
	retry := fs.Duration("retry", time.Second, "TCP connect: wait between connection attempts")
	replay := fs.Int("replay-buffer", -1, "TCP connect: records of a lost connection resent after reconnecting (default: the profile's, 3000 for Avaya)")
	bar := fs.String("bar", "", "class of service per room: `ROOM=CLASS,FIRST-LAST=CLASS` (internal, local, national, international); calls beyond it are refused, as the PBX would")
	cosFile := fs.String("cos-file", "", "class of service per room from `FILE` (ROOM CLASS a line)")
	return func(ctx context.Context, pos []string, stdout, stderr io.Writer) int {
		fail := func(format string, a ...any) int {
			fmt.Fprintf(stderr, "sim pbx: "+format+"\n", a...)
			return 2
		}
		if *id == "" || len(pos) > 0 {
			return fail("--profile is required and no arguments are taken")
		}
		outputs := 0
		for _, set := range []bool{*ptyLink != "", *listen != "", *connect != "", *toStdout} {
			if set {
				outputs++
			}
		}
		if outputs > 1 {
			return fail("give one of --pty, --tcp-listen, --tcp-connect, --stdout")
		}
		loc, err := time.LoadLocation(*tz)
		if err != nil {
			return fail("--tz: %v", err)
		}
		var t0 time.Time
		if *start != "" {
			if t0, err = time.Parse(time.RFC3339, *start); err != nil {
				return fail("--start %q: want RFC 3339 (2024-06-15T08:00:00+08:00)", *start)
			}
		}
		first, last, ok := parseRange(*rooms)
		if !ok {
			return fail("--rooms %q: want FIRST-LAST, e.g. 101-1299", *rooms)
		}
		p, err := lookupProfile(*id, *dir)
		if err != nil {
			return fail("%v", err)
		}
		var cos func(string) pbxsim.COS
		if *bar != "" || *cosFile != "" {
			tab := &pbxsim.COSTable{}
			if *cosFile != "" {
				f, err := os.Open(*cosFile)
				if err != nil {
					return fail("--cos-file: %v", err)
				}
				tab, err = pbxsim.ReadCOSFile(f)
				f.Close()
				if err != nil {
					return fail("--cos-file: %v", err)
				}
			}
			if err := tab.Add(*bar); err != nil {
				return fail("--bar: %v", err)
			}
			cos = tab.Lookup
		}
		sim, err := pbxsim.New(pbxsim.Options{
			Profile: p, Seed: *seed, Start: t0, Location: loc, Rate: *rate, Count: *count,
			FirstRoom: first, LastRoom: last, AccessCode: *access,
			Garbage: *garbage, Noise: *noise, DropAfter: *dropAfter, ReplayBuffer: *replay, COS: cos,
		})
		if err != nil {
			return fail("%v", err)
		}
		calls := 0
		onCall := func(*pbxsim.Call) { calls++ }
		switch {
		case *ptyLink != "":
			pt, err := pbxsim.OpenPTY(*ptyLink)
			if err != nil {
				return fail("%v", err)
			}
			defer pt.Close()
			fmt.Fprintf(stdout, "pty %s linked at %s (profile %s)\n", pt.Slave, pt.Link, p.ID)
			err = sim.Run(ctx, pt.Master, onCall)
			if err == nil && ctx.Err() == nil {
				// Let the reader drain the pty before the master closes under it.
				waitDrained(ctx, pt)
			}
			return simDone(err, calls, stderr)
		case *listen != "":
			ln, err := net.Listen("tcp", *listen)
			if err != nil {
				return fail("%v", err)
			}
			fmt.Fprintf(stdout, "listening on %s (profile %s)\n", ln.Addr(), p.ID)
			return simDone(sim.ServeTCP(ctx, ln, onCall), calls, stderr)
		case *connect != "":
			fmt.Fprintf(stdout, "connecting to %s (profile %s)\n", *connect, p.ID)
			return simDone(sim.DialTCP(ctx, *connect, *retry, onCall), calls, stderr)
		}
		return simDone(sim.Run(ctx, stdout, onCall), calls, stderr)
	}
}

// simDone reports how the simulation ended: an interrupt is a normal end.
func simDone(err error, calls int, stderr io.Writer) int {
	if err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintf(stderr, "sim pbx: %v (after %d records)\n", err, calls)
		return 1
	}
	fmt.Fprintf(stderr, "sim pbx: %d records\n", calls)
	return 0
}

// waitDrained waits (up to 5 s) until the reader has taken every byte.
// The slave's input queue reads empty for a moment while the last write
// is still on its way from the master (the pty's flip buffer is pushed to
// the line discipline by a kernel worker): closing then loses it, so the
// queue must stay empty over several checks.
func waitDrained(ctx context.Context, pt *pbxsim.PTY) {
	deadline := time.Now().Add(5 * time.Second)
	for empty := 0; empty < 5 && time.Now().Before(deadline) && ctx.Err() == nil; {
		n, err := pt.Pending()
		if err != nil {
			return
		}
		if n == 0 {
			empty++
		} else {
			empty = 0
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func parseRange(s string) (int, int, bool) {
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return 0, 0, false
	}
	x, err1 := strconv.Atoi(a)
	y, err2 := strconv.Atoi(b)
	return x, y, err1 == nil && err2 == nil && x >= 1 && y >= x
}
