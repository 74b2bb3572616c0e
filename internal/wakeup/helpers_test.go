package wakeup

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"switchboard/internal/events/hotel"
	"switchboard/internal/store"
)

func zone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// fixture is a schedule on a store in a temp folder; reopen simulates a
// restart of the gateway.
type fixture struct {
	t    testing.TB
	path string
	st   *store.Store
	s    *Schedule
	loc  *time.Location
}

func newFixture(t testing.TB, zoneName string, cfg Config) *fixture {
	t.Helper()
	f := &fixture{t: t, path: filepath.Join(t.TempDir(), "sb.db"), loc: zone(t, zoneName)}
	cfg.Location = f.loc
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	f.s = s
	f.open()
	t.Cleanup(func() {
		if f.st != nil {
			f.st.Close()
		}
	})
	return f
}

func (f *fixture) open() {
	f.t.Helper()
	st, err := store.Open(context.Background(), f.path)
	if err != nil {
		f.t.Fatal(err)
	}
	f.st = st
}

func (f *fixture) reopen() {
	f.t.Helper()
	if err := f.st.Close(); err != nil {
		f.t.Fatal(err)
	}
	f.st = nil
	f.open()
}

// at is a wall time at the site; it fails on a DST day's odd times, which
// tests build with Resolve instead.
func (f *fixture) at(date, clock string) time.Time {
	f.t.Helper()
	d, c := mustDate(f.t, date), mustClock(f.t, clock)
	t, res := Resolve(d, c, f.loc)
	if res != Exact {
		f.t.Fatalf("%s %s is %s in %s", date, clock, res, f.loc)
	}
	return t
}

func (f *fixture) tx(fn func(tx *store.Tx) error) {
	f.t.Helper()
	if err := f.st.InTx(context.Background(), fn); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) set(req Request, now time.Time) (Wakeup, []Action) {
	f.t.Helper()
	var w Wakeup
	var acts []Action
	f.tx(func(tx *store.Tx) (err error) {
		w, acts, err = f.s.Set(tx, req, now)
		return err
	})
	return w, acts
}

// setAcked sets a wake-up and has the PBX acknowledge it.
func (f *fixture) setAcked(req Request, now time.Time) Wakeup {
	f.t.Helper()
	w, acts := f.set(req, now)
	for _, a := range acts {
		if s, ok := a.(SendToPBX); ok {
			f.ack(s.Ref, true, now)
		}
	}
	return f.get(w.ID)
}

func (f *fixture) ack(ref string, ok bool, now time.Time) []Action {
	f.t.Helper()
	var acts []Action
	f.tx(func(tx *store.Tx) (err error) {
		acts, err = f.s.Acked(tx, hotel.CommandAck{Ref: ref, OK: ok, Reason: map[bool]string{false: "AS=UR"}[ok]}, now)
		return err
	})
	return acts
}

func (f *fixture) result(room string, echo time.Time, st hotel.WakeupStatus, now time.Time) (Transition, []Action) {
	f.t.Helper()
	var tr Transition
	var acts []Action
	f.tx(func(tx *store.Tx) (err error) {
		tr, acts, err = f.s.Result(tx, hotel.WakeupResult{Room: hotel.Room(room), At: echo, Status: st}, now)
		return err
	})
	return tr, acts
}

func (f *fixture) due(now time.Time) []Action {
	f.t.Helper()
	var acts []Action
	f.tx(func(tx *store.Tx) (err error) {
		acts, err = f.s.Due(tx, now)
		return err
	})
	return acts
}

func (f *fixture) get(id int64) Wakeup {
	f.t.Helper()
	w, err := f.s.Get(context.Background(), f.st, id)
	if err != nil {
		f.t.Fatal(err)
	}
	return w
}

func (f *fixture) day(date string) []Wakeup {
	f.t.Helper()
	ws, err := f.s.ListDay(context.Background(), f.st, mustDate(f.t, date))
	if err != nil {
		f.t.Fatal(err)
	}
	return ws
}

func mustDate(t testing.TB, s string) Date {
	t.Helper()
	d, err := ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func mustClock(t testing.TB, s string) Clock {
	t.Helper()
	c, err := ParseClock(s)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func req(t testing.TB, room, date, clock string) Request {
	return Request{Room: hotel.Room(room), Date: mustDate(t, date), Clock: mustClock(t, clock), By: ByGuest, Operator: "07"}
}

// kinds renders actions compactly for comparisons:
// "send 1203 07:00", "cancel 1203 07:00", "publish answered 1203", "preflight 2026-05-04 [1203 1204]".
func kinds(loc *time.Location, acts []Action) []string {
	var out []string
	for _, a := range acts {
		switch a := a.(type) {
		case SendToPBX:
			out = append(out, "send "+string(a.Room)+" "+a.At.In(loc).Format("01-02 15:04"))
		case CancelAtPBX:
			out = append(out, "cancel "+string(a.Room)+" "+a.At.In(loc).Format("01-02 15:04"))
		case Publish:
			s := "publish " + string(a.Notice) + " " + string(a.Room)
			if a.Notice == NoticeUnanswered {
				s += " " + a.Reason
				if a.Retry {
					s += " retry"
				}
			}
			out = append(out, s)
		case Preflight:
			s := "preflight " + a.Date.String() + " ["
			for i, r := range a.Rooms {
				if i > 0 {
					s += " "
				}
				s += string(r)
			}
			out = append(out, s+"]")
		}
	}
	return out
}

func sameStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func wantActs(t testing.TB, loc *time.Location, what string, got []Action, want ...string) {
	t.Helper()
	if g := kinds(loc, got); !sameStrings(g, want) {
		t.Errorf("%s: actions\n got %q\nwant %q", what, g, want)
	}
}

func isErr(err, target error) bool { return errors.Is(err, target) }
