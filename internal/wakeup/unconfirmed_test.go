package wakeup

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"switchboard/internal/events/hotel"
	"switchboard/internal/store"
)

// TestUnconfirmedAndNext covers what the hotel link reads of the schedule
// besides Pending: the sets and cancels the PBX has not acknowledged, and
// the next call the PBX is to make for a room.
func TestUnconfirmedAndNext(t *testing.T) {
	f := newFixture(t, "Asia/Shanghai", Config{})
	ctx := context.Background()
	now := f.at("2026-05-04", "22:00")
	const day = "2026-05-05"
	cancel := func(room string) []Action {
		t.Helper()
		var acts []Action
		f.tx(func(tx *store.Tx) (err error) {
			_, acts, err = f.s.Cancel(tx, hotel.Room(room), 0, now)
			return err
		})
		return acts
	}

	f.set(req(t, "1203", day, "06:30"), now)      // not acknowledged
	f.setAcked(req(t, "1202", day, "06:30"), now) // held
	f.set(req(t, "1201", day, "07:00"), now)      // not acknowledged
	f.set(req(t, "1200", day, "07:00"), now)      // not acknowledged: same time, room order
	f.setAcked(req(t, "1204", day, "07:15"), now)
	cancel("1204") // held, then cancelled: the cancel is not acknowledged
	f.set(req(t, "1205", day, "07:20"), now)
	cancel("1205") // cancelled before the PBX acknowledged the set
	f.setAcked(req(t, "1206", day, "07:30"), now)
	for _, a := range cancel("1206") {
		f.ack(a.(CancelAtPBX).Ref, true, now) // the PBX confirmed the cancel
	}
	phone := req(t, "1207", day, "08:00")
	phone.By = ByRoomPhone // the PBX already holds it
	f.set(phone, now)
	_, acts := f.set(req(t, "1208", day, "08:00"), now)
	f.ack(acts[0].(SendToPBX).Ref, false, now) // refused: failed
	f.set(req(t, "1209", day, "06:00"), now)
	f.set(req(t, "1209", day, "06:45"), now) // replaces 06:00: a cancel and a set

	rooms := []string{"1200", "1201", "1202", "1203", "1204", "1205", "1206", "1207", "1208", "1209", "1299"}
	tests := []struct {
		name    string
		now     string // on day
		sets    []string
		cancels []string
		next    []string // for rooms, "-" for none
	}{
		{
			name:    "evening before",
			now:     "2026-05-04 22:00",
			sets:    []string{"1203 06:30 set/1", "1209 06:45 set/1", "1200 07:00 set/1", "1201 07:00 set/1"},
			cancels: []string{"1209 06:00 cancel/2", "1204 07:15 cancel/2", "1205 07:20 cancel/2"},
			next:    []string{"07:00", "07:00", "06:30", "06:30", "-", "-", "-", "08:00", "-", "06:45", "-"},
		},
		{
			name:    "at 06:30, those of 06:30 are no longer ahead",
			now:     "2026-05-05 06:30",
			sets:    []string{"1209 06:45 set/1", "1200 07:00 set/1", "1201 07:00 set/1"},
			cancels: []string{"1204 07:15 cancel/2", "1205 07:20 cancel/2"},
			next:    []string{"07:00", "07:00", "-", "-", "-", "-", "-", "08:00", "-", "06:45", "-"},
		},
		{
			name: "after the last",
			now:  "2026-05-05 08:00",
			next: []string{"-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			date, clock, _ := strings.Cut(tc.now, " ")
			at := f.at(date, clock)
			sets, err := f.s.UnconfirmedSets(ctx, f.st, at)
			if err != nil {
				t.Fatal(err)
			}
			if got := f.unconfirmedKinds(t, sets); !sameStrings(got, tc.sets) {
				t.Errorf("UnconfirmedSets\n got %q\nwant %q", got, tc.sets)
			}
			cancels, err := f.s.UnconfirmedCancels(ctx, f.st, at)
			if err != nil {
				t.Fatal(err)
			}
			if got := f.unconfirmedKinds(t, cancels); !sameStrings(got, tc.cancels) {
				t.Errorf("UnconfirmedCancels\n got %q\nwant %q", got, tc.cancels)
			}
			var next []string
			for _, room := range rooms {
				n, ok, err := f.s.NextPBXAt(ctx, f.st, hotel.Room(room), at)
				switch {
				case err != nil:
					t.Fatal(err)
				case !ok:
					next = append(next, "-")
				case n.Location() != f.loc:
					t.Errorf("NextPBXAt %s: in %s, want %s", room, n.Location(), f.loc)
				default:
					next = append(next, n.Format("15:04"))
				}
			}
			if !sameStrings(next, tc.next) {
				t.Errorf("NextPBXAt of %v\n got %q\nwant %q", rooms, next, tc.next)
			}
		})
	}
}

// unconfirmedKinds renders Unconfirmed as "room HH:MM set/n" after checking
// that the reference names the wake-up and is one Acked takes.
func (f *fixture) unconfirmedKinds(t *testing.T, us []Unconfirmed) []string {
	t.Helper()
	var out []string
	for _, u := range us {
		prefix := fmt.Sprintf("wakeup/%d/", u.ID)
		if !strings.HasPrefix(u.Ref, prefix) || !IsRef(u.Ref) {
			t.Errorf("wake-up %d: ref %q", u.ID, u.Ref)
		}
		if u.At.Location() != f.loc {
			t.Errorf("wake-up %d: at in %s, want %s", u.ID, u.At.Location(), f.loc)
		}
		out = append(out, fmt.Sprintf("%s %s %s", u.Room, u.At.Format("15:04"), strings.TrimPrefix(u.Ref, prefix)))
	}
	return out
}
