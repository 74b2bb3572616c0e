package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// A checkpoint copies the WAL's pages back into the database file. SQLite
// runs one by default inside the commit that takes the WAL past 1,000
// pages (wal_autocheckpoint, https://sqlite.org/wal.html#automatic_checkpoint):
// that commit then writes ~4 MB and fsyncs the database file before it
// returns, so about one SMDR read in a hundred waited several milliseconds
// for it (the p99 of the pty -> MQTT latency). The writer turns that off and
// this checkpointer runs PASSIVE checkpoints on a connection of its own: a
// passive checkpoint never waits for, nor blocks, the writer or a reader
// (sqlite3_wal_checkpoint_v2), and the writer restarts the WAL from its
// beginning once a checkpoint caught up and no reader holds an old snapshot.
//
// A passive checkpoint cannot restart a WAL the writer keeps adding to: under
// a long burst the WAL would grow for as long as the burst lasts. Past
// walCap the checkpointer runs a RESTART checkpoint, which waits for the
// writer's transaction to end and holds the next one back while it copies
// what is left: a stall of one checkpoint every walCap of writes (SQLite's
// own automatic checkpoint stalls one commit every 4 MB). It waits for
// readers at most restartWait: one holding an old snapshot (a long report)
// would otherwise keep writers back for the whole busy_timeout.
type checkpointer struct {
	db     *sql.DB
	walCap int64
	// frameBytes is one WAL frame: a page and its 24-byte header
	// (https://sqlite.org/fileformat2.html#walformat).
	frameBytes int64
	every      time.Duration
	kick       chan struct{}
	stop       chan struct{}
	done       sync.WaitGroup
	mu         sync.Mutex
	commits    int          // since the last checkpoint
	runs       atomic.Int64 // checkpoints run (tests)
	resets     atomic.Int64 // RESTART checkpoints run (tests)
	tries      atomic.Int64 // and tried
	closing    sync.Once
}

// walCap is how large the WAL may grow before a checkpoint makes the
// writer wait for it: more than a PBX's whole buffer replayed (Avaya keeps
// 3,000 records, about 75 MB of WAL), so a burst a hotel can produce never
// stalls; a cap of 32 MB stalled the 10,000-call benchmark's commits eight
// times (p99 17 ms instead of 7).
const walCap = 1 << 30

// checkpointCommits is how many commits make the checkpointer run at once.
// Small and often rather than large and seldom: a checkpoint's copy and its
// fsync of the database file slow the writer's own WAL fsync while they
// last (the same disk), and one every 100 commits (about 1,800 pages, 4-12
// ms, up to 20) was what 2 % of the SMDR benchmark's commits overlapped:
// their p99 was 8.5-11.7 ms against 1.5-1.9 ms for the rest. Every 5
// commits (about 90 pages, 1.5 ms) the overlapping commits' p99 is about 2
// ms, and the pty -> MQTT p99 went from 5.8-6.5 to 3.8-4.1 ms (store
// migration 14 and the cancel-free statements in both); a replay of 3,000
// records is 4 % slower (more of the same pages copied twice).
const checkpointCommits = 5

// checkpointEvery bounds how long committed pages wait for a checkpoint
// while little is written: the WAL (and the time a crash recovery reads it)
// stays small.
const checkpointEvery = 2 * time.Second

func startCheckpointer(path string) (*checkpointer, error) {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	// The checkpoint's own sync of the database file: FULL, as the writer.
	q.Add("_pragma", "synchronous(FULL)")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("store: open checkpointer %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	var page int64
	if err := db.QueryRow("PRAGMA page_size").Scan(&page); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open checkpointer %s: %w", path, err)
	}
	c := &checkpointer{db: db, walCap: walCap, frameBytes: page + 24, every: checkpointEvery, kick: make(chan struct{}, 1), stop: make(chan struct{})}
	c.done.Add(1)
	go c.run()
	return c, nil
}

// committed tells the checkpointer that the writer committed.
func (c *checkpointer) committed() {
	c.mu.Lock()
	c.commits++
	due := c.commits >= checkpointCommits
	c.mu.Unlock()
	if due {
		select {
		case c.kick <- struct{}{}:
		default:
		}
	}
}

func (c *checkpointer) run() {
	defer c.done.Done()
	t := time.NewTicker(c.every)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-c.kick:
		case <-t.C:
		}
		c.mu.Lock()
		n := c.commits
		c.commits = 0
		c.mu.Unlock()
		if n == 0 {
			continue // nothing written: an idle gateway stays idle
		}
		// An error (a busy database at shutdown) is retried at the next
		// turn; nothing depends on one checkpoint.
		var busy, frames, copied int64
		if err := c.db.QueryRowContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &copied); err != nil {
			continue
		}
		c.runs.Add(1)
		// frames is what the WAL holds since the writer last started it
		// over (https://sqlite.org/pragma.html#pragma_wal_checkpoint), not
		// the file's size: the file stays at its largest, so once past the
		// cap every later turn would have restarted it.
		if frames*c.frameBytes > c.walCap {
			c.restart()
		}
	}
}

// restart runs a RESTART checkpoint, waiting at most restartWait for the
// writer and the readers: while it waits it holds new writers back, and
// the writer's own busy_timeout is 10 s, so a long report query on a
// reader must not make a commit fail. Given up, it is tried at the next
// turn.
func (c *checkpointer) restart() {
	c.tries.Add(1)
	ctx := context.Background()
	conn, err := c.db.Conn(ctx)
	if err != nil {
		return
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA busy_timeout=%d", restartWait.Milliseconds())); err != nil {
		return
	}
	defer conn.ExecContext(ctx, "PRAGMA busy_timeout=10000")
	// The first column is 1 when the checkpoint could not finish.
	var busy, frames, copied int64
	if err := conn.QueryRowContext(ctx, "PRAGMA wal_checkpoint(RESTART)").Scan(&busy, &frames, &copied); err == nil && busy == 0 {
		c.resets.Add(1)
	}
}

// restartWait bounds how long a RESTART checkpoint holds writers back.
const restartWait = 250 * time.Millisecond

// close stops the checkpointer; a second call (a store closed twice)
// does nothing.
func (c *checkpointer) close() error {
	var err error
	c.closing.Do(func() {
		close(c.stop)
		c.done.Wait()
		err = c.db.Close()
	})
	return err
}
