package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"

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
	serveHTTP(ctx, l, h, "metrics", log)
	addr = l.Addr().String()
	log.Info("metrics serving", "url", "http://"+addr+"/metrics")
	return addr, nil
}
