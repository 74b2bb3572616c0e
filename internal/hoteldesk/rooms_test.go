package hoteldesk

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"switchboard/internal/bus"
	"switchboard/internal/events"
	"switchboard/internal/events/hotel"
	"switchboard/internal/wakeup"
)

// TestMessageLamp: the lamp another desk asks for (a fax waiting) is
// recorded first; the PBX gets it now when the link is up, at its next
// resync when it is down; without a hotel link there is no lamp to light.
func TestMessageLamp(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		link, up bool
		took     bool
		sent     []string
		kept     bool // in the room's state and the resync
	}{
		{"link up", true, true, true, []string{"mwl 1203 true"}, true},
		{"link down", true, false, false, nil, true},
		{"no hotel link", false, false, false, nil, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newRig(t, tc.link)
			r.run("folio.checkin", events.CheckInData{Room: "1203"})
			r.link.setUp(tc.up)
			before := len(r.link.got())
			if took := r.d.MessageLamp(context.Background(), "1203", true, "fax/rx/4"); took != tc.took {
				t.Errorf("MessageLamp = %v, want %v", took, tc.took)
			}
			if got := r.link.got()[before:]; !slices.Equal(got, tc.sent) {
				t.Errorf("the PBX got %q, want %q", got, tc.sent)
			}
			if rs := r.room("1203"); rs.MWL != tc.kept {
				t.Errorf("room state %+v, want lamp %v", rs, tc.kept)
			}
			if !tc.link {
				return
			}
			snap := r.link.snapshot(t)
			if len(snap.Rooms) != 1 || snap.Rooms[0].MWL != tc.kept {
				t.Errorf("resync %+v, want room 1203 with the lamp on", snap)
			}
		})
	}
}

// TestWakeupSetAndCancel: a wake-up is recorded, sent and held at the PBX;
// cancelling it cancels it at the PBX; the room's retained state shows
// the next wake-up and then none.
func TestWakeupSetAndCancel(t *testing.T) {
	t.Parallel()
	r := newRig(t, true)
	r.run("folio.checkin", events.CheckInData{Room: "1203"})
	res := r.run("wakeup.set", hotel.WakeupSetData{Room: "1203", Time: "06:30", Operator: "op07"})
	if res["status"] != string(wakeup.Sent) || res["pbx"] != "sent" || res["date"] != "2026-11-28" {
		t.Fatalf("wakeup.set reply %v", res)
	}
	id := res["wakeup_id"].(int64)
	r.held(id)
	want := time.Date(2026, 11, 28, 6, 30, 0, 0, r.h.Location())
	if rs := r.room("1203"); rs.NextWakeup == nil || !rs.NextWakeup.Equal(want) {
		t.Errorf("room state %+v, want the next wake-up at %v", rs, want)
	}
	r.waitFor("the room's retained state", func() bool {
		for _, s := range r.h.States() {
			if rs, ok := s.Data.(hotel.RoomState); ok && s.Aspect == "room/1203" && rs.NextWakeup != nil {
				return true
			}
		}
		return false
	})

	r.run("wakeup.cancel", hotel.WakeupCancelData{Room: "1203", ID: id})
	r.waitFor("the cancel at the PBX", func() bool { return len(r.link.got()) == 3 })
	if got := r.link.got(); !slices.Equal(got, []string{"checkin 1203", "wakeup 1203 06:30", "wakeup-cancel 1203 06:30"}) {
		t.Errorf("the PBX got %q", got)
	}
	if p := r.pending("1203"); len(p) != 0 {
		t.Errorf("wake-ups left after the cancel: %+v", p)
	}
	if rs := r.room("1203"); rs.NextWakeup != nil {
		t.Errorf("room state %+v after the cancel", rs)
	}
}

// TestAcksRecordedOnceTheBurstIsOver: the PBX's acknowledgements of a
// burst of wake-ups are recorded together once it is over, not one commit
// between two commands each; meanwhile they count as on their way.
func TestAcksRecordedOnceTheBurstIsOver(t *testing.T) {
	t.Parallel()
	fl := &fakeLink{up: true, caps: hotel.Capabilities{Profile: "fake", Commands: true, DatedWakeups: true}}
	r := newRigWith(t, fl, fl, func(o *Options) { o.RoomStateQuiet, o.RoomStateDelay = 300*time.Millisecond, time.Minute })
	var ids []int64
	for _, room := range []string{"1201", "1202", "1203"} {
		r.run("folio.checkin", events.CheckInData{Room: room})
		res := r.run("wakeup.set", hotel.WakeupSetData{Room: room, Time: "06:30", Operator: "op07"})
		if res["pbx"] != "sent" || res["pbx_state"] != string(wakeup.PBXHeld) {
			t.Fatalf("wakeup.set reply %v", res)
		}
		ids = append(ids, res["wakeup_id"].(int64))
	}
	for _, id := range ids {
		if w, err := r.d.Schedule().Get(context.Background(), r.h.Store(), id); err != nil || w.PBX != wakeup.PBXSending {
			t.Errorf("wake-up %d during the burst: %s, %v; want sending (not recorded yet)", id, w.PBX, err)
		}
	}
	for _, id := range ids {
		r.held(id)
	}
	if got := r.link.got(); len(got) != 6 {
		t.Errorf("the PBX got %q: each wake-up once", got)
	}
}

// TestCommandRefusals: a command names the field that is wrong.
func TestCommandRefusals(t *testing.T) {
	t.Parallel()
	r := newRig(t, true)
	r.run("folio.checkin", events.CheckInData{Room: "1203"})
	on := true
	cases := []struct {
		name   string
		device string
		data   any
		field  string
	}{
		{"wakeup.set", "pbx1", hotel.WakeupSetData{Room: "1203", Time: "25:61", Operator: "op07"}, "data.time"},
		{"wakeup.set", "pbx9", hotel.WakeupSetData{Room: "1203", Time: "06:30", Operator: "op07"}, "topic"},
		{"dnd.set", "pbx1", hotel.SwitchData{Room: "1203"}, "data.on"},
		{"mwl.set", "pbx1", hotel.SwitchData{Room: "", On: &on}, "data.room"},
		{"wakeup.set", "pbx1", hotel.WakeupSetData{Room: "1205", Time: "06:30", Operator: "op07"}, "data.room"}, // vacant
		{"guest.checkout", "pbx1", hotel.GuestCheckOutData{Room: "1205"}, "data.room"},                          // vacant
	}
	for _, tc := range cases {
		_, err := r.h.Run(t, r.h.Command(t, "pbx", tc.device, tc.name, tc.data))
		var fe *bus.FieldError
		if !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("%s on %s %+v: %v, want a problem with %s", tc.name, tc.device, tc.data, err, tc.field)
		}
	}
	if got := r.link.got(); len(got) != 1 {
		t.Errorf("refused commands reached the PBX: %q", got)
	}
}
