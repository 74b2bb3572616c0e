package gateway

import (
	"strings"
	"testing"

	"switchboard/internal/bus"
	"switchboard/internal/config"
	"switchboard/internal/events"
	"switchboard/test/peers"
)

// With mqtt.embedded.tls the daemon's own session still gets in (through
// the local socket), also when client_ca asks every TCP client for a
// certificate it does not hold: it publishes its status and answers a
// back office that connects over TLS.
func TestEmbeddedBrokerTLS(t *testing.T) {
	for _, tc := range []struct {
		name     string
		clientCA bool
	}{{"tls", false}, {"tls with client_ca", true}} {
		t.Run(tc.name, func(t *testing.T) {
			ca := peers.NewTestCA(t, "hotel")
			e := testBroker(peers.FreePort(t))
			e.TLS = &config.BrokerTLS{Cert: ca.CertFile, Key: ca.KeyFile}
			bo := bus.ClientOptions{CAFile: ca.CAFile}
			if tc.clientCA {
				e.TLS.ClientCA = ca.CAFile
				bo.CertFile, bo.KeyFile = ca.ClientCert(t, "pms")
			}
			g, url := startGatewayOn(t, e)
			if !strings.HasPrefix(url, "ssl://") {
				t.Fatalf("BrokerURL %s: want ssl://", url)
			}
			b := newBackOfficeTLS(t, url, bo)
			b.waitOnline(g)
			b.cl.PublishAsync(g.topics.Command("edge", "gw1", "ping"), 1, false, []byte(command("t1", "hotel.edge.cmd.ping", "frontdesk", "{}")))
			b.waitFor("ping completed", func(m bus.Message, env events.Envelope) bool {
				return strings.Contains(m.Topic, "/reply/") && env.Type == "hotel.command.completed" && strings.Contains(string(env.Data), `"command_id":"t1"`)
			})
		})
	}
}
