package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"switchboard/internal/config"
	"switchboard/internal/gateway"
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
