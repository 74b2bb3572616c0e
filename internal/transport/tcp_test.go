package transport

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// pbxSMDRServer plays a Panasonic KX-TDE SMDR port: for each connection it
// prompts (if prompts), reads the login lines, sends one record per
// connection and hangs up.
func pbxSMDRServer(t *testing.T, prompts bool, records []string) (addr string, logins <-chan []string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	got := make(chan []string, len(records))
	go func() {
		for _, rec := range records {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.SetDeadline(time.Now().Add(5 * time.Second))
			r := bufio.NewReader(c)
			var lines []string
			for _, prompt := range []string{"\r\n-SMDR-\r\nLogin:", "Password:"} {
				if prompts {
					io.WriteString(c, prompt)
				}
				l, err := r.ReadString('\n')
				if err != nil {
					break
				}
				lines = append(lines, l)
			}
			got <- lines
			io.WriteString(c, rec)
			c.Close()
		}
	}()
	return ln.Addr().String(), got
}

func TestTCPClientLoginAndReconnect(t *testing.T) {
	for _, prompts := range []bool{true, false} {
		name := "prompts"
		if !prompts {
			name = "silent"
		}
		t.Run(name, func(t *testing.T) {
			addr, logins := pbxSMDRServer(t, prompts, []string{
				"01/02/26 10:15 0101 01 0049301234567 00:01:02\r\n",
				"01/02/26 10:16 0102 01 0049301234568 00:00:40\r\n",
			})
			c, err := NewTCPClient(TCPClientOptions{Address: addr, Login: []string{"SMDR", "PCCSMDR"}, DialTimeout: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			c.promptWait = 100 * time.Millisecond
			c.promptQuiet = 30 * time.Millisecond
			if got := c.String(); got != "tcp connect "+addr {
				t.Errorf("String() = %q", got)
			}
			states := newStateLog()
			l := NewLink("kx-tde", c, LinkOptions{MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond, OnState: states.on})
			lines := make(chan string, 4)
			runLink(t, l, lineSession(lines, ""))

			for i, want := range []string{"01/02/26 10:15 0101 01 0049301234567 00:01:02", "01/02/26 10:16 0102 01 0049301234568 00:00:40"} {
				select {
				case got := <-logins:
					if strings.Join(got, "|") != "SMDR\r\n|PCCSMDR\r\n" {
						t.Errorf("connection %d: server saw login %q", i+1, got)
					}
				case <-time.After(3 * time.Second):
					t.Fatalf("connection %d: no login", i+1)
				}
				// The prompt bytes never reach the driver; the record does.
				expectLine(t, lines, want)
			}
			states.wait(t, StateDisconnected, 3*time.Second)
		})
	}
}

func TestNewTCPRejects(t *testing.T) {
	for _, addr := range []string{"", "192.0.2.10", "192.0.2.10:", "[::1"} {
		if _, err := NewTCPClient(TCPClientOptions{Address: addr}); err == nil || !IsFatal(err) {
			t.Errorf("NewTCPClient(%q) = %v, want fatal error", addr, err)
		}
		if _, err := NewTCPListener(TCPListenOptions{Address: addr}); err == nil || !IsFatal(err) {
			t.Errorf("NewTCPListener(%q) = %v, want fatal error", addr, err)
		}
	}
	_, err := NewTCPClient(TCPClientOptions{Address: "192.0.2.10:2300", Login: []string{"SMDR", "secret\r\n"}})
	if err == nil || strings.Contains(err.Error(), "secret") {
		t.Errorf("login with CRLF: %v (must fail without echoing the password)", err)
	}
}

func TestTCPClientCancelDuringDial(t *testing.T) {
	// 192.0.2.0/24 (TEST-NET-1, RFC 5737) is never routed: the dial hangs
	// until cancelled, or fails at once where there is no route at all.
	c, err := NewTCPClient(TCPClientOptions{Address: "192.0.2.1:2300", DialTimeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := c.Open(ctx); err == nil {
		t.Fatal("dial to TEST-NET-1 succeeded")
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Open took %v after its context ended", d)
	}
}

func TestTCPClientCancelDuringLogin(t *testing.T) {
	// A PBX that accepts and never prompts: the client waits promptWait
	// (2s by default) per line, but a cancelled ctx must cut that short.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
		}
	}()
	c, err := NewTCPClient(TCPClientOptions{Address: ln.Addr().String(), Login: []string{"SMDR", "PCCSMDR"}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := c.Open(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Open = %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Open took %v after its context ended", d)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
