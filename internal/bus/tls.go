package bus

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
)

// TLSFiles are the embedded broker's PEM files (config mqtt.embedded.tls).
type TLSFiles struct {
	Cert string // server certificate, then any intermediates
	Key  string
	// ClientCA, when set, makes a client certificate signed by one of its
	// certificates a condition of every TCP connection.
	ClientCA string
}

// serverTLS is the TCP listener's TLS configuration. The files are read
// once, at start: a renewed certificate takes a restart.
func serverTLS(f TLSFiles) (*tls.Config, error) {
	kp, err := tls.LoadX509KeyPair(f.Cert, f.Key)
	if err != nil {
		return nil, fmt.Errorf("broker tls: %s and %s: %w", f.Cert, f.Key, err)
	}
	// TLS 1.0 and 1.1 are deprecated (RFC 8996); every MQTT client library
	// the back offices use speaks 1.2.
	tc := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{kp}}
	if f.ClientCA != "" {
		pool, err := certPool(f.ClientCA)
		if err != nil {
			return nil, fmt.Errorf("broker tls client_ca: %w", err)
		}
		// The certificate is a gate before the CONNECT is read; the
		// username and password still name the principal and its role
		// (a certificate's subject is not mapped to a user).
		tc.ClientCAs, tc.ClientAuth = pool, tls.RequireAndVerifyClientCert
	}
	return tc, nil
}

// certPool reads the PEM certificates of a file.
func certPool(name string) (*x509.CertPool, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("%s: no PEM certificate in it", name)
	}
	return pool, nil
}

// PinnedTLS is a client configuration that trusts exactly the embedded
// broker's own certificate file (no CA needed: a certificate in RootCAs is
// its own anchor) and checks the leaf's first subject alternative name
// (DNS, else IP), so a client on the gateway's machine can dial a loopback
// address whatever names the certificate was issued for. Go ignores a
// certificate's common name (RFC 6125 §6.4.4): one without a DNS or IP name
// cannot be checked and is refused here.
func PinnedTLS(certFile string) (*tls.Config, error) {
	data, err := os.ReadFile(certFile)
	if err != nil {
		return nil, fmt.Errorf("mqtt: broker certificate: %w", err)
	}
	pool := x509.NewCertPool()
	var leaf *x509.Certificate
	for block, rest := pem.Decode(data); block != nil; block, rest = pem.Decode(rest) {
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("mqtt: broker certificate %s: %w", certFile, err)
		}
		if leaf == nil {
			leaf = c
		}
		pool.AddCert(c)
	}
	if leaf == nil {
		return nil, fmt.Errorf("mqtt: broker certificate %s: no PEM certificate in it", certFile)
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: pool}
	switch {
	case len(leaf.DNSNames) > 0:
		tc.ServerName = leaf.DNSNames[0]
	case len(leaf.IPAddresses) > 0:
		tc.ServerName = leaf.IPAddresses[0].String()
	default:
		return nil, fmt.Errorf("mqtt: broker certificate %s names no DNS name or IP address (subject alternative name); clients cannot check it", certFile)
	}
	return tc, nil
}
