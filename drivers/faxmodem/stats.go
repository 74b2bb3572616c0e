package faxmodem

import (
	"slices"
	"sync"
	"time"
)

// reactionStats keeps the host's reaction times: from the arrival of the
// modem's last bytes to the host's next write. T.30 leaves 75 ± 20 ms
// between signals, so this is the figure that matters on a loaded box.
type reactionStats struct {
	mu  sync.Mutex
	buf []time.Duration
	n   int
}

const reactionKeep = 4096

func newReactionStats() *reactionStats {
	return &reactionStats{buf: make([]time.Duration, 0, reactionKeep)}
}

func (r *reactionStats) add(d time.Duration) {
	if r == nil {
		return
	}
	r.mu.Lock()
	if len(r.buf) < reactionKeep {
		r.buf = append(r.buf, d)
	} else {
		r.buf[r.n%reactionKeep] = d
	}
	r.n++
	r.mu.Unlock()
}

// Reaction summarises the host's reaction times to modem events.
type Reaction struct {
	Count         int
	P50, P99, Max time.Duration
}

func (r *reactionStats) summary() Reaction {
	r.mu.Lock()
	s := slices.Clone(r.buf)
	n := r.n
	r.mu.Unlock()
	if len(s) == 0 {
		return Reaction{}
	}
	slices.Sort(s)
	q := func(p float64) time.Duration { return s[min(len(s)-1, int(p*float64(len(s))))] }
	return Reaction{Count: n, P50: q(0.50), P99: q(0.99), Max: s[len(s)-1]}
}

// Reactions reports the reaction times seen so far (the last 4096).
func (d *Driver) Reactions() Reaction { return d.react.summary() }
