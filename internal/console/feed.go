package console

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"switchboard/internal/store"
)

// Feed tails the store's outbox for the console's live pages: one poller
// per process, however many browsers watch, fanning each committed event
// out to the subscribers. A subscriber whose buffer is full is dropped (its
// channel closed): its browser reconnects and resumes from its last event
// id, and nobody else waits for it.
//
// The poller runs only while someone watches; a poll is one indexed read
// of the rows after the last seq seen.
type Feed struct {
	st   *store.Store
	poll time.Duration
	log  *slog.Logger

	mu      sync.Mutex
	subs    map[*subscriber]struct{}
	last    int64 // the highest seq fanned out
	running bool
	stop    chan struct{}
}

// liveMessage is one event as the stream sends it.
type liveMessage struct {
	Seq       int64  // 0: the console's own notice (no id, not resumable)
	Type      string // the SSE event name: the CloudEvents type
	Principal string // who caused it (command replies: only they see them)
	Data      []byte // the envelope's data, compact JSON on one line
}

// subscriber is one stream's buffer.
type subscriber struct {
	ch      chan liveMessage
	dropped bool
}

// subscriberBuffer is how many events a stream may fall behind before it
// is dropped and resumes from the store.
const subscriberBuffer = 256

func newFeed(st *store.Store, poll time.Duration, log *slog.Logger) *Feed {
	return &Feed{st: st, poll: poll, log: log, subs: map[*subscriber]struct{}{}}
}

// subscribe adds a subscriber; it receives every event after seq from.
func (f *Feed) subscribe(ctx context.Context) (sub *subscriber, from int64, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.running {
		if err := f.st.QueryRow(ctx, `SELECT COALESCE(MAX(seq),0) FROM outbox`).Scan(&f.last); err != nil {
			return nil, 0, fmt.Errorf("live feed: %w", err)
		}
		f.running, f.stop = true, make(chan struct{})
		go f.run(f.stop)
	}
	sub = &subscriber{ch: make(chan liveMessage, subscriberBuffer)}
	f.subs[sub] = struct{}{}
	return sub, f.last, nil
}

// unsubscribe removes a subscriber; the last one stops the poller.
func (f *Feed) unsubscribe(sub *subscriber) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.subs[sub]; !ok {
		return
	}
	delete(f.subs, sub)
	if !sub.dropped {
		close(sub.ch)
	}
	if len(f.subs) == 0 && f.running {
		close(f.stop)
		f.running = false
	}
}

func (f *Feed) run(stop chan struct{}) {
	t := time.NewTicker(f.poll)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		if err := f.tail(); err != nil {
			f.log.Warn("live feed: outbox not read", "err", err)
		}
	}
}

// tailPage is how many rows one read takes.
const tailPage = 256

// tail fans out the rows committed since the last poll.
func (f *Feed) tail() error {
	f.mu.Lock()
	after := f.last
	f.mu.Unlock()
	for {
		rows, err := f.st.Pending(context.Background(), after, tailPage)
		if err != nil {
			return err
		}
		for _, row := range rows {
			after = row.Seq
			m, err := messageOf(row)
			if err != nil {
				f.log.Warn("live feed: event skipped", "seq", row.Seq, "err", err)
				continue
			}
			f.broadcast(m)
		}
		if len(rows) < tailPage {
			return nil
		}
	}
}

// broadcast hands m to every subscriber without waiting: a full buffer
// drops that subscriber.
func (f *Feed) broadcast(m liveMessage) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if m.Seq > f.last {
		f.last = m.Seq
	}
	for sub := range f.subs {
		if sub.dropped {
			continue
		}
		select {
		case sub.ch <- m:
		default:
			sub.dropped = true
			close(sub.ch)
		}
	}
}

// messageOf reads an outbox row's envelope: its type, principal and data.
func messageOf(row store.OutboxRow) (liveMessage, error) {
	var env struct {
		Type      string          `json:"type"`
		Principal string          `json:"principal"`
		Data      json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(row.Payload, &env); err != nil {
		return liveMessage{}, err
	}
	typ := env.Type
	if typ == "" {
		typ = row.Type
	}
	if strings.ContainsAny(typ, "\r\n") {
		return liveMessage{}, fmt.Errorf("event type %q", typ)
	}
	data := env.Data
	if len(data) == 0 {
		data = json.RawMessage("null")
	}
	var b bytes.Buffer
	if err := json.Compact(&b, data); err != nil {
		return liveMessage{}, err
	}
	return liveMessage{Seq: row.Seq, Type: typ, Principal: env.Principal, Data: b.Bytes()}, nil
}

// announce sends the console's own notice (not from the outbox, so not
// resumable: a page that missed it reloads its data on reconnecting).
func (f *Feed) announce(typ string, data any) {
	b, err := json.Marshal(data)
	if err != nil {
		f.log.Error("live feed: notice not sent", "type", typ, "err", err)
		return
	}
	f.broadcast(liveMessage{Type: typ, Data: b})
}

// id is the SSE id of m ("" for a notice).
func (m liveMessage) id() string {
	if m.Seq == 0 {
		return ""
	}
	return strconv.FormatInt(m.Seq, 10)
}
