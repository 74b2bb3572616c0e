package hoteldesk

import (
	"context"
	"errors"
	"slices"
	"testing"

	"switchboard/internal/bus"
	"switchboard/internal/events"
	"switchboard/internal/events/hotel"
	"switchboard/internal/folio/stays"
	"switchboard/schemas"
)

// folio.move moves a stay the way guest.move does, with or without a hotel
// link: the guest's stay closes in the old room and opens in the new one,
// hotel.edge.folio.moved is published (valid against its schema), and a
// hotel link, when there is one, gets the move. What a move must be is
// refused before anything changes.
func TestFolioMove(t *testing.T) {
	for _, withLink := range []bool{false, true} {
		name := "no hotel link"
		if withLink {
			name = "a hotel link"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := newRig(t, withLink)
			r.run("folio.checkin", events.CheckInData{Room: "1203", Name: "Tan Wei", Reservation: "R7"})
			r.run("folio.checkin", events.CheckInData{Room: "1205", Name: "Lee"})
			for _, bad := range []struct {
				data  hotel.GuestMoveData
				field string
			}{
				{hotel.GuestMoveData{From: "1204", To: "1206"}, "data.from"}, // vacant
				{hotel.GuestMoveData{From: "1203", To: "1205"}, "data.to"},   // occupied
				{hotel.GuestMoveData{From: "1203", To: "1203"}, "data.to"},
				{hotel.GuestMoveData{From: "1203", To: "9999"}, "data.to"}, // no such room
			} {
				_, err := r.h.Run(t, r.h.Command(t, "edge", "", "folio.move", bad.data))
				var fe *bus.FieldError
				if !errors.As(err, &fe) || fe.Field != bad.field {
					t.Errorf("%+v: %v, want a refusal of %s", bad.data, err, bad.field)
				}
			}
			sent := len(r.link.got())
			res := r.run("folio.move", hotel.GuestMoveData{From: "1203", To: "1204"})
			if res["from"] != "1203" || res["to"] != "1204" {
				t.Fatalf("reply %v", res)
			}
			ctx := context.Background()
			if st, err := stays.Current(ctx, r.h.Store(), "1203"); err != nil || st != nil {
				t.Errorf("1203 after the move: %+v %v", st, err)
			}
			st, err := stays.Current(ctx, r.h.Store(), "1204")
			if err != nil || st == nil || st.Guest != "Tan Wei" || st.Reservation != "R7" {
				t.Fatalf("1204 after the move: %+v %v", st, err)
			}
			evs := r.h.Events(t, "hotel.edge.folio.moved")
			if len(evs) != 1 || evs[0]["from"] != "1203" || evs[0]["to"] != "1204" {
				t.Fatalf("events %v", evs)
			}
			rows, err := r.h.Store().Pending(ctx, 0, 1000)
			if err != nil {
				t.Fatal(err)
			}
			for _, row := range rows {
				if err := schemas.Validate(row.Payload); err != nil {
					t.Errorf("%s (seq %d) does not match its schema: %v", row.Type, row.Seq, err)
				}
			}
			got := r.link.got()[sent:]
			if withLink != slices.Contains(got, "hotel.RoomMove") {
				t.Errorf("the PBX got %q (a hotel link: %v)", got, withLink)
			}
		})
	}
}
