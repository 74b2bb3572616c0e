package operators_test

import (
	"context"
	"slices"
	"testing"
	"time"
)

func TestShiftsBetween(t *testing.T) {
	ops, _ := newStore(t)
	ctx := context.Background()
	day := t0.Truncate(24 * time.Hour) // 2026-12-04 00:00 UTC
	// a: the night shift from the evening before, closed in the morning;
	// b: closed the day before; c: opened and closed in the day; d: still open.
	a, _, _ := ops.OpenShift(ctx, "0001", day.Add(-2*time.Hour))
	b, _, _ := ops.OpenShift(ctx, "0002", day.Add(-10*time.Hour))
	if _, err := ops.CloseShift(ctx, b.ID, day.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := ops.CloseShift(ctx, a.ID, day.Add(6*time.Hour)); err != nil {
		t.Fatal(err)
	}
	c, _, _ := ops.OpenShift(ctx, "0002", day.Add(8*time.Hour))
	if _, err := ops.CloseShift(ctx, c.ID, day.Add(16*time.Hour)); err != nil {
		t.Fatal(err)
	}
	d, _, _ := ops.OpenShift(ctx, "0003", day.Add(20*time.Hour))
	for _, tc := range []struct {
		name     string
		from, to time.Time
		want     []int64
	}{
		{"the day", day, day.Add(24 * time.Hour), []int64{a.ID, c.ID, d.ID}},
		{"the day before", day.Add(-24 * time.Hour), day, []int64{b.ID, a.ID}},
		{"the day after: only the open shift", day.Add(24 * time.Hour), day.Add(48 * time.Hour), []int64{d.ID}},
		{"the morning", day, day.Add(7 * time.Hour), []int64{a.ID}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ops.ShiftsBetween(ctx, tc.from, tc.to)
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, sh := range got {
				ids = append(ids, sh.ID)
			}
			if !slices.Equal(ids, tc.want) {
				t.Errorf("shifts %v, want %v", ids, tc.want)
			}
		})
	}
}

func TestShiftJournal(t *testing.T) {
	ops, _ := newStore(t)
	ctx := context.Background()
	sh, _, _ := ops.OpenShift(ctx, "0001", t0)
	if err := ops.RecordCommand(ctx, sh.ID, "cmd-1", t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	open, _ := ops.GetShift(ctx, sh.ID)
	j, err := ops.ShiftJournal(ctx, open, t0.Add(time.Hour))
	if err != nil || !j.Closed.Equal(t0.Add(time.Hour)) || len(j.Items) != 1 {
		t.Fatalf("open shift: journal so far %+v %v", j, err)
	}
	if _, err := ops.CloseShift(ctx, sh.ID, t0.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	// A command linked after the close is not in the journal as printed.
	if err := ops.RecordCommand(ctx, sh.ID, "cmd-late", t0.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	closed, _ := ops.GetShift(ctx, sh.ID)
	j, err = ops.ShiftJournal(ctx, closed, t0.Add(5*time.Hour))
	if err != nil || !j.Closed.Equal(t0.Add(2*time.Hour)) || len(j.Items) != 1 {
		t.Fatalf("closed shift: the recorded journal %+v %v", j, err)
	}
}
