package hoteldesk

import (
	"slices"
	"strings"
	"testing"

	"switchboard/internal/desk"
	"switchboard/internal/events"
	"switchboard/internal/events/hotel"
	"switchboard/internal/store"
)

// TestEveryCheckOutDoesAllOfIt: however a check-out is recorded, the stay
// closes, the room's wake-ups are cancelled (at the PBX before its
// check-out, unless the PBX reported the check-out itself and so has
// forgotten them), DND, lamp and class of service are reset, and one
// hotel.edge.folio.checked-out is published.
func TestEveryCheckOutDoesAllOfIt(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		out  func(r *rig)
		// pbx is what the hotel link gets after the check-in and the
		// room's commands.
		pbx []string
	}{
		{"edge folio.checkout", func(r *rig) { r.run("folio.checkout", events.CheckOutData{Room: "1203"}) },
			[]string{"wakeup-cancel 1203 06:30", "checkout 1203"}},
		{"hotel-link guest.checkout", func(r *rig) { r.run("guest.checkout", hotel.GuestCheckOutData{Room: "1203"}) },
			[]string{"wakeup-cancel 1203 06:30", "checkout 1203"}},
		{"check-out printed in the SMDR stream", func(r *rig) {
			out := r.h.Record(r.t, r.d, desk.Record{Device: desk.Device{ID: "smdr1", Domain: "pbx", Profile: "fake-smdr"}, FrameID: 7, Key: "smdr1/7",
				Value: events.CallRecord{Profile: "fake-smdr", Kind: events.KindCheckOut, Extension: "1203", Start: r.h.Now()}})
			if out.Status != store.FrameParsed || out.Note != "" {
				r.t.Fatalf("outcome %+v", out)
			}
		}, []string{"wakeup-cancel 1203 06:30", "checkout 1203"}},
		{"FIAS GO from the hotel link", func(r *rig) {
			r.h.Record(r.t, r.d, desk.Record{Device: desk.Device{ID: "pbx1", Domain: "pbx"}, FrameID: 9, Key: "pbx1/9",
				Value: hotel.CheckOut{Room: "1203"}})
		}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newRig(t, true)
			r.run("folio.checkin", events.CheckInData{Room: "1203", Name: "Mr Lee"})
			ws := r.run("wakeup.set", hotel.WakeupSetData{Room: "1203", Time: "06:30", Operator: "op07"})
			r.held(ws["wakeup_id"].(int64))
			on := true
			r.run("dnd.set", hotel.SwitchData{Room: "1203", On: &on})
			r.run("mwl.set", hotel.SwitchData{Room: "1203", On: &on})
			r.run("cos.set", hotel.COSData{Room: "1203", COS: "international"})
			before := len(r.link.got())

			tc.out(r)

			r.waitFor("the PBX told", func() bool { return len(r.link.got()) >= before+len(tc.pbx) })
			if got := r.link.got()[before:]; !slices.Equal(got, tc.pbx) {
				t.Errorf("the PBX got %q after the check-out, want %q", got, tc.pbx)
			}
			if s := r.openStay("1203"); s != nil {
				t.Errorf("stay %d still open", s.ID)
			}
			if p := r.pending("1203"); len(p) != 0 {
				t.Errorf("wake-ups left: %+v", p)
			}
			rs := r.room("1203")
			if rs.Occupied || rs.DND || rs.MWL || rs.COS != "" || rs.NextWakeup != nil {
				t.Errorf("room state after the check-out: %+v", rs)
			}
			if n := len(r.h.Events(t, "hotel.edge.folio.checked-out")); n != 1 {
				t.Errorf("%d checked-out events, want 1", n)
			}
			if len(r.link.snapshot(t).Rooms) != 0 {
				t.Errorf("a resync would still show the room occupied: %+v", r.link.snapshot(t))
			}
		})
	}
}

// TestReportedCheckInOnceAndTold: a check-in the PBX prints in its SMDR
// stream opens the stay once (printed again, it is the PBX confirming) and
// reaches the hotel link; a check-in the hotel link reports itself is not
// echoed back to it.
func TestReportedCheckInOnceAndTold(t *testing.T) {
	t.Parallel()
	r := newRig(t, true)
	smdr := desk.Device{ID: "smdr1", Domain: "pbx", Profile: "fake-smdr"}
	in := events.CallRecord{Profile: "fake-smdr", Kind: events.KindCheckIn, Extension: "1203", Start: r.h.Now()}
	if out := r.h.Record(t, r.d, desk.Record{Device: smdr, FrameID: 1, Key: "smdr1/1", Value: in}); out != desk.Parsed {
		t.Fatalf("first check-in: %+v", out)
	}
	out := r.h.Record(t, r.d, desk.Record{Device: smdr, FrameID: 2, Key: "smdr1/2", Value: in})
	if out.Status != store.FrameParsed || !strings.Contains(out.Note, "already occupied") {
		t.Errorf("second check-in: %+v, want noted as the PBX confirming", out)
	}
	r.waitFor("the check-in at the hotel link", func() bool { return len(r.link.got()) > 0 })
	if got := r.link.got(); !slices.Equal(got, []string{"checkin 1203"}) {
		t.Errorf("the hotel link got %q", got)
	}
	if n := len(r.h.Events(t, "hotel.edge.folio.checked-in")); n != 1 {
		t.Errorf("%d checked-in events, want 1", n)
	}

	// A FIAS GI from the hotel link: the stay opens, nothing goes back.
	r.h.Record(t, r.d, desk.Record{Device: desk.Device{ID: "pbx1", Domain: "pbx"}, FrameID: 3, Key: "pbx1/3",
		Value: hotel.CheckIn{Room: "1204", Guest: "Ms Wu", Language: "zh"}})
	if s := r.openStay("1204"); s == nil || s.Guest != "Ms Wu" {
		t.Fatalf("stay of 1204: %+v", s)
	}
	if got := r.link.got(); len(got) != 1 {
		t.Errorf("the hotel link was sent back its own check-in: %q", got)
	}

	// An extension that is not a guest room changes no stay.
	out = r.h.Record(t, r.d, desk.Record{Device: smdr, FrameID: 4, Key: "smdr1/4",
		Value: events.CallRecord{Profile: "fake-smdr", Kind: events.KindCheckIn, Extension: "8001", Start: r.h.Now()}})
	if !strings.Contains(out.Note, "not a guest room") {
		t.Errorf("check-in of extension 8001: %+v", out)
	}
}

// TestCheckOutWithTheLinkDown: the front office's check-out is recorded
// at once; the PBX gets it (and the cancel) at its next resync.
func TestCheckOutWithTheLinkDown(t *testing.T) {
	t.Parallel()
	r := newRig(t, true)
	r.run("folio.checkin", events.CheckInData{Room: "1110"})
	ws := r.run("wakeup.set", hotel.WakeupSetData{Room: "1110", Time: "07:15", Operator: "op07"})
	r.held(ws["wakeup_id"].(int64))
	r.link.setUp(false)
	res := r.run("folio.checkout", events.CheckOutData{Room: "1110"})
	if res["cancelled_wakeups"] != 1 {
		t.Errorf("reply %v, want one wake-up cancelled", res)
	}
	if s := r.openStay("1110"); s != nil {
		t.Errorf("stay still open with the link down")
	}
	snap := r.link.snapshot(t)
	if len(snap.Rooms) != 0 || len(snap.Wakeups) != 0 {
		t.Errorf("the resync would send %+v, want the room vacant and no wake-up", snap)
	}
}
