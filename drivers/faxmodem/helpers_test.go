package faxmodem

import (
	"context"
	"io"
	"sync"
	"time"

	"switchboard/drivers"
	"switchboard/internal/events"
	"switchboard/internal/events/fax"
	"switchboard/internal/transport"
)

// memSink is a drivers.Sink in memory.
type memSink struct {
	mu      sync.Mutex
	frames  []drivers.Frame
	dirs    []drivers.Direction
	results []drivers.Result
}

func (s *memSink) Journal(_ context.Context, dir drivers.Direction, fr []drivers.Frame, _ time.Time) ([]int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]int64, len(fr))
	for i, f := range fr {
		s.frames = append(s.frames, f)
		s.dirs = append(s.dirs, dir)
		ids[i] = int64(len(s.frames))
	}
	return ids, nil
}

func (s *memSink) Deliver(_ context.Context, r []drivers.Result) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.results = append(s.results, r...)
	return nil
}

func (s *memSink) LinkState(events.DeviceState) {}

func (s *memSink) received() []fax.Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []fax.Received
	for _, r := range s.results {
		if rec, ok := r.Record.(fax.Received); ok {
			out = append(out, rec)
		}
	}
	return out
}

// ptyOpener opens a serial path (a faxpeer pty) once per session, as the
// daemon's transport.Link does.
type ptyOpener struct{ path string }

func (o ptyOpener) String() string { return "serial " + o.path }

func (o ptyOpener) Run(ctx context.Context, session func(context.Context, io.ReadWriteCloser) error) error {
	for ctx.Err() == nil {
		tr, err := transport.NewSerial(transport.SerialOptions{Port: o.path, Baud: 115200, Flow: "none", ReadTimeout: 200 * time.Millisecond})
		if err != nil {
			return err
		}
		rw, err := tr.Open(ctx)
		if err != nil {
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(200 * time.Millisecond):
			}
			continue
		}
		_ = session(ctx, rw)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(100 * time.Millisecond):
		}
	}
	return nil
}
