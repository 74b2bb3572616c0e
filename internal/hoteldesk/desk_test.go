package hoteldesk

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/internal/desk"
	"switchboard/internal/desk/desktest"
	"switchboard/internal/events/hotel"
	"switchboard/internal/folio"
	"switchboard/internal/folio/stays"
	"switchboard/internal/wakeup"
)

// fakeLink is a PBX's hotel interface that takes every command while it is
// up and records what it was sent, in order.
type fakeLink struct {
	caps hotel.Capabilities

	mu   sync.Mutex
	up   bool
	sent []string
	src  hotel.StateSource
}

func (l *fakeLink) Send(_ context.Context, cmd hotel.Command) (hotel.CommandAck, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.up {
		return hotel.CommandAck{Ref: cmd.Reference(), Reason: "link down"}, fmt.Errorf("fake link: %w", hotel.ErrLinkDown)
	}
	l.sent = append(l.sent, describe(cmd))
	return hotel.CommandAck{Ref: cmd.Reference(), OK: true}, nil
}

func (l *fakeLink) LinkUp() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.up
}

func (l *fakeLink) Capabilities() hotel.Capabilities   { return l.caps }
func (l *fakeLink) SetStateSource(s hotel.StateSource) { l.mu.Lock(); l.src = s; l.mu.Unlock() }
func (l *fakeLink) SetClock(func() time.Time)          {}
func (l *fakeLink) setUp(up bool)                      { l.mu.Lock(); l.up = up; l.mu.Unlock() }

// snapshot is the front office's state as the desk gives it for a resync.
func (l *fakeLink) snapshot(t *testing.T) hotel.Snapshot {
	t.Helper()
	l.mu.Lock()
	src := l.src
	l.mu.Unlock()
	s, err := src.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// got is what the PBX was sent so far.
func (l *fakeLink) got() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.sent...)
}

// describe names a command as the PBX would see it: kind and room.
func describe(cmd hotel.Command) string {
	switch c := cmd.(type) {
	case hotel.CheckIn:
		return "checkin " + string(c.Room)
	case hotel.CheckOut:
		return "checkout " + string(c.Room)
	case hotel.WakeupSet:
		return "wakeup " + string(c.Room) + " " + c.At.Format("15:04")
	case hotel.WakeupCancel:
		return "wakeup-cancel " + string(c.Room) + " " + c.At.Format("15:04")
	case hotel.DND:
		return fmt.Sprintf("dnd %s %v", c.Room, c.On)
	case hotel.MWL:
		return fmt.Sprintf("mwl %s %v", c.Room, c.On)
	case hotel.SetCOS:
		return fmt.Sprintf("cos %s %s", c.Room, c.COS)
	}
	return fmt.Sprintf("%T", cmd)
}

// rig is a hotel desk on a test host with one hotel link, pbx1 (FIAS-like:
// commands and dated wake-ups), and guest rooms 1101-1299. Its workers run.
type rig struct {
	t    *testing.T
	h    *desktest.Host
	d    *Desk
	link *fakeLink
}

func newRig(t *testing.T, withLink bool) *rig {
	t.Helper()
	fl := &fakeLink{up: true, caps: hotel.Capabilities{Profile: "fake", Commands: true, DatedWakeups: true}}
	var attach hotel.Link
	if withLink {
		attach = fl
	}
	return newRigWith(t, fl, attach, nil)
}

// newRigWith is newRig with the link it attaches as pbx1 (nil: none);
// fl is what that link records the PBX got through; tune, when set,
// changes the desk's options.
func newRigWith(t *testing.T, fl *fakeLink, attach hotel.Link, tune func(*Options)) *rig {
	t.Helper()
	withLink := attach != nil
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	h := desktest.NewHost(t, time.Date(2026, 11, 27, 22, 0, 0, 0, loc))
	bl := desktest.Biller(t, "1101", "1299")
	o := Options{Billing: func() *folio.Biller { return bl }, RetryWait: 5 * time.Millisecond,
		RoomStateQuiet: time.Millisecond, RoomStateDelay: 5 * time.Millisecond}
	r := &rig{t: t, h: h, link: fl}
	pbx1 := desk.Device{ID: "pbx1", Driver: "hotelink", Profile: "fake", Domain: "pbx", Options: map[string]any{}}
	if withLink {
		o.Links = []desk.Device{pbx1}
	}
	if tune != nil {
		tune(&o)
	}
	if r.d, err = New(h, o); err != nil {
		t.Fatal(err)
	}
	if withLink {
		if ok, err := r.d.AttachDevice(pbx1, attach); !ok || err != nil {
			t.Fatalf("attach: %v %v", ok, err)
		}
	}
	h.Start(t)
	return r
}

// run runs a command (edge for folio.*, pbx1 for the others) and fails the
// test on an error.
func (r *rig) run(name string, data any) map[string]any {
	r.t.Helper()
	domain, device := "pbx", "pbx1"
	if strings.HasPrefix(name, "folio.") {
		domain, device = "edge", ""
	}
	res, err := r.h.Run(r.t, r.h.Command(r.t, domain, device, name, data))
	if err != nil {
		r.t.Fatalf("%s: %v", name, err)
	}
	m, _ := res.(map[string]any)
	return m
}

// room is the room's state as the desk keeps it.
func (r *rig) room(room string) hotel.RoomState {
	r.t.Helper()
	rs, err := r.d.RoomState(context.Background(), room)
	if err != nil {
		r.t.Fatal(err)
	}
	return rs
}

// pending are the room's wake-ups still to ring.
func (r *rig) pending(room string) []wakeup.Wakeup {
	r.t.Helper()
	all, err := r.d.Schedule().Pending(context.Background(), r.h.Store(), r.h.Now())
	if err != nil {
		r.t.Fatal(err)
	}
	var out []wakeup.Wakeup
	for _, w := range all {
		if string(w.Room) == room {
			out = append(out, w)
		}
	}
	return out
}

// waitFor polls cond (the desk's worker acts once a transaction committed).
func (r *rig) waitFor(what string, cond func() bool) {
	r.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			r.t.Fatalf("timed out waiting for %s (the PBX got %q)", what, r.link.got())
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// held waits until the PBX's acknowledgement of the wake-up is recorded.
func (r *rig) held(id int64) {
	r.t.Helper()
	r.waitFor("the wake-up held at the PBX", func() bool {
		w, err := r.d.Schedule().Get(context.Background(), r.h.Store(), id)
		return err == nil && w.PBX == wakeup.PBXHeld
	})
}

func (r *rig) openStay(room string) *stays.Stay {
	r.t.Helper()
	s, err := stays.Current(context.Background(), r.h.Store(), room)
	if err != nil {
		r.t.Fatal(err)
	}
	return s
}
