package report

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"switchboard/internal/folio/ledger"
	"switchboard/internal/store"
)

// TestLoadCallsResolutions: the reports read each call's resolution from
// the store with the call; the day close then counts the resolved flagged
// call as settled and the other as still to resolve.
func TestLoadCallsResolutions(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "sb.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	loc, _ := time.LoadLocation("Asia/Shanghai")
	at := time.Date(2026, 11, 27, 9, 0, 0, 0, loc)
	call := func(key, flags string) ledger.Call {
		return ledger.Call{IdemKey: key, Device: "pbx1", JournalID: 1, Start: at, DurationS: 60, Direction: "outgoing", Extension: "1301", Room: "1301",
			RoomClass: "guest", Dialed: "02187654321", Rating: ledger.Rating{Class: "ddd", Price: "3.00", CarrierCost: "0.00", AmountMinor: 300, Currency: "CNY", Rated: []byte(`{}`)},
			Flags: []byte(flags), NotPosted: "room vacant at the time of the call"}
	}
	err = st.InTx(ctx, func(tx *store.Tx) error {
		for _, c := range []ledger.Call{call("a", `["vacant-room"]`), call("b", `["vacant-room"]`)} {
			if err := ledger.Insert(tx, c); err != nil {
				return err
			}
		}
		_, _, err := ledger.Resolve(tx, ledger.Resolution{Call: "b", CallStart: at, Action: "write-off", Reason: "staff", Principal: "0003",
			Resolved: at.Add(time.Hour), EventSeq: 1})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := Day("2026-11-27", loc)
	l, err := LoadCalls(ctx, st, p)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Calls) != 2 || l.Calls[0].Resolution != nil || l.Calls[1].Resolution == nil || l.Calls[1].Resolution.Action != "write-off" ||
		!l.Calls[1].Resolution.At.Equal(at.Add(time.Hour)) || l.Calls[1].Resolution.By != "0003" {
		t.Fatalf("calls: %+v", l.Calls)
	}
	if st, err := Stats(l); err != nil || st.Flagged != (FlaggedTotals{ToResolve: 1, Settled: 1}) {
		t.Errorf("calls report flagged: %+v %v", st.Flagged, err)
	}
	d, err := CloseDay(DayCloseInput{Period: p, At: at, Calls: l})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Open.Calls) != 1 || len(d.CallsSettled) != 1 {
		t.Errorf("open %d, settled %d: want 1 and 1", len(d.Open.Calls), len(d.CallsSettled))
	}
}
