package store

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMigrationPublishedCursor: a store at schema 13 whose publisher
// marked outbox rows one by one is opened by this binary: migration 14
// turns the highest marked row into the cursor (what the broker
// acknowledged stays acknowledged, so no ack is refused after the
// upgrade), and replaces the journal's status index, which every SMDR
// commit touched twice, by a partial one.
func TestMigrationPublishedCursor(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	old := oldStore(t, path, 13)
	for i := 1; i <= 7; i++ {
		published := any(nil)
		if i <= 5 {
			published = i * 10
		}
		if _, err := old.Exec(`INSERT INTO outbox(seq, event_id, type, idemkey, topic, payload, created, published) VALUES(?,?,?,?,?,?,?,?)`,
			i, "e", "t", "k", "top", "{}", i, published); err != nil {
			t.Fatal(err)
		}
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}

	st, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if got, err := st.PublishedSeq(ctx); err != nil || got != 5 {
		t.Fatalf("published seq after migration 14: %d, %v; want 5 (the highest row marked)", got, err)
	}
	stats, err := st.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if stats.Unsent != 2 || stats.Backlog != 7 {
		t.Fatalf("stats after migration 14: %+v; want 2 unsent of a backlog of 7", stats)
	}
	var names []string
	rows, err := st.Query(ctx, `SELECT name FROM sqlite_master WHERE type='index' AND tbl_name IN ('journal','outbox') ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	rows.Close()
	if got := strings.Join(names, " "); got != "journal_device_received journal_unsettled outbox_unacked" {
		t.Fatalf("journal and outbox indexes after migration 14: %s", got)
	}
}

// The cursor of what the broker acknowledged only moves forward: a mark
// from a session that started lower (after a reconnect, from the back
// office's cursor) does not take back what a later one recorded.
func TestMarkPublishedOnlyForward(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openTest(t)
	for i := range 6 {
		if _, _, err := s.Enqueue(ctx, ev(i)); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		mark, want, unsent int64
	}{{0, 0, 6}, {4, 4, 2}, {2, 4, 2}, {6, 6, 0}} {
		if tc.mark > 0 {
			if err := s.MarkPublished(ctx, tc.mark); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.PublishedSeq(ctx)
		if err != nil {
			t.Fatal(err)
		}
		st, err := s.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got != tc.want || st.Unsent != tc.unsent {
			t.Errorf("after marking %d: published %d, unsent %d; want %d and %d", tc.mark, got, st.Unsent, tc.want, tc.unsent)
		}
	}
}

// The queries that look for frames not parsed use the partial index of
// migration 14 (their WHERE names the index's term); a full scan of a
// year's journal is what the index is there to avoid.
func TestPartialIndexesServeTheirQueries(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openTest(t)
	for _, tc := range []struct{ query, index string }{
		{`SELECT id FROM journal WHERE id > 0 AND device = 'pbx1' AND dir = 'in' AND status IN ('new') AND status <> 'parsed' ORDER BY id LIMIT 500`, "journal_unsettled"},
		{`SELECT MIN(id) FROM journal WHERE status='new' AND status <> 'parsed'`, "journal_unsettled"},
	} {
		rows, err := s.w.QueryContext(ctx, `EXPLAIN QUERY PLAN `+tc.query)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		if p := strings.Join(plan, "; "); !strings.Contains(p, tc.index) {
			t.Errorf("%s\n  plan: %s\n  want it to use %s", tc.query, p, tc.index)
		}
	}
}

// A transaction that began finishes even if its context ends meanwhile
// (Tx.stmtCtx): its statements are not interrupted half way, and what it
// wrote is committed. A context that ended before it began is refused.
func TestTransactionOutlivesItsContext(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	ctx, cancel := context.WithCancel(context.Background())
	err := s.InTx(ctx, func(tx *Tx) error {
		if _, _, err := tx.Enqueue(ev(1)); err != nil {
			return err
		}
		cancel()
		time.Sleep(10 * time.Millisecond)
		_, _, err := tx.Enqueue(ev(2))
		return err
	})
	if err != nil {
		t.Fatalf("a transaction whose context ended half way: %v", err)
	}
	rows, err := s.Pending(context.Background(), 0, 10)
	if err != nil || len(rows) != 2 {
		t.Fatalf("after it: %d events, %v; want both", len(rows), err)
	}
	if err := s.InTx(ctx, func(*Tx) error { return nil }); err == nil {
		t.Fatal("a transaction began on an ended context")
	}
}
