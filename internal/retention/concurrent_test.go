package retention

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"switchboard/internal/store"
)

// TestPurgeLetsWritesThrough: while the job purges, the gateway's own
// commits (here: an event enqueued every millisecond on the same store)
// go on between its batches, each waiting at most about one batch.
func TestPurgeLetsWritesThrough(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	if err := fill(ctx, st, traffic{Days: 40, Rooms: 25, CallsPerRoomDay: 4, Now: testNow}); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var writes []time.Duration
	var writeErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
			start := time.Now()
			if _, _, err := st.Enqueue(ctx, store.Event{Type: "hotel.test.during", Topic: "t", IdemKey: fmt.Sprint(i)}); err != nil {
				writeErr = err
				return
			}
			writes = append(writes, time.Since(start))
		}
	}()
	j := Job{Store: st, RetentionDays: 30, Now: func() time.Time { return testNow }}
	r, err := j.Run(ctx)
	close(stop)
	wg.Wait()
	if err != nil || writeErr != nil {
		t.Fatalf("job: %v; writer: %v", err, writeErr)
	}
	if len(r.Batches) < 10 {
		t.Fatalf("%d batches: want a purge in many", len(r.Batches))
	}
	// Writes go through between the batches, not after the run: at least
	// one every few batches.
	if len(writes) < len(r.Batches)/4 {
		t.Errorf("%d writes during a run of %d batches (%v): the writer was held back", len(writes), len(r.Batches), r.Took)
	}
	var longest time.Duration
	for _, w := range writes {
		longest = max(longest, w)
	}
	// A write waits for the batch holding the writer, then commits
	// itself; slack for the shared machine.
	if limit := 2*r.Longest().Took + 500*time.Millisecond; longest > limit {
		t.Errorf("a write waited %v; the longest batch took %v", longest, r.Longest().Took)
	}
	t.Logf("%d writes during %d batches in %v; longest write %v, longest batch %v", len(writes), len(r.Batches), r.Took, longest, r.Longest().Took)
}
