//go:build !unix

package store

import "errors"

// Lock is the daemon's claim on a store. Without flock (not unix) it is
// not enforced: restore then cannot tell that the daemon runs.
type Lock struct{}

// ErrLocked is returned by TryLock when another process holds the lock.
var ErrLocked = errors.New("store is locked by another process (is the daemon running?)")

// LockPath is the lock file of the store at storePath.
func LockPath(storePath string) string { return storePath + ".lock" }

// TryLock takes the store's lock (a no-op here).
func TryLock(storePath string) (*Lock, error) { return &Lock{}, nil }

// Release gives the lock up.
func (l *Lock) Release() error { return nil }
