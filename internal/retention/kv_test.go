package retention

import (
	"context"
	"fmt"
	"testing"
	"time"

	"switchboard/internal/store"
)

// TestPurgeReportAudit: the timed audit rows (the console's report audit,
// the operators' change record) older than retention_days go, in batches;
// newer ones and other namespaces stay.
func TestPurgeReportAudit(t *testing.T) {
	for _, ns := range timedNamespaces() {
		t.Run(ns, func(t *testing.T) { purgeTimed(t, ns) })
	}
}

func purgeTimed(t *testing.T, ns string) {
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		days    int
		ages    []time.Duration // of the audit rows, before testNow
		deleted int64
	}{
		{"old and new", 30, []time.Duration{31 * 24 * time.Hour, 400 * 24 * time.Hour, 29 * 24 * time.Hour, time.Hour}, 2},
		{"nothing old enough", 400, []time.Duration{31 * 24 * time.Hour, 399 * 24 * time.Hour}, 0},
		{"just past the cut", 30, []time.Duration{30*24*time.Hour + time.Nanosecond, 30*24*time.Hour - time.Second}, 1},
		{"many old ones", 1, manyAges(2500), 2500},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := openStore(t)
			err := st.InTx(ctx, func(tx *store.Tx) error {
				for i, age := range tc.ages {
					key := fmt.Sprintf("%020d-0003-%08d", testNow.Add(-age).UnixNano(), i)
					if _, err := tx.Exec(`INSERT INTO kv(ns, key, value, updated) VALUES(?, ?, '{}', 0)`, ns, key); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			// A namespace whose keys are not times: never touched.
			exec(t, st, `INSERT INTO kv(ns, key, value, updated) VALUES('report.dayclose', '2020-01-01', '{}', 0)`)
			exec(t, st, `INSERT INTO kv(ns, key, value, updated) VALUES('console.emergency.ack', '00000000000000000001', '{}', 0)`)
			j := Job{Store: st, RetentionDays: tc.days, Now: func() time.Time { return testNow }}
			r, err := j.Run(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if got := r.Deleted["kv/"+ns]; got != tc.deleted {
				t.Errorf("deleted %d, want %d", got, tc.deleted)
			}
			left := count(t, st, `SELECT COUNT(*) FROM kv WHERE ns = ?`, ns)
			if want := int64(len(tc.ages)) - tc.deleted; left != want {
				t.Errorf("%d audit rows left, want %d", left, want)
			}
			if old := count(t, st, `SELECT COUNT(*) FROM kv WHERE ns = ? AND key < ?`, ns,
				fmt.Sprintf("%020d", testNow.AddDate(0, 0, -tc.days).UnixNano())); old != 0 {
				t.Errorf("%d old audit rows left", old)
			}
			if others := count(t, st, `SELECT COUNT(*) FROM kv WHERE ns IN ('report.dayclose', 'console.emergency.ack')`); others != 2 {
				t.Errorf("other namespaces: %d rows left, want 2", others)
			}
		})
	}
}

// manyAges are n ages between 2 and 3 days.
func manyAges(n int) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = 48*time.Hour + time.Duration(i)*time.Second
	}
	return out
}
