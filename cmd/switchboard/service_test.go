package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"switchboard/internal/gateway"
	"switchboard/internal/store"
	"switchboard/test/peers"
)

// TestServiceNotifies runs a real gateway under a fake service manager: a
// unixgram socket standing for systemd's. The gateway says READY=1 with its
// status once its workers run, pings the watchdog while the store takes its
// write lock, withholds the pings while a transaction hangs on to it, and
// says STOPPING=1 when it is stopped.
func TestServiceNotifies(t *testing.T) {
	dir := t.TempDir()
	sockDir, err := os.MkdirTemp("", "sbn") // sun_path holds 108 bytes
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(sockDir)
	sock := filepath.Join(sockDir, "notify")
	mgr, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer mgr.Close()
	msgs := make(chan string, 100)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := mgr.Read(buf)
			if err != nil {
				close(msgs)
				return
			}
			msgs <- string(buf[:n])
		}
	}()
	smdr := filepath.Join(dir, "calls.txt")
	if err := os.WriteFile(smdr, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "switchboard.yaml")
	yaml := fmt.Sprintf(`site: {group: acme, property: h042, gateway: gw1, timezone: Asia/Shanghai}
store: {path: %s}
mqtt: {embedded: {listen: 127.0.0.1:%d}}
devices:
  - {id: pbx1, driver: pbx, profile: avaya-ipoffice, transport: {file: {path: %s, follow: true}}}
`, filepath.Join(dir, "sb.db"), peers.FreePort(t), smdr)
	if err := os.WriteFile(cfgPath, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	var errb bytes.Buffer
	cfg, ok := loadConfig(cfgPath, &errb)
	if !ok {
		t.Fatalf("config: %s", errb.String())
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	g, err := gateway.New(ctx, cfg, discardLogger())
	if err != nil {
		t.Fatal(err)
	}
	const watchdog = 400 * time.Millisecond // a ping every 200 ms
	env := map[string]string{"NOTIFY_SOCKET": sock, "WATCHDOG_USEC": fmt.Sprint(watchdog.Microseconds())}
	newService(discardLogger(), func(k string) string { return env[k] }).attach(cfg, g)
	done := make(chan error, 1)
	go func() { done <- g.Run(ctx) }()

	next := func(within time.Duration) (string, bool) {
		select {
		case m, ok := <-msgs:
			return m, ok
		case <-time.After(within):
			return "", false
		}
	}
	ready, _ := next(10 * time.Second)
	if !regexp.MustCompile(`^READY=1\nSTATUS=running: bus connected, [01]/1 devices linked`).MatchString(ready) {
		t.Fatalf("first message %q, want READY=1 with the running status", ready)
	}
	pings := func(during time.Duration) (n int, other []string) {
		end := time.Now().Add(during)
		for time.Now().Before(end) {
			m, ok := next(time.Until(end))
			switch {
			case !ok:
			case m == "WATCHDOG=1":
				n++
			default:
				other = append(other, m)
			}
		}
		return n, other
	}
	if n, other := pings(time.Second); n < 3 || len(other) > 0 {
		t.Fatalf("%d pings in 1 s at one per 200 ms (other messages %q)", n, other)
	}

	// A writer stuck in a transaction: the store's write lock is held.
	release, locked := make(chan struct{}), make(chan struct{})
	held := make(chan error, 1)
	go func() {
		held <- g.Store().InTx(ctx, func(*store.Tx) error { close(locked); <-release; return errors.New("rolled back") })
	}()
	<-locked
	time.Sleep(watchdog) // a check that passed just before may still ping
	for len(msgs) > 0 {
		<-msgs
	}
	if n, _ := pings(time.Second); n != 0 {
		t.Errorf("%d pings while the store's write lock was held", n)
	}
	close(release)
	<-held
	if n, _ := pings(time.Second); n < 2 {
		t.Errorf("%d pings in 1 s once the lock was released", n)
	}

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("gateway run: %v", err)
	}
	var rest []string
	for {
		m, ok := next(2 * time.Second)
		if !ok {
			break
		}
		rest = append(rest, m)
		if strings.HasPrefix(m, "STOPPING=1") {
			break
		}
	}
	if len(rest) == 0 || rest[len(rest)-1] != "STOPPING=1\nSTATUS=shutting down" {
		t.Fatalf("messages at shutdown %q, want STOPPING=1 with its status last", rest)
	}
}

// Without $NOTIFY_SOCKET the service registers nothing and sends nothing.
func TestServiceOutsideSystemd(t *testing.T) {
	s := newService(discardLogger(), func(string) string { return "" })
	if s.n.Enabled() {
		t.Fatal("notifier enabled without NOTIFY_SOCKET")
	}
	bad := newService(discardLogger(), func(k string) string {
		if k == "NOTIFY_SOCKET" {
			return "relative"
		}
		return ""
	})
	if bad.n.Enabled() {
		t.Fatal("notifier enabled with an unusable NOTIFY_SOCKET")
	}
}
