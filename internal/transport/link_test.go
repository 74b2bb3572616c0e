package transport

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/internal/transport/ptytest"
)

func TestBackoffCapped(t *testing.T) {
	const min, max = 100 * time.Millisecond, time.Second
	for _, tc := range []struct {
		n    int
		want time.Duration
	}{
		{0, 100 * time.Millisecond},
		{1, 100 * time.Millisecond},
		{2, 200 * time.Millisecond},
		{3, 400 * time.Millisecond},
		{4, 800 * time.Millisecond},
		{5, time.Second},
		{6, time.Second},
		{64, time.Second},
		{1 << 30, time.Second},
	} {
		if got := backoff(tc.n, min, max, nil); got != tc.want {
			t.Errorf("backoff(%d) without jitter = %v, want %v", tc.n, got, tc.want)
		}
	}
	// Equal jitter: the delay stays in [d/2, d] and never passes the cap.
	if got := backoff(3, min, max, func() float64 { return 0 }); got != 200*time.Millisecond {
		t.Errorf("backoff(3) with jitter 0 = %v, want 200ms", got)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 1; n < 200; n++ {
		nominal := backoff(n, min, max, nil)
		got := backoff(n, min, max, rng.Float64)
		if got < nominal/2 || got > nominal || got > max {
			t.Fatalf("backoff(%d) with jitter = %v, want within [%v, %v]", n, got, nominal/2, nominal)
		}
	}
	// Overflowing durations still cap.
	if got := backoff(100, time.Duration(1<<62), time.Duration(1<<62), nil); got != time.Duration(1<<62) {
		t.Errorf("huge backoff = %v", got)
	}
}

// stateLog records a Link's state changes for a test.
type stateLog struct {
	mu  sync.Mutex
	all []StateChange
	ch  chan StateChange
}

func newStateLog() *stateLog { return &stateLog{ch: make(chan StateChange, 1024)} }

func (s *stateLog) on(c StateChange) {
	s.mu.Lock()
	s.all = append(s.all, c)
	s.mu.Unlock()
	select {
	case s.ch <- c:
	default:
	}
}

// wait consumes state changes until one with state s arrives.
func (s *stateLog) wait(t *testing.T, want State, d time.Duration) StateChange {
	t.Helper()
	deadline := time.After(d)
	for {
		select {
		case c := <-s.ch:
			if c.State == want {
				return c
			}
		case <-deadline:
			t.Fatalf("state %q not reached within %v; states so far: %s", want, d, s)
		}
	}
}

func (s *stateLog) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	for _, c := range s.all {
		fmt.Fprintf(&b, "%s#%d(%v) ", c.State, c.Attempt, c.Err)
	}
	return b.String()
}

// compact returns the state sequence with repeats folded.
func (s *stateLog) compact() []State {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []State
	for _, c := range s.all {
		if len(out) == 0 || out[len(out)-1] != c.State {
			out = append(out, c.State)
		}
	}
	return out
}

// runLink starts l.Run in the background and stops it at cleanup.
func runLink(t *testing.T, l *Link, session Session) (cancel func(), done <-chan error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	d := make(chan error, 1)
	finished := make(chan struct{})
	go func() {
		d <- l.Run(ctx, session)
		close(finished)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-finished:
		case <-time.After(5 * time.Second):
			t.Error("Link.Run did not return after cancel")
		}
	})
	return cancel, d
}

// lineSession sends each line read to lines and writes greeting once per connection.
func lineSession(lines chan<- string, greeting string) Session {
	return func(ctx context.Context, rw io.ReadWriteCloser) error {
		if greeting != "" {
			if _, err := io.WriteString(rw, greeting); err != nil {
				return err
			}
		}
		sc := bufio.NewScanner(rw)
		for sc.Scan() {
			select {
			case lines <- strings.TrimRight(sc.Text(), "\r"):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return sc.Err()
	}
}

func expectLine(t *testing.T, lines <-chan string, want string) {
	t.Helper()
	select {
	case got := <-lines:
		if got != want {
			t.Fatalf("line %q, want %q", got, want)
		}
	case <-time.After(3 * time.Second):
		t.Fatalf("line %q did not arrive", want)
	}
}

func TestLinkSerialUnplugReplug(t *testing.T) {
	pair := ptytest.New(t, filepath.Join(t.TempDir(), "ttyUSB-pbx"))
	s, err := NewSerial(SerialOptions{Port: pair.Link(), Baud: 9600, ReadTimeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	states := newStateLog()
	l := NewLink("pbx1", s, LinkOptions{MinBackoff: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond, OnState: states.on})
	lines := make(chan string, 16)
	runLink(t, l, lineSession(lines, "HELLO\r\n"))

	c := states.wait(t, StateConnected, 3*time.Second)
	if c.Device != "pbx1" || !strings.HasPrefix(c.Endpoint, "serial "+pair.Link()+" 9600 8N1") || c.Attempt != 1 {
		t.Errorf("connected state = %+v", c)
	}
	expectMaster(t, pair, "HELLO\r\n")
	pair.Write([]byte("first record\r\n"))
	expectLine(t, lines, "first record")

	pair.Unplug()
	d := states.wait(t, StateDisconnected, 3*time.Second)
	if !errors.Is(d.Err, ErrDeviceGone) {
		t.Errorf("disconnected with %v, want ErrDeviceGone", d.Err)
	}
	// While unplugged, attempts fail and are retried.
	for {
		c := states.wait(t, StateConnecting, 3*time.Second)
		if c.Err != nil {
			if c.Attempt < 1 {
				t.Errorf("failed attempt numbered %d", c.Attempt)
			}
			break
		}
	}
	pair.Replug()
	states.wait(t, StateConnected, 3*time.Second)
	expectMaster(t, pair, "HELLO\r\n")
	pair.Write([]byte("second record\r\n"))
	expectLine(t, lines, "second record")

	want := []State{StateConnecting, StateConnected, StateDisconnected, StateConnecting, StateConnected}
	if got := states.compact(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("states %v, want %v (%s)", got, want, states)
	}
}

// expectMaster reads want from the pty master (what the transport wrote).
func expectMaster(t *testing.T, pair *ptytest.Pair, want string) {
	t.Helper()
	m := pair.Master()
	m.SetReadDeadline(time.Now().Add(3 * time.Second))
	defer m.SetReadDeadline(time.Time{})
	buf := make([]byte, len(want))
	if _, err := io.ReadFull(m, buf); err != nil || string(buf) != want {
		t.Fatalf("device read %q, %v; want %q", buf, err, want)
	}
}

func TestLinkCancelUnblocksRead(t *testing.T) {
	pair := ptytest.New(t, filepath.Join(t.TempDir(), "ttyS9"))
	// The default 1s poll would be too slow to meet the 1s bound if
	// cancellation relied on it; Close must do it.
	s, err := NewSerial(SerialOptions{Port: pair.Link()})
	if err != nil {
		t.Fatal(err)
	}
	states := newStateLog()
	l := NewLink("pbx1", s, LinkOptions{OnState: states.on})
	readErr := make(chan error, 1)
	cancel, done := runLink(t, l, func(ctx context.Context, rw io.ReadWriteCloser) error {
		_, err := rw.Read(make([]byte, 64))
		readErr <- err
		return err
	})
	states.wait(t, StateConnected, 3*time.Second)
	time.Sleep(20 * time.Millisecond) // let the session block in Read
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run after cancel = %v, want nil", err)
		}
	case <-time.After(time.Second):
		t.Fatal("Run did not return within 1s of cancel")
	}
	if err := <-readErr; err == nil {
		t.Error("blocked Read returned no error")
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("took %v", d)
	}
	if c := states.wait(t, StateDisconnected, time.Second); !errors.Is(c.Err, context.Canceled) {
		t.Errorf("disconnected with %v, want context.Canceled", c.Err)
	}
}

func TestLinkFatal(t *testing.T) {
	// A capture file that is not there, without Follow, cannot appear by
	// retrying: Open marks it Fatal and Run stops.
	f, err := NewFile(FileOptions{Path: filepath.Join(t.TempDir(), "missing.txt")})
	if err != nil {
		t.Fatal(err)
	}
	states := newStateLog()
	l := NewLink("replay", f, LinkOptions{MinBackoff: time.Millisecond, OnState: states.on})
	err = l.Run(context.Background(), func(context.Context, io.ReadWriteCloser) error { return nil })
	if !IsFatal(err) {
		t.Fatalf("Run = %v, want a fatal error", err)
	}
	if c := states.wait(t, StateFailed, time.Second); c.Err == nil {
		t.Error("failed state without error")
	}

	// A session can stop the Link too.
	pair := ptytest.New(t, filepath.Join(t.TempDir(), "tty"))
	s, _ := NewSerial(SerialOptions{Port: pair.Link()})
	boom := errors.New("profile rejects this PBX")
	l = NewLink("pbx", s, LinkOptions{MinBackoff: time.Millisecond})
	if err := l.Run(context.Background(), func(context.Context, io.ReadWriteCloser) error { return Fatal(boom) }); !errors.Is(err, boom) || !IsFatal(err) {
		t.Fatalf("Run = %v, want Fatal(boom)", err)
	}
}
