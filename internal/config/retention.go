package config

import "time"

// DefaultRetentionAt is the site's wall-clock time of the nightly retention
// run: the quiet hour of a hotel's night, after the night audit.
const DefaultRetentionAt = "03:30"

// DefaultMinFreeMB is the free space kept on the store's disk: room for
// the alert, the replies and the acknowledgements once the gateway stops
// taking work, and for SQLite's WAL of the writes under way.
const DefaultMinFreeMB = 64

// MinFreeBytes is store.min_free_mb (or its default) in bytes.
func (s Store) MinFreeBytes() uint64 {
	if s.MinFreeMB <= 0 {
		return DefaultMinFreeMB << 20
	}
	return uint64(s.MinFreeMB) << 20
}

// RetentionClock is store.retention_at (or its default) as an hour and a
// minute of the site's wall clock.
func (s Store) RetentionClock() (hour, minute int) {
	t, err := parseClock(s.RetentionAt)
	if err != nil {
		t, _ = parseClock(DefaultRetentionAt)
	}
	return t.Hour(), t.Minute()
}

func parseClock(v string) (time.Time, error) {
	if v == "" {
		v = DefaultRetentionAt
	}
	return time.Parse("15:04", v)
}

func (c *checker) retention(s Store) {
	if _, err := parseClock(s.RetentionAt); err != nil {
		c.add("store.retention_at", "%q is not a time of day: write HH:MM in the site's zone, e.g. %s", s.RetentionAt, DefaultRetentionAt)
	}
	if s.MinFreeMB < 0 {
		c.add("store.min_free_mb", "%d is negative (MiB kept free on the store's disk; 0 takes the default, %d)", s.MinFreeMB, DefaultMinFreeMB)
	}
	if s.MaskDialedAfterDays < 0 {
		c.add("store.mask_dialed_after_days", "%d is negative (days before stored dialed numbers are masked; 0 never masks them)", s.MaskDialedAfterDays)
	}
}
