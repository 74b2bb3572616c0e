package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"switchboard/internal/store"
)

// Outbox drains the store's outbox to the broker in seq order at QoS 1.
//
// A PUBACK is not durability (DESIGN.md §5): a broker may lose what it
// acknowledged, and paho reports success for tokens that spanned a
// reconnect. So rows stay until the back office acknowledges up to a seq on
// the ack topic, and after every reconnect publishing restarts from the
// acknowledged cursor. Delivery is at-least-once; consumers dedupe on id.
type Outbox struct {
	st    *store.Store
	cl    *Client
	log   *slog.Logger
	batch int
	wait  time.Duration // PUBACK wait before the session is considered broken

	// RedeliverAfter: events not acknowledged this long after they were
	// sent, with no acknowledgement meanwhile, are sent again from the
	// acknowledged seq on; again after twice as long while nothing is
	// acknowledged, up to MaxRedeliverAfter. Whatever happened in this
	// process: after a restart the backlog goes out the moment the daemon
	// reaches its broker, maybe before any consumer is back, and a consumer
	// stuck on a gap cannot acknowledge. 0 = never.
	RedeliverAfter    time.Duration
	MaxRedeliverAfter time.Duration

	kick        chan struct{}
	acksRefused atomic.Int64
	// sent is the highest seq handed to the broker in this process: a
	// consumer may ack an event before its PUBACK is marked in the store.
	sent    atomic.Int64
	mu      sync.Mutex
	replay  int64             // >0: restart from this seq-1 at the next turn
	fresh   []store.OutboxRow // committed, not read back yet (store.OnEnqueued)
	lastAck time.Time
	backoff time.Duration // the wait before the next redelivery
}

// NewOutbox makes a publisher for st over cl.
func NewOutbox(st *store.Store, cl *Client, log *slog.Logger) *Outbox {
	if log == nil {
		log = slog.Default()
	}
	o := &Outbox{st: st, cl: cl, log: log.With("component", "outbox"), batch: 500, wait: 15 * time.Second,
		RedeliverAfter: 30 * time.Second, MaxRedeliverAfter: 10 * time.Minute, kick: make(chan struct{}, 1)}
	st.OnEnqueued(o.offer)
	return o
}

// maxFresh bounds the events kept in memory for the publisher: past it
// (no broker for a while, a burst) they are read back from the store.
const maxFresh = 1024

// offer keeps an event just committed for the publisher.
func (o *Outbox) offer(r store.OutboxRow) {
	o.mu.Lock()
	if len(o.fresh) < maxFresh {
		o.fresh = append(o.fresh, r)
	}
	o.mu.Unlock()
}

// next is what Pending(cursor) would return, from memory when the events
// just committed follow the cursor without a gap: the store is read only
// after a reconnect, a replay, a redelivery, or a gap (events committed
// out of order, or past maxFresh). Reading back every event after its
// commit was a query per SMDR read on the publisher's path to the broker.
func (o *Outbox) next(ctx context.Context, cursor int64) ([]store.OutboxRow, error) {
	o.mu.Lock()
	i := 0
	for i < len(o.fresh) && o.fresh[i].Seq <= cursor {
		i++
	}
	n := 0
	for n < len(o.fresh)-i && n < o.batch && o.fresh[i+n].Seq == cursor+1+int64(n) {
		n++
	}
	var rows []store.OutboxRow
	if n > 0 {
		rows = slices.Clone(o.fresh[i : i+n])
		i += n
	}
	o.fresh = append(o.fresh[:0], o.fresh[i:]...)
	o.mu.Unlock()
	if n > 0 {
		return rows, nil
	}
	return o.st.Pending(ctx, cursor, o.batch)
}

// Notify wakes the publisher after new rows were committed.
func (o *Outbox) Notify() {
	select {
	case o.kick <- struct{}{}:
	default:
	}
}

// Replay re-publishes every stored event from seq on (acknowledged ones
// included, while they are kept).
func (o *Outbox) Replay(from int64) {
	o.mu.Lock()
	if from < 1 {
		from = 1
	}
	o.replay = from
	o.mu.Unlock()
	o.Notify()
}

// Ack moves the back office's cursor.
func (o *Outbox) Ack(ctx context.Context, upto int64) (int64, error) {
	prev, err := o.st.AckedSeq(ctx)
	if err != nil {
		return 0, err
	}
	n, err := o.st.Ack(ctx, upto)
	if err == nil && n > prev {
		o.mu.Lock()
		o.lastAck, o.backoff = time.Now(), 0
		o.mu.Unlock()
	}
	return n, err
}

// redeliverFrom says where to restart when the consumer stalled: acked+1
// when events were sent and none was acknowledged for the current wait
// (RedeliverAfter, doubling up to MaxRedeliverAfter while nothing is
// acknowledged: a gateway with no consumer at all sends its backlog again
// at most every MaxRedeliverAfter).
func (o *Outbox) redeliverFrom(ctx context.Context, cursor int64, sentAt time.Time) (int64, bool) {
	if o.RedeliverAfter <= 0 || sentAt.IsZero() {
		return 0, false
	}
	o.mu.Lock()
	last, wait := o.lastAck, o.backoff
	o.mu.Unlock()
	if wait <= 0 {
		wait = o.RedeliverAfter
	}
	if time.Since(sentAt) < wait || time.Since(last) < wait {
		return 0, false
	}
	acked, err := o.st.AckedSeq(ctx)
	if err != nil || acked >= cursor {
		return 0, false
	}
	o.mu.Lock()
	o.backoff = min(2*wait, max(o.MaxRedeliverAfter, o.RedeliverAfter))
	o.mu.Unlock()
	return acked, true
}

// Run publishes until ctx ends.
func (o *Outbox) Run(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-o.cl.Up():
		}
		gen := o.cl.Generation()
		err := o.session(ctx, gen)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			o.log.Warn("publishing interrupted; resuming from the acknowledged seq after reconnect", "err", err)
		}
		// Wait for the broken session to be noticed, or back off a little
		// when the broker refused a publish while still connected.
		select {
		case <-ctx.Done():
			return nil
		case <-o.cl.Down():
		case <-time.After(time.Second):
		}
	}
}

// session publishes on one connection generation.
func (o *Outbox) session(ctx context.Context, gen uint64) error {
	cursor, err := o.st.AckedSeq(ctx)
	if err != nil {
		return err
	}
	idle := time.NewTimer(time.Second)
	defer idle.Stop()
	var sentAt time.Time
	// Marks of what the broker acknowledged are committed at most once a
	// second, whether events come in a burst or a trickle: each is a commit
	// (an fsync) that the next SMDR read or command would wait behind, and
	// a mark lost to a crash costs nothing (unacknowledged events are sent
	// again anyway; the acked bound uses the in-memory last sent).
	var mark struct {
		to int64
		at time.Time
	}
	flush := func() error {
		if mark.to == 0 {
			return nil
		}
		err := o.st.MarkPublished(ctx, mark.to)
		mark.to, mark.at = 0, time.Now()
		return err
	}
	defer func() { _ = flush() }()
	for {
		if o.cl.Generation() != gen {
			return errors.New("session changed")
		}
		o.mu.Lock()
		if o.replay > 0 {
			// Never ahead of what was sent: the events in between would be
			// skipped, and the published mark (a prefix) would claim them.
			cursor = min(cursor, o.replay-1)
			o.replay = 0
		}
		o.mu.Unlock()
		rows, err := o.next(ctx, cursor)
		if err != nil {
			return err
		}
		if len(rows) == 0 {
			// Dry is the usual state between two calls of a trickle (a
			// record every few ms): flushing at each would be a commit per
			// event again. The mark waits out its second on the idle timer.
			wait := time.Second
			if mark.to != 0 {
				wait = time.Second - time.Since(mark.at)
				if wait <= 0 {
					if err := flush(); err != nil {
						return err
					}
					wait = time.Second
				}
			}
			if from, ok := o.redeliverFrom(ctx, cursor, sentAt); ok {
				o.log.Info("consumer has not acknowledged; sending again", "from_seq", from+1, "to_seq", cursor)
				cursor = from
				continue
			}
			idle.Reset(wait)
			select {
			case <-ctx.Done():
				return nil
			case <-o.kick:
			case <-o.cl.Down():
				return errors.New("disconnected")
			case <-idle.C:
			}
			continue
		}
		last := rows[len(rows)-1].Seq
		if last > o.sent.Load() {
			o.sent.Store(last) // only this goroutine writes it
		}
		if err := o.publish(ctx, rows); err != nil {
			return err
		}
		mark.to = max(mark.to, last)
		if time.Since(mark.at) >= time.Second {
			if err := flush(); err != nil {
				return err
			}
		}
		cursor, sentAt = last, time.Now()
	}
}

// publish sends a batch pipelined (MQTT keeps order on one connection) and
// waits for every PUBACK.
func (o *Outbox) publish(ctx context.Context, rows []store.OutboxRow) error {
	toks := make([]Token, len(rows))
	for i, r := range rows {
		toks[i] = o.cl.PublishAsync(r.Topic, 1, false, r.Payload)
	}
	deadline := time.NewTimer(o.wait)
	defer deadline.Stop()
	for i, t := range toks {
		select {
		case <-t.Done():
			if err := t.Error(); err != nil {
				return fmt.Errorf("seq %d: %w", rows[i].Seq, err)
			}
		case <-deadline.C:
			return fmt.Errorf("seq %d: no PUBACK within %s", rows[i].Seq, o.wait)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}
