package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"switchboard/drivers/all"
	"switchboard/internal/config"
	"switchboard/internal/gateway"
	"switchboard/internal/metrics"
)

// metricsDevices are the configured devices as the metrics label them.
func metricsDevices(cfg *config.Config, g *gateway.Gateway) []metrics.Device {
	reg := all.Registry()
	out := make([]metrics.Device, 0, len(cfg.Devices))
	for _, d := range cfg.Devices {
		e, _ := reg.Lookup(d.Driver)
		out = append(out, metrics.Device{ID: d.ID, Domain: e.Domain, LinkKey: g.Topics().State(e.Domain, d.ID, "link")})
	}
	return out
}

// serveMetrics serves /metrics, /healthz and /readyz when the config asks
// for them, until ctx ends; addr is "" when it does not.
func serveMetrics(ctx context.Context, cfg *config.Config, g *gateway.Gateway, log *slog.Logger) (addr string, err error) {
	m := cfg.Metrics
	if m == nil {
		return "", nil
	}
	log = log.With("part", "metrics")
	h := metrics.NewHandler(metrics.Options{
		Source: metrics.Source{Store: g.Store(), Devices: metricsDevices(cfg, g), Log: log},
		BusUp: func() bool {
			select {
			case <-g.BusUp():
				return true
			default:
				return false
			}
		},
	})
	l, err := net.Listen("tcp", m.ListenAddr())
	if err != nil {
		return "", fmt.Errorf("metrics: %w", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	go func() {
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics stopped", "err", err)
		}
	}()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	addr = l.Addr().String()
	log.Info("metrics serving", "url", "http://"+addr+"/metrics")
	return addr, nil
}
