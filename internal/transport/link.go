package transport

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"time"
)

// State is the condition of a Link as reported to LinkOptions.OnState.
type State string

// Link states.
const (
	// StateConnecting: an Open attempt is starting (Err nil), or attempt
	// Attempt just failed with Err and the next one follows after a backoff.
	StateConnecting State = "connecting"
	// StateConnected: Open succeeded after Attempt attempts; the session runs.
	StateConnected State = "connected"
	// StateDisconnected: the session ended; Err says why (io.EOF when the
	// session returned nil, the context's error on shutdown).
	StateDisconnected State = "disconnected"
	// StateFailed: a Fatal error; Run has stopped and will not retry.
	StateFailed State = "failed"
)

// StateChange is one transition of a Link.
type StateChange struct {
	Device   string // the Link's name
	State    State
	Endpoint string // Transport.String()
	Attempt  int    // Open attempts since the last connection (connecting, connected)
	Err      error
	At       time.Time
}

// LinkOptions tune a Link. Zero values take the defaults noted.
type LinkOptions struct {
	MinBackoff time.Duration // first retry delay, default 500ms
	MaxBackoff time.Duration // cap of the delay, default 30s
	// OnState is called synchronously from Run on every state change; it
	// must not block for long (hand it to a channel or a logger).
	OnState func(StateChange)
}

const (
	defaultMinBackoff = 500 * time.Millisecond
	defaultMaxBackoff = 30 * time.Second
)

// Link keeps one device stream alive: it opens the Transport, runs a
// session on it, and reopens it after any failure with capped exponential
// backoff and jitter, so a PBX reboot or a USB-serial adapter pulled out and
// plugged back in (same path) is picked up without a restart.
type Link struct {
	name   string
	t      Transport
	opts   LinkOptions
	jitter func() float64 // in [0,1); nil disables jitter
}

// NewLink returns a supervisor for t named name (the device name in state reports).
func NewLink(name string, t Transport, opts LinkOptions) *Link {
	if opts.MinBackoff <= 0 {
		opts.MinBackoff = defaultMinBackoff
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = defaultMaxBackoff
	}
	if opts.MaxBackoff < opts.MinBackoff {
		opts.MaxBackoff = opts.MinBackoff
	}
	return &Link{name: name, t: t, opts: opts, jitter: rand.Float64}
}

// Session is what a driver runs on a connected stream. It returns when the
// stream fails or ends (any error, or nil on a clean end), or when ctx ends.
// Returning an error marked Fatal stops the Link.
type Session func(ctx context.Context, rw io.ReadWriteCloser) error

// Run opens the transport and runs session on each connection until ctx
// ends (returns nil), the transport is exhausted (ErrExhausted, returns nil)
// or a Fatal error occurs (reports StateFailed and returns the error).
// Every other error is retried. When ctx ends the stream is closed, so a
// session blocked in Read returns at once. Run closes each stream after its
// session returns; it does not close the Transport itself.
func (l *Link) Run(ctx context.Context, session Session) error {
	streak := 0 // consecutive failures: failed opens and short-lived sessions
	attempt := 0
	for first := true; ; first = false {
		if ctx.Err() != nil {
			return nil
		}
		if !first {
			t := time.NewTimer(backoff(streak, l.opts.MinBackoff, l.opts.MaxBackoff, l.jitter))
			select {
			case <-ctx.Done():
				t.Stop()
				return nil
			case <-t.C:
			}
		}

		attempt++
		l.report(StateConnecting, attempt, nil)
		rw, err := l.t.Open(ctx)
		if err != nil {
			switch {
			case ctx.Err() != nil:
				return nil
			case errors.Is(err, ErrExhausted):
				// The last word on a replayed file: it is over, not retrying.
				l.report(StateDisconnected, 0, err)
				return nil
			case IsFatal(err):
				l.report(StateFailed, attempt, err)
				return err
			}
			l.report(StateConnecting, attempt, err)
			streak++
			continue
		}

		l.report(StateConnected, attempt, nil)
		attempt = 0
		start := time.Now()
		err = l.runSession(ctx, rw, session)
		if ctx.Err() != nil {
			l.report(StateDisconnected, 0, ctx.Err())
			return nil
		}
		if err == nil {
			err = io.EOF
		}
		l.report(StateDisconnected, 0, err)
		if IsFatal(err) {
			l.report(StateFailed, 0, err)
			return err
		}
		// A session that stayed up longer than the longest backoff was a
		// healthy one: reconnect quickly. One that dropped at once (a PBX
		// that accepts and hangs up) keeps climbing the backoff ladder.
		if time.Since(start) >= l.opts.MaxBackoff {
			streak = 1
		} else {
			streak++
		}
	}
}

func (l *Link) runSession(ctx context.Context, rw io.ReadWriteCloser, session Session) error {
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Closing the stream is the only portable way to unblock a Read.
	stop := context.AfterFunc(sctx, func() { rw.Close() })
	err := session(sctx, rw)
	if stop() {
		rw.Close()
	}
	return err
}

func (l *Link) report(s State, attempt int, err error) {
	if l.opts.OnState == nil {
		return
	}
	l.opts.OnState(StateChange{
		Device:   l.name,
		State:    s,
		Endpoint: l.t.String(),
		Attempt:  attempt,
		Err:      err,
		At:       time.Now(),
	})
}

// backoff returns the delay before retry n (n >= 1): min doubled n-1 times,
// capped at max, then "equal jitter" (AWS Architecture Blog, "Exponential
// Backoff and Jitter", 2015): a uniform pick in [d/2, d) so that many
// gateways restarted together do not reconnect in lockstep, while the delay
// never drops below half the nominal one. jitter returns values in [0,1);
// nil disables jitter. The result never exceeds max.
func backoff(n int, min, max time.Duration, jitter func() float64) time.Duration {
	if n < 1 {
		n = 1
	}
	d := min
	for i := 1; i < n && d < max; i++ {
		d *= 2
	}
	if d > max || d <= 0 {
		d = max
	}
	if jitter != nil {
		half := d / 2
		d = half + time.Duration(jitter()*float64(d-half))
	}
	return d
}
