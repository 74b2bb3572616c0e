package hoteldesk

import (
	"context"
	"errors"
	"testing"

	"switchboard/internal/bus"
	"switchboard/internal/events"
	"switchboard/internal/folio/stays"
)

// folio.checkin refuses what guest.checkin refuses: a stay's name,
// reservation and language go to the PBX's hotel link whichever command
// set them, and a FIAS record is '|'-separated. Nothing is stored.
func TestFolioCheckInRefusesWhatTheLinkCannotCarry(t *testing.T) {
	r := newRig(t, true)
	for _, tc := range []struct {
		name  string
		data  events.CheckInData
		field string
	}{
		{"a bar in the name", events.CheckInData{Room: "1203", Name: "Tan|GN=Other"}, "data.name"},
		{"a line feed in the name", events.CheckInData{Room: "1203", Name: "Tan\nLS|"}, "data.name"},
		{"a bar in the reservation", events.CheckInData{Room: "1203", Name: "Tan", Reservation: "R1|G#9"}, "data.reservation"},
		{"a control character in the language", events.CheckInData{Room: "1203", Name: "Tan", Language: "E\x07"}, "data.language"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := r.h.Run(t, r.h.Command(t, "edge", "", "folio.checkin", tc.data))
			var fe *bus.FieldError
			if !errors.As(err, &fe) || fe.Field != tc.field {
				t.Fatalf("got %v, want a refusal of %s", err, tc.field)
			}
			if st, err := stays.Current(context.Background(), r.h.Store(), "1203"); err != nil || st != nil {
				t.Fatalf("a stay was stored: %+v %v", st, err)
			}
		})
	}
	// The same guest, written plainly, is checked in.
	r.run("folio.checkin", events.CheckInData{Room: "1203", Name: "Tan Wei", Reservation: "R1", Language: "E"})
	if st, err := stays.Current(context.Background(), r.h.Store(), "1203"); err != nil || st == nil || st.Guest != "Tan Wei" {
		t.Fatalf("stay: %+v %v", st, err)
	}
}
