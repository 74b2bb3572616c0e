package transport

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// syncBuffer is a log destination the test reads while the listener writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// newListener listens on 127.0.0.1:0 with allow, logging into the buffer returned.
func newListener(t *testing.T, allow ...string) (*TCPListener, string, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	tl, err := NewTCPListener(TCPListenOptions{Address: "127.0.0.1:0", Allow: allow, Log: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tl.Close() })
	addr, err := tl.Listen()
	if err != nil {
		t.Fatal(err)
	}
	return tl, addr.String(), logs
}

// serve runs a Link with a line session on tl: what connections send arrives on the channel.
func serve(t *testing.T, tl *TCPListener) <-chan string {
	t.Helper()
	lines := make(chan string, 16)
	runLink(t, NewLink("ipoffice", tl, LinkOptions{MinBackoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond}), lineSession(lines, ""))
	return lines
}

// dialFrom connects to addr from the local IP from ("" for any).
func dialFrom(t *testing.T, from, addr string) (*net.TCPConn, error) {
	t.Helper()
	d := net.Dialer{Timeout: 3 * time.Second}
	if from != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(from)}
	}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { c.Close() })
	return c.(*net.TCPConn), nil
}

func dial(t *testing.T, addr string) *net.TCPConn {
	t.Helper()
	c, err := dialFrom(t, "", addr)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func send(t *testing.T, c net.Conn, line string) {
	t.Helper()
	if _, err := io.WriteString(c, line+"\r\n"); err != nil {
		t.Fatalf("write %q: %v", line, err)
	}
}

// expectRefused: the listener closed c at once, so a read ends with EOF or
// a reset, not a timeout.
func expectRefused(t *testing.T, c net.Conn) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(3 * time.Second))
	start := time.Now()
	_, err := c.Read(make([]byte, 1))
	switch {
	case err == nil:
		t.Fatal("refused connection received data")
	case isTimeout(err):
		t.Fatal("connection not refused: still open after 3 s")
	case !errors.Is(err, io.EOF) && !errors.Is(err, syscall.ECONNRESET):
		t.Fatalf("read on the refused connection: %v, want EOF or a reset", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("refused after %v, want at once", d)
	}
}

// expectOpen: c is held open by the listener (a read times out).
func expectOpen(t *testing.T, c net.Conn) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if _, err := c.Read(make([]byte, 1)); !isTimeout(err) {
		t.Fatalf("connection not held open: %v", err)
	}
	c.SetReadDeadline(time.Time{})
}

func expectLog(t *testing.T, logs *syncBuffer, want ...string) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
		s := logs.String()
		missing := ""
		for _, w := range want {
			if !strings.Contains(s, w) {
				missing = w
			}
		}
		if missing == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("log lacks %q:\n%s", missing, s)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestTCPListenerOnePBX: while the PBX is connected, a second connection is
// refused at once and logged, and what it sends never reaches the driver;
// the PBX's lines keep flowing. Once the PBX's connection is gone, however
// it went, the next connection is served, even one that comes before the
// session noticed.
func TestTCPListenerOnePBX(t *testing.T) {
	for _, tc := range []struct {
		name  string
		goOff func(c *net.TCPConn)
	}{
		{"closes", func(c *net.TCPConn) { c.Close() }},
		{"resets", func(c *net.TCPConn) { c.SetLinger(0); c.Close() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tl, addr, logs := newListener(t)
			lines := serve(t, tl)

			pbx := dial(t, addr)
			send(t, pbx, "2026/01/02 10:15:00,00:01:02,0,201,O,0049301234567")
			expectLine(t, lines, "2026/01/02 10:15:00,00:01:02,0,201,O,0049301234567")

			intruder := dial(t, addr)
			send(t, intruder, "2026/01/02 10:16:00,00:59:00,0,1203,O,00881234567")
			expectRefused(t, intruder)
			expectLog(t, logs, "connection refused", "remote="+intruder.LocalAddr().String(), "the PBX is connected from "+pbx.LocalAddr().String())

			send(t, pbx, "second")
			expectLine(t, lines, "second") // not the intruder's line

			tc.goOff(pbx)
			next := dial(t, addr) // no wait: the session may not have seen the end yet
			send(t, next, "third")
			expectLine(t, lines, "third")
			if strings.Contains(logs.String(), "remote="+next.LocalAddr().String()) {
				t.Errorf("the reconnect was refused:\n%s", logs)
			}
		})
	}
}

// TestTCPListenerClosingPBXKeepsItsRecords: a PBX that sent records and
// hung up lets the next connection in, but its connection is not closed
// under the session: the records still buffered are read first.
func TestTCPListenerClosingPBXKeepsItsRecords(t *testing.T) {
	tl, addr, _ := newListener(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	pbx := dial(t, addr)
	first, err := tl.Open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	send(t, pbx, "buffered")
	pbx.Close()
	next := dial(t, addr)
	expectOpen(t, next) // waiting, not refused

	got, err := io.ReadAll(first)
	if err != nil || string(got) != "buffered\r\n" {
		t.Fatalf("old connection read %q, %v; want its record, then EOF", got, err)
	}
	first.Close()
	second, err := tl.Open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	send(t, next, "fresh")
	buf := make([]byte, 7)
	if _, err := io.ReadFull(second, buf); err != nil || string(buf) != "fresh\r\n" {
		t.Fatalf("new connection read %q, %v", buf, err)
	}
}

// TestTCPListenerWaitingConnectionKept: a connection accepted while nothing
// was served waits for Open; a later one does not push it out.
func TestTCPListenerWaitingConnectionKept(t *testing.T) {
	tl, addr, logs := newListener(t)
	waiting := dial(t, addr)
	expectOpen(t, waiting)
	late := dial(t, addr)
	expectRefused(t, late)
	expectLog(t, logs, "waiting to be served")
	rw, err := tl.Open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	send(t, waiting, "kept")
	buf := make([]byte, 6)
	if _, err := io.ReadFull(rw, buf); err != nil || string(buf) != "kept\r\n" {
		t.Fatalf("read %q, %v", buf, err)
	}
}

func TestParseAllow(t *testing.T) {
	for _, tc := range []struct {
		allow   []string
		in, out []string // addresses allowed, refused
	}{
		{allow: nil, in: []string{"127.0.0.1", "192.0.2.10", "2001:db8::1"}},
		{allow: []string{"192.0.2.10"}, in: []string{"192.0.2.10", "::ffff:192.0.2.10"}, out: []string{"192.0.2.11", "127.0.0.1", "2001:db8::1"}},
		{allow: []string{"192.0.2.0/24", "198.51.100.7"}, in: []string{"192.0.2.0", "192.0.2.255", "198.51.100.7"}, out: []string{"192.0.3.1", "198.51.100.8"}},
		{allow: []string{"192.0.2.77/24"}, in: []string{"192.0.2.1"}, out: []string{"192.0.3.1"}}, // host bits ignored
		{allow: []string{"2001:db8::/32"}, in: []string{"2001:db8:1::5"}, out: []string{"2001:db9::1", "192.0.2.1"}},
		{allow: []string{"::ffff:192.0.2.10"}, in: []string{"192.0.2.10"}, out: []string{"192.0.2.11"}},
		{allow: []string{"fe80::1"}, in: []string{"fe80::1%eth0"}, out: []string{"fe80::2"}},
		{allow: []string{" 192.0.2.10 "}, in: []string{"192.0.2.10"}},
	} {
		t.Run(strings.Join(tc.allow, ","), func(t *testing.T) {
			tl, err := NewTCPListener(TCPListenOptions{Address: "127.0.0.1:0", Allow: tc.allow})
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range tc.in {
				if !tl.allowed(netip.MustParseAddr(a)) {
					t.Errorf("%s refused", a)
				}
			}
			for _, a := range tc.out {
				if tl.allowed(netip.MustParseAddr(a)) {
					t.Errorf("%s allowed", a)
				}
			}
		})
	}
	for _, bad := range []string{"pbx.local", "192.0.2.300", "192.0.2.0/33", "", "192.0.2.10:5000"} {
		_, err := NewTCPListener(TCPListenOptions{Address: "127.0.0.1:0", Allow: []string{"192.0.2.1", bad}})
		want := `allow[1]: "` + strings.TrimSpace(bad) + `" is not an IP address or CIDR network`
		if !IsFatal(err) || !strings.Contains(err.Error(), want) {
			t.Errorf("allow %q: %v, want a fatal error with %q", bad, err, want)
		}
	}
}

// TestTCPListenerAllowList: a connection from an address not allowed is
// refused and logged even when no PBX is connected; an allowed one is served.
// 127.0.0.2 is a second loopback source address (Linux routes 127/8 to lo).
func TestTCPListenerAllowList(t *testing.T) {
	tl, addr, logs := newListener(t, "127.0.0.2")
	lines := serve(t, tl)

	stranger := dial(t, addr) // from 127.0.0.1
	send(t, stranger, "2026/01/02 10:16:00,00:59:00,0,1203,O,00881234567")
	expectRefused(t, stranger)
	expectLog(t, logs, "remote="+stranger.LocalAddr().String(), "address not in the allow-list")

	pbx, err := dialFrom(t, "127.0.0.2", addr)
	if err != nil {
		t.Skipf("cannot connect from 127.0.0.2 here (%v); the refusal was checked", err)
	}
	send(t, pbx, "allowed")
	expectLine(t, lines, "allowed")
}
func TestTCPListenerCloseEndsLink(t *testing.T) {
	tl, err := NewTCPListener(TCPListenOptions{Address: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tl.Listen(); err != nil {
		t.Fatal(err)
	}
	l := NewLink("ipoffice", tl, LinkOptions{MinBackoff: time.Millisecond})
	done := make(chan error, 1)
	go func() {
		done <- l.Run(context.Background(), func(context.Context, io.ReadWriteCloser) error { return nil })
	}()
	time.Sleep(20 * time.Millisecond) // Run waits in Open for a PBX
	tl.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run after listener Close = %v, want nil", err)
		}
	case <-time.After(time.Second):
		t.Fatal("closing the listener did not end Run")
	}
	if _, err := tl.Open(context.Background()); !errors.Is(err, ErrExhausted) {
		t.Errorf("Open after Close = %v", err)
	}
}

// TestTCPListenerHungUpConnectionsServedInTurn: a PBX that sends its
// records and hangs up, then connects again before the first connection is
// served (Avaya IP Office sends each batch on a new connection), has every
// connection served in turn, each whole: a finished connection waiting is
// not a PBX beside another.
func TestTCPListenerHungUpConnectionsServedInTurn(t *testing.T) {
	tl, addr, _ := newListener(t)
	for _, line := range []string{"first", "second", "third"} {
		c := dial(t, addr)
		send(t, c, line)
		c.CloseWrite()
		time.Sleep(50 * time.Millisecond) // the listener has seen it
	}
	for _, want := range []string{"first", "second", "third"} {
		rw, err := tl.Open(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rw)
		if err != nil || string(b) != want+"\r\n" {
			t.Fatalf("read %q, %v; want %q", b, err, want)
		}
		rw.Close()
	}
}
