package sdnotify

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// listen opens a real unixgram socket as systemd's manager does: a path in
// a short temporary folder (sun_path holds 108 bytes, t.TempDir's names can
// be longer), or an abstract name.
func listen(t *testing.T, abstract bool) (string, *net.UnixConn) {
	t.Helper()
	var name string
	if abstract {
		name = fmt.Sprintf("@switchboard-sdnotify-test-%d-%s", os.Getpid(), strings.ReplaceAll(t.Name(), "/", "-"))
	} else {
		dir, err := os.MkdirTemp("", "sdn")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		name = filepath.Join(dir, "notify")
	}
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		t.Fatalf("listen %s: %v", name, err)
	}
	t.Cleanup(func() { c.Close() })
	return name, c
}

func receive(t *testing.T, c *net.UnixConn, wait time.Duration) (string, bool) {
	t.Helper()
	buf := make([]byte, 4096)
	_ = c.SetReadDeadline(time.Now().Add(wait))
	n, err := c.Read(buf)
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return "", false
		}
		t.Fatalf("read: %v", err)
	}
	return string(buf[:n]), true
}

func TestSendOverRealSocket(t *testing.T) {
	cases := []struct {
		name     string
		abstract bool
		send     []string
		want     string
	}{
		{"path ready with status", false, []string{Ready, Status("store, bus and 2 devices up")}, "READY=1\nSTATUS=store, bus and 2 devices up"},
		{"abstract watchdog", true, []string{Watchdog}, "WATCHDOG=1"},
		{"abstract stopping", true, []string{Stopping, Status("shutting\ndown")}, "STOPPING=1\nSTATUS=shutting down"},
		{"path one status", false, []string{Status("tariff reloaded")}, "STATUS=tariff reloaded"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			name, conn := listen(t, c.abstract)
			n, err := FromEnv(func(k string) string {
				if k == "NOTIFY_SOCKET" {
					return name
				}
				return ""
			})
			if err != nil {
				t.Fatal(err)
			}
			if !n.Enabled() {
				t.Fatal("notifier with a socket is disabled")
			}
			if err := n.Send(c.send...); err != nil {
				t.Fatal(err)
			}
			got, ok := receive(t, conn, 2*time.Second)
			if !ok || got != c.want {
				t.Fatalf("received %q (ok %v), want %q", got, ok, c.want)
			}
		})
	}
}

func TestNewRefuses(t *testing.T) {
	cases := []struct {
		socket, wantErr string
	}{
		{"@", "no name after it"},
		{"vsock:2:1234", "neither an absolute path"},
		{"relative/notify", "neither an absolute path"},
	}
	for _, c := range cases {
		if _, err := New(c.socket); err == nil || !strings.Contains(err.Error(), c.wantErr) {
			t.Errorf("New(%q) = %v, want an error with %q", c.socket, err, c.wantErr)
		}
	}
}

func TestDisabledAndBadSends(t *testing.T) {
	off, err := New("")
	if err != nil || off.Enabled() {
		t.Fatalf("New(\"\") = %v, %v: want a disabled notifier", off, err)
	}
	var nilN *Notifier
	for _, n := range []*Notifier{off, nilN} {
		if err := n.Send(Ready); err != nil {
			t.Errorf("disabled send: %v", err)
		}
	}
	name, _ := listen(t, false)
	n, _ := New(name)
	for _, bad := range []string{"READY", "STATUS=a\nREADY=1", "X=\x00"} {
		if err := n.Send(bad); err == nil {
			t.Errorf("Send(%q) accepted", bad)
		}
	}
	// Nobody listening: the error names the socket.
	gone, _ := New(filepath.Join(t.TempDir(), "gone"))
	if err := gone.Send(Ready); err == nil || !strings.Contains(err.Error(), "gone") {
		t.Errorf("send to a missing socket: %v", err)
	}
}

func TestWatchdogInterval(t *testing.T) {
	cases := []struct {
		name      string
		usec, pid string
		want      time.Duration
		on, isErr bool
	}{
		{"none", "", "", 0, false, false},
		{"30 s, no pid", "30000000", "", 30 * time.Second, true, false},
		{"ours", "20000000", "4242", 20 * time.Second, true, false},
		{"another process's", "20000000", "1", 0, false, false},
		{"zero", "0", "", 0, false, true},
		{"not a number", "30s", "", 0, false, true},
		{"overflows a duration", "18446744073709551", "", 0, false, true},
		{"bad pid", "1000", "me", 0, false, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := map[string]string{"WATCHDOG_USEC": c.usec, "WATCHDOG_PID": c.pid}
			got, on, err := WatchdogInterval(func(k string) string { return env[k] }, 4242)
			if (err != nil) != c.isErr || on != c.on || got != c.want {
				t.Fatalf("= %v, %v, %v; want %v, %v, error %v", got, on, err, c.want, c.on, c.isErr)
			}
		})
	}
}

// TestKeepAlive runs the watchdog against a real socket: pings come while
// the liveness check answers, and stop while it fails or hangs.
func TestKeepAlive(t *testing.T) {
	const timeout = 200 * time.Millisecond // pings every 100 ms
	cases := []struct {
		name      string
		alive     func(ctx context.Context) error
		wantPings bool
		wantMiss  string
	}{
		{"alive", func(context.Context) error { return nil }, true, ""},
		{"failing", func(context.Context) error { return errors.New("store: not writable") }, false, "store: not writable"},
		{"hung", func(ctx context.Context) error { <-ctx.Done(); time.Sleep(time.Second); return nil }, false, "did not answer"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			name, conn := listen(t, true)
			n, _ := New(name)
			var mu sync.Mutex
			var misses []string
			ctx, cancel := context.WithCancel(context.Background())
			stopped := make(chan struct{})
			go func() {
				defer close(stopped)
				n.KeepAlive(ctx, timeout, c.alive, func(err error) {
					mu.Lock()
					misses = append(misses, err.Error())
					mu.Unlock()
				})
			}()
			pings := 0
			deadline := time.Now().Add(550 * time.Millisecond)
			for time.Now().Before(deadline) {
				if m, ok := receive(t, conn, time.Until(deadline)); ok {
					if m != Watchdog {
						t.Fatalf("received %q", m)
					}
					pings++
				}
			}
			cancel()
			<-stopped
			mu.Lock()
			defer mu.Unlock()
			if c.wantPings && pings < 3 {
				t.Errorf("%d pings in 550 ms at one per 100 ms", pings)
			}
			if !c.wantPings && pings != 0 {
				t.Errorf("%d pings while the check does not pass", pings)
			}
			if c.wantMiss == "" && len(misses) > 0 {
				t.Errorf("misses while alive: %v", misses)
			}
			if c.wantMiss != "" && (len(misses) == 0 || !strings.Contains(misses[0], c.wantMiss)) {
				t.Errorf("misses %v, want one with %q", misses, c.wantMiss)
			}
		})
	}
}
