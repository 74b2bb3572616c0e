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
	up        chan struct{} // closed while connected
	down      chan struct{} // closed while disconnected
	onConnect []func(gen uint64)
	subs      map[string]func(Message)
	dialing   bool          // a connect loop is running
	stopped   bool          // Disconnect was called
	stop      chan struct{} // closed by Disconnect
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
		cl.setDown()
		cl.dial()
	})
	cl.c = paho.NewClient(po)
	return cl, nil
}

// Reconnect backoff: the first retry after a second, then doubling to 10 s.
const (
	dialFirst = time.Second
	dialMax   = 10 * time.Second
)

// dial starts the connect loop unless one runs or the client is stopped.
func (c *Client) dial() {
	c.mu.Lock()
	if c.dialing || c.stopped {
		c.mu.Unlock()
		return
	}
	c.dialing = true
	c.mu.Unlock()
	go c.connectLoop()
}

// connectLoop connects, retrying with backoff until it succeeds or the
// client is stopped.
func (c *Client) connectLoop() {
	wait := dialFirst
	for attempt := 1; ; attempt++ {
		tok := c.c.Connect()
		tok.Wait()
		err := tok.Error()
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
		select {
		case <-c.stop:
			c.mu.Lock()
			c.dialing = false
			c.mu.Unlock()
			return
		case <-time.After(wait):
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

// Start begins connecting; it does not wait for the broker (the outbox holds
// events until it answers).
func (c *Client) Start() { c.dial() }

// WaitConnected waits until the session is up or ctx ends.
func (c *Client) WaitConnected(ctx context.Context) error {
	select {
	case <-c.Up():
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Up returns a channel closed while the session is connected.
func (c *Client) Up() <-chan struct{} {
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

func (c *Client) connected(_ paho.Client) {
	c.mu.Lock()
	c.gen++
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
