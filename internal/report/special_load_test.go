package report

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"switchboard/internal/folio/ledger"
	"switchboard/internal/rating"
	"switchboard/internal/store"
)

// TestLoadSpecialSameList: the special-calls list from the calls SQL
// chose is the list from every call of the week, whatever the rules.
func TestLoadSpecialSameList(t *testing.T) {
	st := openStore(t)
	loc := time.FixedZone("CST", 8*3600)
	p, err := Week("2026-W49", loc)
	if err != nil {
		t.Fatal(err)
	}
	flags := []string{"[]", "", `["vacant-room"]`, `["after-checkout"]`, `["` + rating.FlagNoMatchFallback + `"]`, `["unrateable"]`, `["late-charge"]`}
	classes := []string{"local", "idd", "special", "emergency", "mobile"}
	prices := []string{"0", "12.40", "99.999999", "100", "100.000001", "250"}
	dests := []string{"Beijing", "BEIJING", "Zürich", "Shanghai"}
	err = st.InTx(context.Background(), func(tx *store.Tx) error {
		for i := range 400 {
			dir := "outgoing"
			if i%9 == 0 {
				dir = "incoming"
			}
			c := ledger.Call{IdemKey: fmt.Sprintf("c%03d", i), Device: "pbx1", JournalID: int64(i + 1),
				Start: p.From.Add(-time.Hour + time.Duration(i)*31*time.Minute), DurationS: 60 * (i % 45), Direction: dir,
				Extension: "1201", Room: "1201", RoomClass: "guest", Dialed: fmt.Sprintf("900%d%07d", i%5, i),
				Rating: ledger.Rating{Class: classes[i%len(classes)], Destination: dests[i%len(dests)], Price: prices[i%len(prices)],
					CarrierCost: "1.00", Currency: "CNY", TariffVersion: "v1", Rated: []byte(`{}`)},
				Flags: []byte(flags[i%len(flags)]), Posted: i%3 != 0}
			if err := ledger.Insert(tx, c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		r    Rules
	}{
		{"defaults", DefaultRules()},
		{"none", Rules{}},
		{"minutes", Rules{OverMinutes: 20}},
		{"amount", Rules{OverAmount: rating.MustMoney("99.999999")}},
		{"amount exact", Rules{OverAmount: rating.MustMoney("100")}},
		{"classes", Rules{Classes: []rating.Class{rating.ClassIDD}}},
		{"emergency", Rules{Emergency: true}},
		{"destination any case", Rules{Destinations: []string{"beijing"}}},
		{"destination prefix", Rules{Destinations: []string{"9002"}}},
		{"destination not ASCII", Rules{Destinations: []string{"ZÜRICH"}}},
		{"flags", Rules{Vacant: true}},
		{"unposted", Rules{Unposted: true}},
		{"fallback", Rules{Fallback: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			all, err := LoadCalls(context.Background(), st, p)
			if err != nil {
				t.Fatal(err)
			}
			some, err := LoadSpecial(context.Background(), st, p, tc.r)
			if err != nil {
				t.Fatal(err)
			}
			want, got := Special(all, tc.r), Special(some, tc.r)
			if !reflect.DeepEqual(got.Calls, want.Calls) {
				t.Errorf("%d special calls from the SQL's choice, %d from every call", len(got.Calls), len(want.Calls))
			}
			if tc.name != "none" && len(want.Calls) == 0 {
				t.Errorf("the rules %+v meet no call: the test shows nothing", tc.r)
			}
		})
	}
}
