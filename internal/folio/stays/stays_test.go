package stays

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"switchboard/internal/store"
)

func TestOf(t *testing.T) {
	t.Parallel()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "sb.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	at := time.Date(2026, 11, 20, 14, 0, 0, 0, time.UTC)
	err = st.InTx(context.Background(), func(tx *store.Tx) error {
		for _, s := range []Stay{{Room: "1203", Guest: "Anna Berg", CheckIn: at}, {Room: "1205", Guest: "Li Na", CheckIn: at.Add(time.Hour)}} {
			if _, err := CheckIn(tx, s); err != nil {
				return err
			}
		}
		if _, err := CheckOut(tx, "1203", at.Add(48*time.Hour)); err != nil {
			return err
		}
		if _, err := CheckIn(tx, Stay{Room: "1203", Guest: "Zhang Wei", CheckIn: at.Add(50 * time.Hour)}); err != nil {
			return err
		}
		for _, tc := range []struct {
			room  string
			limit int
			want  []string // guests, the latest check-in first
		}{
			{"1203", 10, []string{"Zhang Wei", "Anna Berg"}},
			{"", 10, []string{"Zhang Wei", "Li Na", "Anna Berg"}},
			{"", 1, []string{"Zhang Wei"}},
			{"1299", 10, nil},
		} {
			stays, err := Of(tx, tc.room, tc.limit)
			if err != nil {
				return err
			}
			var got []string
			for _, s := range stays {
				got = append(got, s.Guest)
			}
			if len(got) != len(tc.want) || (len(got) > 0 && got[0] != tc.want[0]) || (len(got) > 1 && got[len(got)-1] != tc.want[len(tc.want)-1]) {
				t.Errorf("Of(%q, %d) = %v, want %v", tc.room, tc.limit, got, tc.want)
			}
			if tc.room == "1203" && (stays[1].CheckOut == nil || stays[0].CheckOut != nil) {
				t.Errorf("check-outs %v %v", stays[0].CheckOut, stays[1].CheckOut)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
