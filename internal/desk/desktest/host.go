// Package desktest is the gateway as a desk sees it, for the desks' unit
// tests: a desk.Host on a real store (SQLite in the test's temporary
// folder) with the test's clock. Events go to the outbox under a made-up
// topic, retained state and workers are recorded, and commands run as the
// bus router runs them (Validate, Prepare, Execute), without MQTT.
package desktest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"switchboard/internal/bus"
	"switchboard/internal/desk"
	"switchboard/internal/events"
	"switchboard/internal/store"
)

// Host is a desk.Host for tests.
type Host struct {
	st  *store.Store
	loc *time.Location
	log *slog.Logger

	mu       sync.Mutex
	now      time.Time
	handlers map[string]bus.Handler // by command name
	workers  []func(context.Context)
	states   []desk.State
	seq      int
}

var _ desk.Host = (*Host)(nil)

// NewHost opens a store in t's temporary folder; the clock reads now (its
// location is the site's time zone).
func NewHost(t testing.TB, now time.Time) *Host {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "sb.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &Host{st: st, loc: now.Location(), log: slog.New(slog.NewTextHandler(io.Discard, nil)), now: now, handlers: map[string]bus.Handler{}}
}

// InTx runs fn in a write transaction of the store.
func (h *Host) InTx(ctx context.Context, fn func(tx *store.Tx) error) error {
	return h.st.InTx(ctx, fn)
}

// Store is the test's store.
func (h *Host) Store() *store.Store { return h.st }

// Enqueue adds ev to the outbox under test/{domain}/{device}/{type}.
func (h *Host) Enqueue(tx *store.Tx, ev desk.Event) (int64, bool, error) {
	at := ev.Time
	if at.IsZero() {
		at = h.Now()
	}
	return tx.Enqueue(store.Event{Type: ev.Type, Topic: "test/" + ev.Domain + "/" + ev.Device + "/" + ev.Type, Source: "/test/" + ev.Domain + "/" + ev.Device,
		Subject: ev.Subject, IdemKey: ev.IdemKey, Time: at.In(h.loc), Data: ev.Data})
}

// SetState records retained state.
func (h *Host) SetState(_ context.Context, s desk.State) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.states = append(h.states, s)
	return nil
}

// Handle registers a command's handler by its name.
func (h *Host) Handle(_, command string, hd bus.Handler) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.handlers[command] = hd
}

// Go records a worker; Start runs them.
func (h *Host) Go(w func(ctx context.Context)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.workers = append(h.workers, w)
}

// Now is the test's clock.
func (h *Host) Now() time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.now
}

// Location is the clock's time zone.
func (h *Host) Location() *time.Location { return h.loc }

// Log discards.
func (h *Host) Log() *slog.Logger { return h.log }

// Advance moves the clock on.
func (h *Host) Advance(d time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.now = h.now.Add(d)
}

// Handler is the handler registered for a command name, nil if none.
func (h *Host) Handler(command string) bus.Handler {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.handlers[command]
}

// Workers are the workers the desk asked for, in order.
func (h *Host) Workers() []func(context.Context) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.workers)
}

// States are the retained states set so far.
func (h *Host) States() []desk.State {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.states)
}

// Start runs every worker until the test ends.
func (h *Host) Start(t testing.TB) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, w := range h.Workers() {
		wg.Add(1)
		go func() { defer wg.Done(); w(ctx) }()
	}
	t.Cleanup(func() { cancel(); wg.Wait() })
}

// Command is a command to domain/device with data as its JSON.
func (h *Host) Command(t testing.TB, domain, device, name string, data any) *bus.Command {
	t.Helper()
	b, err := json.Marshal(data)
	if err != nil {
		t.Fatal(err)
	}
	h.mu.Lock()
	h.seq++
	id := fmt.Sprintf("%s-%d", name, h.seq)
	h.mu.Unlock()
	return &bus.Command{ID: id, Type: "hotel." + domain + ".cmd." + name, Domain: domain, Device: device, Name: name, Received: h.Now(), Data: b}
}

// Run runs c as the router does: Validate, Prepare when the handler has
// one, Execute; it returns Execute's result (or the first error).
func (h *Host) Run(t testing.TB, c *bus.Command) (any, error) {
	t.Helper()
	return h.RunIn(context.Background(), t, c)
}

// RunIn runs c as Run does, under ctx: the router's context carries the
// command's actor (events.WithActor: its principal and console shift).
func (h *Host) RunIn(ctx context.Context, t testing.TB, c *bus.Command) (any, error) {
	t.Helper()
	hd := h.Handler(c.Name)
	if hd == nil {
		t.Fatalf("no handler for %s", c.Name)
	}
	if err := hd.Validate(c); err != nil {
		return nil, err
	}
	if p, ok := hd.(bus.Preparer); ok {
		if _, err := p.Prepare(ctx, c); err != nil {
			return nil, err
		}
	}
	return hd.Execute(ctx, c)
}

// Events are the data of the outbox's events of type typ, in order.
func (h *Host) Events(t testing.TB, typ string) []map[string]any {
	t.Helper()
	rows, err := h.st.Pending(context.Background(), 0, 100000)
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for _, row := range rows {
		if row.Type != typ {
			continue
		}
		var env events.Envelope
		var d map[string]any
		if err := json.Unmarshal(row.Payload, &env); err != nil || json.Unmarshal(env.Data, &d) != nil {
			t.Fatalf("event %s: %v", row.Type, err)
		}
		out = append(out, d)
	}
	return out
}

// Record has the desk apply r in a transaction of its own, as the
// gateway delivers a record.
func (h *Host) Record(t testing.TB, rh desk.RecordHandler, r desk.Record) desk.Outcome {
	t.Helper()
	if !rh.Takes(r) {
		t.Fatalf("the desk does not take %T", r.Value)
	}
	var out desk.Outcome
	if err := h.InTx(context.Background(), func(tx *store.Tx) (err error) { out, err = rh.HandleRecord(tx, r); return err }); err != nil {
		t.Fatalf("record %T: %v", r.Value, err)
	}
	return out
}
