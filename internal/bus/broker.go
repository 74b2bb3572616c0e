// Package bus is the gateway's MQTT side: the embedded broker (mochi-mqtt)
// for a hotel that runs the gateway alone, the paho client session to
// whichever broker is in use, the outbox publisher that drains the store in
// seq order at QoS 1 until the back office acknowledges, the command router,
// and retained state. Nothing here knows about devices or serial ports.
package bus

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"switchboard/internal/config"
	"switchboard/internal/events"
	"switchboard/internal/passwd"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"
)

// User is one principal the embedded broker knows: a username, the
// argon2id or bcrypt hash of its password (passwd.Hash) and its role.
type User struct {
	Username     string
	PasswordHash string
	Role         Role
}

// BrokerOptions configure the embedded broker.
type BrokerOptions struct {
	// Listen is host:port; port 0 picks a free one.
	Listen string
	// Topics is the site whose topic tree the ACL guards.
	Topics events.Topics
	Users  []User
	// Anonymous is the role of a client that gives no username, accepted
	// from loopback only; "" refuses anonymous clients.
	Anonymous Role
	// TLS, when set, makes the TCP listener serve MQTT over TLS only; the
	// unix socket stays plain (its folder's permissions guard it).
	TLS *TLSFiles
	// GatewayClientID is the client id of the daemon's own session: only
	// the daemon's per-process credential may use it, so no client can
	// take its session over (MQTT 5 §3.1.4, 3.1.1 §3.1.4: a new connection
	// with a client id in use disconnects the existing one).
	GatewayClientID string
	// Socket, when set, is a unix socket (mode 0660) whose clients act
	// without a username as the local principal, role backoffice: the CLI
	// on the gateway's own machine, admitted by the operating system's
	// permissions on the store's folder, never by an open loopback port.
	Socket string
	// Rates are the publishes per second a principal of each role may send.
	Rates Rates
	Log   *slog.Logger
}

// LocalSocket is the path of the embedded broker's unix socket for a store
// at storePath: beside the store, whose folder's permissions guard it.
func LocalSocket(storePath string) string {
	p := filepath.Join(filepath.Dir(storePath), "mqtt.sock")
	if abs, err := filepath.Abs(p); err == nil {
		// A client's unix:// URL needs the path whole (a relative one
		// would read as a host name).
		return abs
	}
	return p
}

// MaxSocketPath is sun_path's size on Linux (unix(7)) less the final NUL.
const MaxSocketPath = 107

// localListener is the id of the unix socket listener.
const localListener = "local"

// MaxPacketSize is the largest MQTT packet the embedded broker takes: a
// print or fax command whose document is the largest a schema allows (28
// MiB of base64 for 20 MiB), with its envelope.
const MaxPacketSize = 30 << 20

// Broker is the embedded MQTT broker.
type Broker struct {
	srv    *mqtt.Server
	tcp    *listeners.TCP
	sock   *listeners.UnixSock // nil without the local socket
	auth   *authHook
	gwUser string
	gwPass string
	socket string
	tls    bool // the TCP listener serves TLS
}

// StartBroker starts the embedded broker. Every principal acts in a role
// (ACL); the daemon's own session gets a random credential of role gateway,
// made here and kept in memory only (GatewayCredential).
func StartBroker(o BrokerOptions) (*Broker, error) {
	log := o.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	var secret [24]byte
	if _, err := rand.Read(secret[:]); err != nil {
		return nil, fmt.Errorf("broker gateway credential: %w", err)
	}
	b := &Broker{gwUser: gatewayUsername, gwPass: hex.EncodeToString(secret[:])}
	users := make(map[string]User, len(o.Users))
	for _, u := range o.Users {
		if u.Username == gatewayUsername {
			return nil, fmt.Errorf("broker user %q: the name is the daemon's own", u.Username)
		}
		if _, err := ParseRole(string(u.Role)); err != nil {
			return nil, fmt.Errorf("broker user %q: %w", u.Username, err)
		}
		users[u.Username] = u
	}
	lc := listeners.Config{ID: "tcp", Address: o.Listen}
	if o.TLS != nil {
		tc, err := serverTLS(*o.TLS)
		if err != nil {
			return nil, err
		}
		lc.TLSConfig, b.tls = tc, true
	}
	caps := mqtt.NewDefaultServerCapabilities()
	// A day of events can sit in a consumer's session while it is away.
	caps.MaximumMessageExpiryInterval = 0
	// MQTT 5 §3.1.2.11.4 / §3.2.2.3.6: a packet larger than this ends the
	// sender's connection before its body is read, so a client cannot make
	// the broker hold more than this for it. The largest legitimate packet
	// is a print or fax command with a 20 MiB document in base64.
	caps.MaximumPacketSize = MaxPacketSize
	// mochi logs every start and stop at info; the gateway says what matters.
	quiet := slog.New(quietHandler{log.Handler()})
	srv := mqtt.New(&mqtt.Options{Logger: quiet.With("component", "broker"), Capabilities: caps, InlineClient: false})
	b.auth = &authHook{acl: NewACL(o.Topics), users: users, anonymous: o.Anonymous,
		gwUser: b.gwUser, gwPass: b.gwPass, gwClient: o.GatewayClientID,
		log: log.With("component", "broker"), verify: make(chan struct{}, 2), limit: newLimiter(o.Rates)}
	if err := srv.AddHook(b.auth, nil); err != nil {
		return nil, fmt.Errorf("broker auth hook: %w", err)
	}
	b.tcp = listeners.NewTCP(lc)
	if err := srv.AddListener(b.tcp); err != nil {
		return nil, fmt.Errorf("broker listen %s: %w", o.Listen, err)
	}
	if o.Socket != "" {
		if len(o.Socket) > MaxSocketPath {
			log.Warn("local socket path too long for a unix socket; the CLI must use a configured user", "path", o.Socket)
		} else if err := srv.AddListener(b.unixSock(o.Socket)); err != nil {
			srv.Close()
			return nil, fmt.Errorf("broker socket %s: %w", o.Socket, err)
		} else if err := os.Chmod(o.Socket, 0o660); err != nil {
			srv.Close()
			return nil, fmt.Errorf("broker socket %s: %w", o.Socket, err)
		} else {
			b.socket = o.Socket
		}
	}
	if err := srv.Serve(); err != nil {
		srv.Close()
		return nil, fmt.Errorf("broker serve %s: %w", o.Listen, err)
	}
	b.srv = srv
	return b, nil
}

// gatewayUsername is the daemon's own principal; a configured user cannot
// take the name.
const gatewayUsername = config.GatewayBrokerUser

// GatewayCredential is the username and password of the daemon's own
// session (role gateway), valid with GatewayClientID only, for this
// process's life.
func (b *Broker) GatewayCredential() (username, password string) { return b.gwUser, b.gwPass }

// Tap hands fn every message published on a topic that filter matches
// (MQTT wildcards + and #, MQTT 5 §4.7.1), with its publisher
// (Message.From), once the ACL let it through: the gateway learns who sent
// a command or an ack, which MQTT 3.1.1 does not carry to a subscriber. fn
// runs on the publisher's connection goroutine, after its PUBACK; one
// that blocks holds up that publisher only.
func (b *Broker) Tap(filter string, fn func(Message)) {
	b.auth.tapMu.Lock()
	defer b.auth.tapMu.Unlock()
	b.auth.taps = append(b.auth.taps, tap{filter: filter, fn: fn})
}

// tap is one Broker.Tap.
type tap struct {
	filter string
	fn     func(Message)
}

// matches says whether topic name matches filter (MQTT 5 §4.7.1: +
// one level, # the rest, including the parent level). It does not
// allocate: it runs on every publish.
func matches(filter, name string) bool {
	for {
		fl, frest, fmore := strings.Cut(filter, "/")
		if fl == "#" {
			return true
		}
		nl, nrest, nmore := strings.Cut(name, "/")
		if fl != "+" && fl != nl {
			return false
		}
		if !fmore || !nmore {
			return fmore == nmore || (fmore && frest == "#")
		}
		filter, name = frest, nrest
	}
}

// Socket is the path of the local unix socket ("" without one).
func (b *Broker) Socket() string { return b.socket }

// Addr is the address the broker listens on.
func (b *Broker) Addr() string { return b.tcp.Address() }

// URL is the client URL of the broker's TCP listener: ssl:// when it
// serves TLS.
func (b *Broker) URL() string {
	if b.tls {
		return "ssl://" + b.Addr()
	}
	return "tcp://" + b.Addr()
}

// TLS says whether the TCP listener serves TLS only.
func (b *Broker) TLS() bool { return b.tls }

// unixSock makes the local socket's listener, kept for Close.
func (b *Broker) unixSock(path string) *listeners.UnixSock {
	b.sock = listeners.NewUnixSock(listeners.Config{ID: localListener, Address: path})
	return b.sock
}

// Close stops the broker and disconnects its clients. mochi v2.7.9's own
// sweep reads its client list under a read lock taken twice
// (Clients.GetByListener calls Len): a client whose session ends at that
// moment waits for the write lock (Clients.Delete), which blocks the second
// read lock, and the broker never stops (seen when a back office's session
// ended as the gateway stopped). So the listener stops accepting first,
// without mochi's sweep, the clients are told the server is shutting down
// (MQTT 5 §3.14.2.1, reason 0x8B) one by one, and only then mochi closes
// what is left, its sweep no longer run: for the unix socket too (a TCP
// client's session ending during the socket's sweep deadlocked the same
// way).
func (b *Broker) Close() error {
	b.tcp.Close(func(string) {})
	if b.sock != nil {
		b.sock.Close(func(string) {})
	}
	for _, cl := range b.srv.Clients.GetAll() {
		if !cl.Closed() {
			_ = b.srv.DisconnectClient(cl, packets.ErrServerShuttingDown)
		}
	}
	return b.srv.Close()
}

// authHook authenticates principals and applies the ACL on every publish,
// subscription and delivery.
type authHook struct {
	mqtt.HookBase
	acl       ACL
	users     map[string]User
	anonymous Role
	gwUser    string
	gwPass    string
	gwClient  string
	log       *slog.Logger
	// verify bounds the password hashes computed at once: each costs
	// argon2id's memory, and a burst of connects must not exhaust it.
	verify chan struct{}
	// refusals counts refused connects by reason, logged at most once a
	// second each.
	mu       sync.Mutex
	lastLog  map[string]time.Time
	refusals map[string]int

	tapMu sync.RWMutex
	taps  []tap // Broker.Tap

	limit *limiter // publishes per second per principal

	decoyOnce sync.Once
	decoyHash string
}

// decoy is a hash of a random password with the default costs, made on
// the first unknown name.
func (h *authHook) decoy() string {
	h.decoyOnce.Do(func() {
		var pw [16]byte
		_, _ = rand.Read(pw[:])
		h.decoyHash, _ = passwd.Hash(hex.EncodeToString(pw[:]))
	})
	return h.decoyHash
}

func (h *authHook) ID() string { return "switchboard-auth" }

func (h *authHook) Provides(b byte) bool {
	return b == mqtt.OnConnectAuthenticate || b == mqtt.OnACLCheck || b == mqtt.OnPacketRead || b == mqtt.OnPublished
}

// OnPublished hands a message on a tapped topic to its taps, with who
// published it.
func (h *authHook) OnPublished(cl *mqtt.Client, pk packets.Packet) {
	if cl.Net.Inline {
		return
	}
	h.tapMu.RLock()
	defer h.tapMu.RUnlock()
	for _, t := range h.taps {
		if matches(t.filter, pk.TopicName) {
			t.fn(Message{Topic: pk.TopicName, Payload: pk.Payload, Retained: pk.FixedHeader.Retain, From: h.principal(cl)})
		}
	}
}

// principal names an authenticated client: its username, "local" on the
// unix socket, "" when anonymous.
func (h *authHook) principal(cl *mqtt.Client) *Principal {
	name := string(cl.Properties.Username)
	if name == "" && cl.Net.Listener == localListener {
		name = "local"
	}
	return &Principal{Username: name, Role: h.role(cl), ClientID: cl.ID}
}

// role is the role of an authenticated client: its username names it (a
// username is checked at connect, before any ACL question).
func (h *authHook) role(cl *mqtt.Client) Role {
	name := cl.Properties.Username
	if len(name) == 0 {
		if cl.Net.Listener == localListener {
			return RoleBackoffice
		}
		return h.anonymous
	}
	if string(name) == h.gwUser {
		return RoleGateway
	}
	return h.users[string(name)].Role
}

func (h *authHook) OnConnectAuthenticate(cl *mqtt.Client, pk packets.Packet) bool {
	user, pass := string(pk.Connect.Username), pk.Connect.Password
	var role Role
	switch {
	case user == h.gwUser || cl.ID == h.gwClient:
		// The gateway's session: its credential and its client id go
		// together, so nobody can take its session over or act as it.
		if user != h.gwUser || cl.ID != h.gwClient || subtle.ConstantTimeCompare([]byte(h.gwPass), pass) != 1 {
			h.refused("gateway client id or name without the gateway's credential", cl)
			return false
		}
		role = RoleGateway
	case user == "" && cl.Net.Listener == localListener:
		role = RoleBackoffice
	case user == "":
		if h.anonymous == "" || !isLoopback(cl.Net.Remote) {
			h.refused("anonymous", cl)
			return false
		}
		role = h.anonymous
	default:
		u, ok := h.users[user]
		hash := u.PasswordHash
		if !ok {
			// An unknown name costs what a wrong password does, so the
			// time of a refusal does not tell which names exist.
			hash = h.decoy()
		}
		h.verify <- struct{}{}
		good := passwd.Verify(hash, string(pass)) && ok
		<-h.verify
		if !good {
			h.refused("bad username or password", cl)
			return false
		}
		role = u.Role
	}
	// A will is published by the broker for the client (MQTT 5 §3.1.2.5,
	// 3.1.1 §3.1.2.5), past any PUBLISH check: it must be one the client
	// could publish itself.
	if pk.Connect.WillFlag && !h.acl.Publish(role, pk.Connect.WillTopic, pk.Connect.WillRetain) {
		h.refused("will topic not allowed for the role", cl)
		return false
	}
	return true
}

// refused logs a refused connect, at most one line a second per reason
// with the count since the last line.
func (h *authHook) refused(reason string, cl *mqtt.Client) {
	h.mu.Lock()
	if h.lastLog == nil {
		h.lastLog, h.refusals = map[string]time.Time{}, map[string]int{}
	}
	h.refusals[reason]++
	n := h.refusals[reason]
	if time.Since(h.lastLog[reason]) < time.Second {
		h.mu.Unlock()
		return
	}
	h.lastLog[reason], h.refusals[reason] = time.Now(), 0
	h.mu.Unlock()
	h.log.Warn("broker connection refused", "reason", reason, "client", cl.ID, "remote", cl.Net.Remote,
		"username", string(cl.Properties.Username), "refused", n)
}

// OnACLCheck is asked for every PUBLISH (write), every SUBSCRIBE filter and
// every delivery to a subscriber (read).
func (h *authHook) OnACLCheck(cl *mqtt.Client, topic string, write bool) bool {
	if write {
		// The RETAIN flag is judged in OnPacketRead; here the topic.
		return h.acl.Publish(h.role(cl), topic, false)
	}
	return h.acl.Subscribe(h.role(cl), topic)
}

// OnPacketRead refuses a retained PUBLISH the role may not retain. The ACL
// check does not see the RETAIN flag; refusing here closes the connection,
// which is what MQTT 3.1.1 §3.3.5 allows a server that will not deliver.
// (An MQTT 5 client would rather get PUBACK reason 0x87 Not authorized,
// MQTT 5 §3.4.2.1, as mochi sends for a refused topic; it does not let a
// hook refuse on the RETAIN flag that way.)
func (h *authHook) OnPacketRead(cl *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	if pk.FixedHeader.Type == packets.Publish && !cl.Net.Inline {
		h.throttle(cl)
	}
	if pk.FixedHeader.Type == packets.Publish && pk.FixedHeader.Retain && !cl.Net.Inline &&
		!h.acl.Publish(h.role(cl), pk.TopicName, true) {
		h.log.Warn("retained publish refused", "client", cl.ID, "username", string(cl.Properties.Username), "topic", truncateTopic(pk.TopicName))
		return pk, packets.ErrRejectPacket
	}
	return pk, nil
}

// throttle holds a principal's publish back while it is over its rate.
// The hook runs on the client's own read loop, so waiting here stops
// reading that connection only; the gateway's own session is never slowed.
func (h *authHook) throttle(cl *mqtt.Client) {
	role := h.role(cl)
	if role == RoleGateway || h.limit == nil {
		return
	}
	key := string(role) + "/" + string(cl.Properties.Username)
	if len(cl.Properties.Username) == 0 {
		// Anonymous clients share one bucket per listener: a flood of
		// new connections gains nothing.
		key = string(role) + "/anonymous@" + cl.Net.Listener
	}
	if d := h.limit.delay(key, role, time.Now()); d > 0 {
		time.Sleep(d)
	}
}

// Throttled counts the publishes held back by a principal's rate.
func (b *Broker) Throttled() int64 { return b.auth.limit.throttled.Load() }

func truncateTopic(t string) string {
	if len(t) > 200 {
		return t[:200] + "..."
	}
	return t
}

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

// quietHandler passes on only warnings and errors, and never a client's
// packet whole.
type quietHandler struct{ slog.Handler }

func (q quietHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn && q.Handler.Enabled(ctx, l)
}

// Handle sums up the packets mochi puts in its records. mochi v2.7.9 logs
// a packet it refused whole ("error processing packet", pk: a PUBLISH the
// ACL refused from an MQTT 3.1.1 client, whose connection it then ends),
// and a handler formats the payload byte by byte: a 20 MiB publish from an
// anonymous reader cost the daemon an 84 MB log line and over 300 MiB of
// memory, and a client may send one every moment. The summary says what
// was refused.
func (q quietHandler) Handle(ctx context.Context, r slog.Record) error {
	packet := false
	r.Attrs(func(a slog.Attr) bool {
		_, packet = packetOf(a.Value)
		return !packet
	})
	if !packet {
		return q.Handler.Handle(ctx, r)
	}
	out := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	r.Attrs(func(a slog.Attr) bool {
		if pk, ok := packetOf(a.Value); ok {
			a.Value = packetSummary(pk)
		}
		out.AddAttrs(a)
		return true
	})
	return q.Handler.Handle(ctx, out)
}

// packetOf is the packet v holds, if it holds one.
func packetOf(v slog.Value) (*packets.Packet, bool) {
	if v.Kind() != slog.KindAny {
		return nil, false
	}
	switch pk := v.Any().(type) {
	case packets.Packet:
		return &pk, true
	case *packets.Packet:
		return pk, pk != nil
	}
	return nil, false
}

// packetSummary is what a log line needs of a packet: its kind, topic,
// QoS and flags, and the payload's size, never its bytes.
func packetSummary(pk *packets.Packet) slog.Value {
	name := packets.PacketNames[pk.FixedHeader.Type]
	if name == "" {
		name = fmt.Sprintf("type %d", pk.FixedHeader.Type)
	}
	return slog.GroupValue(slog.String("type", name), slog.String("topic", truncateTopic(pk.TopicName)),
		slog.Int("qos", int(pk.FixedHeader.Qos)), slog.Bool("retain", pk.FixedHeader.Retain), slog.Int("payload_bytes", len(pk.Payload)))
}

func (q quietHandler) WithAttrs(a []slog.Attr) slog.Handler {
	return quietHandler{q.Handler.WithAttrs(a)}
}

func (q quietHandler) WithGroup(n string) slog.Handler { return quietHandler{q.Handler.WithGroup(n)} }

// ConfigOptions are the embedded broker's options from the config's
// mqtt.embedded (nil: the defaults), for the daemon whose session uses clientID.
func ConfigOptions(e *config.EmbeddedBroker, t events.Topics, clientID, socket string, log *slog.Logger) BrokerOptions {
	o := BrokerOptions{Listen: "127.0.0.1:1883", Topics: t, Anonymous: RoleReadonly, GatewayClientID: clientID, Socket: socket, Log: log}
	if e == nil {
		return o
	}
	if e.Listen != "" {
		o.Listen = e.Listen
	}
	if e.Anonymous == config.AnonymousNone {
		o.Anonymous = ""
	}
	if t := e.TLS; t != nil {
		o.TLS = &TLSFiles{Cert: t.Cert, Key: t.Key, ClientCA: t.ClientCA}
	}
	o.Rates = Rates{Backoffice: e.RateLimits.Backoffice, Operator: e.RateLimits.Operator, Readonly: e.RateLimits.Readonly}
	for _, u := range e.Users {
		o.Users = append(o.Users, User{Username: u.Username, PasswordHash: u.PasswordHash, Role: Role(u.Role)})
	}
	return o
}
