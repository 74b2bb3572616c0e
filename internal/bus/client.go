package bus

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// ClientOptions configure the gateway's session to the broker.
type ClientOptions struct {
	URLs     []string
	ClientID string
	Username string
	Password string
	CAFile   string
	CertFile string
	KeyFile  string
	// TLS, when set, is used as is, and CAFile, CertFile and KeyFile are
	// not read (e.g. PinnedTLS for the embedded broker).
	TLS           *tls.Config
	WillTopic     string
	WillPayload   []byte
	ConnectTimout time.Duration
	// Ordered delivers messages to handlers one at a time in arrival order
	// (a consumer that checks seq order needs it); handlers must then return
	// quickly. The gateway itself hands messages to queues and leaves it off.
	Ordered bool
	Log     *slog.Logger
}

// Message is one message received on a subscription.
type Message struct {
	Topic    string
	Payload  []byte
	Retained bool
	// From is the publisher, when the embedded broker delivered the
	// message through a tap (Broker.Tap); nil from an external broker.
	From *Principal
}

// Client is one MQTT session. It reconnects by itself; OnConnect hooks run
// after every (re)connect, off paho's callback goroutine.
type Client struct {
	c   paho.Client
	log *slog.Logger

	mu        sync.Mutex
	gen       uint64        // connection generation, +1 per connect
	upSince   time.Time     // when the current (or last) session began
	up        chan struct{} // closed while connected
	down      chan struct{} // closed while disconnected
	onConnect []func(gen uint64)
	onLoss    []func(SessionLoss)
	subs      map[string]func(Message)
	dialing   bool          // a connect loop is running
	stopped   bool          // Disconnect was called
	stop      chan struct{} // closed by Disconnect
}

// SessionLoss is a session that ended without Disconnect or Reconnect,
// reported once the first attempt to connect again is over.
type SessionLoss struct {
	Gen    uint64        // the session's generation
	At     time.Time     // when it ended
	Err    error         // what paho saw (io.EOF: the broker closed the connection)
	Lasted time.Duration // how long the session had been up
	// Reachable: the broker accepted that first attempt, so it was up all
	// along and ended the session itself. MQTT 3.1.1 gives no reason for
	// it, and this is what a takeover looks like: another client connected
	// with this client id and the server disconnected this one (§3.1.4-2;
	// MQTT 5 would say 0x8E "Session taken over"). A broker that stopped
	// or a network that failed refuses that attempt instead.
	Reachable bool
}

// NewClient prepares a session; call Start to connect.
func NewClient(o ClientOptions) (*Client, error) {
	if len(o.URLs) == 0 {
		return nil, fmt.Errorf("mqtt: no broker URL")
	}
	log := o.Log
	if log == nil {
		log = slog.Default()
	}
	cl := &Client{log: log.With("component", "mqtt"), up: make(chan struct{}), down: make(chan struct{}), subs: map[string]func(Message){}, stop: make(chan struct{})}
	close(cl.down)
	po := paho.NewClientOptions()
	for _, u := range o.URLs {
		po.AddBroker(u)
	}
	po.SetClientID(o.ClientID)
	po.SetUsername(o.Username)
	po.SetPassword(o.Password)
	// The outbox re-sends whatever was not acknowledged after a reconnect,
	// so paho must not keep (and replay) a session of its own. A clean
	// session is not enough: paho's own auto-reconnect re-sends its in-flight
	// QoS 1 publishes from memory (client.reconnect calls resume whatever
	// CleanSession says), and those would interleave with the outbox's
	// restart from the acknowledged seq. So the Client reconnects by itself:
	// a lost connection completes paho's in-flight tokens with an error and
	// a fresh Connect starts from an empty store.
	po.SetCleanSession(true)
	po.SetAutoReconnect(false)
	po.SetConnectRetry(false)
	po.SetKeepAlive(20 * time.Second)
	po.SetPingTimeout(10 * time.Second)
	po.SetWriteTimeout(10 * time.Second)
	po.SetOrderMatters(o.Ordered)
	timeout := o.ConnectTimout
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	po.SetConnectTimeout(timeout)
	if o.WillTopic != "" {
		po.SetBinaryWill(o.WillTopic, o.WillPayload, 1, true)
	}
	if o.TLS != nil {
		po.SetTLSConfig(o.TLS)
	} else if o.CAFile != "" || o.CertFile != "" {
		tc, err := tlsConfig(o.CAFile, o.CertFile, o.KeyFile)
		if err != nil {
			return nil, err
		}
		po.SetTLSConfig(tc)
	}
	po.SetOnConnectHandler(cl.connected)
	po.SetConnectionLostHandler(func(_ paho.Client, err error) {
		cl.log.Warn("broker connection lost; reconnecting", "err", err)
		cl.mu.Lock()
		loss := &SessionLoss{Gen: cl.gen, At: time.Now(), Err: err, Lasted: time.Since(cl.upSince)}
		cl.mu.Unlock()
		cl.setDown()
		cl.dial(loss)
	})
	cl.c = paho.NewClient(po)
	return cl, nil
}

// Reconnect backoff: the first retry after a second, then doubling to 10 s.
const (
	dialFirst = time.Second
	dialMax   = 10 * time.Second
	// A session the broker ended within shortSession of its start is
	// reconnected after dialFirst rather than at once. Two clients with
	// one client id kick each other out (MQTT 3.1.1 §3.1.4-2) as fast as
	// both reconnect: without the pause two gateways sharing a
	// configuration would hammer the broker many times a second,
	// each reconnect re-sending the unacknowledged outbox. A second is
	// still well inside the 15 s in which a ping must be answered after a
	// takeover storm.
	shortSession = time.Second
)

// dial starts the connect loop unless one runs or the client is stopped;
// loss is the session that just ended, nil for a first connect or a
// Reconnect.
func (c *Client) dial(loss *SessionLoss) {
	c.mu.Lock()
	if c.dialing || c.stopped {
		c.mu.Unlock()
		return
	}
	c.dialing = true
	c.mu.Unlock()
	go c.connectLoop(loss)
}

// pause waits d between connection attempts; false: the client was
// stopped meanwhile (and is no longer dialing).
func (c *Client) pause(d time.Duration) bool {
	select {
	case <-c.stop:
		c.mu.Lock()
		c.dialing = false
		c.mu.Unlock()
		return false
	case <-time.After(d):
		return true
	}
}

// connectLoop connects, retrying with backoff until it succeeds or the
// client is stopped. After a lost session it tells the OnLoss hooks how
// the first attempt went.
func (c *Client) connectLoop(loss *SessionLoss) {
	if loss != nil && loss.Lasted < shortSession && !c.pause(dialFirst) {
		return
	}
	wait := dialFirst
	for attempt := 1; ; attempt++ {
		tok := c.c.Connect()
		tok.Wait()
		err := tok.Error()
		if attempt == 1 && loss != nil {
			loss.Reachable = err == nil
			c.lost(*loss)
		}
		c.mu.Lock()
		stopped := c.stopped
		if err == nil || stopped {
			c.dialing = false
			c.mu.Unlock()
			if err == nil && stopped {
				c.c.Disconnect(0)
			}
			return
		}
		c.mu.Unlock()
		if attempt == 1 || attempt%30 == 0 {
			c.log.Warn("broker not reachable; retrying", "attempt", attempt, "err", err)
		}
		if !c.pause(wait) {
			return
		}
		wait = min(wait*2, dialMax)
	}
}

func tlsConfig(ca, cert, key string) (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if ca != "" {
		pem, err := os.ReadFile(ca)
		if err != nil {
			return nil, fmt.Errorf("mqtt: ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("mqtt: ca %s: no PEM certificate in it", ca)
		}
		tc.RootCAs = pool
	}
	if cert != "" {
		kp, err := tls.LoadX509KeyPair(cert, key)
		if err != nil {
			return nil, fmt.Errorf("mqtt: client certificate: %w", err)
		}
		tc.Certificates = []tls.Certificate{kp}
	}
	return tc, nil
}

// lost hands a session loss to the OnLoss hooks, each in its own goroutine.
func (c *Client) lost(l SessionLoss) {
	c.mu.Lock()
	hooks := append([]func(SessionLoss){}, c.onLoss...)
	c.mu.Unlock()
	for _, h := range hooks {
		go h(l)
	}
}

// Start begins connecting; it does not wait for the broker (the outbox holds
// events until it answers).
func (c *Client) Start() { c.dial(nil) }

// WaitConnected waits until the session is up or ctx ends.
func (c *Client) WaitConnected(ctx context.Context) error {
	select {
	case <-c.Up():
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Up returns a channel closed while the session is connected; without a
// client (an offline gateway) one that never closes.
func (c *Client) Up() <-chan struct{} {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.up
}

// Down returns a channel closed while the session is disconnected.
func (c *Client) Down() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.down
}

// Generation counts connects; a change means a new session.
func (c *Client) Generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// OnConnect registers fn to run (in its own goroutine) after every connect.
func (c *Client) OnConnect(fn func(gen uint64)) {
	c.mu.Lock()
	c.onConnect = append(c.onConnect, fn)
	c.mu.Unlock()
}

// OnLoss registers fn to run (in its own goroutine) after a session ended
// without Disconnect or Reconnect, once the first attempt to connect again
// is over.
func (c *Client) OnLoss(fn func(SessionLoss)) {
	c.mu.Lock()
	c.onLoss = append(c.onLoss, fn)
	c.mu.Unlock()
}

// Since is when the current session began (zero before the first connect).
func (c *Client) Since() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.upSince
}

func (c *Client) connected(_ paho.Client) {
	c.mu.Lock()
	c.gen++
	c.upSince = time.Now()
	gen := c.gen
	select {
	case <-c.up:
	default:
		close(c.up)
	}
	c.down = make(chan struct{})
	hooks := append([]func(uint64){}, c.onConnect...)
	subs := make(map[string]func(Message), len(c.subs))
	for k, v := range c.subs {
		subs[k] = v
	}
	c.mu.Unlock()
	c.log.Info("connected to broker", "generation", gen)
	go func() {
		for filter, fn := range subs {
			c.subscribe(filter, fn)
		}
		for _, h := range hooks {
			h(gen)
		}
	}()
}

func (c *Client) setDown() {
	c.mu.Lock()
	defer c.mu.Unlock()
	select {
	case <-c.up:
		c.up = make(chan struct{})
	default:
	}
	select {
	case <-c.down:
	default:
		close(c.down)
	}
}

// Subscribe registers a QoS 1 subscription, kept across reconnects. fn runs
// on paho's goroutines and must not block for long.
func (c *Client) Subscribe(filter string, fn func(Message)) {
	c.mu.Lock()
	c.subs[filter] = fn
	connected := false
	select {
	case <-c.up:
		connected = true
	default:
	}
	c.mu.Unlock()
	if connected {
		c.subscribe(filter, fn)
	}
}

func (c *Client) subscribe(filter string, fn func(Message)) {
	tok := c.c.Subscribe(filter, 1, func(_ paho.Client, m paho.Message) {
		fn(Message{Topic: m.Topic(), Payload: m.Payload(), Retained: m.Retained()})
	})
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		c.log.Warn("subscribe failed; will retry on reconnect", "filter", filter, "err", tok.Error())
	}
}

// Token is an in-flight publish.
type Token = paho.Token

// PublishAsync sends one message and returns its token (completed on PUBACK
// for QoS 1).
func (c *Client) PublishAsync(topic string, qos byte, retained bool, payload []byte) Token {
	return c.c.Publish(topic, qos, retained, payload)
}

// Publish sends one message and waits for the broker's acknowledgement.
func (c *Client) Publish(ctx context.Context, topic string, qos byte, retained bool, payload []byte) error {
	tok := c.c.Publish(topic, qos, retained, payload)
	select {
	case <-tok.Done():
		return tok.Error()
	case <-ctx.Done():
		return ctx.Err()
	}
}

// reconnectQuiesce is how long Reconnect waits for the DISCONNECT to go out
// and paho's workers to stop before connecting again (paho: a client reused
// before its Disconnect finished may misbehave).
const reconnectQuiesce = time.Second

// Reconnect ends the session and starts a new one, which subscribes to
// every filter again: the remedy for a session that no longer hears its
// subscriptions. It does nothing while a connect loop already runs (that
// one makes a new session anyway) or after Disconnect. The disconnect is
// clean, so the broker does not publish the will: the status stays online.
func (c *Client) Reconnect() {
	c.mu.Lock()
	if c.dialing || c.stopped {
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	if c.c.IsConnectionOpen() {
		c.c.Disconnect(uint(reconnectQuiesce / time.Millisecond))
	}
	c.setDown()
	c.dial(nil)
}

// DropSubscriptions unsubscribes every filter at the broker but keeps them
// registered here, so the next session subscribes to them again: what a
// broker that lost this session's subscriptions looks like from the
// client (a cluster node that took the session over without them). It is
// for fault-injection tests; the gateway never calls it.
func (c *Client) DropSubscriptions(ctx context.Context) error {
	c.mu.Lock()
	filters := make([]string, 0, len(c.subs))
	for f := range c.subs {
		filters = append(filters, f)
	}
	c.mu.Unlock()
	if len(filters) == 0 {
		return nil
	}
	tok := c.c.Unsubscribe(filters...)
	select {
	case <-tok.Done():
		if err := tok.Error(); err != nil {
			return fmt.Errorf("mqtt: unsubscribe %v: %w", filters, err)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("mqtt: unsubscribe %v: %w", filters, ctx.Err())
	}
}

// Disconnect ends the session cleanly, waiting up to quiesce for in-flight
// work, and stops reconnecting.
func (c *Client) Disconnect(quiesce time.Duration) {
	c.mu.Lock()
	if !c.stopped {
		c.stopped = true
		close(c.stop)
	}
	c.mu.Unlock()
	if c.c.IsConnectionOpen() {
		c.c.Disconnect(uint(quiesce / time.Millisecond))
	}
	c.setDown()
}
