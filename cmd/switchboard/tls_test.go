package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"switchboard/internal/config"
	"switchboard/test/peers"
)

func TestEmbeddedURLs(t *testing.T) {
	tlsOn := &config.BrokerTLS{Cert: "b.crt", Key: "b.key"}
	for _, tc := range []struct {
		e    *config.EmbeddedBroker
		want string
	}{
		{nil, "tcp://127.0.0.1:1883"},
		{&config.EmbeddedBroker{Listen: "127.0.0.1:1999"}, "tcp://127.0.0.1:1999"},
		{&config.EmbeddedBroker{Listen: "0.0.0.0:1883", Insecure: true}, "tcp://127.0.0.1:1883"},
		{&config.EmbeddedBroker{Listen: ":1883", Insecure: true}, "tcp://127.0.0.1:1883"},
		{&config.EmbeddedBroker{Listen: "[::]:1883", Insecure: true}, "tcp://[::1]:1883"},
		{&config.EmbeddedBroker{Listen: "0.0.0.0:8883", TLS: tlsOn}, "ssl://127.0.0.1:8883"},
		{&config.EmbeddedBroker{Listen: "192.0.2.5:8883", TLS: tlsOn}, "ssl://192.0.2.5:8883"},
	} {
		cfg := &config.Config{MQTT: config.MQTT{Embedded: tc.e}}
		if got := embeddedURLs(cfg); !reflect.DeepEqual(got, []string{tc.want}) {
			t.Errorf("%+v: %v, want %s", tc.e, got, tc.want)
		}
	}
}

// With the embedded broker on TLS and client certificates, the CLI still
// reaches it through the local socket; without the socket it falls back to
// the loopback TLS listener, trusting the broker's own certificate file,
// and reads as an anonymous client (no client_ca there: the CLI holds no
// client certificate).
func TestCLIOverEmbeddedTLS(t *testing.T) {
	ca := peers.NewTestCA(t, "hotel")
	for _, tc := range []struct {
		name     string
		clientCA string
		socket   bool // the CLI can reach the local socket
	}{
		{"client_ca, the local socket", ca.CAFile, true},
		{"no client_ca, loopback TLS", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			yaml := fmt.Sprintf(`site: {group: acme, property: h042, gateway: gw1, timezone: Asia/Shanghai}
store: {path: %q}
mqtt: {embedded: {listen: 127.0.0.1:%d, tls: {cert: %q, key: %q, client_ca: %q}}}
`, filepath.Join(dir, "sb.db"), peers.FreePort(t), ca.CertFile, ca.KeyFile, tc.clientCA)
			cfgPath, _, _, start := gatewayOn(t, dir, yaml)
			start()
			cliCfg := cfgPath
			if !tc.socket {
				// The same broker, a store folder without the socket.
				other := filepath.Join(t.TempDir(), "switchboard.yaml")
				yaml := strings.Replace(yaml, filepath.Join(dir, "sb.db"), filepath.Join(filepath.Dir(other), "sb.db"), 1)
				if err := os.WriteFile(other, []byte(yaml), 0o644); err != nil {
					t.Fatal(err)
				}
				cliCfg = other
			}
			// The gateway's retained status is the first message.
			var out, errw bytes.Buffer
			if code := dispatch([]string{"tail", "--config", cliCfg, "--count", "1", "--timeout", "10s", "--topic", "hotel/acme/h042/edge/gw1/status"}, &out, &errw); code != 0 || !strings.Contains(out.String(), "status") {
				t.Fatalf("tail: exit %d\n%s%s", code, out.String(), errw.String())
			}
		})
	}
}
