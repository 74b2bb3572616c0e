package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"switchboard/internal/store"
)

func enqueueOne(st *store.Store, i int) error {
	return st.InTx(context.Background(), func(tx *store.Tx) error {
		_, _, err := tx.Enqueue(store.Event{Type: "hotel.test", Topic: "t", IdemKey: fmt.Sprint(i)})
		return err
	})
}

// The daemon holds its lock and writes events while `switchboard backup`
// copies the store; then `switchboard restore` is refused until it stops.
func TestBackupAndRestoreCommands(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := filepath.Join(dir, "var", "sb.db")
	cfgPath := filepath.Join(dir, "switchboard.yaml")
	yaml := fmt.Sprintf("site: {group: acme, property: h042, gateway: gw1, timezone: Asia/Shanghai}\nstore: {path: %s}\n", db)
	if err := os.WriteFile(cfgPath, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	lock, err := store.TryLock(db) // as `switchboard run` does
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 100; i++ {
		if err := enqueueOne(st, i); err != nil {
			t.Fatal(err)
		}
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 1000; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if err := enqueueOne(st, i); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	out := filepath.Join(dir, "backups")
	var o, e bytes.Buffer
	code := dispatch([]string{"backup", "--config", cfgPath, "--to", out, "--keep", "3"}, &o, &e)
	close(stop)
	wg.Wait()
	if code != 0 {
		t.Fatalf("backup: exit %d\n%s%s", code, o.String(), e.String())
	}
	m := regexp.MustCompile(`backup (\S+switchboard-\d{8}T\d{6}Z\.db): \d+ bytes in .*, integrity ok, seqepoch (\S+) up to seq (\d+)`).FindStringSubmatch(o.String())
	if m == nil {
		t.Fatalf("backup output:\n%s", o.String())
	}
	file := m[1]
	fi, err := store.Inspect(ctx, file)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Epoch != st.Epoch() || fmt.Sprint(fi.MaxSeq) != m[3] || fi.Events != fi.MaxSeq || fi.MaxSeq < 100 {
		t.Fatalf("copy %+v: want epoch %s, %s events without a gap", fi, st.Epoch(), m[3])
	}

	// Refused while the daemon runs.
	o.Reset()
	e.Reset()
	if code := dispatch([]string{"restore", file, "--config", cfgPath}, &o, &e); code != 1 || !strings.Contains(e.String(), "daemon is running") {
		t.Fatalf("restore under the daemon: exit %d\n%s%s", code, o.String(), e.String())
	}
	// The daemon stops; the events it wrote after the copy are lost by
	// the restore, so the seqepoch changes.
	if err := enqueueOne(st, 99999); err != nil {
		t.Fatal(err)
	}
	st.Close()
	lock.Release()

	// A corrupt file is refused and names itself.
	data, _ := os.ReadFile(file)
	bad := filepath.Join(dir, "bad.db")
	os.WriteFile(bad, data[:len(data)/3], 0o600)
	o.Reset()
	e.Reset()
	if code := dispatch([]string{"restore", bad, "--config", cfgPath}, &o, &e); code != 1 || !strings.Contains(e.String(), "not a good backup") || !strings.Contains(e.String(), bad) {
		t.Fatalf("restore of a corrupt file: exit %d\n%s%s", code, o.String(), e.String())
	}

	o.Reset()
	e.Reset()
	if code := dispatch([]string{"restore", file, "--config", cfgPath}, &o, &e); code != 0 {
		t.Fatalf("restore: exit %d\n%s%s", code, o.String(), e.String())
	}
	if !strings.Contains(o.String(), "NEW SEQEPOCH") || !strings.Contains(o.String(), "before-restore-") {
		t.Errorf("restore output:\n%s", o.String())
	}
	after, err := store.Inspect(ctx, db)
	if err != nil || after.MaxSeq != fi.MaxSeq || after.Epoch == fi.Epoch {
		t.Errorf("restored store %+v %v: want seq %d under a new epoch", after, err, fi.MaxSeq)
	}
}

func TestBackupCommandUsage(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "switchboard.yaml")
	yaml := fmt.Sprintf("site: {group: acme, property: h042, gateway: gw1, timezone: Asia/Shanghai}\nstore: {path: %s}\n", filepath.Join(dir, "sb.db"))
	os.WriteFile(cfgPath, []byte(yaml), 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"backup", "--config", cfgPath}, "no folder: give --to DIR or set backup.dir"},
		{[]string{"backup", "--config", cfgPath, "--to", dir, "--keep", "-1"}, "want at least 1"},
		{[]string{"restore", "--config", cfgPath}, "usage: switchboard restore FILE"},
	} {
		var o, e bytes.Buffer
		if code := dispatch(tc.args, &o, &e); code != 2 || !strings.Contains(e.String(), tc.want) {
			t.Errorf("%v: exit %d\n%s, want %q", tc.args, code, e.String(), tc.want)
		}
	}
}
