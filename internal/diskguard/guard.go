// Package diskguard watches the free space of the file system the store
// lives on. Below a floor the gateway takes no new work (devices are not
// read, commands are refused) so that SQLite never meets a full disk in the
// middle of a commit and there is still room for the alert, the replies
// and the acknowledgements; above the floor plus a margin it goes on by
// itself.
package diskguard

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// ErrLow is the error of a write refused for want of space.
var ErrLow = errors.New("disk almost full")

// Guard tells whether the store's file system has room for new work.
type Guard struct {
	dir    string
	floor  uint64 // below: low
	resume uint64 // at or above, once low: not low again
	every  time.Duration
	free   func(dir string) (uint64, error)
	now    func() time.Time

	mu      sync.Mutex
	checked time.Time
	avail   uint64
	low     bool
	err     error // a statfs failure: reported, never blocking
}

// New watches dir with a floor of floorBytes; it resumes once a margin of
// a quarter of the floor (at least 8 MiB) is free above it, so a disk
// hovering at the floor does not flap.
func New(dir string, floorBytes uint64) *Guard {
	margin := max(floorBytes/4, 8<<20)
	return &Guard{dir: dir, floor: floorBytes, resume: floorBytes + margin, every: 500 * time.Millisecond, free: statfsFree, now: time.Now}
}

// statfsFree is the space an unprivileged process may still use (f_bavail:
// the root reserve does not count, the daemon does not run as root).
func statfsFree(dir string) (uint64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, fmt.Errorf("statfs %s: %w", dir, err)
	}
	return st.Bavail * uint64(st.Bsize), nil
}

// Check reads the free space (at most every half second) and says whether
// it is low.
func (g *Guard) Check() (free uint64, low bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	if !g.checked.IsZero() && now.Sub(g.checked) < g.every {
		return g.avail, g.low
	}
	g.checked = now
	avail, err := g.free(g.dir)
	if err != nil {
		// Not knowing is not full: the write goes on, and SQLite's own
		// SQLITE_FULL still protects the file.
		g.err = err
		return g.avail, g.low
	}
	g.avail, g.err = avail, nil
	switch {
	case !g.low && avail < g.floor:
		g.low = true
	case g.low && avail >= g.resume:
		g.low = false
	}
	return g.avail, g.low
}

// Err is nil while there is room; else an error that says what is wrong,
// where, and what to do. It is the store's write gate.
func (g *Guard) Err() error {
	free, low := g.Check()
	if !low {
		return nil
	}
	return fmt.Errorf("%w: %s free in %s, below store.min_free_mb (%s): the gateway takes no new work until space is freed (old backups, logs, other files on that disk); it goes on by itself above %s",
		ErrLow, MB(free), g.dir, MB(g.floor), MB(g.resume))
}

// Floor and Resume are the thresholds in bytes.
func (g *Guard) Floor() uint64  { return g.floor }
func (g *Guard) Resume() uint64 { return g.resume }

// MB shows a byte count in MiB for people.
func MB(b uint64) string { return fmt.Sprintf("%.1f MB", float64(b)/(1<<20)) }
