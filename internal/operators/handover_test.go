package operators_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"switchboard/internal/operators"
)

func TestHandoverCheck(t *testing.T) {
	ops, _ := newStore(t)
	ctx := context.Background()
	if _, ok, err := ops.LastHandoverCheck(ctx); ok || err != nil {
		t.Fatalf("none yet: %v %v", ok, err)
	}
	if _, err := ops.RecordHandoverCheck(ctx, 99, nil, "", t0); !errors.Is(err, operators.ErrNoShift) {
		t.Fatalf("unknown shift: %v", err)
	}
	sh, _, _ := ops.OpenShift(ctx, "0001", t0)
	other, _, _ := ops.OpenShift(ctx, "0002", t0)
	if _, err := ops.RecordHandoverCheck(ctx, sh.ID, []string{"pbx.smdr"}, "first", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	hc, err := ops.RecordHandoverCheck(ctx, sh.ID, []string{"pbx.smdr", "print.paper"}, "tray 2 low", t0.Add(2*time.Hour))
	if err != nil || hc.Operator != "0001" {
		t.Fatalf("record: %+v %v", hc, err)
	}
	j, err := ops.Journal(ctx, sh.ID, t0.Add(3*time.Hour))
	if err != nil || j.Handover == nil || j.Handover.Remark != "tray 2 low" || !slices.Equal(j.Handover.Items, []string{"pbx.smdr", "print.paper"}) {
		t.Fatalf("journal: %+v %v", j.Handover, err)
	}
	if j, _ := ops.Journal(ctx, other.ID, t0.Add(3*time.Hour)); j.Handover != nil {
		t.Fatalf("another shift's check: %+v", j.Handover)
	}
	last, ok, err := ops.LastHandoverCheck(ctx)
	if err != nil || !ok || last.Shift != sh.ID || !last.At.Equal(t0.Add(2*time.Hour)) {
		t.Fatalf("last: %+v %v %v", last, ok, err)
	}
	// The closed shift's recorded journal carries it too.
	cj, err := ops.CloseShift(ctx, sh.ID, t0.Add(4*time.Hour))
	if err != nil || cj.Handover == nil {
		t.Fatalf("close: %+v %v", cj.Handover, err)
	}
}
