package ipp

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"switchboard/drivers"
	"switchboard/internal/events"
	"switchboard/internal/events/printer"
)

// recSink records what a driver journals and delivers.
type recSink struct {
	mu      sync.Mutex
	frames  []drivers.Frame
	results []drivers.Result
	links   []events.DeviceState
	failJ   error
}

func (s *recSink) Journal(_ context.Context, _ drivers.Direction, fs []drivers.Frame, _ time.Time) ([]int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failJ != nil {
		return nil, s.failJ
	}
	ids := make([]int64, len(fs))
	for i, f := range fs {
		if !json.Valid(f.Data) {
			panic("frame is not JSON: " + string(f.Data))
		}
		s.frames = append(s.frames, f)
		ids[i] = int64(len(s.frames))
	}
	return ids, nil
}

func (s *recSink) Deliver(_ context.Context, rs []drivers.Result) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range rs {
		if r.FrameID < 1 || int(r.FrameID) > len(s.frames) {
			panic(fmt.Sprintf("delivered result for frame %d never journaled", r.FrameID))
		}
	}
	s.results = append(s.results, rs...)
	return nil
}

func (s *recSink) LinkState(st events.DeviceState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.links = append(s.links, st)
}

func records[T any](s *recSink) []T {
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

func hasAlert(s *recSink, k printer.AlertKind, c printer.AlertChange) bool {
	for _, a := range records[printer.Alert](s) {
		if a.Kind == k && a.Change == c {
			return true
		}
	}
	return false
}

func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("timed out after %v waiting for %s", d, what)
}
