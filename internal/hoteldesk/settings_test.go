package hoteldesk

import (
	"context"
	"testing"

	"switchboard/internal/events"
	"switchboard/internal/events/hotel"
)

// ReadRoomSettings reads what dnd.set, mwl.set and cos.set recorded; a
// check-out resets the room.
func TestReadRoomSettings(t *testing.T) {
	t.Parallel()
	r := newRig(t, true)
	on := true
	r.run("folio.checkin", events.CheckInData{Room: "1203"})
	r.run("dnd.set", hotel.SwitchData{Room: "1203", On: &on})
	r.run("mwl.set", hotel.SwitchData{Room: "1204", On: &on})
	r.run("cos.set", hotel.COSData{Room: "1203", COS: "local"})
	got, err := ReadRoomSettings(context.Background(), r.h.Store())
	if err != nil {
		t.Fatal(err)
	}
	if s := got["1203"]; !s.DND || s.MWL || s.COS != "local" || s.DNDAt.IsZero() {
		t.Errorf("1203: %+v", s)
	}
	if s := got["1204"]; s.DND || !s.MWL {
		t.Errorf("1204: %+v", s)
	}
	r.run("folio.checkout", events.CheckOutData{Room: "1203"})
	if got, _ := ReadRoomSettings(context.Background(), r.h.Store()); got["1203"].DND || got["1203"].COS != "" {
		t.Errorf("after check-out 1203: %+v", got["1203"])
	}
}
