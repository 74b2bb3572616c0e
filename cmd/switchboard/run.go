package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"switchboard/drivers/all"
	"switchboard/internal/config"
	"switchboard/internal/gateway"
	"switchboard/internal/store"
)

// runVersion is `switchboard version`.
func runVersion(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintf(stdout, "switchboard %s\n", gateway.Version)
	return 0
}

// loadConfig resolves and loads the config for a subcommand, printing every
// problem on failure.
func loadConfig(flagValue string, stderr io.Writer) (*config.Config, bool) {
	path := config.Resolve(flagValue)
	cfg, err := config.LoadWith(path, all.Registry().Catalog())
	if err != nil {
		var verr *config.ValidationError
		if errors.As(err, &verr) {
			fmt.Fprintln(stderr, verr.Error())
			fmt.Fprintf(stderr, "config invalid: %s (run `switchboard check --config %s`)\n", path, path)
		} else {
			fmt.Fprintf(stderr, "switchboard: %v\n", err)
		}
		return nil, false
	}
	return cfg, true
}

func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	switch strings.ToLower(cfg.Log.Level) {
	case "debug":
		level = slog.LevelDebug
	case "warn":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	default:
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func runDaemon(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("run", flag.ContinueOnError)
	fl.SetOutput(stderr)
	configFlag := fl.String("config", "", "config file (default $"+config.EnvVar+", else "+config.DefaultPath+")")
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	cfg, ok := loadConfig(*configFlag, stderr)
	if !ok {
		return 2
	}
	log := newLogger(cfg, stderr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The lock tells `switchboard restore` (and a second daemon) that the
	// store is in use; the kernel drops it if the process dies.
	lock, err := store.TryLock(cfg.Store.Path)
	if err != nil {
		log.Error("gateway did not start", "err", err)
		return 1
	}
	defer lock.Release()
	if err := convertStoreVacuum(ctx, cfg, log); err != nil {
		log.Error("gateway did not start", "err", err)
		return 1
	}
	g, err := gateway.New(ctx, cfg, log)
	if err != nil {
		log.Error("gateway did not start", "err", err)
		return 1
	}
	if _, err := serveConsole(ctx, cfg, g, log); err != nil {
		log.Error("console did not start", "err", err)
		return 1
	}
	if _, err := serveMetrics(ctx, cfg, g, log); err != nil {
		log.Error("metrics did not start", "err", err)
		return 1
	}
	startBackups(ctx, cfg, g, log)
	startRetention(ctx, cfg, g, log)
	// SIGHUP re-reads the tariff and plan; a bad file is refused and the
	// last good tariff stays in force.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for range hup {
			_ = g.ReloadBilling()
		}
	}()
	if err := g.Run(ctx); err != nil {
		log.Error("gateway stopped with an error", "err", err)
		return 1
	}
	log.Info("gateway stopped")
	return 0
}
