package store

import (
	"context"
	"errors"
	"testing"
)

// A closed gate refuses a write before it begins (nothing is written) and
// lets an essential one through; opening it lets writes go on.
func TestWriteGate(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	full := errors.New("disk almost full")
	var closed bool
	s.SetWriteGate(func() error {
		if closed {
			return full
		}
		return nil
	})
	put := func(ctx context.Context, key string) error {
		return s.InTx(ctx, func(tx *Tx) error {
			_, _, err := tx.Enqueue(Event{Type: "t", Topic: "t", Source: "/s", IdemKey: key, Data: 1})
			return err
		})
	}
	if err := put(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	closed = true
	if err := put(ctx, "b"); !errors.Is(err, full) {
		t.Fatalf("write with the gate closed: %v", err)
	}
	if err := put(Essential(ctx), "c"); err != nil {
		t.Fatalf("essential write: %v", err)
	}
	closed = false
	if err := put(ctx, "d"); err != nil {
		t.Fatal(err)
	}
	rows, err := s.Pending(ctx, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 {
		t.Fatalf("%d events stored, want a, c, d", len(rows))
	}
	s.SetWriteGate(nil)
}
