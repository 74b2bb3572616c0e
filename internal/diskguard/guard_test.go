package diskguard

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// The guard turns low below the floor, stays low until the margin above
// it is free, reads the file system at most every half second, and does
// not block on a failed statfs.
func TestGuardThresholds(t *testing.T) {
	var free uint64
	var fail error
	reads := 0
	clock := time.Date(2026, 12, 4, 3, 0, 0, 0, time.UTC)
	g := New("/var/lib/switchboard", 64<<20)
	g.free = func(string) (uint64, error) { reads++; return free, fail }
	g.now = func() time.Time { return clock }
	step := func(f uint64) bool {
		free = f
		clock = clock.Add(time.Second)
		_, low := g.Check()
		return low
	}
	cases := []struct {
		free uint64
		low  bool
	}{
		{200 << 20, false},
		{65 << 20, false},
		{63 << 20, true},  // below the floor
		{70 << 20, true},  // above the floor, under the margin (16 MB)
		{80 << 20, false}, // floor + margin
		{63 << 20, true},
	}
	for i, c := range cases {
		if got := step(c.free); got != c.low {
			t.Fatalf("step %d: %d MB free: low = %v, want %v", i, c.free>>20, got, c.low)
		}
	}
	err := g.Err()
	if !errors.Is(err, ErrLow) || !strings.Contains(err.Error(), "63.0 MB free in /var/lib/switchboard") || !strings.Contains(err.Error(), "store.min_free_mb (64.0 MB)") {
		t.Fatalf("Err = %v", err)
	}
	n := reads
	g.Check()
	g.Check()
	if reads != n {
		t.Fatalf("statfs read %d times within half a second", reads-n)
	}
	fail = errors.New("EIO")
	free = 0
	clock = clock.Add(time.Second)
	if _, low := g.Check(); !low {
		t.Fatal("a failed statfs changed the state")
	}
}

// The real file system answers.
func TestStatfs(t *testing.T) {
	free, err := statfsFree(t.TempDir())
	if err != nil || free == 0 {
		t.Fatalf("statfs: %d %v", free, err)
	}
}
