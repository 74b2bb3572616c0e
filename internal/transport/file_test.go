package transport

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestFileOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "calls.txt")
	if err := os.WriteFile(path, []byte("a\r\nb\r\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := NewFile(FileOptions{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	if got := f.String(); got != "file "+path {
		t.Errorf("String() = %q", got)
	}
	lines := make(chan string, 4)
	states := newStateLog()
	l := NewLink("replay", f, LinkOptions{MinBackoff: time.Millisecond, OnState: states.on})
	if err := l.Run(context.Background(), lineSession(lines, "ACK")); err != nil {
		t.Fatalf("Run = %v, want nil once the file is replayed", err)
	}
	close(lines)
	var got []string
	for l := range lines {
		got = append(got, l)
	}
	if len(got) != 2 || got[0] != "a" || got[1] != "b" {
		t.Errorf("lines %q, want [a b] exactly once", got)
	}
	if _, err := f.Open(context.Background()); !errors.Is(err, ErrExhausted) {
		t.Errorf("second Open = %v, want ErrExhausted", err)
	}
}

func TestFileFollow(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "smdr.log")
	if err := os.WriteFile(path, []byte("line1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := NewFile(FileOptions{Path: path, Follow: true})
	if err != nil {
		t.Fatal(err)
	}
	f.poll = 10 * time.Millisecond
	rw, err := f.Open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rw.Close() })

	appendTo := func(p, s string) {
		t.Helper()
		fh, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fh.WriteString(s); err != nil {
			t.Fatal(err)
		}
		fh.Close()
	}
	expect := func(want string) {
		t.Helper()
		if got := readFull(t, rw, len(want), 3*time.Second); string(got) != want {
			t.Fatalf("read %q, want %q", got, want)
		}
	}

	expect("line1\n")
	appendTo(path, "line2\n") // appended while Read waits at EOF
	expect("line2\n")

	// copytruncate rotation: same file, emptied, then written again.
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond) // let the reader see the truncation before new data
	appendTo(path, "l3\n")
	expect("l3\n")

	// create rotation: renamed away, a new file at the path.
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	appendTo(path, "line4\n")
	expect("line4\n")

	if n, err := rw.Write([]byte("ACK")); n != 3 || err != nil {
		t.Errorf("Write = %d, %v; want writes discarded", n, err)
	}

	// Close unblocks a Read waiting for more data.
	done := make(chan error, 1)
	go func() {
		_, err := rw.Read(make([]byte, 8))
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	rw.Close()
	select {
	case err := <-done:
		if err == nil || errors.Is(err, io.EOF) {
			t.Errorf("Read after Close = %v", err)
		}
	case <-time.After(time.Second):
		t.Fatal("Close did not unblock a following Read")
	}
}

func TestNewFileRejects(t *testing.T) {
	if _, err := NewFile(FileOptions{}); !IsFatal(err) {
		t.Errorf("empty path: %v", err)
	}
	if _, err := NewFile(FileOptions{Path: "-", Follow: true}); !IsFatal(err) {
		t.Errorf("follow stdin: %v", err)
	}
	f, err := NewFile(FileOptions{Path: filepath.Join(t.TempDir(), "later.log"), Follow: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Open(context.Background()); err == nil || IsFatal(err) {
		t.Errorf("missing followed file: %v, want retryable", err)
	}
}
