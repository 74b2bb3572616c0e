// Package bus is the gateway's MQTT side: the embedded broker (mochi-mqtt)
// for a hotel that runs the gateway alone, the paho client session to
// whichever broker is in use, the outbox publisher that drains the store in
// seq order at QoS 1 until the back office acknowledges, the command router,
// and retained state. Nothing here knows about devices or serial ports.
package bus

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"
)

// Credential is one username/password the embedded broker accepts.
type Credential struct{ Username, Password string }

// Broker is the embedded MQTT broker.
type Broker struct {
	srv *mqtt.Server
	tcp *listeners.TCP
}

// StartBroker starts the embedded broker on listen (host:port; port 0 picks
// a free one). Anonymous clients are allowed only from loopback; any other
// client must present one of users.
func StartBroker(listen string, users []Credential, log *slog.Logger) (*Broker, error) {
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	caps := mqtt.NewDefaultServerCapabilities()
	// A day of events can sit in a consumer's session while it is away.
	caps.MaximumMessageExpiryInterval = 0
	// mochi logs every start and stop at info; the gateway says what matters.
	quiet := slog.New(quietHandler{log.Handler()})
	srv := mqtt.New(&mqtt.Options{Logger: quiet.With("component", "broker"), Capabilities: caps, InlineClient: false})
	if err := srv.AddHook(&authHook{users: users}, nil); err != nil {
		return nil, fmt.Errorf("broker auth hook: %w", err)
	}
	tcp := listeners.NewTCP(listeners.Config{ID: "tcp", Address: listen})
	if err := srv.AddListener(tcp); err != nil {
		return nil, fmt.Errorf("broker listen %s: %w", listen, err)
	}
	if err := srv.Serve(); err != nil {
		srv.Close()
		return nil, fmt.Errorf("broker serve %s: %w", listen, err)
	}
	return &Broker{srv: srv, tcp: tcp}, nil
}

// Addr is the address the broker listens on.
func (b *Broker) Addr() string { return b.tcp.Address() }

// URL is the client URL of the broker.
func (b *Broker) URL() string { return "tcp://" + b.Addr() }

// Close stops the broker and disconnects its clients. mochi v2.7.9's own
// sweep reads its client list under a read lock taken twice
// (Clients.GetByListener calls Len): a client whose session ends at that
// moment waits for the write lock (Clients.Delete), which blocks the second
// read lock, and the broker never stops (seen when a back office's session
// ended as the gateway stopped). So the listener stops accepting first,
// without mochi's sweep, the clients are told the server is shutting down
// (MQTT 5 §3.14.2.1, reason 0x8B) one by one, and only then mochi closes
// what is left, its sweep no longer run.
func (b *Broker) Close() error {
	b.tcp.Close(func(string) {})
	for _, cl := range b.srv.Clients.GetAll() {
		if !cl.Closed() {
			_ = b.srv.DisconnectClient(cl, packets.ErrServerShuttingDown)
		}
	}
	return b.srv.Close()
}

type authHook struct {
	mqtt.HookBase
	users []Credential
}

func (h *authHook) ID() string { return "switchboard-auth" }

func (h *authHook) Provides(b byte) bool {
	return b == mqtt.OnConnectAuthenticate || b == mqtt.OnACLCheck
}

func (h *authHook) OnConnectAuthenticate(cl *mqtt.Client, pk packets.Packet) bool {
	user, pass := string(pk.Connect.Username), string(pk.Connect.Password)
	if user == "" {
		return isLoopback(cl.Net.Remote)
	}
	for _, u := range h.users {
		if subtle.ConstantTimeCompare([]byte(u.Username), []byte(user)) == 1 &&
			subtle.ConstantTimeCompare([]byte(u.Password), []byte(pass)) == 1 {
			return true
		}
	}
	return false
}

func (h *authHook) OnACLCheck(cl *mqtt.Client, topic string, write bool) bool { return true }

func isLoopback(remote string) bool {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ErrNotConnected is returned while the session to the broker is down.
var ErrNotConnected = errors.New("mqtt: not connected")

// quietHandler passes on only warnings and errors.
type quietHandler struct{ slog.Handler }

func (q quietHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn && q.Handler.Enabled(ctx, l)
}

func (q quietHandler) WithAttrs(a []slog.Attr) slog.Handler {
	return quietHandler{q.Handler.WithAttrs(a)}
}

func (q quietHandler) WithGroup(n string) slog.Handler { return quietHandler{q.Handler.WithGroup(n)} }
