package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"switchboard/internal/config"
)

// serveMetrics serves the metrics listener of the config; without one in
// the config it serves nothing.
func TestServeMetrics(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg, g := offlineGateway(t, "")
	if addr, err := serveMetrics(ctx, cfg, g, discardLogger()); addr != "" || err != nil {
		t.Fatalf("no metrics configured: %q %v", addr, err)
	}
	cfg.Metrics = &config.Metrics{Listen: "127.0.0.1:0"}
	addr, err := serveMetrics(ctx, cfg, g, discardLogger())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path, want string
		code       int
	}{
		{"/healthz", "ok", 200},
		{"/readyz", "bus: not connected", 503}, // an offline gateway has no session
		{"/metrics", "switchboard_outbox_backlog_events 0", 200},
	} {
		res, err := http.Get("http://" + addr + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != tc.code || !strings.Contains(string(b), tc.want) {
			t.Errorf("GET %s: %d %q, want %d with %q", tc.path, res.StatusCode, b, tc.code, tc.want)
		}
	}
}
