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
	// The file stays at its largest, but what it holds is small again once
	// commits leave checkpoints time to catch up: no more RESTARTs.
	time.Sleep(100 * time.Millisecond)
	after := s.ckpt.resets.Load()
	for range 4 {
		put(checkpointCommits)
		time.Sleep(50 * time.Millisecond)
	}
	if n := s.ckpt.resets.Load() - after; n > 1 {
		t.Fatalf("%d RESTART checkpoints while the WAL held a few commits: the file's size is not what it holds", n)
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

// A reader that keeps an old snapshot (a long report) lets no checkpoint
// finish, so the WAL grows past its cap. The RESTART checkpoint then waits
// for that reader only briefly (restartWait) while it holds writers back:
// commits go on, none waits out its busy_timeout and fails.
func TestRestartDoesNotStallTheWriter(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	ctx := context.Background()
	s.ckpt.walCap = 64 << 10
	reader, err := s.r.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	if _, err := reader.ExecContext(ctx, `BEGIN`); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := reader.QueryRowContext(ctx, `SELECT COUNT(*) FROM outbox`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	defer reader.ExecContext(ctx, `ROLLBACK`)
	// Commits go on until two RESTARTs were tried beside them (each
	// waits for the reader, which does not let go).
	var worst time.Duration
	deadline := time.Now().Add(15 * time.Second)
	for i := 0; s.ckpt.tries.Load() < 3 && time.Now().Before(deadline); i++ {
		t0 := time.Now()
		if _, _, err := s.Enqueue(ctx, ev(i)); err != nil {
			t.Fatalf("commit %d beside a reader holding an old snapshot: %v", i, err)
		}
		worst = max(worst, time.Since(t0))
		time.Sleep(time.Millisecond)
	}
	if worst > 2*time.Second {
		t.Fatalf("a commit waited %s behind a RESTART checkpoint", worst)
	}
	if s.ckpt.tries.Load() < 3 {
		t.Fatal("the WAL did not pass its cap: the test tried no RESTART")
	}
	t.Logf("worst commit %s", worst)
}
