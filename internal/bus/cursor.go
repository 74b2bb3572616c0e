package bus

import "time"

// Cursor is a consumer's view of the gateway's event seqs, as
// docs/events.md asks a back office to keep it: it acknowledges only the
// highest seq up to which it has every event, never a seq beyond a gap,
// and names the first missing seq of a gap that lasted, for a replay
// ({"from": N}). An event sent again (a redelivery, a replay) is seen
// once. `switchboard tail --ack` uses it; so can any Go consumer.
type Cursor struct {
	epoch    string
	acked    int64          // highest seq with every seq before it seen
	ahead    map[int64]bool // seen above acked
	gapSince time.Time      // when the oldest gap was first seen
}

// See records an event (its seqepoch and seq) and returns the seq to
// acknowledge now, 0 when the acknowledged seq did not move. The first
// event of an epoch starts the cursor just before it: the gateway sends
// from its acknowledged seq on, so what came before was consumed.
func (c *Cursor) See(epoch string, seq int64, now time.Time) int64 {
	if seq <= 0 {
		return 0
	}
	if epoch != c.epoch {
		*c = Cursor{epoch: epoch, acked: seq - 1, ahead: map[int64]bool{}}
	}
	if seq <= c.acked || c.ahead[seq] {
		return 0
	}
	c.ahead[seq] = true
	moved := false
	for c.ahead[c.acked+1] {
		delete(c.ahead, c.acked+1)
		c.acked++
		moved = true
	}
	switch {
	case len(c.ahead) == 0:
		c.gapSince = time.Time{}
	case moved || c.gapSince.IsZero():
		c.gapSince = now
	}
	if moved {
		return c.acked
	}
	return 0
}

// Gap is the first missing seq when events after it have waited longer
// than wait for it (0: no such gap); the wait starts again, so a replay is
// asked for at most once a wait.
func (c *Cursor) Gap(now time.Time, wait time.Duration) int64 {
	if len(c.ahead) == 0 || c.gapSince.IsZero() || now.Sub(c.gapSince) < wait {
		return 0
	}
	c.gapSince = now
	return c.acked + 1
}

// Epoch is the seqepoch the cursor follows.
func (c *Cursor) Epoch() string { return c.epoch }
