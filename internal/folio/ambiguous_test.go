package folio_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"switchboard/internal/desk"
	"switchboard/internal/desk/desktest"
	"switchboard/internal/events"
	"switchboard/internal/folio"
	"switchboard/internal/folio/stays"
	"switchboard/internal/store"
)

// TestStayAmbiguous: a Panasonic prints a call's end to the minute, so its
// start is known to a minute too. A call in the minute of the check-in (or
// of the check-out) is neither "room vacant" nor posted: it is flagged
// stay-ambiguous with both candidate stays, for the night audit. A call
// well inside the stay is posted as usual.
func TestStayAmbiguous(t *testing.T) {
	t.Parallel()
	loc, _ := time.LoadLocation("Asia/Shanghai")
	h := desktest.NewHost(t, time.Date(2026, 12, 4, 12, 0, 0, 0, loc))
	bl := desktest.Biller(t, "1101", "1299")
	d := folio.NewDesk(h, func() *folio.Biller { return bl })
	in := time.Date(2026, 12, 4, 10, 0, 30, 0, loc)
	out := time.Date(2026, 12, 4, 11, 0, 20, 0, loc)
	var stayID int64
	err := h.InTx(context.Background(), func(tx *store.Tx) error {
		s, err := stays.CheckIn(tx, stays.Stay{Room: "1203", CheckIn: in})
		if err != nil {
			return err
		}
		stayID = s.ID
		_, err = stays.CheckOut(tx, "1203", out)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	call := func(n int64, start time.Time, res int) desk.Record {
		return desk.Record{Device: desk.Device{ID: "pbx1", Domain: "pbx"}, FrameID: n, Key: "k" + string(rune('0'+n)),
			Value: events.CallRecord{Profile: "panasonic-kx-tda", Kind: events.KindCall, Direction: events.Outgoing, Start: start, End: start.Add(65 * time.Second),
				DurationS: 65, Extension: "1203", Trunk: "01", Dialed: "9013912345678", TimeResolutionS: res}}
	}
	h.Record(t, d, call(1, in.Add(-20*time.Second), 60))  // in the minute of the check-in
	h.Record(t, d, call(2, in.Add(30*time.Minute), 60))   // inside the stay
	h.Record(t, d, call(3, out.Add(-30*time.Second), 60)) // in the minute of the check-out
	h.Record(t, d, call(4, in.Add(-20*time.Second), 0))   // to the second: before the check-in
	h.Record(t, d, call(5, in.Add(-5*time.Minute), 60))   // well before: vacant
	flagged := map[string][]any{}
	for _, f := range h.Events(t, "hotel.pbx.call.flagged") {
		np, _ := f["not_posted"].(string)
		flagged[np] = append(flagged[np], f["candidate_stays"])
		if f["not_posted"] == folio.StayAmbiguous && !slices.Contains(anyStrings(f["flags"]), folio.FlagStayAmbiguous) {
			t.Errorf("flags %v", f["flags"])
		}
	}
	amb := flagged[folio.StayAmbiguous]
	if len(amb) != 2 || !sameIDs(amb[0], 0, stayID) || !sameIDs(amb[1], stayID, 0) {
		t.Errorf("stay-ambiguous calls %v, want [0 %d] and [%d 0]", amb, stayID, stayID)
	}
	if len(flagged[folio.VacantRoom]) != 2 {
		t.Errorf("vacant-room calls %v, want the call to the second and the one well before", flagged[folio.VacantRoom])
	}
	if n := len(h.Events(t, "hotel.pbx.call.charged")); n != 1 {
		t.Errorf("%d charges, want the call inside the stay", n)
	}
}

func anyStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

func sameIDs(v any, want ...int64) bool {
	got, _ := v.([]any)
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if int64(got[i].(float64)) != want[i] {
			return false
		}
	}
	return true
}
