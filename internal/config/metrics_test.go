package config

import (
	"errors"
	"strings"
	"testing"
)

// The metrics listener has no authentication: an address other machines
// reach needs insecure: true written out.
func TestMetricsListen(t *testing.T) {
	for _, tc := range []struct {
		name, metrics string
		want          []string
		listen        string
	}{
		{"absent", "", nil, ""},
		{"the default", "metrics: {}\n", nil, DefaultMetricsListen},
		{"loopback", "metrics: {listen: '127.0.0.1:9200'}\n", nil, "127.0.0.1:9200"},
		{"LAN", "metrics: {listen: '0.0.0.0:9108'}\n", []string{"metrics.listen: 0.0.0.0:9108 is not loopback: metrics have no authentication"}, ""},
		{"LAN on purpose", "metrics: {listen: '0.0.0.0:9108', insecure: true}\n", nil, "0.0.0.0:9108"},
		{"bad port", "metrics: {listen: '127.0.0.1:x'}\n", []string{"metrics.listen: \"127.0.0.1:x\": port"}, ""},
		{"unknown key", "metrics: {port: 9108}\n", []string{"metrics.port: unknown key (expected one of listen, insecure)"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := ParseWith([]byte(base+tc.metrics), "t.yaml", testDrivers{})
			wantProblems(t, err, tc.want)
			if len(tc.want) == 0 {
				if (cfg.Metrics == nil) != (tc.listen == "") || cfg.Metrics != nil && cfg.Metrics.ListenAddr() != tc.listen {
					t.Errorf("metrics %+v, want listen %q", cfg.Metrics, tc.listen)
				}
			}
		})
	}
}

// wantProblems checks that err lists exactly the problems want, in order,
// each containing its want (a listen case's config test shares it).
func wantProblems(t *testing.T, err error, want []string) {
	t.Helper()
	var got []string
	var verr *ValidationError
	if errors.As(err, &verr) {
		for _, p := range verr.Problems {
			got = append(got, p.String())
		}
	} else if err != nil {
		got = append(got, err.Error())
	}
	if len(got) != len(want) {
		t.Fatalf("problems:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	for i := range got {
		if !strings.Contains(got[i], want[i]) {
			t.Errorf("problem %d:\n  %s\nwant it to contain:\n  %s", i, got[i], want[i])
		}
	}
}
