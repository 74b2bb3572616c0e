package bus

import (
	"context"
	"crypto/tls"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"switchboard/test/peers"
)

// startTLSBroker starts an embedded broker with testUsers whose TCP
// listener serves TLS with ca's server certificate; with clientCA it also
// asks every TCP client for a certificate signed by ca.
func startTLSBroker(t *testing.T, ca peers.TestCA, clientCA bool) *Broker {
	t.Helper()
	files := &TLSFiles{Cert: ca.CertFile, Key: ca.KeyFile}
	if clientCA {
		files.ClientCA = ca.CAFile
	}
	br, err := StartBroker(BrokerOptions{Listen: "127.0.0.1:0", Topics: topics, Users: testUsers(t), Anonymous: RoleReadonly,
		GatewayClientID: "switchboard-h042-gw1", Socket: filepath.Join(t.TempDir(), "mqtt.sock"), TLS: files, Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { br.Close() })
	return br
}

// trusting is a client TLS configuration that trusts ca, presenting the
// client certificate of certKey (cert file, key file) if given.
func trusting(t *testing.T, ca peers.TestCA, certKey ...string) *tls.Config {
	t.Helper()
	pool, err := certPool(ca.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	tc := &tls.Config{RootCAs: pool}
	if len(certKey) == 2 {
		kp, err := tls.LoadX509KeyPair(certKey[0], certKey[1])
		if err != nil {
			t.Fatal(err)
		}
		tc.Certificates = []tls.Certificate{kp}
	}
	return tc
}

// MQTT over TLS (MQTT 5 §5.4.9): a client that trusts the broker's CA
// gets in with its password; a client in clear, one that does not trust the
// certificate and one stuck at TLS 1.1 do not.
func TestBrokerTLS(t *testing.T) {
	ca, other := peers.NewTestCA(t, "broker"), peers.NewTestCA(t, "someone else")
	br := startTLSBroker(t, ca, false)
	if !strings.HasPrefix(br.URL(), "ssl://") || !br.TLS() {
		t.Fatalf("URL %s, TLS %v: want ssl:// and true", br.URL(), br.TLS())
	}
	pinned, err := PinnedTLS(ca.CertFile)
	if err != nil {
		t.Fatal(err)
	}
	old := trusting(t, ca)
	old.MaxVersion = tls.VersionTLS11
	bo := login{"bo", "ob"}
	for _, tc := range []struct {
		name string
		url  string
		tls  *tls.Config
		who  login
		ok   bool
	}{
		{"backoffice, trusting the CA", br.URL(), trusting(t, ca), bo, true},
		{"backoffice, pinned to the broker's certificate file", br.URL(), pinned, bo, true},
		{"anonymous on loopback", br.URL(), trusting(t, ca), login{}, true},
		{"wrong password", br.URL(), trusting(t, ca), login{"bo", "wrong"}, false},
		{"a certificate the client does not trust", br.URL(), trusting(t, other), bo, false},
		{"MQTT in clear on the TLS port", "tcp://" + br.Addr(), nil, bo, false},
		{"TLS 1.1 at most", br.URL(), old, bo, false},
	} {
		if got := connectsTLS(t, tc.url, "c-"+strings.ReplaceAll(tc.name, " ", "-"), tc.who, tc.tls); got != tc.ok {
			t.Errorf("%s: connected=%v, want %v", tc.name, got, tc.ok)
		}
	}

	// A command published over TLS reaches a subscriber over TLS.
	w := watchTLS(t, br.URL(), bo, trusting(t, ca))
	cl, err := NewClient(ClientOptions{URLs: []string{br.URL()}, ClientID: "pms", Username: "bo", Password: "ob", CAFile: ca.CAFile, Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	cl.Start()
	defer cl.Disconnect(0)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := cl.WaitConnected(ctx); err != nil {
		t.Fatalf("backoffice over TLS: %v", err)
	}
	const replay = "hotel/acme/h042/edge/gw1/cmd/replay"
	if err := cl.Publish(ctx, replay, 1, false, []byte(`{"tls":1}`)); err != nil {
		t.Fatal(err)
	}
	if !w.saw(replay, `{"tls":1}`, 3*time.Second) {
		t.Error("a command published over TLS did not reach the TLS subscriber")
	}
}

// With client_ca the TCP listener asks for a client certificate signed by
// it before it reads the CONNECT; the password is still asked for. The
// unix socket (the CLI and the daemon's own session) stays plain.
func TestBrokerTLSClientCA(t *testing.T) {
	ca, other := peers.NewTestCA(t, "hotel"), peers.NewTestCA(t, "someone else")
	br := startTLSBroker(t, ca, true)
	mine, mineKey := ca.ClientCert(t, "pms")
	theirs, theirsKey := other.ClientCert(t, "pms")
	bo := login{"bo", "ob"}
	for _, tc := range []struct {
		name string
		tls  *tls.Config
		who  login
		ok   bool
	}{
		{"no client certificate", trusting(t, ca), bo, false},
		{"a certificate another CA signed", trusting(t, ca, theirs, theirsKey), bo, false},
		{"a certificate the CA signed, right password", trusting(t, ca, mine, mineKey), bo, true},
		{"a certificate the CA signed, wrong password", trusting(t, ca, mine, mineKey), login{"bo", "wrong"}, false},
		{"a certificate the CA signed, anonymous on loopback", trusting(t, ca, mine, mineKey), login{}, true},
	} {
		if got := connectsTLS(t, br.URL(), "c-"+strings.ReplaceAll(tc.name, " ", "-"), tc.who, tc.tls); got != tc.ok {
			t.Errorf("%s: connected=%v, want %v", tc.name, got, tc.ok)
		}
	}
	gwUser, gwPass := br.GatewayCredential()
	sock := "unix://" + br.Socket()
	if !connects(t, sock, "cli", login{}) {
		t.Error("the CLI could not connect on the local socket")
	}
	if !connects(t, sock, "switchboard-h042-gw1", login{gwUser, gwPass}) {
		t.Error("the daemon's own session could not connect on the local socket")
	}
	if connects(t, sock, "switchboard-h042-gw1", bo) {
		t.Error("the gateway's client id connected on the local socket without its credential")
	}
}

// Mosquitto's command-line clients (another TLS stack: OpenSSL) connect
// with --cafile, and with --cert/--key when client_ca is set.
func TestBrokerTLSMosquittoClients(t *testing.T) {
	if _, err := exec.LookPath("mosquitto_sub"); err != nil {
		t.Skip("mosquitto_sub not installed (Debian mosquitto-clients)")
	}
	ca := peers.NewTestCA(t, "hotel")
	cert, key := ca.ClientCert(t, "pms")
	for _, clientCA := range []bool{false, true} {
		t.Run(fmt.Sprintf("client_ca=%v", clientCA), func(t *testing.T) {
			br := startTLSBroker(t, ca, clientCA)
			_, port, _ := strings.Cut(br.Addr(), ":")
			args := func(extra ...string) []string {
				return append([]string{"-h", "127.0.0.1", "-p", port, "-u", "bo", "-P", "ob", "-q", "1", "-t", "hotel/acme/h042/#", "-C", "1", "-W", "5"}, extra...)
			}
			withCert := []string{"--cafile", ca.CAFile}
			if clientCA {
				withCert = append(withCert, "--cert", cert, "--key", key)
			}
			if clientCA {
				// Without a client certificate the handshake fails at once.
				// (A client in clear is TestBrokerTLS's; mosquitto_sub would
				// retry it until -W.)
				if out, err := exec.Command("mosquitto_sub", args("--cafile", ca.CAFile)...).CombinedOutput(); err == nil {
					t.Errorf("mosquitto_sub without a client certificate connected: %s", out)
				}
			}

			sub := exec.Command("mosquitto_sub", args(withCert...)...)
			var out strings.Builder
			sub.Stdout, sub.Stderr = &out, &out
			if err := sub.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- sub.Wait() }()
			// The local principal publishes until mosquitto_sub, once
			// subscribed, gets one message and exits.
			cl, err := NewClient(ClientOptions{URLs: []string{"unix://" + br.Socket()}, ClientID: "cli", Log: quiet})
			if err != nil {
				t.Fatal(err)
			}
			cl.Start()
			defer cl.Disconnect(0)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := cl.WaitConnected(ctx); err != nil {
				t.Fatal(err)
			}
			tick := time.NewTicker(100 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case err := <-done:
					if err != nil || !strings.Contains(out.String(), `{"mosquitto":1}`) {
						t.Fatalf("mosquitto_sub over TLS: %v\n%s", err, out.String())
					}
					return
				case <-tick.C:
					_ = cl.Publish(ctx, "hotel/acme/h042/edge/gw1/cmd/replay", 1, false, []byte(`{"mosquitto":1}`))
				case <-ctx.Done():
					sub.Process.Kill()
					t.Fatalf("mosquitto_sub got nothing over TLS in 10 s\n%s", out.String())
				}
			}
		})
	}
}

func TestServerTLS(t *testing.T) {
	ca := peers.NewTestCA(t, "hotel")
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		files TLSFiles
		want  string // in the error; "" = no error
	}{
		{"server only", TLSFiles{Cert: ca.CertFile, Key: ca.KeyFile}, ""},
		{"mutual", TLSFiles{Cert: ca.CertFile, Key: ca.KeyFile, ClientCA: ca.CAFile}, ""},
		{"missing key", TLSFiles{Cert: ca.CertFile, Key: filepath.Join(dir, "nope.key")}, "nope.key"},
		{"client CA not PEM", TLSFiles{Cert: ca.CertFile, Key: ca.KeyFile, ClientCA: notPEM}, "not.pem: no PEM certificate"},
	} {
		cfg, err := serverTLS(tc.files)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: got %v, want an error with %q", tc.name, err, tc.want)
		case err == nil:
			if cfg.MinVersion != tls.VersionTLS12 {
				t.Errorf("%s: MinVersion %x, want TLS 1.2", tc.name, cfg.MinVersion)
			}
			if mutual := tc.files.ClientCA != ""; mutual != (cfg.ClientAuth == tls.RequireAndVerifyClientCert) {
				t.Errorf("%s: ClientAuth %v", tc.name, cfg.ClientAuth)
			}
		}
	}
	if _, err := PinnedTLS(notPEM); err == nil {
		t.Error("PinnedTLS took a file without a certificate")
	}
	pinned, err := PinnedTLS(ca.CertFile)
	if err != nil || pinned.ServerName != "localhost" || pinned.RootCAs == nil {
		t.Errorf("PinnedTLS: %+v, %v: want ServerName localhost and the certificate as root", pinned, err)
	}
}
