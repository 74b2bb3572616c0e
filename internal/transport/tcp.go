package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"
)

const (
	defaultDialTimeout = 10 * time.Second
	// promptWait is how long the client waits for a login prompt before it
	// sends a login line anyway (some PBXs prompt, some just listen).
	defaultPromptWait = 2 * time.Second
	// promptQuiet ends a prompt early: once bytes arrived, this much silence
	// means the PBX is waiting for us.
	defaultPromptQuiet = 150 * time.Millisecond
)

// keepAlive makes a half-dead connection (PBX powered off, cable pulled, a
// NAT that forgot us) fail within about a minute instead of never: SMDR is
// receive-only, so without probes a Read would wait forever.
var keepAlive = net.KeepAliveConfig{Enable: true, Idle: 30 * time.Second, Interval: 10 * time.Second, Count: 3}

// TCPClientOptions describes a TCP connection the gateway dials, e.g. the
// SMDR port of a Panasonic KX-TDE/NS (port 2300).
type TCPClientOptions struct {
	Address string // host:port
	// Login lines are sent in order after connecting, each followed by CRLF,
	// each after the PBX's prompt (or a short wait if it sends none).
	// Panasonic KX-TDE/NS SMDR over TCP: "SMDR" then the SMDR password
	// (KX-TDE programming manual, "SMDR over LAN", port 2300).
	Login       []string
	DialTimeout time.Duration // default 10s
}

// TCPClient is a Transport that dials a TCP endpoint.
type TCPClient struct {
	opts        TCPClientOptions
	promptWait  time.Duration
	promptQuiet time.Duration
}

var _ Transport = (*TCPClient)(nil)

// NewTCPClient validates opts and returns the transport. Options errors are
// marked Fatal.
func NewTCPClient(opts TCPClientOptions) (*TCPClient, error) {
	if err := checkHostPort(opts.Address); err != nil {
		return nil, Fatal(fmt.Errorf("transport: tcp connect: %w", err))
	}
	if opts.DialTimeout < 0 {
		return nil, Fatal(fmt.Errorf("transport: tcp connect %s: dial timeout %v is negative", opts.Address, opts.DialTimeout))
	}
	if opts.DialTimeout == 0 {
		opts.DialTimeout = defaultDialTimeout
	}
	for i, l := range opts.Login {
		if strings.ContainsAny(l, "\r\n") {
			// Reported by index: a login line may be a password.
			return nil, Fatal(fmt.Errorf("transport: tcp connect %s: login line %d contains CR or LF", opts.Address, i+1))
		}
	}
	opts.Login = append([]string(nil), opts.Login...)
	return &TCPClient{opts: opts, promptWait: defaultPromptWait, promptQuiet: defaultPromptQuiet}, nil
}

func checkHostPort(addr string) error {
	if addr == "" {
		return errors.New("address is empty")
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if port == "" {
		return fmt.Errorf("address %q has no port", addr)
	}
	return nil
}

// String describes the endpoint, e.g. "tcp connect 192.0.2.10:2300".
func (c *TCPClient) String() string { return "tcp connect " + c.opts.Address }

// Open dials, turns on TCP keepalive and performs the login exchange.
func (c *TCPClient) Open(ctx context.Context) (io.ReadWriteCloser, error) {
	d := net.Dialer{Timeout: c.opts.DialTimeout, KeepAliveConfig: keepAlive}
	conn, err := d.DialContext(ctx, "tcp", c.opts.Address)
	if err != nil {
		return nil, fmt.Errorf("transport: %s: %w", c, err)
	}
	if len(c.opts.Login) == 0 {
		return conn, nil
	}
	if err := c.login(ctx, conn); err != nil {
		conn.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("transport: %s: login: %w", c, err)
	}
	if err := ctx.Err(); err != nil {
		conn.Close()
		return nil, err
	}
	if err := conn.SetDeadline(time.Time{}); err != nil {
		conn.Close()
		return nil, fmt.Errorf("transport: %s: %w", c, err)
	}
	return conn, nil
}

// login sends each login line after the PBX's prompt. The prompt bytes
// ("Login:", "Password:", ...) are consumed and dropped: they are not SMDR
// data. Nothing is read after the last line, so call records that follow
// reach the driver.
func (c *TCPClient) login(ctx context.Context, conn net.Conn) error {
	d := &deadliner{conn: conn}
	// A cancelled ctx interrupts the login by expiring the deadlines; the
	// deadliner keeps later steps from setting them again.
	stop := context.AfterFunc(ctx, d.cancel)
	defer stop()
	buf := make([]byte, 512)
	for i, line := range c.opts.Login {
		if err := c.awaitPrompt(d, buf); err != nil {
			return fmt.Errorf("before line %d: %w", i+1, err)
		}
		if err := d.set(conn.SetWriteDeadline, c.promptWait); err != nil {
			return err
		}
		if _, err := io.WriteString(conn, line+"\r\n"); err != nil {
			return fmt.Errorf("line %d: %w", i+1, err)
		}
	}
	return nil
}

// awaitPrompt reads whatever the peer sends: up to promptWait for the first
// byte, then until promptQuiet passes without more.
func (c *TCPClient) awaitPrompt(d *deadliner, buf []byte) error {
	wait := c.promptWait
	for {
		if err := d.set(d.conn.SetReadDeadline, wait); err != nil {
			return err
		}
		n, err := d.conn.Read(buf)
		if n > 0 {
			wait = c.promptQuiet
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			if d.cancelled() {
				return context.Canceled
			}
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// deadliner sets connection deadlines until it is cancelled, after which
// the deadlines stay in the past, so no step of a login can outlive its ctx.
type deadliner struct {
	conn net.Conn
	mu   sync.Mutex
	done bool
}

func (d *deadliner) cancel() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.done = true
	d.conn.SetDeadline(time.Unix(1, 0))
}

func (d *deadliner) cancelled() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.done
}

func (d *deadliner) set(setter func(time.Time) error, after time.Duration) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.done {
		return context.Canceled
	}
	return setter(time.Now().Add(after))
}

// TCPListenOptions describes a port the PBX connects to (Avaya IP Office
// SMDR: the PBX is the TCP client and dials the configured IP and port,
// IP Office Manager, System > CDR/SMDR).
type TCPListenOptions struct {
	Address string // host:port to listen on, e.g. 0.0.0.0:5000
}

// TCPListener is a Transport that waits for the PBX to connect. The listening
// socket is opened once and kept across reconnects; one connection is served
// at a time and a new connection replaces the current one (the PBX
// reconnected, so the old one is dead even if no FIN ever arrived). Close
// closes the listener.
type TCPListener struct {
	opts TCPListenOptions

	mu      sync.Mutex
	ln      net.Listener
	current *listenConn
	closed  bool

	pending chan net.Conn // newest accepted connection not yet handed out
	done    chan struct{}
}

var _ Transport = (*TCPListener)(nil)

// NewTCPListener validates opts and returns the transport; it does not
// listen until Listen or Open is called.
func NewTCPListener(opts TCPListenOptions) (*TCPListener, error) {
	if err := checkHostPort(opts.Address); err != nil {
		return nil, Fatal(fmt.Errorf("transport: tcp listen: %w", err))
	}
	return &TCPListener{opts: opts, pending: make(chan net.Conn, 1), done: make(chan struct{})}, nil
}

// String describes the endpoint, e.g. "tcp listen 127.0.0.1:5000".
func (l *TCPListener) String() string { return "tcp listen " + l.opts.Address }

// Listen opens the listening socket if it is not open yet and returns its
// address (useful with port 0). A failure (address in use) is retryable.
func (l *TCPListener) Listen() (net.Addr, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, fmt.Errorf("transport: %s: %w: %w", l, ErrExhausted, net.ErrClosed)
	}
	if l.ln != nil {
		return l.ln.Addr(), nil
	}
	lc := net.ListenConfig{KeepAliveConfig: keepAlive}
	ln, err := lc.Listen(context.Background(), "tcp", l.opts.Address)
	if err != nil {
		return nil, fmt.Errorf("transport: %s: %w", l, err)
	}
	l.ln = ln
	go l.acceptLoop(ln)
	return ln.Addr(), nil
}

func (l *TCPListener) acceptLoop(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			select {
			case <-l.done:
				return
			default:
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// EMFILE and friends: back off briefly rather than spin.
			select {
			case <-time.After(100 * time.Millisecond):
			case <-l.done:
				return
			}
			continue
		}
		l.mu.Lock()
		if l.closed {
			l.mu.Unlock()
			c.Close()
			return
		}
		if l.current != nil {
			l.current.Conn.Close() // its session's Read fails; Link then Opens and gets c
			l.current = nil
		}
		select {
		case old := <-l.pending:
			old.Close()
		default:
		}
		l.pending <- c
		l.mu.Unlock()
	}
}

// Open waits for the PBX to connect (or for the connection that already
// arrived) and returns it.
func (l *TCPListener) Open(ctx context.Context) (io.ReadWriteCloser, error) {
	if _, err := l.Listen(); err != nil {
		return nil, err
	}
	var c net.Conn
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-l.done:
		return nil, fmt.Errorf("transport: %s: %w: %w", l, ErrExhausted, net.ErrClosed)
	case c = <-l.pending:
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		c.Close()
		return nil, fmt.Errorf("transport: %s: %w: %w", l, ErrExhausted, net.ErrClosed)
	}
	// A newer connection may have been accepted between the receive and
	// the lock; the newest wins.
	select {
	case newer := <-l.pending:
		c.Close()
		c = newer
	default:
	}
	lc := &listenConn{Conn: c, l: l}
	l.current = lc
	return lc, nil
}

// Close stops listening and closes the connection being served.
func (l *TCPListener) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	close(l.done)
	var err error
	if l.ln != nil {
		err = l.ln.Close()
	}
	if l.current != nil {
		l.current.Conn.Close()
		l.current = nil
	}
	select {
	case c := <-l.pending:
		c.Close()
	default:
	}
	return err
}

type listenConn struct {
	net.Conn
	l *TCPListener
}

func (c *listenConn) Close() error {
	c.l.mu.Lock()
	if c.l.current == c {
		c.l.current = nil
	}
	c.l.mu.Unlock()
	return c.Conn.Close()
}
