package folio

import (
	"slices"
	"testing"
)

// GuestRooms lists the guest rooms only, each once, in the map's order.
func TestGuestRooms(t *testing.T) {
	for _, tc := range []struct {
		name  string
		specs []RoomSpec
		want  []string
	}{
		{"ranges and a named room", []RoomSpec{
			{From: "1201", To: "1203", Class: Guest},
			{From: "8000", To: "8000", Class: Business},
			{From: "0998", To: "1001", Class: Guest},
			{From: "5000", To: "5000", Room: "500A", Class: Guest},
			{From: "5001", To: "5001", Room: "500A", Class: Guest},
			{From: "301", To: "302", Class: Guest},
		}, []string{"301", "302", "0998", "0999", "1000", "1001", "1201", "1202", "1203", "500A"}},
		{"a range ending in nines", []RoomSpec{{From: "97", To: "99", Class: Guest}}, []string{"97", "98", "99"}},
		{"no guest rooms", []RoomSpec{{From: "8100", To: "8199", Class: Admin}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := NewDirectory(tc.specs)
			if err != nil {
				t.Fatal(err)
			}
			if got := d.GuestRooms(); !slices.Equal(got, tc.want) {
				t.Errorf("GuestRooms() = %v, want %v", got, tc.want)
			}
		})
	}
	d, _ := NewDirectory([]RoomSpec{{From: "000000", To: "999999", Class: Guest}})
	if n := len(d.GuestRooms()); n != MaxGuestRooms {
		t.Errorf("a huge range lists %d rooms, want the bound %d", n, MaxGuestRooms)
	}
}
