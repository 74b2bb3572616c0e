package hotelink_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"switchboard/drivers"
	"switchboard/drivers/hotelink"
	"switchboard/internal/events"
	"switchboard/internal/events/hotel"
	"switchboard/internal/transport"
)

// memSink is the core's side in tests: a journal, results, link states.
type memSink struct {
	mu      sync.Mutex
	nextID  int64
	frames  []jframe
	results []drivers.Result
	states  []events.DeviceState
	changed chan struct{}
	failPS  bool // Deliver fails for postings (core cannot commit)
}

type jframe struct {
	id   int64
	dir  drivers.Direction
	data []byte
	key  string
}

func newSink() *memSink { return &memSink{changed: make(chan struct{})} }

func (s *memSink) bump() { close(s.changed); s.changed = make(chan struct{}) }

func (s *memSink) Journal(ctx context.Context, dir drivers.Direction, frames []drivers.Frame, at time.Time) ([]int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]int64, len(frames))
	for i, f := range frames {
		s.nextID++
		ids[i] = s.nextID
		s.frames = append(s.frames, jframe{s.nextID, dir, append([]byte(nil), f.Data...), f.Key})
	}
	s.bump()
	return ids, nil
}

func (s *memSink) Deliver(ctx context.Context, rs []drivers.Result) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range rs {
		if _, ok := r.Record.(hotel.Posting); ok && s.failPS {
			return fmt.Errorf("store unavailable")
		}
	}
	s.results = append(s.results, rs...)
	s.bump()
	return nil
}

func (s *memSink) LinkState(st events.DeviceState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.states = append(s.states, st)
	s.bump()
}

// records returns the delivered records of type T.
func records[T any](s *memSink) []T {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []T
	for _, r := range s.results {
		if v, ok := r.Record.(T); ok {
			out = append(out, v)
		}
	}
	return out
}

func (s *memSink) errors() []error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []error
	for _, r := range s.results {
		if r.Err != nil {
			out = append(out, r.Err)
		}
	}
	return out
}

func (s *memSink) sent() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, f := range s.frames {
		if f.dir == drivers.ToDevice {
			out = append(out, string(f.data))
		}
	}
	return out
}

func (s *memSink) waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		s.mu.Lock()
		ch := s.changed
		s.mu.Unlock()
		if cond() {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func (s *memSink) waitLinkUp(t testing.TB, n int) {
	t.Helper()
	s.waitFor(t, fmt.Sprintf("%d link-up events", n), func() bool {
		c := 0
		for _, e := range records[hotel.LinkEvent](s) {
			if e.Kind == hotel.LinkUp {
				c++
			}
		}
		return c >= n
	})
}

// linkOpener adapts transport.Link to drivers.Opener, as the gateway does.
type linkOpener struct {
	l    *transport.Link
	name string
}

func (o linkOpener) Run(ctx context.Context, s func(context.Context, io.ReadWriteCloser) error) error {
	return o.l.Run(ctx, s)
}
func (o linkOpener) String() string { return o.name }

// pipeOpener hands the driver one net.Pipe end per connection.
type pipeOpener struct{ conns chan net.Conn }

func (o pipeOpener) Run(ctx context.Context, s func(context.Context, io.ReadWriteCloser) error) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case c := <-o.conns:
			sctx, cancel := context.WithCancel(ctx)
			stop := context.AfterFunc(sctx, func() { c.Close() })
			_ = s(sctx, c)
			stop()
			cancel()
			c.Close()
		}
	}
}
func (o pipeOpener) String() string { return "pipe" }

var site = time.FixedZone("CST", 8*3600)

// fixedClock is 2000-10-15 12:30:45 in the site zone (the spec examples' date).
func fixedClock() time.Time { return time.Date(2000, 10, 15, 12, 30, 45, 0, site) }

type harness struct {
	drv  *hotelink.Driver
	sink *memSink
	addr string
	stop func()
}

// startTCP runs the driver behind a TCP listener on 127.0.0.1:0, its link
// reconnecting at once.
func startTCP(t testing.TB, profile string, opts map[string]any) *harness {
	t.Helper()
	return startTCPLink(t, profile, opts, transport.LinkOptions{MinBackoff: time.Millisecond, MaxBackoff: 10 * time.Millisecond})
}

// startTCPLink is startTCP with the link's reconnection options
// (transport.LinkOptions{} is what the gateway runs with).
func startTCPLink(t testing.TB, profile string, opts map[string]any, lo transport.LinkOptions) *harness {
	t.Helper()
	ln, err := transport.NewTCPListener(transport.TCPListenOptions{Address: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	addr, err := ln.Listen()
	if err != nil {
		t.Fatal(err)
	}
	sink := newSink()
	link := transport.NewLink("pbx1", ln, lo)
	drv, err := hotelink.New(drivers.Device{ID: "pbx1", Driver: "hotelink", Profile: profile, Options: opts, Location: site},
		drivers.Deps{Link: linkOpener{link, ln.String()}, Sink: sink})
	if err != nil {
		t.Fatal(err)
	}
	drv.SetClock(fixedClock)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = drv.Run(ctx) }()
	h := &harness{drv: drv, sink: sink, addr: addr.String()}
	h.stop = func() { cancel(); ln.Close(); <-done }
	t.Cleanup(h.stop)
	return h
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}
