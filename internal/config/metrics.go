package config

import "net"

// Metrics is the Prometheus listener with /metrics, /healthz and /readyz
// (docs/operations.md); nil: not served.
type Metrics struct {
	// Listen is host:port; default DefaultMetricsListen (loopback).
	Listen string `yaml:"listen"`
	// Insecure, written out, serves on a listen address that is not
	// loopback: the listener has no authentication, so the ledger's
	// figures would be open to the hotel LAN.
	Insecure bool `yaml:"insecure"`
}

// DefaultMetricsListen is where metrics are served when metrics.listen is
// empty (9108: beside node_exporter's 9100 in the exporters' port range).
const DefaultMetricsListen = "127.0.0.1:9108"

// ListenAddr is Listen or its default.
func (m *Metrics) ListenAddr() string {
	if m.Listen == "" {
		return DefaultMetricsListen
	}
	return m.Listen
}

// metrics checks the metrics listener with the rule of the embedded
// broker's and the console's: not loopback needs insecure: true written
// out (there is no TLS or authentication to offer instead).
func (c *checker) metrics(m *Metrics) {
	if m == nil {
		return
	}
	addr := m.ListenAddr()
	c.hostPort("metrics.listen", addr, true)
	if host, _, err := net.SplitHostPort(addr); err == nil && !loopbackHost(host) && !m.Insecure {
		c.add("metrics.listen", "%s is not loopback: metrics have no authentication; write insecure: true to serve them on it", addr)
	}
}
