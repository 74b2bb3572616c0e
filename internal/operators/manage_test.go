package operators_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"switchboard/internal/operators"
)

// addAll adds the management tests' operators: two admins (A1, A2), an
// operator (O1) and a supervisor (S1), all with PIN 1234.
func addAll(t *testing.T, ops *operators.Store) {
	t.Helper()
	for _, op := range []operators.Operator{
		{Code: "A1", Name: "Admin one", Role: operators.RoleAdmin},
		{Code: "A2", Name: "Admin two", Role: operators.RoleAdmin},
		{Code: "O1", Name: "Operator", Role: operators.RoleOperator},
		{Code: "S1", Name: "Supervisor", Role: operators.RoleSupervisor},
	} {
		if err := ops.Add(context.Background(), op, "1234", t0); err != nil {
			t.Fatal(err)
		}
	}
}

// The management rules, in order on one store: an admin cannot disable or
// demote their own code, nor the last enabled admin; each change that is
// made is recorded with who, what and when.
func TestManageRules(t *testing.T) {
	ops, _ := newStore(t)
	addAll(t, ops)
	ctx := context.Background()
	for i, tc := range []struct {
		name   string
		by     string
		do     func(m operators.Manager, at time.Time) error
		want   error  // nil: done
		action string // the change recorded when done
	}{
		{"disable self", "A1", func(m operators.Manager, at time.Time) error { return m.Disable(ctx, "A1", at) }, operators.ErrSelf, ""},
		{"demote self", "A1", func(m operators.Manager, at time.Time) error {
			return m.SetRole(ctx, "A1", operators.RoleSupervisor, at)
		}, operators.ErrSelf, ""},
		{"bad role", "A1", func(m operators.Manager, at time.Time) error { return m.SetRole(ctx, "O1", "boss", at) }, nil, "!"},
		{"unknown", "A1", func(m operators.Manager, at time.Time) error { return m.Disable(ctx, "ZZ", at) }, operators.ErrNotFound, ""},
		{"promote", "A1", func(m operators.Manager, at time.Time) error { return m.SetRole(ctx, "S1", operators.RoleAdmin, at) }, nil, operators.ActRole},
		{"disable other admin", "A1", func(m operators.Manager, at time.Time) error { return m.Disable(ctx, "A2", at) }, nil, operators.ActDisable},
		{"demote another", "A1", func(m operators.Manager, at time.Time) error {
			return m.SetRole(ctx, "S1", operators.RoleSupervisor, at)
		}, nil, operators.ActRole},
		// A1 is now the only enabled admin: from the CLI too, it stays one.
		{"last admin disabled", "cli:root", func(m operators.Manager, at time.Time) error { return m.Disable(ctx, "A1", at) }, operators.ErrLastAdmin, ""},
		{"last admin demoted", "cli:root", func(m operators.Manager, at time.Time) error { return m.SetRole(ctx, "A1", operators.RoleOperator, at) }, operators.ErrLastAdmin, ""},
		{"enable", "A1", func(m operators.Manager, at time.Time) error { return m.Enable(ctx, "A2", at) }, nil, operators.ActEnable},
		{"then demote", "A2", func(m operators.Manager, at time.Time) error {
			return m.SetRole(ctx, "A1", operators.RoleSupervisor, at)
		}, nil, operators.ActRole},
		{"disabled admin does not count", "A2", func(m operators.Manager, at time.Time) error { return m.Disable(ctx, "O1", at) }, nil, operators.ActDisable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			at := t0.Add(time.Duration(i+1) * time.Minute)
			err := tc.do(ops.As(tc.by), at)
			switch {
			case tc.action == "!":
				if err == nil {
					t.Fatal("done, want a refusal")
				}
				return
			case tc.want != nil:
				if !errors.Is(err, tc.want) {
					t.Fatalf("err %v, want %v", err, tc.want)
				}
				return
			case err != nil:
				t.Fatal(err)
			}
			last, err := ops.Changes(ctx, 1)
			if err != nil || len(last) != 1 {
				t.Fatalf("changes %v %v", last, err)
			}
			if c := last[0]; c.By != tc.by || c.Action != tc.action || !c.At.Equal(at) {
				t.Fatalf("recorded %+v, want by %s action %s at %v", c, tc.by, tc.action, at)
			}
		})
	}
}

// A reset PIN is a one-time one: sign-in says so until the operator
// chooses another (not the same one); an add can make a temporary PIN too.
func TestForcedPINChange(t *testing.T) {
	ops, _ := newStore(t)
	addAll(t, ops)
	ctx := context.Background()
	if err := ops.As("A1").Add(ctx, operators.Operator{Code: "T1", Name: "Temp", Role: operators.RoleBusiness, MustChangePIN: true}, "4321", t0.Add(10*time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := ops.As("A1").Reset(ctx, "O1", "5555", t0.Add(20*time.Second)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		code, pin string
		must      bool
	}{{"T1", "4321", true}, {"O1", "5555", true}, {"S1", "1234", false}} {
		op, err := ops.Verify(ctx, tc.code, tc.pin, t0.Add(time.Minute))
		if err != nil || op.MustChangePIN != tc.must {
			t.Errorf("%s: must change %v (%v), want %v", tc.code, op.MustChangePIN, err, tc.must)
		}
	}
	for _, tc := range []struct {
		name, pin string
		want      string // "" done
	}{
		{"same as the one-time PIN", "5555", operators.ErrSamePIN.Error()},
		{"too short", "12", "PIN too short"},
		{"new", "246810", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := ops.ChangePIN(ctx, "O1", tc.pin, t0.Add(2*time.Minute))
			if (err == nil) != (tc.want == "") || err != nil && !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want %q", err, tc.want)
			}
		})
	}
	op, err := ops.Verify(ctx, "O1", "246810", t0.Add(3*time.Minute))
	if err != nil || op.MustChangePIN {
		t.Fatalf("after the change: %+v %v", op, err)
	}
	list, err := ops.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range list {
		wantMust := o.Code == "T1"
		wantSignin := o.Code == "T1" || o.Code == "O1" || o.Code == "S1"
		if o.MustChangePIN != wantMust || o.LastSignin.IsZero() == wantSignin {
			t.Errorf("list %s: must %v, last sign-in %v", o.Code, o.MustChangePIN, o.LastSignin)
		}
	}
	changes, err := ops.Changes(ctx, 3)
	if err != nil || len(changes) != 3 {
		t.Fatalf("changes %v %v", changes, err)
	}
	if c := changes[0]; c.Action != operators.ActPIN || c.By != "O1" || c.Code != "O1" {
		t.Errorf("newest change %+v", c)
	}
	if c := changes[1]; c.Action != operators.ActReset || c.By != "A1" || c.Code != "O1" {
		t.Errorf("the reset %+v", c)
	}
	if c := changes[2]; c.Action != operators.ActAdd || c.Detail != "business, temporary PIN" || c.By != "A1" {
		t.Errorf("the add %+v", c)
	}
}

// Unlock ends a lockout before its time.
func TestUnlock(t *testing.T) {
	ops, _ := newStore(t)
	addAll(t, ops)
	ctx := context.Background()
	for range operators.MaxFailures {
		_, _ = ops.Verify(ctx, "O1", "0000", t0)
	}
	var locked *operators.LockedError
	if _, err := ops.Verify(ctx, "O1", "1234", t0); !errors.As(err, &locked) {
		t.Fatalf("not locked: %v", err)
	}
	if err := ops.As("A1").Unlock(ctx, "O1", t0); err != nil {
		t.Fatal(err)
	}
	if _, err := ops.Verify(ctx, "O1", "1234", t0); err != nil {
		t.Fatalf("after unlock: %v", err)
	}
}

func TestGeneratePIN(t *testing.T) {
	seen := map[string]bool{}
	for range 20 {
		pin, err := operators.GeneratePIN()
		if err != nil {
			t.Fatal(err)
		}
		if err := operators.CheckPIN(pin); err != nil || len(pin) != 8 {
			t.Fatalf("%q: %v", pin, err)
		}
		seen[pin] = true
	}
	if len(seen) < 19 {
		t.Fatalf("20 PINs, %d different", len(seen))
	}
}
