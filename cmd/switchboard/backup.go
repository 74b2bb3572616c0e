package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"switchboard/internal/backup"
	"switchboard/internal/config"
	"switchboard/internal/gateway"
	"switchboard/internal/store"
)

// backupCommand is `switchboard backup [--to DIR] [--keep N]`: a verified
// copy of the store, made beside the running daemon (WAL lets a reader run
// beside its writer).
func backupCommand() *cobra.Command {
	return leaf("backup [--to DIR] [--keep N] [--config F]",
		"copy the store to a verified, dated backup while the daemon runs",
		"Copies the store (VACUUM INTO), checks the copy (PRAGMA integrity_check) and names it\n"+
			"switchboard-YYYYMMDDTHHMMSSZ.db in DIR; works while the daemon runs.",
		backupFlags)
}

func backupFlags(fl *pflag.FlagSet) action {
	configFlag := configFlag(fl)
	to := fl.String("to", "", "folder of the backups (default: the config's backup.dir)")
	keep := fl.Int("keep", 0, fmt.Sprintf("backups to keep, the oldest deleted (default: the config's backup.keep, else %d)", config.DefaultBackupKeep))
	return func(pos []string, stdout, stderr io.Writer) int {
		return runBackup(*configFlag, *to, *keep, pos, stdout, stderr)
	}
}

func runBackup(configFlag, toFlag string, keepFlag int, pos []string, stdout, stderr io.Writer) int {
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "switchboard backup: unexpected argument %q (the folder goes in --to)\n", pos[0])
		return 2
	}
	cfg, ok := loadConfig(configFlag, stderr)
	if !ok {
		return 2
	}
	dir, n := toFlag, keepFlag
	if b := cfg.Backup; b != nil {
		if dir == "" {
			dir = b.Dir
		}
		if n == 0 {
			n = b.Kept()
		}
	}
	if n == 0 {
		n = config.DefaultBackupKeep
	}
	if dir == "" {
		fmt.Fprintln(stderr, "switchboard backup: no folder: give --to DIR or set backup.dir in the config")
		return 2
	}
	if n < 1 {
		fmt.Fprintf(stderr, "switchboard backup: --keep %d: want at least 1\n", n)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	st, err := store.Open(ctx, cfg.Store.Path)
	if err != nil {
		fmt.Fprintf(stderr, "switchboard backup: %v\n", err)
		return 1
	}
	defer st.Close()
	at := time.Now()
	res, err := backup.Backup(ctx, st, dir, n, at)
	if rerr := backup.Record(ctx, st, at, res, err); rerr != nil {
		fmt.Fprintf(stderr, "switchboard backup: result not recorded: %v\n", rerr)
	}
	if err != nil {
		fmt.Fprintf(stderr, "switchboard backup: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "backup %s: %d bytes in %s, integrity ok, seqepoch %s up to seq %d\n",
		res.File, res.Size, res.Took.Round(time.Millisecond), res.Epoch, res.MaxSeq)
	for _, p := range res.Removed {
		fmt.Fprintf(stdout, "removed %s (keeping %d)\n", p, n)
	}
	return 0
}

// restoreCommand is `switchboard restore FILE`: puts a backup in place of
// the store while the daemon is stopped.
func restoreCommand() *cobra.Command {
	return leaf("restore FILE [--config F]",
		"replace the store with a backup while the daemon is stopped",
		"Replaces the store with a backup; refused while the daemon runs. The old store is kept\n"+
			"as <store>.before-restore-<time>. See docs/operations.md, \"Backups\".",
		func(fl *pflag.FlagSet) action {
			configFlag := configFlag(fl)
			return func(pos []string, stdout, stderr io.Writer) int {
				if len(pos) != 1 {
					fmt.Fprintln(stderr, "usage: switchboard restore FILE [--config F]")
					return 2
				}
				return runRestore(*configFlag, pos[0], stdout, stderr)
			}
		})
}

func runRestore(configFlag, file string, stdout, stderr io.Writer) int {
	cfg, ok := loadConfig(configFlag, stderr)
	if !ok {
		return 2
	}
	r, err := backup.Restore(context.Background(), cfg.Store.Path, file, time.Now())
	if err != nil {
		fmt.Fprintf(stderr, "switchboard %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "restored %s from %s (integrity ok, seq up to %d)\n", cfg.Store.Path, file, r.From.MaxSeq)
	if r.Before != "" {
		fmt.Fprintf(stdout, "the old store is kept as %s\n", r.Before)
	}
	if r.NewEpoch {
		fmt.Fprintf(stdout, "\n*** NEW SEQEPOCH %s (was %s) ***\n%s.\n"+
			"The back office must take the new seqepoch as a new sequence: events after seq %d are not\n"+
			"the ones it may have acknowledged under the old one (docs/operations.md, \"Backups\").\n",
			r.Epoch, r.From.Epoch, r.Reason, r.From.MaxSeq)
	} else {
		fmt.Fprintf(stdout, "seqepoch %s kept: no event after seq %d was lost\n", r.Epoch, r.From.MaxSeq)
	}
	return 0
}

// startBackups runs the config's backup schedule beside the gateway until
// ctx ends (the console is started the same way: internal/gateway does not
// know of either).
func startBackups(ctx context.Context, cfg *config.Config, g *gateway.Gateway, log *slog.Logger) {
	b := cfg.Backup
	if b == nil {
		return
	}
	s := backup.Schedule{Store: g.Store(), Dir: b.Dir, Every: b.Every(), Keep: b.Kept(), Log: log.With("part", "backup")}
	go s.Run(ctx)
}
