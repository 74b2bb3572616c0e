package backup

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestScheduleNext(t *testing.T) {
	dir := t.TempDir()
	s := Schedule{Dir: dir, Every: 24 * time.Hour}
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	if got := s.Next(now); !got.Equal(now) {
		t.Errorf("no backup yet: next %v, want now", got)
	}
	os.WriteFile(filepath.Join(dir, FileName(now.Add(-2*time.Hour))), nil, 0o600)
	if got, want := s.Next(now), now.Add(22*time.Hour); !got.Equal(want) {
		t.Errorf("newest 2h old: next %v, want %v", got, want)
	}
	s.Every = time.Hour
	if got := s.Next(now); !got.Equal(now) {
		t.Errorf("newest older than every: next %v, want now", got)
	}
}

func TestScheduleRunRecordsLast(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := t.TempDir()
	st := openStore(t, filepath.Join(dir, "sb.db"))
	defer st.Close()
	if _, ok, err := LastResult(ctx, st); ok || err != nil {
		t.Fatalf("before any backup: ok %v err %v", ok, err)
	}
	s := Schedule{Store: st, Dir: filepath.Join(dir, "b"), Every: time.Hour, Keep: 2, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		l, ok, err := LastResult(ctx, st)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			if !l.OK || l.Bytes == 0 || filepath.Dir(l.File) != s.Dir {
				t.Errorf("last: %+v", l)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no backup made at start")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	<-done
	if files, _ := List(s.Dir); len(files) != 1 {
		t.Errorf("backups %v, want 1 (the next is an hour away)", files)
	}
}
