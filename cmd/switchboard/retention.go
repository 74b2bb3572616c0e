package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"switchboard/internal/config"
	"switchboard/internal/gateway"
	"switchboard/internal/retention"
	"switchboard/internal/store"
)

// maskKeepDigits is how many digits after the trunk access code a stored
// number keeps once store.mask_dialed_after_days masks it, when
// billing.mask_dialed does not say: 7 keeps a Chinese mobile's prefix and
// HLR block (0139 123) or an international call's country and area code
// (00 1 212), what IDD/DDD reports and the destination need.
const maskKeepDigits = 7

// convertStoreVacuum switches a store made before incremental vacuum was
// the default to auto_vacuum=INCREMENTAL, once, before the gateway opens
// it: a VACUUM rewrites the whole file (seconds per hundred MB, and free
// disk about the file's size), so it is logged before and after.
func convertStoreVacuum(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
	st, err := store.Open(ctx, cfg.Store.Path)
	if err != nil {
		return err
	}
	defer st.Close()
	on, err := st.IncrementalVacuum(ctx)
	if err != nil || on {
		return err
	}
	size, wal, err := st.FileSize()
	if err != nil {
		return err
	}
	log.Info("converting the store to incremental auto-vacuum: a one-time VACUUM that rewrites the file (the gateway starts after it)",
		"store", cfg.Store.Path, "bytes", size+wal)
	start := time.Now()
	if err := st.ConvertIncrementalVacuum(ctx); err != nil {
		return fmt.Errorf("convert %s to incremental vacuum: %w", cfg.Store.Path, err)
	}
	after, _, _ := st.FileSize()
	log.Info("store converted to incremental auto-vacuum", "store", cfg.Store.Path, "took", time.Since(start).Round(time.Millisecond), "bytes", after)
	return nil
}

// retentionJob is the nightly job of the config, on the gateway's store.
func retentionJob(cfg *config.Config, g *gateway.Gateway, log *slog.Logger) retention.Job {
	j := retention.Job{
		Store:         g.Store(),
		RetentionDays: cfg.Store.RetentionDays,
		MaskAfterDays: cfg.Store.MaskDialedAfterDays,
		Log:           log,
	}
	if j.RetentionDays <= 0 {
		j.RetentionDays = config.DefaultRetentionDays
	}
	if j.MaskAfterDays > 0 {
		j.Masker = func() retention.Masker {
			b := g.Biller()
			if b == nil {
				return nil
			}
			m := *b // the live biller's dialing plan (trunk access codes), its own mask
			if m.Mask <= 0 {
				m.Mask = maskKeepDigits
			}
			return &m
		}
	}
	return j
}

// startRetention runs the nightly retention beside the gateway until ctx
// ends (internal/gateway does not know of it, like the backups).
func startRetention(ctx context.Context, cfg *config.Config, g *gateway.Gateway, log *slog.Logger) {
	log = log.With("part", "retention")
	h, m := cfg.Store.RetentionClock()
	s := retention.Schedule{Job: retentionJob(cfg, g, log), Hour: h, Minute: m, Loc: cfg.Site.Location()}
	go s.Run(ctx)
}
