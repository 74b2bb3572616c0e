package main

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"switchboard/internal/config"
)

// serveConsole serves the console of the config; without a console in the
// config it serves nothing.
func TestServeConsole(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg, g := offlineGateway(t, "")
	if url, err := serveConsole(ctx, cfg, g, nil, discardLogger()); url != "" || err != nil {
		t.Fatalf("no console configured: %q %v", url, err)
	}
	cfg.Console = &config.Console{Listen: "127.0.0.1:0"}
	url, err := serveConsole(ctx, cfg, g, nil, discardLogger())
	if err != nil || !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("%q %v", url, err)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for path, code := range map[string]int{"signin": 200, "": 303, "api/session": 401} {
		res, err := client.Get(url + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != code {
			t.Errorf("GET /%s: %d, want %d", path, res.StatusCode, code)
		}
	}
}
