package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// TCPListenOptions describes a port the PBX connects to (Avaya IP Office
// SMDR: the PBX is the TCP client and dials the configured IP and port,
// IP Office Manager, System > CDR/SMDR).
type TCPListenOptions struct {
	Address string // host:port to listen on, e.g. 0.0.0.0:5000
	// Allow, when not empty, lists the addresses (192.0.2.10) and networks
	// (192.0.2.0/24, 2001:db8::/32) a connection may come from; any other
	// is refused, even when no PBX is connected.
	Allow []string
	// Log receives one line per refused connection (at most one a second,
	// with the count of the others); nil discards them.
	Log *slog.Logger
}

// TCPListener is a Transport that waits for the PBX to connect. The listening
// socket is opened once and kept across reconnects. It serves one PBX: while
// the PBX's connection is alive, any other connection is refused (closed at
// once, and logged with its address), so nobody else on the network can
// take the PBX's place and inject call records. A connection is let in when
// the PBX's is gone: closed, reset, or found dead by TCP keepalive.
// Close closes the listener.
type TCPListener struct {
	opts  TCPListenOptions
	allow []netip.Prefix
	log   *slog.Logger

	mu      sync.Mutex
	ln      net.Listener
	current *listenConn // the connection being served
	waiting []net.Conn  // the next ones, in order, accepted while nothing or a closing connection was served
	closed  bool
	// Refusals not logged yet, and when the last one was logged.
	unlogged int
	loggedAt time.Time

	ready chan struct{} // signalled (without blocking) when a connection waits
	done  chan struct{}
}

var _ Transport = (*TCPListener)(nil)

// NewTCPListener validates opts and returns the transport; it does not
// listen until Listen or Open is called.
func NewTCPListener(opts TCPListenOptions) (*TCPListener, error) {
	if err := checkHostPort(opts.Address); err != nil {
		return nil, Fatal(fmt.Errorf("transport: tcp listen: %w", err))
	}
	allow, err := ParseAllow(opts.Allow)
	if err != nil {
		return nil, Fatal(fmt.Errorf("transport: tcp listen %s: %w", opts.Address, err))
	}
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	opts.Allow = append([]string(nil), opts.Allow...)
	return &TCPListener{opts: opts, allow: allow, log: log, ready: make(chan struct{}, 1), done: make(chan struct{})}, nil
}

// ParseAllow reads an allow-list: each entry an IP address (192.0.2.10,
// 2001:db8::10) or a network in CIDR notation (192.0.2.0/24). An IPv4
// address written in IPv6 form (::ffff:192.0.2.10) is taken as IPv4, as
// the remote address of a connection is.
func ParseAllow(entries []string) ([]netip.Prefix, error) {
	allow := make([]netip.Prefix, 0, len(entries))
	for i, e := range entries {
		e = strings.TrimSpace(e)
		if strings.Contains(e, "/") {
			p, err := netip.ParsePrefix(e)
			if err != nil {
				return nil, fmt.Errorf("allow[%d]: %q is not an IP address or CIDR network (e.g. 192.0.2.10 or 192.0.2.0/24)", i, e)
			}
			allow = append(allow, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(e)
		if err != nil {
			return nil, fmt.Errorf("allow[%d]: %q is not an IP address or CIDR network (e.g. 192.0.2.10 or 192.0.2.0/24)", i, e)
		}
		a = a.Unmap()
		allow = append(allow, netip.PrefixFrom(a, a.BitLen()))
	}
	return allow, nil
}

// allowed reports whether a connection from addr may be served.
func (l *TCPListener) allowed(addr netip.Addr) bool {
	if len(l.allow) == 0 {
		return true
	}
	addr = addr.Unmap().WithZone("")
	for _, p := range l.allow {
		if p.Contains(addr) {
			return true
		}
	}
	return false
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
	// Every accepted connection gets keepAlive (tcp.go): SMDR is receive-
	// only, so a PBX that died without a FIN (power cut, cable pulled)
	// would otherwise stay "connected" for ever and, since a second
	// connection is refused, block its own reconnect. With the probes the
	// kernel finds such a peer dead after about a minute (30 s idle, then
	// 3 unanswered probes 10 s apart); a rebooted PBX answers the first
	// probe with a reset, so it is let in again within about 30 s, or a few
	// seconds once it knocks (see suspect).
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
		if reason := l.admit(c); reason != "" {
			// Closed unread: the kernel resets it if it already sent
			// something, so nothing it said reaches a driver.
			c.Close()
			l.refused(c.RemoteAddr(), reason)
		}
	}
}

// admit decides about a new connection c: it waits, to be
// handed out by Open, or admit says why it is refused.
func (l *TCPListener) admit(c net.Conn) (refused string) {
	if !l.allowed(remoteAddr(c)) {
		return "address not in the allow-list"
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.closed:
		return "listener closed"
	case len(l.waiting) > 0 && alive(l.waiting[len(l.waiting)-1]):
		// Never close a waiting one for a newer one: it may hold records
		// not read yet. Open hands it out next.
		return "another connection (" + l.waiting[len(l.waiting)-1].RemoteAddr().String() + ") is waiting to be served"
	case len(l.waiting) >= maxWaiting:
		return fmt.Sprintf("%d connections are waiting to be served", len(l.waiting))
	case l.current != nil && alive(l.current.Conn):
		l.current.suspect()
		return "the PBX is connected from " + l.current.RemoteAddr().String()
	}
	// No PBX, or one whose connection is closing: its FIN or reset
	// arrived but the session has not read to it yet. It is not closed
	// here (records may precede the FIN); the session ends on it, and the
	// Link's next Open takes c. A PBX that sent its records and hung up
	// (its connection waiting, closed) may connect again before the first
	// is served: the connections are served in turn, each whole.
	l.waiting = append(l.waiting, c)
	select {
	case l.ready <- struct{}{}:
	default:
	}
	return ""
}

// maxWaiting bounds the connections waiting to be served: each is one a
// PBX finished with (it hung up), never one beside a live one.
const maxWaiting = 4

// refusedLogEvery bounds the log of refused connections: a flood of them
// costs one line a second, each counting the ones not logged before it.
const refusedLogEvery = time.Second

func (l *TCPListener) refused(remote net.Addr, reason string) {
	l.mu.Lock()
	now := time.Now()
	if now.Sub(l.loggedAt) < refusedLogEvery {
		l.unlogged++
		l.mu.Unlock()
		return
	}
	earlier := l.unlogged
	l.unlogged, l.loggedAt = 0, now
	l.mu.Unlock()
	l.log.Warn("connection refused", "endpoint", l.String(), "remote", remote.String(), "reason", reason, "refused_unlogged", earlier)
}

// remoteAddr is the IP a connection comes from (the zero Addr if unknown,
// which no allow-list contains).
func remoteAddr(c net.Conn) netip.Addr {
	if a, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		return a.AddrPort().Addr()
	}
	return netip.Addr{}
}

// Open waits for the PBX to connect (or for the connection that already
// arrived) and returns it.
func (l *TCPListener) Open(ctx context.Context) (io.ReadWriteCloser, error) {
	if _, err := l.Listen(); err != nil {
		return nil, err
	}
	for {
		l.mu.Lock()
		if l.closed {
			l.mu.Unlock()
			return nil, fmt.Errorf("transport: %s: %w: %w", l, ErrExhausted, net.ErrClosed)
		}
		if len(l.waiting) > 0 {
			c := l.waiting[0]
			l.waiting = l.waiting[1:]
			lc := &listenConn{Conn: c, l: l}
			l.current = lc
			l.mu.Unlock()
			return lc, nil
		}
		l.mu.Unlock()
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-l.done:
		case <-l.ready:
		}
	}
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
		l.current.stopSuspecting()
		l.current.Conn.Close()
		l.current = nil
	}
	for _, c := range l.waiting {
		c.Close()
	}
	l.waiting = nil
	return err
}

// suspectKeepAlive replaces keepAlive on the PBX's connection for
// suspectFor after another connection knocked: a PBX that rebooted (or lost
// its cable and got it back) knocks with a new connection while we still
// hold its old one. Linux re-arms the keepalive timer when TCP_KEEPIDLE
// changes (net/ipv4/tcp.c, tcp_sock_set_keepidle_locked), so a probe goes
// out about a second after the last byte received: a rebooted PBX answers
// it with a reset, a vanished one leaves it and 2 more unanswered and is
// dropped within about 7 s; its next attempt is then let in. A live PBX
// just acknowledges the probes, whoever knocked.
//
// SMDR gives no cheaper check: IP Office only sends, has no heartbeat, and
// nothing we could write to it is defined, so the transport's own probes
// are the only question we can ask without touching the PBX's stream.
var suspectKeepAlive = net.KeepAliveConfig{Enable: true, Idle: time.Second, Interval: 2 * time.Second, Count: 3}

// suspectFor is how long suspectKeepAlive stays before keepAlive is back:
// longer than a dead peer takes to be found (1 s + 3 × 2 s).
const suspectFor = 10 * time.Second

type listenConn struct {
	net.Conn
	l *TCPListener
	// restore puts keepAlive back after suspect; set under l.mu while
	// the connection is suspected.
	restore *time.Timer
}

// suspect tightens the keepalive of c, the PBX's connection, for a while
// (see suspectKeepAlive). Called with c.l.mu held.
func (c *listenConn) suspect() {
	tc, ok := c.Conn.(*net.TCPConn)
	if !ok || c.restore != nil {
		return
	}
	if err := tc.SetKeepAliveConfig(suspectKeepAlive); err != nil {
		return // the connection is closing: nothing to find out
	}
	c.restore = time.AfterFunc(suspectFor, func() {
		c.l.mu.Lock()
		defer c.l.mu.Unlock()
		if c.restore == nil {
			return
		}
		c.restore = nil
		_ = tc.SetKeepAliveConfig(keepAlive) // fails only once closed
	})
}

// stopSuspecting cancels a pending restore; called with c.l.mu held.
func (c *listenConn) stopSuspecting() {
	if c.restore != nil {
		c.restore.Stop()
		c.restore = nil
	}
}

func (c *listenConn) Close() error {
	c.l.mu.Lock()
	c.stopSuspecting()
	if c.l.current == c {
		c.l.current = nil
	}
	c.l.mu.Unlock()
	return c.Conn.Close()
}
