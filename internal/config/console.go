package config

import "net"

// Console is the front-office web console (docs/console.md); nil: not served.
type Console struct {
	// Listen is host:port; default DefaultConsoleListen (loopback).
	Listen string `yaml:"listen"`
	// TLS serves HTTPS only; nil serves HTTP.
	TLS *ConsoleTLS `yaml:"tls"`
	// Insecure, written out, serves HTTP on a listen address that is not
	// loopback; without it such an address needs TLS (PINs and session
	// cookies would cross the hotel LAN in clear).
	Insecure bool `yaml:"insecure"`
}

// ConsoleTLS are the console's PEM files, read at start.
type ConsoleTLS struct {
	Cert string `yaml:"cert"` // the server certificate, then any intermediates
	Key  string `yaml:"key"`
}

// DefaultConsoleListen is where the console listens when console.listen is empty.
const DefaultConsoleListen = "127.0.0.1:8080"

// ListenAddr is Listen or its default.
func (c *Console) ListenAddr() string {
	if c.Listen == "" {
		return DefaultConsoleListen
	}
	return c.Listen
}

// console checks the console's listener with the rule of the embedded
// broker's: not loopback needs TLS or insecure: true written out.
func (c *checker) console(k *Console) {
	if k == nil {
		return
	}
	addr := k.ListenAddr()
	c.hostPort("console.listen", addr, true)
	if host, _, err := net.SplitHostPort(addr); err == nil && !loopbackHost(host) && k.TLS == nil && !k.Insecure {
		c.add("console.listen", "%s is not loopback: set console.tls {cert, key} or write insecure: true to serve PINs and sessions in clear", addr)
	}
	if k.TLS == nil {
		return
	}
	if k.Insecure {
		c.add("console.insecure", "true while tls is set: the console then never serves in clear; remove one of them")
	}
	c.keyPair("console.tls", k.TLS.Cert, k.TLS.Key)
}
