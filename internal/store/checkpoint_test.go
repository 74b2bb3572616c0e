package store

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// Checkpoints run beside the writer once checkpointCommits commits went by (the
// commits themselves run none: wal_autocheckpoint is 0), the WAL is
// restarted instead of growing, and an idle store runs none.
func TestCheckpointsBesideTheWriter(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	ctx := context.Background()
	before := s.ckpt.runs.Load()
	put := func(n int) {
		for i := 0; i < n; i++ {
			err := s.InTx(ctx, func(tx *Tx) error {
				_, _, err := tx.Enqueue(Event{Type: "t", Topic: "t", Source: "/s", IdemKey: fmt.Sprint(time.Now().UnixNano(), i), Data: i})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	put(checkpointCommits + 5)
	deadline := time.Now().Add(3 * time.Second)
	for s.ckpt.runs.Load() == before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if s.ckpt.runs.Load() == before {
		t.Fatalf("no checkpoint within 3 s of %d commits", checkpointCommits+5)
	}
	// A burst with no pause: no passive checkpoint catches up with a writer
	// that keeps adding, so the writer never starts the WAL over. Once it
	// passes its cap, a RESTART checkpoint does (the writer then starts it
	// over), so it is reused instead of growing for as long as the burst
	// lasts. 800 commits write about 10 MB.
	s.ckpt.walCap = 1 << 20
	resets := s.ckpt.resets.Load()
	put(800)
	deadline = time.Now().Add(3 * time.Second)
	for s.ckpt.resets.Load() == resets && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if s.ckpt.resets.Load() == resets {
		t.Fatal("the WAL passed its cap and was not restarted")
	}
	idle := s.ckpt.runs.Load()
	time.Sleep(checkpointEvery + checkpointEvery/2)
	// One tick may still find the last commits; after it nothing.
	settled := s.ckpt.runs.Load()
	time.Sleep(checkpointEvery + checkpointEvery/2)
	if s.ckpt.runs.Load() != settled || settled-idle > 1 {
		t.Fatalf("an idle store ran checkpoints: %d, then %d, then %d", idle, settled, s.ckpt.runs.Load())
	}
}

// A store closed twice (a test's cleanup after the gateway's own Close)
// does not panic.
func TestCloseTwice(t *testing.T) {
	s := openTest(t)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
}
