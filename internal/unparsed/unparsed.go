// Package unparsed decides what the back office hears of a device's
// unreadable frames. Every byte stays in the journal; what is published is
// bounded: the first few unreadable frames of each minute one by one (an
// engineer fixing a profile wants to see them), then one summary per device
// per minute (how many, which journal ids, a sample). Line noise on an
// SMDR port (a wrong baud rate, a cable picking up a motor) can make tens
// of thousands of frames a minute; published one by one, they would bury
// the calls in the outbox and grow the database many times over.
//
// It also watches the share of unreadable frames (Rate): a burst of them is
// almost always a wrong baud rate or parity, or the wrong profile, and the
// front desk gets an alert saying so.
package unparsed

import (
	"context"
	"fmt"
	"time"

	"switchboard/internal/events"
)

// Defaults of a Coalescer.
const (
	DefaultFirst  = 5
	DefaultWindow = time.Minute
)

// Coalescer sums up a device's unreadable frames beyond the first few of
// each window. Its zero value uses the defaults. It is a value: a caller
// whose transaction is retried restores a copy taken before.
type Coalescer struct {
	First  int           // published one by one per window
	Window time.Duration // a summary covers at most this long

	start     time.Time // the current window's start; zero: none yet
	published int       // frames published one by one in it
	held      Summary   // frames held back in it
}

// Summary is the unreadable frames of a window that were not published one
// by one.
type Summary struct {
	Count          int
	FirstID        int64 // journal ids
	LastID         int64
	From, To       time.Time // first and last frame's arrival
	SampleID       int64     // the first one held back
	SampleReason   string
	WindowStart    time.Time
	WindowDuration time.Duration
}

func (c *Coalescer) defaults() {
	if c.First <= 0 {
		c.First = DefaultFirst
	}
	if c.Window <= 0 {
		c.Window = DefaultWindow
	}
}

// Observe counts an unreadable frame (journal id, why, when it arrived).
// publish says whether it is published on its own; due is the summary of
// the previous window when this frame opened a new one (Count 0: none).
func (c *Coalescer) Observe(id int64, reason string, at time.Time) (publish bool, due Summary) {
	c.defaults()
	if c.start.IsZero() || !at.Before(c.start.Add(c.Window)) {
		due = c.close()
		c.start = at
	}
	if c.published < c.First {
		c.published++
		return true, due
	}
	h := &c.held
	if h.Count == 0 {
		h.FirstID, h.From, h.SampleID, h.SampleReason = id, at, id, reason
	}
	h.Count++
	h.LastID, h.To = id, at
	return false, due
}

// Due is the summary of the current window once it is over at now (Count
// 0: nothing held, or the window still open). A caller that publishes it
// calls Due again only after a new frame.
func (c *Coalescer) Due(now time.Time) Summary {
	c.defaults()
	if c.start.IsZero() || now.Before(c.start.Add(c.Window)) {
		return Summary{}
	}
	s := c.close()
	c.start = time.Time{}
	return s
}

// Sweep calls flush every few seconds, at least twice a window (a minute
// of noise that no later frame closes is summed up by it), until ctx ends.
func Sweep(ctx context.Context, window time.Duration, flush func()) {
	every := 5 * time.Second
	if window > 0 && window/2 < every {
		every = window / 2
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			flush()
		}
	}
}

func (c *Coalescer) close() Summary {
	s := c.held
	s.WindowStart, s.WindowDuration = c.start, c.Window
	c.held, c.published = Summary{}, 0
	if s.Count == 0 {
		return Summary{}
	}
	return s
}

// Event is the summary as the data of {domain}.smdr.unparsed (or
// frame.unparsed): the sample's raw bytes are the caller's (from the
// journal).
func (s Summary) Event(device, profile string, raw []byte, loc *time.Location) events.Unparsed {
	u := events.Unparsed{Device: device, Profile: profile, JournalID: s.SampleID, Received: s.From.In(loc), Reason: s.SampleReason,
		Count: s.Count, FirstJournalID: s.FirstID, LastJournalID: s.LastID, Last: s.To.In(loc),
		Action: fmt.Sprintf("%d more unreadable frames in %s (journal %d to %d), this one a sample; all kept in the journal: check the port settings and the profile, then `switchboard reprocess --since ...`",
			s.Count, s.WindowDuration, s.FirstID, s.LastID)}
	events.SetRaw(&u, raw)
	return u
}
