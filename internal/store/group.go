package store

import (
	"context"
	"errors"
	"fmt"
)

// ErrGroupClosed is the error of work submitted to a group that has stopped.
var ErrGroupClosed = errors.New("store: group commit stopped (the gateway is shutting down)")

// Group commits many small transactions together (group commit): whatever
// is waiting when the writer is free goes into one BEGIN ... COMMIT, so one
// fsync (synchronous=FULL) makes a whole burst durable instead of one each.
// Each piece of work runs in a SAVEPOINT of its own, so one's error undoes
// only its own changes; each learns its own outcome once the whole commit is
// on disk, in the order it was submitted.
//
// It serves work that is small, frequent and independent, such as command
// replies with their command-log rows; work that must see its own commit
// before going on uses Do.
type Group struct {
	s    *Store
	reqs chan groupReq
	max  int
	stop chan struct{} // closed when Run returns
}

type groupReq struct {
	ctx  context.Context
	fn   func(tx *Tx) error
	done func(error)
}

// NewGroup makes a group committer on s that puts at most max pieces of
// work in one transaction; up to queue may wait (Submit blocks beyond).
func (s *Store) NewGroup(max, queue int) *Group {
	if max < 1 {
		max = 1
	}
	return &Group{s: s, reqs: make(chan groupReq, queue), max: max, stop: make(chan struct{})}
}

// Submit queues fn; done (if not nil) is called with fn's error, the
// commit's error, or nil once the commit is durable. The events fn enqueues
// carry ctx's actor. done runs on the group's goroutine: it must not wait for
// other submitted work.
func (g *Group) Submit(ctx context.Context, fn func(tx *Tx) error, done func(error)) {
	select {
	case g.reqs <- groupReq{ctx: ctx, fn: fn, done: done}:
	case <-g.stop:
		if done != nil {
			done(ErrGroupClosed)
		}
	}
}

// Do submits fn and waits until it is committed (or refused).
func (g *Group) Do(ctx context.Context, fn func(tx *Tx) error) error {
	ch := make(chan error, 1)
	g.Submit(ctx, fn, func(err error) { ch <- err })
	select {
	case err := <-ch:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Run commits submitted work until ctx ends; what is still queued then is
// refused with ErrGroupClosed.
func (g *Group) Run(ctx context.Context) {
	defer func() {
		close(g.stop)
		for {
			select {
			case r := <-g.reqs:
				if r.done != nil {
					r.done(ErrGroupClosed)
				}
			default:
				return
			}
		}
	}()
	batch := make([]groupReq, 0, g.max)
	for {
		select {
		case <-ctx.Done():
			return
		case r := <-g.reqs:
			batch = append(batch[:0], r)
		}
	more:
		for len(batch) < g.max {
			select {
			case r := <-g.reqs:
				batch = append(batch, r)
			default:
				break more
			}
		}
		g.commit(ctx, batch)
	}
}

// commit runs a batch in one transaction, each piece in its savepoint.
func (g *Group) commit(ctx context.Context, batch []groupReq) {
	errs := make([]error, len(batch))
	err := g.s.InTx(ctx, func(tx *Tx) error {
		for i, r := range batch {
			tx.ctx, tx.frame = r.ctx, 0
			if r.ctx.Err() != nil {
				errs[i] = r.ctx.Err()
				continue
			}
			hooks := len(tx.after)
			if _, err := tx.tx.ExecContext(tx.stmtCtx(), `SAVEPOINT grouped`); err != nil {
				return fmt.Errorf("store: savepoint: %w", err)
			}
			if errs[i] = r.fn(tx); errs[i] != nil {
				// SQLite: ROLLBACK TO undoes the savepoint's changes and
				// leaves it open; RELEASE then removes it.
				tx.after = tx.after[:hooks]
				if _, err := tx.tx.ExecContext(tx.stmtCtx(), `ROLLBACK TO grouped`); err != nil {
					return fmt.Errorf("store: rollback to savepoint: %w", err)
				}
			}
			if _, err := tx.tx.ExecContext(tx.stmtCtx(), `RELEASE grouped`); err != nil {
				return fmt.Errorf("store: release savepoint: %w", err)
			}
		}
		tx.ctx = ctx
		return nil
	})
	for i, r := range batch {
		if r.done == nil {
			continue
		}
		if err != nil {
			r.done(err)
		} else {
			r.done(errs[i])
		}
	}
}
