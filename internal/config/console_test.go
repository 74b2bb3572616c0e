package config

import (
	"fmt"
	"testing"

	"switchboard/test/peers"
)

// The console follows the embedded broker's rule: a listen address other
// machines reach serves over TLS unless insecure: true is written out.
func TestConsole(t *testing.T) {
	ca := peers.NewTestCA(t, "hotel")
	good := fmt.Sprintf(", tls: {cert: %q, key: %q}", ca.CertFile, ca.KeyFile)
	for _, tc := range []struct {
		name, console string
		want          []string
		listen        string
	}{
		{"absent", "", nil, ""},
		{"the default", "console: {}\n", nil, DefaultConsoleListen},
		{"loopback", "console: {listen: '127.0.0.1:9090'}\n", nil, "127.0.0.1:9090"},
		{"LAN in clear", "console: {listen: '0.0.0.0:8080'}\n", []string{"console.listen: 0.0.0.0:8080 is not loopback: set console.tls {cert, key} or write insecure: true"}, ""},
		{"LAN in clear on purpose", "console: {listen: '0.0.0.0:8080', insecure: true}\n", nil, "0.0.0.0:8080"},
		{"LAN over TLS", "console: {listen: '0.0.0.0:8443'" + good + "}\n", nil, "0.0.0.0:8443"},
		{"TLS and insecure", "console: {listen: '0.0.0.0:8443', insecure: true" + good + "}\n", []string{"console.insecure: true while tls is set"}, ""},
		{"empty tls", "console: {listen: '0.0.0.0:8443', tls: {}}\n", []string{"console.tls.cert: required", "console.tls.key: required"}, ""},
		{"bad port", "console: {listen: '127.0.0.1:http8080'}\n", []string{"console.listen: \"127.0.0.1:http8080\": port"}, ""},
		{"unknown key", "console: {port: 8080}\n", []string{"console.port: unknown key (expected one of listen, tls, insecure)"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := ParseWith([]byte(base+tc.console), "t.yaml", testDrivers{})
			wantProblems(t, err, tc.want)
			if len(tc.want) == 0 {
				if (cfg.Console == nil) != (tc.listen == "") || cfg.Console != nil && cfg.Console.ListenAddr() != tc.listen {
					t.Errorf("console %+v, want listen %q", cfg.Console, tc.listen)
				}
			}
		})
	}
}
