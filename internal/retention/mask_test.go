package retention

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"switchboard/internal/folio"
	"switchboard/internal/store"
)

// TestMaskDialed masks the calls and fax jobs older than the threshold
// with the billing's own masking (folio.Biller, keeping 7 digits) and
// leaves the rest, the classes and destinations the reports group by.
func TestMaskDialed(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name      string
		afterDays int
		keep      int
	}{
		{name: "after 10 days, keep 7", afterDays: 10, keep: 7},
		{name: "after 3 days, keep 4", afterDays: 3, keep: 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := openStore(t)
			tr := traffic{Days: 20, Rooms: 10, CallsPerRoomDay: 3, Now: testNow}
			if err := fill(ctx, st, tr); err != nil {
				t.Fatal(err)
			}
			businessRows(t, st, testNow.AddDate(0, 0, -15), testNow.AddDate(0, 0, -1))
			cut := testNow.AddDate(0, 0, -tc.afterDays)
			groups := destinations(t, st)
			biller := &folio.Biller{Mask: tc.keep}
			j := Job{Store: st, RetentionDays: 400, MaskAfterDays: tc.afterDays, Now: func() time.Time { return testNow },
				Masker: func() Masker { return biller }}
			r, err := j.Run(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var masked int64
			for i := range tr.calls() {
				c := tr.call(i)
				var dialed, rated string
				var raw []byte
				if err := st.QueryRow(ctx, `SELECT c.dialed, c.rated, j.raw FROM calls c JOIN journal j ON j.id = c.journal_id WHERE c.idemkey = ?`,
					c.key).Scan(&dialed, &rated, &raw); err != nil {
					t.Fatal(err)
				}
				var stored struct{ Dialed, Raw string }
				if err := json.Unmarshal([]byte(rated), &stored); err != nil {
					t.Fatal(err)
				}
				want := c.dialed
				if c.start.Before(cut) {
					want = c.dialed[:tc.keep] + strings.Repeat("*", len(c.dialed)-tc.keep)
					masked++
				}
				if dialed != want || stored.Dialed != want {
					t.Fatalf("call %d of %s: dialed %q, stored rating %q; want %q", i, c.start, dialed, stored.Dialed, want)
				}
				for what, text := range map[string]string{"journal frame": string(raw), "stored raw line": stored.Raw} {
					if !strings.Contains(text, want) || (want != c.dialed && strings.Contains(text, c.dialed)) {
						t.Fatalf("call %d of %s: %s %q, want it to show %q only", i, c.start, what, text, want)
					}
				}
			}
			if r.Masked["calls"] != masked || masked == 0 {
				t.Errorf("masked %d calls (report %d), want %d", masked, r.Masked["calls"], masked)
			}
			if got := destinations(t, st); got != groups {
				t.Errorf("destination groups after masking:\n%s\nbefore:\n%s", got, groups)
			}
			var number, dial, canonical string
			if err := st.QueryRow(ctx, `SELECT number, dial, canonical FROM fax_jobs WHERE command_id = 'f-old-sent'`).Scan(&number, &dial, &canonical); err != nil {
				t.Fatal(err)
			}
			for _, v := range []string{number, dial, canonical} {
				if len(v)-strings.Count(v, "*") != tc.keep {
					t.Errorf("old fax job number %q: want %d digits kept", v, tc.keep)
				}
			}
			if err := st.QueryRow(ctx, `SELECT number FROM fax_jobs WHERE command_id = 'f-recent'`).Scan(&number); err != nil || strings.Contains(number, "*") {
				t.Errorf("recent fax job number %q (%v): want it whole", number, err)
			}

			// The next night reads on from its cursor: nothing to mask again.
			again, err := j.Run(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if again.Masked["calls"] != 0 || countSteps(again, "mask calls") != 1 {
				t.Errorf("second run masked %d calls in %d batches, want 0 in 1", again.Masked["calls"], countSteps(again, "mask calls"))
			}
		})
	}
}

// destinations is the calls grouped as the IDD/DDD report groups them
// (class, destination), with their counts and durations.
func destinations(t *testing.T, st *store.Store) string {
	t.Helper()
	rows, err := st.Query(context.Background(), `SELECT class, destination, COUNT(*), SUM(duration_s) FROM calls GROUP BY class, destination ORDER BY 1, 2`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var class, dest string
		var n, secs int64
		if err := rows.Scan(&class, &dest, &n, &secs); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s %s %d %d\n", class, dest, n, secs)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
