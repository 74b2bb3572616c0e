package retention

import (
	"context"
	"sync"
	"testing"
	"time"
)

func TestScheduleNext(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	at := func(loc *time.Location, s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		name      string
		loc       *time.Location
		hour, min int
		now, last string // site wall clock; last "" = never ran
		want      string
	}{
		{"first start runs at once", shanghai, 3, 30, "2026-03-10 14:00", "", "2026-03-10 14:00"},
		{"last run over a day ago: at once", shanghai, 3, 30, "2026-03-10 14:00", "2026-03-09 03:30", "2026-03-10 14:00"},
		{"ran last night: tonight", shanghai, 3, 30, "2026-03-10 14:00", "2026-03-10 03:30", "2026-03-11 03:30"},
		{"before the hour, ran yesterday: today", shanghai, 3, 30, "2026-03-10 01:00", "2026-03-09 03:30", "2026-03-10 03:30"},
		{"catch-up at 01:00: not again at 03:30", shanghai, 3, 30, "2026-03-10 01:05", "2026-03-10 01:00", "2026-03-11 03:30"},
		{"another hour", shanghai, 1, 15, "2026-03-10 14:00", "2026-03-10 01:15", "2026-03-11 01:15"},
		// 2026-03-29 02:00 in Paris is 03:00 (CEST): a 02:30 run moves
		// past the gap, once.
		{"spring forward", paris, 2, 30, "2026-03-28 14:00", "2026-03-28 02:30", "2026-03-29 03:30"},
		{"fall back", paris, 2, 30, "2026-10-24 14:00", "2026-10-24 02:30", "2026-10-25 02:30"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := Schedule{Hour: tc.hour, Minute: tc.min, Loc: tc.loc}
			var last time.Time
			if tc.last != "" {
				last = at(tc.loc, tc.last)
			}
			got := s.Next(at(tc.loc, tc.now), last)
			if want := at(tc.loc, tc.want); !got.Equal(want) {
				t.Errorf("next %s, want %s", got.In(tc.loc), want)
			}
		})
	}
}

// fakeClock is a clock that jumps to whatever a timer waits for.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	waits  []time.Time // where each timer took the clock
	stop   int         // cancel after this many timers
	cancel func()
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.waits = append(c.waits, c.now)
	ch := make(chan time.Time, 1)
	if len(c.waits) > c.stop {
		c.cancel()
		return ch // never fires: the loop ends on ctx
	}
	ch <- c.now
	return ch
}

// TestScheduleRun: with an injected clock, the job runs at start (no run
// recorded), then every night at 03:30 in the site's zone, and records
// each run in the store.
func TestScheduleRun(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st := openStore(t)
	start := time.Date(2026, 3, 10, 14, 7, 0, 0, shanghai)
	clock := &fakeClock{now: start, stop: 3, cancel: cancel}
	s := Schedule{Job: Job{Store: st, RetentionDays: 400, Now: clock.Now}, Hour: 3, Minute: 30, Loc: shanghai, After: clock.After}
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("schedule did not stop")
	}
	want := []time.Time{
		time.Date(2026, 3, 11, 3, 30, 0, 0, shanghai),
		time.Date(2026, 3, 12, 3, 30, 0, 0, shanghai),
		time.Date(2026, 3, 13, 3, 30, 0, 0, shanghai),
		time.Date(2026, 3, 14, 3, 30, 0, 0, shanghai), // the wait cancelled
	}
	if len(clock.waits) != len(want) {
		t.Fatalf("timers %v, want %v", clock.waits, want)
	}
	for i := range want {
		if !clock.waits[i].Equal(want[i]) {
			t.Errorf("timer %d woke at %s, want %s", i, clock.waits[i].In(shanghai), want[i])
		}
	}
	l, ok, err := LastResult(context.Background(), st)
	if err != nil || !ok || !l.OK || !l.At.Equal(want[2]) {
		t.Errorf("last run %+v (ok %v, err %v), want a successful run at %s", l, ok, err, want[2])
	}
}
