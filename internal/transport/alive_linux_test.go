package transport

import (
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// keepIdle reads TCP_KEEPIDLE (seconds) of the connection tl serves.
func keepIdle(t *testing.T, tl *TCPListener) int {
	t.Helper()
	tl.mu.Lock()
	defer tl.mu.Unlock()
	if tl.current == nil {
		t.Fatal("no connection served")
	}
	raw, err := tl.current.Conn.(syscall.Conn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var idle int
	var gerr error
	if err := raw.Control(func(fd uintptr) { idle, gerr = unix.GetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_KEEPIDLE) }); err != nil || gerr != nil {
		t.Fatal(err, gerr)
	}
	return idle
}

// TestTCPListenerSuspectsThePBX: a knock from another connection makes the
// kernel probe the PBX's connection within about a second (so a dead one
// is found in seconds, not a minute); a live PBX answers the probes and
// keeps its place.
func TestTCPListenerSuspectsThePBX(t *testing.T) {
	tl, addr, _ := newListener(t)
	lines := serve(t, tl)
	pbx := dial(t, addr)
	send(t, pbx, "first")
	expectLine(t, lines, "first")
	if got := keepIdle(t, tl); got != int(keepAlive.Idle/time.Second) {
		t.Fatalf("TCP_KEEPIDLE %d s, want %v", got, keepAlive.Idle)
	}

	expectRefused(t, dial(t, addr))
	if got := keepIdle(t, tl); got != int(suspectKeepAlive.Idle/time.Second) {
		t.Fatalf("TCP_KEEPIDLE after a knock %d s, want %v", got, suspectKeepAlive.Idle)
	}
	time.Sleep(3 * suspectKeepAlive.Idle) // probes go out and are answered
	send(t, pbx, "still here")
	expectLine(t, lines, "still here")
}
