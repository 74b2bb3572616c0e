package folio

import (
	"testing"
	"time"

	"switchboard/internal/events"
	"switchboard/internal/folio/stays"
	"switchboard/internal/rating"
)

func TestDirectoryLookup(t *testing.T) {
	d, err := NewDirectory([]RoomSpec{
		{From: "1101", To: "1299", Class: Guest},
		{From: "8000", To: "8000", Class: Business},
		{From: "8100", To: "8199", Class: Admin},
		{From: "301", To: "399", Class: Guest},
		{From: "5000", To: "5000", Room: "500A", Class: Guest},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		ext, room string
		class     RoomClass
		ok        bool
	}{
		{"1101", "1101", Guest, true}, {"1299", "1299", Guest, true}, {"1203", "1203", Guest, true},
		{"1100", "", "", false}, {"1300", "", "", false}, {"8000", "8000", Business, true},
		{"8150", "8150", Admin, true}, {"8200", "", "", false}, {"350", "350", Guest, true},
		{"35", "", "", false}, {"35000", "", "", false}, {"5000", "500A", Guest, true}, {"", "", "", false},
	} {
		room, class, ok := d.Lookup(tc.ext)
		if room != tc.room || class != tc.class || ok != tc.ok {
			t.Errorf("Lookup(%q) = %q %q %v, want %q %q %v", tc.ext, room, class, ok, tc.room, tc.class, tc.ok)
		}
	}
	if _, err := NewDirectory([]RoomSpec{{From: "100", To: "200", Class: Guest}, {From: "150", To: "160", Class: Admin}}); err == nil {
		t.Error("overlapping rooms accepted")
	}
}

func TestDecide(t *testing.T) {
	loc := time.FixedZone("CST", 8*3600)
	in := time.Date(2026, 11, 25, 14, 0, 0, 0, loc)
	out := time.Date(2026, 11, 27, 12, 0, 0, 0, loc)
	open := &stays.Stay{ID: 1, Room: "1203", CheckIn: in}
	closed := &stays.Stay{ID: 1, Room: "1203", CheckIn: in, CheckOut: &out}
	call := func(dir events.Direction, at time.Time) events.CallRecord {
		return events.CallRecord{Direction: dir, Start: at, Extension: "1203"}
	}
	idd := &rating.Result{Class: rating.ClassIDD, Price: rating.MustMoney("16.90")}
	free := &rating.Result{Class: rating.ClassFree}
	sos := &rating.Result{Class: rating.ClassEmergency}
	fallback := &rating.Result{Class: rating.ClassIDD, Price: rating.MustMoney("8.00"), Flags: []string{rating.FlagNoMatchFallback}}
	during := time.Date(2026, 11, 26, 10, 0, 0, 0, loc)
	after := out.Add(2 * time.Hour)
	for _, tc := range []struct {
		name      string
		rec       events.CallRecord
		class     RoomClass
		known     bool
		stay      *stays.Stay
		lastOut   *time.Time
		rated     *rating.Result
		post      bool
		notPosted string
		flags     []string
		late, sos bool
	}{
		{"occupied idd", call(events.Outgoing, during), Guest, true, open, nil, idd, true, "", nil, false, false},
		{"incoming", call(events.Incoming, during), Guest, true, open, nil, nil, false, NotOutgoing, nil, false, false},
		{"unknown extension", call(events.Outgoing, during), "", false, nil, nil, idd, false, UnknownExtension, []string{"unknown-extension"}, false, false},
		{"admin", call(events.Outgoing, during), Admin, true, nil, nil, idd, false, NotGuestRoom, nil, false, false},
		{"vacant outside call", call(events.Outgoing, during), Guest, true, nil, nil, idd, false, VacantRoom, []string{"vacant-room"}, false, false},
		{"vacant toll-free", call(events.Outgoing, during), Guest, true, nil, nil, free, false, VacantRoom, nil, false, false},
		{"free from occupied", call(events.Outgoing, during), Guest, true, open, nil, free, false, NothingToCharge, nil, false, false},
		{"emergency from vacant", call(events.Outgoing, during), Guest, true, nil, nil, sos, false, VacantRoom, []string{FlagEmergency}, false, true},
		{"made during stay, recorded after check-out", call(events.Outgoing, during), Guest, true, closed, &out, idd, true, "", []string{"late-charge"}, true, false},
		{"made after check-out", call(events.Outgoing, after), Guest, true, nil, &out, idd, false, AfterCheckOut, []string{"after-checkout"}, false, false},
		{"long after check-out", call(events.Outgoing, out.Add(72*time.Hour)), Guest, true, nil, &out, idd, false, VacantRoom, []string{"vacant-room"}, false, false},
		{"fallback rate flagged and posted", call(events.Outgoing, during), Guest, true, open, nil, fallback, true, "", []string{rating.FlagNoMatchFallback}, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := Decide(tc.rec, "1203", tc.class, tc.known, tc.stay, tc.lastOut, tc.rated)
			if d.Post != tc.post || d.NotPosted != tc.notPosted || d.Late != tc.late || d.Emergency != tc.sos || !sameStrings(d.Flags, tc.flags) {
				t.Errorf("Decide = post %v %q late %v sos %v flags %v; want post %v %q late %v sos %v flags %v",
					d.Post, d.NotPosted, d.Late, d.Emergency, d.Flags, tc.post, tc.notPosted, tc.late, tc.sos, tc.flags)
			}
		})
	}
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

func TestMaskDialed(t *testing.T) {
	b := &Biller{Mask: 7}
	for in, want := range map[string]string{"0081312345678": "0081312******", "110": "110", "1234567": "1234567"} {
		if got := b.MaskDialed(in); got != want {
			t.Errorf("MaskDialed(%q) = %q, want %q", in, got, want)
		}
	}
	if got := (&Biller{}).MaskDialed("0081312345678"); got != "0081312345678" {
		t.Errorf("mask 0 changed the number: %q", got)
	}
}
