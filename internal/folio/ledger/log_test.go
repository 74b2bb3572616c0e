package ledger

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"switchboard/internal/store"
)

func TestRecent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "sb.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	at := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	call := func(key string, start time.Time, class, flags string) Call {
		return Call{IdemKey: key, Device: "pbx1", JournalID: 7, Start: start, DurationS: 60, Direction: "outgoing", Extension: "1203", Room: "1203",
			RoomClass: "guest", Dialed: "9001", Rating: Rating{Class: class, Price: "1.00", TariffVersion: "v1", Currency: "CNY", Rated: []byte(`{}`)},
			Flags: []byte(flags), Posted: flags == "[]"}
	}
	err = st.InTx(ctx, func(tx *store.Tx) error {
		for _, c := range []Call{call("old", at.Add(-24*time.Hour), "idd", "[]"), call("a", at, "idd", "[]"), call("b", at, "local", `["vacant-room"]`),
			call("c", at.Add(time.Minute), "emergency", `["emergency"]`)} {
			if err := Insert(tx, c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	keys := func(ls []Logged) (out []string) {
		for _, l := range ls {
			out = append(out, l.IdemKey)
		}
		return out
	}
	for _, tc := range []struct {
		name    string
		cur     Cursor
		flagged bool
		limit   int
		want    []string
	}{
		{"newest first", Cursor{}, false, 10, []string{"c", "b", "a"}},
		{"a page", Cursor{}, false, 2, []string{"c", "b"}},
		{"older than b", Cursor{Start: at.UnixNano(), IdemKey: "b"}, false, 10, []string{"a"}},
		{"flagged", Cursor{}, true, 10, []string{"c", "b"}},
	} {
		got, err := Recent(ctx, st, at.Add(-time.Hour), tc.cur, tc.flagged, tc.limit)
		if err != nil || !slices.Equal(keys(got), tc.want) {
			t.Errorf("%s: %v %v, want %v", tc.name, keys(got), err, tc.want)
		}
	}
	em, err := Emergencies(ctx, st, at.Add(-time.Hour), 10)
	if err != nil || len(em) != 1 || em[0].IdemKey != "c" || em[0].Flags[0] != "emergency" || !em[0].Start.Equal(at.Add(time.Minute)) {
		t.Fatalf("emergencies %+v %v", em, err)
	}
}
