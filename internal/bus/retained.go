package bus

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"switchboard/internal/store"
)

const retainedNS = "retained"

// Retained keeps the gateway's retained topics (device state, room state):
// each value is stored first, published when the session is up, and
// published again after every reconnect, so the broker always holds the
// latest state even if it lost its own retained store.
type Retained struct {
	st  *store.Store
	cl  *Client
	log *slog.Logger
	mu  sync.Mutex
}

// NewRetained binds retained state to a store and a session. Without a
// session (nil: a tool working on the store while the daemon runs), values
// are only stored: the daemon publishes them at its next connect.
func NewRetained(st *store.Store, cl *Client, log *slog.Logger) *Retained {
	r := &Retained{st: st, cl: cl, log: log}
	if cl != nil {
		cl.OnConnect(func(uint64) { r.republish() })
	}
	return r
}

// Set stores payload as the current value of topic and publishes it.
func (r *Retained) Set(ctx context.Context, topic string, payload []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.st.Put(ctx, retainedNS, topic, payload); err != nil {
		return err
	}
	if r.cl != nil {
		r.cl.PublishAsync(topic, 1, true, payload)
	}
	return nil
}

func (r *Retained) republish() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r.mu.Lock()
	defer r.mu.Unlock()
	all, err := r.st.List(ctx, retainedNS)
	if err != nil {
		r.log.Warn("retained state not republished", "err", err)
		return
	}
	for topic, payload := range all {
		r.cl.PublishAsync(topic, 1, true, payload)
	}
}
