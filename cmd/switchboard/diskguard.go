package main

import (
	"context"
	"log/slog"
	"path/filepath"
	"time"

	"switchboard/internal/config"
	"switchboard/internal/diskguard"
	"switchboard/internal/events"
	"switchboard/internal/gateway"
	"switchboard/internal/store"
)

// diskAlert is the gateway's alert while its disk is almost full.
const diskAlert = "disk-low"

// startDiskGuard stops new work when the store's disk falls under
// store.min_free_mb: the store refuses every write but the essential ones
// (replies, alerts), so drivers stop reading their devices (a PBX buffers
// its records) and commands are answered failed with the reason; an alert
// says so, and everything goes on by itself once space is back.
func startDiskGuard(ctx context.Context, cfg *config.Config, g *gateway.Gateway, log *slog.Logger) *diskguard.Guard {
	dir, err := filepath.Abs(filepath.Dir(cfg.Store.Path))
	if err != nil {
		dir = filepath.Dir(cfg.Store.Path)
	}
	guard := diskguard.New(dir, cfg.Store.MinFreeBytes())
	g.Store().SetWriteGate(guard.Err)
	g.Worker(func(ctx context.Context) { watchDisk(ctx, guard, g, log, 2*time.Second) })
	return guard
}

// watchDisk raises and clears the alert as the guard changes its mind.
func watchDisk(ctx context.Context, guard *diskguard.Guard, g *gateway.Gateway, log *slog.Logger, every time.Duration) {
	gw := g.Topics().Gateway
	open, err := g.Store().DeviceAlertOpen(ctx, gw, diskAlert)
	if err != nil {
		log.Warn("disk alert state not read", "err", err)
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		free, low := guard.Check()
		if low != open {
			a := events.Alert{Device: gw, Alert: diskAlert, Severity: "critical"}
			if low {
				a.State, a.Message = "raised", guard.Err().Error()
				log.Error("disk almost full: the gateway takes no new work", "free", diskguard.MB(free), "floor", diskguard.MB(guard.Floor()))
			} else {
				a.State, a.Severity, a.Message = "cleared", "info", "disk space is back ("+diskguard.MB(free)+" free): the gateway takes work again"
				log.Info("disk space is back: the gateway takes work again", "free", diskguard.MB(free))
			}
			if err := g.EdgeAlert(store.Essential(ctx), a); err != nil {
				log.Error("disk alert not recorded", "state", a.State, "err", err)
			} else {
				open = low
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
