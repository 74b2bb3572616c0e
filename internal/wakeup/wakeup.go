// Package wakeup is the gateway's durable wake-up schedule and its state
// machine. It records each wake-up as the front office's manual asks (叫醒服務:
// date, room, time, time of recording, operator's number), keeps one
// wake-up still to ring per room and day in the store, and turns PBX results and the
// passing of time into typed actions (SendToPBX, CancelAtPBX, Publish,
// Preflight) that the gateway turns into hotel-link commands and events. It
// does no I/O besides the store, and takes "now" from its caller so tests
// drive it with a fake clock.
package wakeup

import (
	"errors"
	"fmt"
	"time"

	"switchboard/internal/events/hotel"
)

// Status is where a wake-up stands.
type Status string

const (
	Pending    Status = "pending"    // recorded; the PBX has not confirmed it holds it
	Sent       Status = "sent"       // the PBX acknowledged it (sent-to-pbx)
	Ringing    Status = "ringing"    // its time has come; awaiting the PBX's result
	Retrying   Status = "retrying"   // an attempt was unanswered (or the PBX retries); another call is armed
	Answered   Status = "answered"   // the guest answered
	Unanswered Status = "unanswered" // last attempt busy or no answer, not escalated (Config.NoEscalation)
	Escalated  Status = "escalated"  // last attempt unanswered; housekeeping was told
	Cancelled  Status = "cancelled"  // cancelled, replaced, checked out, or deleted at the PBX
	Failed     Status = "failed"     // the PBX refused or could not process it
)

// Active reports whether the wake-up is still to be rung or awaits a result.
func (s Status) Active() bool {
	switch s {
	case Pending, Sent, Ringing, Retrying:
		return true
	}
	return false
}

// activeSQL lists the active statuses for queries; it must match Active.
// openSQL lists those of a wake-up whose call is not made yet; it must
// match the partial unique index of migration 3 (one per room and day).
// aheadSQL lists those of a wake-up the PBX is still to ring (Pending).
const (
	activeSQL = `('pending','sent','ringing','retrying')`
	openSQL   = `('pending','sent')`
	aheadSQL  = `('pending','sent','retrying')`
)

// PBXState is what the PBX has confirmed about the wake-up it should hold.
type PBXState string

const (
	PBXUnsent     PBXState = "unsent"     // nothing sent yet (set on the room phone: see Request.FromPBX)
	PBXSending    PBXState = "sending"    // a SendToPBX was issued; no acknowledgement yet
	PBXHeld       PBXState = "held"       // the PBX acknowledged the set
	PBXRefused    PBXState = "refused"    // the PBX refused the set
	PBXCancelling PBXState = "cancelling" // a CancelAtPBX was issued
	PBXCancelled  PBXState = "cancelled"  // the PBX confirmed the cancel, or deleted it itself
)

// Requester is who asked for the wake-up.
type Requester string

const (
	ByGuest     Requester = "guest"      // the guest asked the operator (the operator records it)
	ByOperator  Requester = "operator"   // the front office set it (group, VIP, manager's request)
	ByRoomPhone Requester = "room-phone" // the guest dialed it on the room phone; the PBX already holds it
)

// Resolution says how a wall-clock time was turned into an instant.
type Resolution string

const (
	Exact    Resolution = "exact"    // the wall time occurs once
	Skipped  Resolution = "skipped"  // the wall time does not exist (clocks go forward): rung when the clock jumps
	Repeated Resolution = "repeated" // the wall time occurs twice (clocks go back): rung the first time
)

// Errors Set and the other calls return.
var (
	ErrPast     = errors.New("wakeup: time is in the past")
	ErrRequest  = errors.New("wakeup: invalid request")
	ErrNotFound = errors.New("wakeup: no such wake-up")
)

// Date is a calendar day at the site.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// ParseDate reads YYYY-MM-DD.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("%w: date %q is not YYYY-MM-DD", ErrRequest, s)
	}
	return DateOf(t), nil
}

// DateOf is the wall date of t in t's own location.
func DateOf(t time.Time) Date { return Date{t.Year(), t.Month(), t.Day()} }

// IsZero reports whether d is the zero Date.
func (d Date) IsZero() bool { return d == Date{} }

// AddDays is the date n days later (earlier if n < 0).
func (d Date) AddDays(n int) Date {
	return DateOf(time.Date(d.Year, d.Month, d.Day+n, 12, 0, 0, 0, time.UTC))
}

// Before reports whether d is an earlier day than o.
func (d Date) Before(o Date) bool { return d.String() < o.String() }

func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

func (d Date) valid() bool {
	return d.Year > 0 && d.Month >= 1 && d.Month <= 12 && d.Day >= 1 &&
		DateOf(time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC)) == d
}

// Clock is a wall-clock time of day to the minute, the resolution operators
// record and PBXs ring at.
type Clock struct {
	Hour, Minute int
}

// ParseClock reads HH:MM or HHMM.
func ParseClock(s string) (Clock, error) {
	var c Clock
	var err error
	switch len(s) {
	case 5:
		if s[2] != ':' {
			err = errors.New("bad separator")
			break
		}
		_, err = fmt.Sscanf(s, "%02d:%02d", &c.Hour, &c.Minute)
	case 4:
		_, err = fmt.Sscanf(s, "%02d%02d", &c.Hour, &c.Minute)
	default:
		err = errors.New("bad length")
	}
	if err != nil || !c.valid() {
		return Clock{}, fmt.Errorf("%w: time %q is not HH:MM", ErrRequest, s)
	}
	return c, nil
}

func (c Clock) valid() bool { return c.Hour >= 0 && c.Hour < 24 && c.Minute >= 0 && c.Minute < 60 }

func (c Clock) String() string { return fmt.Sprintf("%02d:%02d", c.Hour, c.Minute) }

// wall is the key a wake-up is matched by: the site's wall clock to the
// minute, which is what the PBX echoes (FIAS WA repeats WR's DA/TI).
func wall(d Date, c Clock) string { return d.String() + " " + c.String() }

func wallOfInstant(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("2006-01-02 15:04")
}

// Resolve turns a wall date and time at the site into an instant. A wall
// time that occurs once resolves to it (Exact). The rule for the DST days
// is "the first instant at which the site's clock reads the requested time
// or later", so a guest is never woken later than any reading of the
// request:
//   - clocks go forward (the time does not exist, e.g. 02:30 on the last
//     Sunday of March in Europe/Berlin): the instant the clock jumps, 03:00
//     local (Skipped). RFC 5545 would shift by the gap (03:30); we prefer
//     early to late;
//   - clocks go back (the time occurs twice, 02:30 on the last Sunday of
//     October in Berlin): the first occurrence, in summer time (Repeated).
//
// time.Date does not guarantee either choice and in practice differs by
// zone (Berlin's repeated 02:30 comes back in CET, New York's 01:30 in
// EDT), so the choice is made here, not left to it.
func Resolve(d Date, c Clock, loc *time.Location) (time.Time, Resolution) {
	want := time.Date(d.Year, d.Month, d.Day, c.Hour, c.Minute, 0, 0, time.UTC)
	// The offsets in force within a day and a half either side, and the
	// transitions between them.
	var offsets []int
	var bounds []time.Time
	end := want.Add(36 * time.Hour)
	for t := want.Add(-36 * time.Hour).In(loc); ; {
		_, off := t.Zone()
		seen := false
		for _, o := range offsets {
			seen = seen || o == off
		}
		if !seen {
			offsets = append(offsets, off)
		}
		_, next := t.ZoneBounds()
		if next.IsZero() || next.After(end) {
			break
		}
		bounds = append(bounds, next)
		t = next.In(loc)
	}
	var best time.Time
	n := 0
	for _, off := range offsets {
		cand := want.Add(-time.Duration(off) * time.Second).In(loc)
		if wallUTC(cand).Equal(want) {
			n++
			if best.IsZero() || cand.Before(best) {
				best = cand
			}
		}
	}
	switch {
	case n == 1:
		return best, Exact
	case n > 1:
		return best, Repeated
	}
	for _, b := range bounds {
		b = b.In(loc)
		if !wallUTC(b).Before(want) && wallUTC(b.Add(-time.Second)).Before(want) {
			return b, Skipped
		}
	}
	// Not reached for tzdata zones; keep Go's normalisation as a last resort.
	return time.Date(d.Year, d.Month, d.Day, c.Hour, c.Minute, 0, 0, loc), Skipped
}

// wallUTC is t's wall clock read as if it were UTC, so wall times compare.
func wallUTC(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
}

// Wakeup is one wake-up occurrence. A daily wake-up is a series of them,
// one per day, sharing Series.
type Wakeup struct {
	ID          int64
	Series      int64 // the first occurrence's ID; ID itself for a single wake-up
	Room        hotel.Room
	Date        Date
	Clock       Clock      // as requested
	At          time.Time  // Date+Clock resolved in the site's zone
	Resolution  Resolution // how At was resolved on a DST day
	Daily       bool
	Until       Date // last day of a daily wake-up; zero: until check-out
	RequestedBy Requester
	Operator    string    // the operator's number (工號) who recorded it
	RecordedAt  time.Time // when it was recorded
	Status      Status
	Attempts    int                // calls the PBX reported for it
	LastResult  hotel.WakeupStatus // last outcome the PBX reported
	LastCode    string             // the PBX's own code for it (FIAS AS)
	ResultAt    time.Time          // when the last result arrived
	PBX         PBXState
	PBXAt       time.Time // the time the PBX should ring: At, or the retry's time
	PBXReason   string    // why the PBX refused
	Note        string    // why cancelled or failed
}

// Request is a wake-up to record.
type Request struct {
	Room  hotel.Room
	Date  Date
	Clock Clock
	Daily bool
	Until Date // daily only: last day (the departure date); zero: until check-out
	By    Requester
	// Operator is the number of the operator who took and entered the
	// request; required unless the guest dialed it on the room phone.
	Operator string
}

// Config tunes the schedule. Location is required.
type Config struct {
	Location *time.Location // the site's zone
	// RetryAfter is when a second call is made after a busy or unanswered
	// one (e.g. 5 minutes); 0 means no second attempt.
	RetryAfter time.Duration
	// Attempts is the number of calls before escalating: default 2 with a
	// RetryAfter, otherwise 1.
	Attempts int
	// NoEscalation leaves an unanswered wake-up at Unanswered without the
	// escalated notice, for back offices that escalate by themselves.
	NoEscalation bool
	// Preflight is how long before the day's first wake-up the caller is
	// asked to check the hotel link (default 30 minutes).
	Preflight time.Duration
	// Grace is how long after its time a wake-up may stay without any
	// result before it is reported at risk (default 3 minutes).
	Grace time.Duration
	// PBXRetryWindow is how long a PBX that reported "retry" has to report
	// the outcome before the wake-up is at risk (default 10 minutes).
	PBXRetryWindow time.Duration
}

// Schedule is the wake-up schedule of one site. Its methods take the store
// transaction to work in; a Schedule holds no state of its own and is safe
// for concurrent use.
type Schedule struct {
	cfg Config
	loc *time.Location
}

// New checks cfg and fills its defaults.
func New(cfg Config) (*Schedule, error) {
	if cfg.Location == nil {
		return nil, fmt.Errorf("%w: config needs the site's Location", ErrRequest)
	}
	if cfg.RetryAfter < 0 || cfg.Attempts < 0 || cfg.Preflight < 0 || cfg.Grace < 0 || cfg.PBXRetryWindow < 0 {
		return nil, fmt.Errorf("%w: negative duration or attempts in config", ErrRequest)
	}
	if cfg.Attempts == 0 {
		cfg.Attempts = 1
		if cfg.RetryAfter > 0 {
			cfg.Attempts = 2
		}
	}
	if cfg.Attempts > 1 && cfg.RetryAfter == 0 {
		return nil, fmt.Errorf("%w: %d attempts need a RetryAfter", ErrRequest, cfg.Attempts)
	}
	if cfg.Preflight == 0 {
		cfg.Preflight = 30 * time.Minute
	}
	if cfg.Grace == 0 {
		cfg.Grace = 3 * time.Minute
	}
	if cfg.PBXRetryWindow == 0 {
		cfg.PBXRetryWindow = 10 * time.Minute
	}
	return &Schedule{cfg: cfg, loc: cfg.Location}, nil
}

// Config is the effective configuration (defaults filled).
func (s *Schedule) Config() Config { return s.cfg }
