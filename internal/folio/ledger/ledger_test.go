package ledger

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"switchboard/internal/store"
)

func TestLedger(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "sb.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	at := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	call := func(key string, start time.Time, price string) Call {
		return Call{IdemKey: key, Device: "pbx1", JournalID: 7, Start: start, DurationS: 60, Direction: "outgoing", Extension: "1203", Room: "1203",
			RoomClass: "guest", Dialed: "9001", Rating: Rating{Class: "idd", Price: price, TariffVersion: "v1", Currency: "CNY", Rated: []byte(`{}`)},
			Flags: []byte(`[]`), Posted: true, StayID: 3, ChargedSeq: 11}
	}
	err = st.InTx(ctx, func(tx *store.Tx) error {
		for _, c := range []Call{call("b", at, "8.00"), call("a", at, "4.00"), call("c", at.Add(time.Minute), "2.00"), call("a", at, "9.99")} {
			if err := Insert(tx, c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	page, err := PagePriced(ctx, st, "outgoing", at.UnixNano()-1, "\uffff", at.Add(time.Hour).UnixNano(), 2)
	if err != nil || len(page) != 2 || page[0].IdemKey != "a" || page[0].Price != "4.00" || page[1].IdemKey != "b" || !page[0].Posted {
		t.Fatalf("first page %+v %v (want a at 4.00, the second insert of a ignored, then b)", page, err)
	}
	next, err := PagePriced(ctx, st, "outgoing", page[1].Start, page[1].IdemKey, at.Add(time.Hour).UnixNano(), 2)
	if err != nil || len(next) != 1 || next[0].IdemKey != "c" {
		t.Fatalf("second page %+v %v", next, err)
	}
	err = st.InTx(ctx, func(tx *store.Tx) error {
		p, err := PostingOf(tx, "a")
		if err != nil || p.JournalID != 7 || p.ChargedSeq != 11 || p.StayID != 3 {
			t.Errorf("posting %+v %v", p, err)
		}
		if ok, err := Rerate(tx, "a", "3.00", "v1", Rating{Price: "5.00", TariffVersion: "v2", Rated: []byte(`{}`)}); ok || err != nil {
			t.Errorf("rerate from a stale price: %v %v, want refused", ok, err)
		}
		if ok, err := Rerate(tx, "a", "4.00", "v1", Rating{Price: "5.00", TariffVersion: "v2", Rated: []byte(`{}`)}); !ok || err != nil {
			t.Errorf("rerate: %v %v", ok, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
