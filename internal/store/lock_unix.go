//go:build unix

package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// Lock is the daemon's claim on a store: an flock on "<store>.lock", held
// while `switchboard run` runs and taken by `switchboard restore`, so the one
// refuses while the other holds it. The kernel drops it when the process
// ends, so a crash leaves no stale lock behind.
type Lock struct{ f *os.File }

// ErrLocked is returned by TryLock when another process holds the lock.
var ErrLocked = errors.New("store is locked by another process (is the daemon running?)")

// LockPath is the lock file of the store at storePath.
func LockPath(storePath string) string { return storePath + ".lock" }

// TryLock takes the store's lock without waiting.
func TryLock(storePath string) (*Lock, error) {
	p := LockPath(storePath)
	if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
		return nil, fmt.Errorf("store: lock %s: %w", p, err)
	}
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("store: lock %s: %w", p, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%s: %w", p, ErrLocked)
		}
		return nil, fmt.Errorf("store: lock %s: %w", p, err)
	}
	return &Lock{f: f}, nil
}

// Release gives the lock up.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close() // closing the descriptor drops the flock
	l.f = nil
	return err
}
