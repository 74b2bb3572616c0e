package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"switchboard/internal/config"
	"switchboard/internal/gateway"
	"switchboard/test/peers"
)

// offlineGateway opens, without its devices or bus, the gateway of a
// minimal site config (gw1 of acme/h042 in Shanghai, a store in a temp
// folder) with extra YAML appended; it is closed when the test ends.
func offlineGateway(t *testing.T, extra string) (*config.Config, *gateway.Gateway) {
	t.Helper()
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "switchboard.yaml")
	yaml := fmt.Sprintf("site: {group: acme, property: h042, gateway: gw1, timezone: Asia/Shanghai}\nstore: {path: %s}\n%s", filepath.Join(dir, "sb.db"), extra)
	if err := os.WriteFile(cfgPath, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, ok := loadConfig(cfgPath, os.Stderr)
	if !ok {
		t.Fatal("config")
	}
	g, err := gateway.OpenOffline(context.Background(), cfg, discardLogger())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	return cfg, g
}

// siteGateway makes the gateway of a site with guest rooms 1101-1299 and
// an embedded broker on a free loopback port, not yet running: start runs
// it (after the test has wired or seeded what it needs) until the test
// ends. cfgPath is its config, for the CLI under test.
func siteGateway(t *testing.T) (cfgPath string, g *gateway.Gateway, start func()) {
	t.Helper()
	dir := t.TempDir()
	yaml := fmt.Sprintf(`site: {group: acme, property: h042, gateway: gw1, timezone: Asia/Shanghai}
store: {path: %s}
mqtt: {embedded: {listen: 127.0.0.1:%d}}
rooms:
  - {extensions: 1101-1299, class: guest}
`, filepath.Join(dir, "sb.db"), peers.FreePort(t))
	cfgPath, _, g, start = gatewayOn(t, dir, yaml)
	return cfgPath, g, start
}

// gatewayOn writes yaml as dir's switchboard.yaml and builds the gateway
// it configures, not yet running: start runs it until the test ends.
func gatewayOn(t *testing.T, dir, yaml string) (cfgPath string, cfg *config.Config, g *gateway.Gateway, start func()) {
	t.Helper()
	cfgPath = filepath.Join(dir, "switchboard.yaml")
	if err := os.WriteFile(cfgPath, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	var errb bytes.Buffer
	cfg, ok := loadConfig(cfgPath, &errb)
	if !ok {
		t.Fatalf("config: %s", errb.String())
	}
	ctx, cancel := context.WithCancel(context.Background())
	g, err := gateway.New(ctx, cfg, discardLogger())
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	started := false
	done := make(chan error, 1)
	t.Cleanup(func() {
		cancel()
		if started {
			<-done
		}
	})
	return cfgPath, cfg, g, func() {
		started = true
		go func() { done <- g.Run(ctx) }()
	}
}
