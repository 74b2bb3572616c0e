package store

import (
	"context"
	"fmt"
)

// A write gate refuses new work while the gateway must not take any (the
// disk almost full: internal/diskguard). It is asked at the start of every
// write transaction (InTx), before BEGIN, so a refused write leaves
// nothing half done; SQLite's own SQLITE_FULL would roll back a commit
// just as safely, but after the work was read from its device.
//
// Essential writes pass: command replies, alerts, retained status: what
// tells people that the gateway stopped and why, which the space kept
// under the floor is for.

type essentialKey struct{}

// Essential marks ctx's writes as passing the write gate.
func Essential(ctx context.Context) context.Context {
	return context.WithValue(ctx, essentialKey{}, true)
}

// SetWriteGate installs gate (nil: none); a non-nil error from it refuses
// the write with that error.
func (s *Store) SetWriteGate(gate func() error) {
	if gate == nil {
		s.gate.Store(nil)
		return
	}
	s.gate.Store(&gate)
}

// admit asks the write gate.
func (s *Store) admit(ctx context.Context) error {
	g := s.gate.Load()
	if g == nil || ctx.Value(essentialKey{}) != nil {
		return nil
	}
	if err := (*g)(); err != nil {
		return fmt.Errorf("store: write refused: %w", err)
	}
	return nil
}
