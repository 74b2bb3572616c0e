package bus

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"time"

	"switchboard/internal/config"
	"switchboard/internal/events"
)

// SessionOptions say how the daemon reaches its bus.
type SessionOptions struct {
	MQTT   config.MQTT
	Topics events.Topics
	// Socket is the embedded broker's unix socket (LocalSocket of the store).
	Socket string
	// Will is the retained status the broker publishes if the session ends
	// without a goodbye.
	Will []byte
	Log  *slog.Logger
}

// OpenSession makes the daemon's session (role gateway): on the external
// brokers of the config, or on an embedded broker it starts first (then
// returned too, nil otherwise). The client is not started.
func OpenSession(o SessionOptions) (*Client, *Broker, error) {
	clientID := "switchboard-" + o.Topics.Property + "-" + o.Topics.Gateway
	var opts ClientOptions
	var br *Broker
	if x := o.MQTT.External; x != nil {
		opts = ClientOptions{URLs: x.URLs, Username: x.Username, Password: x.Password, CAFile: x.CA, CertFile: x.Cert, KeyFile: x.Key, ClientID: x.ClientID}
	} else {
		var err error
		if br, err = StartBroker(ConfigOptions(o.MQTT.Embedded, o.Topics, clientID, o.Socket, o.Log)); err != nil {
			return nil, nil, fmt.Errorf("mqtt.embedded.listen: %w (is another broker or gateway running there?)", err)
		}
		o.Log.Info("embedded broker listening", "addr", br.Addr())
		url, err := br.ownURL(o.Socket)
		if err != nil {
			br.Close()
			return nil, nil, err
		}
		// The gateway talks to its own broker as a client, through the same
		// code path as to an external one, as the gateway principal.
		opts = ClientOptions{URLs: []string{url}, ClientID: clientID}
		opts.Username, opts.Password = br.GatewayCredential()
	}
	if opts.ClientID == "" {
		opts.ClientID = clientID
	}
	opts.Log, opts.WillTopic, opts.WillPayload = o.Log, o.Topics.Status(), o.Will
	cl, err := NewClient(opts)
	if err != nil {
		if br != nil {
			br.Close()
		}
		return nil, nil, err
	}
	return cl, br, nil
}

// ownURL is where the daemon's own session reaches the embedded broker.
func (b *Broker) ownURL(socket string) (string, error) {
	if b.TLS() {
		// Over TLS the session goes through the unix socket instead: the
		// broker's certificate need not name a loopback address, and with
		// client_ca the daemon holds no client certificate a hotel's CA
		// signed. The socket's folder permissions guard it; the per-process
		// credential and client id are checked there as on TCP, so the
		// session is the gateway's and no other.
		if b.Socket() == "" {
			return "", fmt.Errorf("mqtt.embedded.tls: the daemon's own session needs the broker's local socket %s, whose path is too long for a unix socket (%d bytes at most): move store.path to a shorter folder", socket, MaxSocketPath)
		}
		return "unix://" + b.Socket(), nil
	}
	return "tcp://" + dialable(b.Addr()), nil
}

// dialable is a listen address a client on this machine can dial: a
// wildcard host (every interface, IPv4 or IPv6) becomes loopback.
func dialable(addr string) string {
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(h); h == "" || (ip != nil && ip.IsUnspecified()) {
		if ip != nil && ip.To4() == nil {
			return net.JoinHostPort("::1", p)
		}
		return net.JoinHostPort("127.0.0.1", p)
	}
	return addr
}

// ProbeEnvelope makes a probe's message: its nonce in an envelope like
// every message the gateway publishes (hotel.edge.probe; consumers ignore
// it), from source, for the process bootID.
func ProbeEnvelope(source, bootID string, now func() time.Time) func(nonce string) []byte {
	return func(nonce string) []byte {
		data, _ := json.Marshal(map[string]string{"nonce": nonce})
		b, _ := json.Marshal(events.Envelope{
			SpecVersion:     events.SpecVersion,
			ID:              events.EventID(source, "hotel.edge.probe", bootID+"/"+nonce, ""),
			Source:          source,
			Type:            "hotel.edge.probe",
			Time:            now(),
			DataContentType: "application/json",
			DataSchema:      events.SchemaURI("hotel.edge.probe"),
			Data:            data,
		})
		return b
	}
}
