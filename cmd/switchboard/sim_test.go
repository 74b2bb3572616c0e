package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.bug.st/serial"

	"switchboard/drivers/pbx"
	"switchboard/internal/events"
	"switchboard/internal/profile"
	"switchboard/internal/transport"
)

// syncBuffer is a bytes.Buffer safe to read while the command writes it.
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

// startSim runs `sim pbx args...` in the background; wait returns its exit code.
func startSim(t *testing.T, args ...string) (stdout, stderr *syncBuffer, cancel func(), wait func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr = &syncBuffer{}, &syncBuffer{}
	done := make(chan int, 1)
	go func() { done <- runSimPBX(ctx, args, stdout, stderr) }()
	var code *int
	wait = func() int {
		if code == nil {
			select {
			case c := <-done:
				code = &c
			case <-time.After(20 * time.Second):
				t.Fatalf("sim pbx did not end; stderr: %s", stderr)
			}
		}
		return *code
	}
	t.Cleanup(func() { cancel(); wait() })
	return stdout, stderr, cancel, wait
}

// collector frames and parses what it reads, like the gateway's driver.
type collector struct {
	fr   *pbx.Framer
	ps   *pbx.Parser
	recs []events.CallRecord
	bad  int
}

func newCollector(t *testing.T, id string) *collector {
	p, err := profile.Lookup(id)
	if err != nil {
		t.Fatal(err)
	}
	return &collector{fr: pbx.NewFramer(p.Framing), ps: pbx.NewParser(p, time.UTC)}
}

func (c *collector) push(b []byte) {
	c.fr.Push(b)
	c.drain()
}

func (c *collector) drain() {
	for {
		f, ok := c.fr.Next()
		if !ok {
			return
		}
		rec, err := c.ps.Parse(f.Data, time.Date(2024, 6, 15, 12, 0, 0, 0, time.UTC))
		switch {
		case errors.Is(err, pbx.ErrSkip):
		case err != nil || f.Junk != "":
			c.bad++
		default:
			c.recs = append(c.recs, rec)
		}
	}
}

const simStart = "2024-06-15T08:00:00Z"

func TestSimPBXPty(t *testing.T) {
	link := filepath.Join(t.TempDir(), "ttyPBX")
	_, stderr, _, wait := startSim(t, "--profile", "shenou-uso", "--pty", link, "--count", "40", "--rate", "400", "--start", simStart)
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := os.Lstat(link); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no pty link; stderr: %s", stderr)
		}
		time.Sleep(10 * time.Millisecond)
	}
	port, err := serial.Open(link, &serial.Mode{BaudRate: 2400, DataBits: 8, StopBits: serial.TwoStopBits})
	if err != nil {
		t.Fatal(err)
	}
	defer port.Close()
	if err := port.SetReadTimeout(200 * time.Millisecond); err != nil {
		t.Fatal(err)
	}
	c := newCollector(t, "shenou-uso")
	buf := make([]byte, 4096)
	for time.Now().Before(deadline.Add(5*time.Second)) && len(c.recs) < 40 {
		n, err := port.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		c.push(buf[:n])
	}
	if len(c.recs) != 40 || c.bad != 0 {
		t.Fatalf("%d records, %d bad; want 40 and 0", len(c.recs), c.bad)
	}
	if code := wait(); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
}

// TestSimPBXTCPConnect plays Avaya IP Office: it connects to the collector,
// drops every connection mid-record and resends the lost connection's
// records after reconnecting, so the collector sees duplicates but every
// call at least once.
func TestSimPBXTCPConnect(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, stderr, _, wait := startSim(t, "--profile", "avaya-ipoffice", "--tcp-connect", ln.Addr().String(),
		"--count", "30", "--rate", "0", "--drop-after", "10", "--retry", "20ms", "--start", simStart)
	c := newCollector(t, "avaya-ipoffice")
	conns := 0
	for conns < 3 {
		conn, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		conns++
		b, err := io.ReadAll(conn)
		conn.Close()
		if err != nil {
			t.Fatal(err)
		}
		c.push(b)
		c.fr.Flush() // the connection ended: a cut record is a frame of its own
		c.drain()
	}
	if code := wait(); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	ids := map[string]int{}
	for _, r := range c.recs {
		ids[r.CallID]++
	}
	dups := len(c.recs) - len(ids)
	// Connection 1: calls 1-10, 11 cut. 2: 1-11 again, 12-21, 22 cut.
	// 3: 1-22 again, 23-30. 61 records of 30 calls; the two cut halves are bad frames.
	if len(c.recs) != 61 || len(ids) != 30 || dups != 31 || c.bad != 2 {
		t.Fatalf("%d records, %d distinct calls, %d duplicates, %d bad; want 61, 30, 31, 2", len(c.recs), len(ids), dups, c.bad)
	}
}

// TestSimPBXTCPListen plays a Panasonic KX-NS: it listens, asks for the
// SMDR login, and the gateway's own TCP client logs in with the profile's
// login lines.
func TestSimPBXTCPListen(t *testing.T) {
	stdout, stderr, _, wait := startSim(t, "--profile", "panasonic-kx-tda", "--tcp-listen", "127.0.0.1:0",
		"--count", "25", "--rate", "0", "--start", simStart)
	var addr string
	deadline := time.Now().Add(5 * time.Second)
	for addr == "" {
		if _, rest, ok := strings.Cut(stdout.String(), "listening on "); ok {
			addr, _, _ = strings.Cut(rest, " ")
		}
		if time.Now().After(deadline) {
			t.Fatalf("no listen address; stderr: %s", stderr)
		}
		time.Sleep(10 * time.Millisecond)
	}
	p, err := profile.Lookup("panasonic-kx-tda")
	if err != nil {
		t.Fatal(err)
	}
	var login []string
	for _, s := range p.TCP.Login {
		login = append(login, strings.TrimRight(s.Send, "\r\n"))
	}
	tc, err := transport.NewTCPClient(transport.TCPClientOptions{Address: addr, Login: login})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := tc.Open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(conn)
	conn.Close()
	if err != nil {
		t.Fatal(err)
	}
	c := newCollector(t, "panasonic-kx-tda")
	c.push(b)
	c.fr.Flush()
	c.drain()
	if len(c.recs) != 25 || c.bad != 0 {
		t.Fatalf("%d records, %d bad; want 25 and 0:\n%s", len(c.recs), c.bad, b)
	}
	if code := wait(); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
}

func TestSimPBXUsage(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{nil, "--profile is required"},
		{[]string{"--profile", "nope"}, "unknown pbx profile"},
		{[]string{"--profile", "avaya-ipoffice", "--pty", "x", "--stdout"}, "give one of"},
		{[]string{"--profile", "avaya-ipoffice", "--tz", "Mars/Olympus"}, "--tz"},
		{[]string{"--profile", "avaya-ipoffice", "--start", "yesterday"}, "RFC 3339"},
		{[]string{"--profile", "avaya-ipoffice", "--rooms", "12"}, "--rooms"},
		{[]string{"--profile", "avaya-ipoffice", "--garbage", "2"}, "probabilities"},
	}
	for _, c := range cases {
		var out, errw bytes.Buffer
		if code := runSimPBX(context.Background(), c.args, &out, &errw); code != 2 || !strings.Contains(errw.String(), c.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", c.args, code, errw.String(), c.want)
		}
	}
	var out, errw bytes.Buffer
	if code := dispatch([]string{"sim", "fax"}, &out, &errw); code != 2 || !strings.Contains(errw.String(), "usage: switchboard sim <") {
		t.Errorf("sim fax: exit %d, %q", code, errw.String())
	}
}

// TestSimPBXStdout: the same seed prints the same bytes, which smdr parse
// reads back; NEC in its normal and in its flexible format.
func TestSimPBXStdout(t *testing.T) {
	for _, id := range []string{"nec-neax", "nec-neax-flexible"} {
		t.Run(id, func(t *testing.T) {
			run := func() string {
				var out, errw bytes.Buffer
				if code := runSimPBX(context.Background(), []string{"--profile", id, "--count", "50", "--rate", "0",
					"--seed", "7", "--start", simStart, "--garbage", "0.1"}, &out, &errw); code != 0 {
					t.Fatalf("exit %d: %s", code, errw.String())
				}
				return out.String()
			}
			a := run()
			if b := run(); a != b {
				t.Fatal("same seed, different output")
			}
			if kind := map[string]string{"nec-neax": "\x020!KA", "nec-neax-flexible": "\x020!KK"}[id]; !strings.Contains(a, kind) {
				t.Fatalf("no %q record in %q", kind, a)
			}
			c := newCollector(t, "nec-neax")
			c.push([]byte(a))
			c.fr.Flush()
			c.drain()
			if len(c.recs) != 50 || c.bad == 0 {
				t.Fatalf("%d records, %d bad frames; want 50 records and some garbage", len(c.recs), c.bad)
			}
		})
	}
}

// runSimPBX runs `switchboard sim pbx ARGS` until ctx ends.
func runSimPBX(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return executeContext(ctx, simCommand(), append([]string{"pbx"}, args...), stdout, stderr)
}
