package retention

import (
	"context"
	"time"

	"switchboard/internal/store"
)

// Bounds of a batch's size. A batch starts small: its first transaction
// measures what a row costs on this machine and this file.
const (
	firstSize = 64
	minSize   = 4
	maxSize   = 50000
)

// sizer adapts a step's batch size so a transaction takes about target,
// well under the budget: the cost per row varies with the table (index
// entries per row, blob sizes), the cache and the disk, so it is measured
// batch by batch rather than fixed.
type sizer struct {
	n              int
	target, budget time.Duration
}

func newSizer(budget time.Duration) *sizer {
	// Aim at a quarter of the budget: a commit's fsync, the WAL's
	// automatic checkpoint (every 1000 pages, run by the commit that
	// crosses it) and a cold page read can triple a batch's time from one
	// batch to the next.
	return &sizer{n: firstSize, target: budget / 4, budget: budget}
}

// next learns from a batch sized size that took took.
func (s *sizer) next(size int, took time.Duration) {
	if took > s.budget {
		// Over budget: cut hard, the estimate was wrong.
		s.n = max(minSize, s.n/4)
		return
	}
	if size <= 0 {
		return
	}
	perUnit := took / time.Duration(size)
	want := maxSize
	if perUnit > 0 {
		want = int(s.target / perUnit)
	}
	// Grow at most twofold a batch, so one fast (cached) batch does not
	// make the next one too large; shrink at once.
	s.n = min(max(minSize, want), 2*s.n, maxSize)
}

// batcher runs a run's write transactions: it measures each, records it in
// the report, adapts the step's size and yields between transactions.
type batcher struct {
	j      *Job
	r      *Report
	sizers map[string]*sizer
}

func newBatcher(j *Job, r *Report) *batcher {
	return &batcher{j: j, r: r, sizers: map[string]*sizer{}}
}

// size is the size the next batch of step should have.
func (b *batcher) size(step string) int {
	return b.sizer(step).n
}

func (b *batcher) sizer(step string) *sizer {
	s, ok := b.sizers[step]
	if !ok {
		s = newSizer(b.j.budget())
		b.sizers[step] = s
	}
	return s
}

// do runs fn as one batch of step sized size; fn says how many rows it
// changed. The time recorded is the write lock's hold (store.Measure).
func (b *batcher) do(ctx context.Context, step string, size int, fn func(tx *store.Tx) (int64, error)) (int64, error) {
	var rows int64
	took, err := b.j.Store.Measure(ctx, func(tx *store.Tx) error {
		var err error
		rows, err = fn(tx)
		return err
	})
	if err != nil {
		return 0, err
	}
	b.r.Batches = append(b.r.Batches, Batch{Step: step, Rows: rows, Size: size, Took: took})
	b.sizer(step).next(size, took)
	return rows, b.yield(ctx, took)
}

// yield leaves the writer to others between two batches: the store's one
// writer connection goes back to the pool as the transaction ends, so a
// gateway commit waiting for it runs now; the pause, a quarter of what the
// batch took (at least a millisecond), also lets a process outside the
// daemon (a CLI command) through SQLite's busy handler. Meanwhile the
// batch's pages are checkpointed on a reader connection (store.Checkpoint),
// so no later COMMIT, the job's or the gateway's, runs an automatic
// checkpoint of a log the job filled: measured on the benchmark's store,
// that was most of the batches over the budget.
func (b *batcher) yield(ctx context.Context, took time.Duration) error {
	if _, err := b.j.Store.Checkpoint(ctx); err != nil {
		return err
	}
	t := time.NewTimer(max(time.Millisecond, took/4))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
