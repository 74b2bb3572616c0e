package console

import (
	"net"
	"sync"
	"time"
)

// signinThrottle slows a computer that keeps giving wrong PINs. The
// per-code lockout (operators.Verify: 5 wrong PINs lock a code for 15
// minutes) stops a guesser on one code; one cycling through codes is
// slowed here, by address. Front-desk staff share a few computers, so an
// address is never locked out: after freeFailures wrong sign-ins within
// the window each further attempt waits a delay that doubles up to
// maxDelay, and a good sign-in from that address clears it.
type signinThrottle struct {
	mu    sync.Mutex
	by    map[string]*ipFailures
	limit int // addresses remembered; beyond it the quietest are forgotten
}

type ipFailures struct {
	n     int       // wrong sign-ins in the window
	first time.Time // the window's start
	next  time.Time // no attempt before this
}

const (
	freeFailures   = 10
	throttleWindow = 15 * time.Minute
	maxDelay       = time.Minute
)

func newSigninThrottle() *signinThrottle {
	return &signinThrottle{by: map[string]*ipFailures{}, limit: 10000}
}

// addr is the throttled address of a request's remote end (the host part).
func addr(remote string) string {
	if h, _, err := net.SplitHostPort(remote); err == nil {
		return h
	}
	return remote
}

// wait is how long the address must wait before its next attempt (0: go on).
func (t *signinThrottle) wait(remote string, now time.Time) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	f := t.by[addr(remote)]
	if f == nil || !now.Before(f.next) {
		return 0
	}
	return f.next.Sub(now)
}

// failed counts a wrong sign-in from the address.
func (t *signinThrottle) failed(remote string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	a := addr(remote)
	f := t.by[a]
	if f == nil || now.Sub(f.first) > throttleWindow {
		if f == nil && len(t.by) >= t.limit {
			t.sweep(now)
		}
		f = &ipFailures{first: now}
		t.by[a] = f
	}
	f.n++
	if over := f.n - freeFailures; over > 0 {
		d := time.Second << min(over-1, 6)
		f.next = now.Add(min(d, maxDelay))
	}
}

// succeeded clears the address.
func (t *signinThrottle) succeeded(remote string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.by, addr(remote))
}

// sweep forgets addresses whose window ended; if all are recent, it
// forgets them all but keeps the map bounded (a flood of addresses must
// not grow memory; the per-code lockout still holds).
func (t *signinThrottle) sweep(now time.Time) {
	for a, f := range t.by {
		if now.Sub(f.first) > throttleWindow && !now.Before(f.next) {
			delete(t.by, a)
		}
	}
	if len(t.by) >= t.limit {
		clear(t.by)
	}
}
