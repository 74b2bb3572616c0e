package backup

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/internal/store"
)

func openStore(t testing.TB, path string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// enqueue adds n events, one transaction each, numbered from first.
func enqueue(t testing.TB, st *store.Store, first, n int) {
	t.Helper()
	for i := first; i < first+n; i++ {
		if err := st.InTx(context.Background(), func(tx *store.Tx) error {
			_, _, err := tx.Enqueue(store.Event{Type: "hotel.test", Topic: "t", IdemKey: fmt.Sprint(i), Data: map[string]int{"i": i}})
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
}

// gapFree checks that a copy's outbox holds seq 1..max with no hole.
func gapFree(t *testing.T, path string) int64 {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=query_only(1)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n, lo, hi int64
	if err := db.QueryRow(`SELECT count(*), COALESCE(MIN(seq),0), COALESCE(MAX(seq),0) FROM outbox`).Scan(&n, &lo, &hi); err != nil {
		t.Fatal(err)
	}
	if n > 0 && (lo != 1 || hi != n) {
		t.Fatalf("%s: outbox has %d rows from %d to %d: not gap-free", path, n, lo, hi)
	}
	return hi
}

func TestBackupWhileWriting(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st := openStore(t, filepath.Join(dir, "var", "sb.db"))
	defer st.Close()
	enqueue(t, st, 0, 200)

	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // the daemon goes on writing while the copy is made
		defer wg.Done()
		for i := 1000; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if err := st.InTx(context.Background(), func(tx *store.Tx) error {
				_, _, err := tx.Enqueue(store.Event{Type: "hotel.test", Topic: "t", IdemKey: fmt.Sprint(i)})
				return err
			}); err != nil {
				t.Error(err) // not Fatal: this is not the test's goroutine
				return
			}
		}
	}()
	out := filepath.Join(dir, "backups")
	t0 := time.Date(2026, 12, 4, 3, 0, 0, 0, time.UTC)
	var results []Result
	for i := 0; i < 3; i++ {
		res, err := Backup(ctx, st, out, 2, t0.Add(time.Duration(i)*time.Hour))
		if err != nil {
			close(stop)
			wg.Wait()
			t.Fatal(err)
		}
		results = append(results, res)
	}
	close(stop)
	wg.Wait()

	last := results[2]
	if want := filepath.Join(out, "switchboard-20261204T050000Z.db"); last.File != want {
		t.Errorf("file %s, want %s", last.File, want)
	}
	if len(last.Removed) != 1 || !strings.HasSuffix(last.Removed[0], "switchboard-20261204T030000Z.db") {
		t.Errorf("removed %v, want the oldest", last.Removed)
	}
	files, err := List(out)
	if err != nil || len(files) != 2 {
		t.Fatalf("list: %v %v, want 2 backups", files, err)
	}
	for _, r := range results[1:] {
		fi, err := store.Inspect(ctx, r.File)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Epoch != st.Epoch() || fi.MaxSeq != r.MaxSeq || fi.MaxSeq < 200 {
			t.Errorf("%s: %+v, want epoch %s and max seq %d >= 200", r.File, fi, st.Epoch(), r.MaxSeq)
		}
		if hi := gapFree(t, r.File); hi != r.MaxSeq {
			t.Errorf("%s: max seq %d, result says %d", r.File, hi, r.MaxSeq)
		}
		info, err := os.Stat(r.File)
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm() != 0o600 || info.Size() != r.Size {
			t.Errorf("%s: mode %v size %d, want 0600 and %d", r.File, info.Mode().Perm(), info.Size(), r.Size)
		}
		// The copy opens as a store.
		c := openStore(t, r.File)
		c.Close()
	}
	if m, _ := filepath.Glob(filepath.Join(out, "*.tmp")); len(m) != 0 {
		t.Errorf("temporary files left: %v", m)
	}
}

func TestBackupFailureLeavesNoGoodName(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st := openStore(t, filepath.Join(dir, "sb.db"))
	defer st.Close()
	now := time.Date(2026, 12, 4, 3, 0, 0, 0, time.UTC)
	// A folder where the file should go: the copy cannot be made.
	out := filepath.Join(dir, "b")
	if err := os.MkdirAll(filepath.Join(out, FileName(now)+".tmp", "x"), 0o700); err != nil {
		t.Fatal(err)
	}
	_, err := Backup(ctx, st, out, 3, now)
	if err == nil {
		t.Fatal("backup succeeded over a folder")
	}
	if !strings.Contains(err.Error(), out) {
		t.Errorf("error %q does not say where", err)
	}
	if _, err := os.Stat(filepath.Join(out, FileName(now))); err == nil {
		t.Error("a failed backup left a file named like a good one")
	}
	// Other files in the folder are never pruned.
	os.WriteFile(filepath.Join(out, "notes.txt"), []byte("x"), 0o600)
	os.WriteFile(filepath.Join(out, "switchboard-2026.db"), []byte("x"), 0o600)
	for i := 1; i <= 3; i++ {
		if _, err := Backup(ctx, st, out, 1, now.Add(time.Duration(i)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	for _, keep := range []string{"notes.txt", "switchboard-2026.db", FileName(now.Add(3 * time.Second))} {
		if _, err := os.Stat(filepath.Join(out, keep)); err != nil {
			t.Errorf("%s: %v", keep, err)
		}
	}
	if files, _ := List(out); len(files) != 1 {
		t.Errorf("kept %v, want 1", files)
	}
}

// BenchmarkBackup copies a store of 100,000 events (go test -run '^$'
// -bench Backup -benchtime 3x ./internal/backup/).
func BenchmarkBackup(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	st := openStore(b, filepath.Join(dir, "sb.db"))
	defer st.Close()
	const n, batch = 100_000, 1000
	for i := 0; i < n; i += batch {
		if err := st.InTx(ctx, func(tx *store.Tx) error {
			for j := i; j < i+batch; j++ {
				if _, _, err := tx.Enqueue(store.Event{Type: "hotel.pbx.call.recorded", Topic: "hotel/g/p/gw/pbx/call", Source: "sb/gw/pbx",
					Subject: "room/1203", IdemKey: fmt.Sprint(j), Data: map[string]any{"room": "1203", "dialed": "0085225551234", "seconds": j % 900, "charge": "12.30"}}); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	var size int64
	for i := 0; i < b.N; i++ {
		res, err := Backup(ctx, st, filepath.Join(dir, "out"), 2, time.Unix(int64(i), 0))
		if err != nil {
			b.Fatal(err)
		}
		size = res.Size
	}
	b.ReportMetric(float64(size)/(1<<20), "MiB")
}
