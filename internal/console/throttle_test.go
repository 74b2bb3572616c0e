package console

import (
	"net/http"
	"testing"
	"time"
)

// A computer cycling through operator codes with wrong PINs is slowed
// after 10 (each code stays under its own lockout of 5): the next
// attempt, even with the right PIN, waits; another computer does not;
// the wait grows and never locks the desk out; a good sign-in clears it.
func TestSigninThrottlePerAddress(t *testing.T) {
	f := newFixture(t, false, nil)
	guesser := f.browser(t)
	guesser.remote = "198.51.100.7:40000"
	codes := []string{"0001", "0002", "0003", "0004"}
	for i := 0; i < freeFailures; i++ {
		if res, _ := guesser.signIn(codes[i%len(codes)], "9999"); res.code != http.StatusUnauthorized {
			t.Fatalf("wrong PIN %d: %d", i+1, res.code)
		}
	}
	// The 11th wrong PIN is still judged, and sets a wait of 1 s.
	if res, _ := guesser.signIn("0003", "9998"); res.code != http.StatusUnauthorized {
		t.Fatalf("11th: %d", res.code)
	}
	res, _ := guesser.signIn("0001", "1234")
	if res.code != http.StatusTooManyRequests || res.header.Get("Retry-After") == "" {
		t.Fatalf("right PIN during the wait: %d %q", res.code, res.header.Get("Retry-After"))
	}
	other := f.browser(t)
	other.remote = "198.51.100.8:40000"
	if res, _ := other.signIn("0002", "1234"); res.code != http.StatusSeeOther {
		t.Fatalf("another computer: %d", res.code)
	}
	// The wait doubles with each further wrong PIN, up to a minute.
	for i, want := range []time.Duration{2 * time.Second, 4 * time.Second} {
		f.clock.add(f.c.throttle.wait(guesser.remote, f.clock.now()))
		if res, _ := guesser.signIn(codes[i], "9997"); res.code != http.StatusUnauthorized {
			t.Fatalf("after the wait: %d", res.code)
		}
		if got := f.c.throttle.wait(guesser.remote, f.clock.now()); got != want {
			t.Fatalf("wait %v, want %v", got, want)
		}
	}
	f.c.throttle.failed(guesser.remote, f.clock.now())
	for range 20 {
		f.c.throttle.failed(guesser.remote, f.clock.now())
	}
	if got := f.c.throttle.wait(guesser.remote, f.clock.now()); got != maxDelay {
		t.Fatalf("longest wait %v, want %v", got, maxDelay)
	}
	f.clock.add(maxDelay)
	if res, _ := guesser.signIn("0004", "1234"); res.code != http.StatusSeeOther {
		t.Fatalf("the right PIN after the wait: %d", res.code)
	}
	if got := f.c.throttle.wait(guesser.remote, f.clock.now()); got != 0 {
		t.Fatalf("a good sign-in did not clear the address: %v", got)
	}
}

// The throttle's memory stays bounded under a flood of addresses.
func TestSigninThrottleBounded(t *testing.T) {
	th := newSigninThrottle()
	th.limit = 100
	now := time.Now()
	for i := range 1000 {
		th.failed("203.0.113."+string(rune('a'+i%26))+string(rune('a'+i/26))+":1", now)
	}
	if len(th.by) > th.limit {
		t.Fatalf("%d addresses kept, limit %d", len(th.by), th.limit)
	}
}
