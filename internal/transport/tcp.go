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
