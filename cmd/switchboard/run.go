package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"switchboard/drivers/all"
	"switchboard/internal/config"
	"switchboard/internal/faxdesk"
	"switchboard/internal/gateway"
	"switchboard/internal/store"
)

// versionFlags is `switchboard version`: it has no flags of its own.
func versionFlags(*pflag.FlagSet) action {
	return func(pos []string, stdout, stderr io.Writer) int {
		fmt.Fprintf(stdout, "switchboard %s\n", gateway.Version)
		return 0
	}
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

func daemonFlags(fl *pflag.FlagSet) action {
	configFlag := fl.String("config", "", "config file (default $"+config.EnvVar+", else "+config.DefaultPath+")")
	return func(pos []string, stdout, stderr io.Writer) int {
		cfg, ok := loadConfig(*configFlag, stderr)
		if !ok {
			return 2
		}
		log := newLogger(cfg, stderr)
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		svc := newService(log, os.Getenv) // service.go: systemd's notify socket and watchdog
		svc.status("opening the store %s and the bus", cfg.Store.Path)
		// The lock tells `switchboard restore` (and a second daemon) that the
		// store is in use; the kernel drops it if the process dies.
		lock, err := store.TryLock(cfg.Store.Path)
		if err != nil {
			log.Error("gateway did not start", "err", err)
			svc.status("did not start: %v", err)
			return 1
		}
		defer lock.Release()
		if err := convertStoreVacuum(ctx, cfg, log); err != nil { // retention.go: incremental vacuum, once
			log.Error("gateway did not start", "err", err)
			svc.status("did not start: %v", err)
			return 1
		}
		// One Chinese font for every PDF the gateway writes (console_pdf.go):
		// the fax desk's transmission reports take it through the desks'
		// options (gateway.Tuning, whose zero value is production's).
		font := loadPDFFont(pdfFontPaths(), log)
		g, err := gateway.NewTuned(ctx, cfg, log, gateway.Tuning{Fax: faxdesk.Options{PDFFont: font}})
		if err != nil {
			log.Error("gateway did not start", "err", err)
			svc.status("did not start: %v", err)
			return 1
		}
		svc.attach(cfg, g)
		attachCallResolve(g, log)        // resolve.go: call.resolve, wired here beside the gateway
		startDiskGuard(ctx, cfg, g, log) // diskguard.go: no new work on a full disk
		if _, err := serveConsole(ctx, cfg, g, font, log); err != nil {
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
				if err := g.ReloadBilling(); err != nil {
					svc.status("tariff reload refused at %s, still rating with the last good tariff: %v", time.Now().Format(time.TimeOnly), err)
				} else {
					svc.status("tariff reloaded at %s", time.Now().Format(time.TimeOnly))
				}
			}
		}()
		if err := g.Run(ctx); err != nil {
			log.Error("gateway stopped with an error", "err", err)
			return 1
		}
		log.Info("gateway stopped")
		return 0
	}
}
