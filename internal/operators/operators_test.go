package operators_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"switchboard/internal/operators"
	"switchboard/internal/passwd"
	"switchboard/internal/store"
)

// cheap argon2id costs: the tests verify many PINs.
var cheap = passwd.Params{MemoryKiB: 64, Passes: 1, Threads: 1}

func newStore(t testing.TB) (*operators.Store, *store.Store) {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "sb.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return operators.NewWithParams(st, cheap), st
}

var t0 = time.Date(2026, 12, 4, 22, 0, 0, 0, time.UTC)

func TestCheckPIN(t *testing.T) {
	for _, tc := range []struct {
		pin string
		ok  bool
	}{
		{"1234", true}, {"123456789012", true}, {"123", false}, {"1234567890123", false},
		{"abcdefgh", true}, {"abc1234", false}, {"", false}, {"pass word 1", true},
	} {
		if err := operators.CheckPIN(tc.pin); (err == nil) != tc.ok {
			t.Errorf("CheckPIN(%q) = %v, want ok %v", tc.pin, err, tc.ok)
		}
	}
}

func TestAddListDisableReset(t *testing.T) {
	ops, _ := newStore(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		op   operators.Operator
		pin  string
		err  string
	}{
		{"good", operators.Operator{Code: "0001", Name: "Lin", Role: operators.RoleOperator}, "1234", ""},
		{"business", operators.Operator{Code: "0002", Name: "Chen", Role: operators.RoleBusiness}, "long password", ""},
		{"again", operators.Operator{Code: "0001", Name: "Lin", Role: operators.RoleOperator}, "1234", "already exists"},
		{"bad role", operators.Operator{Code: "0003", Name: "X", Role: "boss"}, "1234", "want operator, business"},
		{"bad code", operators.Operator{Code: "00/1", Name: "X", Role: operators.RoleAdmin}, "1234", "letters or digits"},
		{"no name", operators.Operator{Code: "0004", Role: operators.RoleAdmin}, "1234", "name"},
		{"short pin", operators.Operator{Code: "0005", Name: "X", Role: operators.RoleAdmin}, "12", "4 to 12 digits"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := ops.Add(ctx, tc.op, tc.pin, t0)
			if tc.err == "" && err != nil || tc.err != "" && (err == nil || !contains(err.Error(), tc.err)) {
				t.Fatalf("Add: %v, want %q", err, tc.err)
			}
		})
	}
	list, err := ops.List(ctx)
	if err != nil || len(list) != 2 || list[0].Code != "0001" || list[1].Role != operators.RoleBusiness {
		t.Fatalf("List = %+v, %v", list, err)
	}
	if err := ops.Disable(ctx, "0001", t0); err != nil {
		t.Fatal(err)
	}
	if _, err := ops.Verify(ctx, "0001", "1234", t0); !errors.Is(err, operators.ErrDisabled) {
		t.Fatalf("disabled: %v", err)
	}
	if err := ops.Disable(ctx, "9999", t0); !errors.Is(err, operators.ErrNotFound) {
		t.Fatalf("disable unknown: %v", err)
	}
	if err := ops.Reset(ctx, "0001", "5678", t0); err != nil {
		t.Fatal(err)
	}
	if _, err := ops.Verify(ctx, "0001", "1234", t0); !errors.Is(err, operators.ErrDenied) {
		t.Fatalf("old PIN after reset: %v", err)
	}
	if op, err := ops.Verify(ctx, "0001", "5678", t0); err != nil || op.Name != "Lin" {
		t.Fatalf("new PIN after reset: %+v %v", op, err)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func TestLockout(t *testing.T) {
	ops, _ := newStore(t)
	ctx := context.Background()
	for _, c := range []string{"0001", "0002"} {
		if err := ops.Add(ctx, operators.Operator{Code: c, Name: "N" + c, Role: operators.RoleOperator}, "1234", t0); err != nil {
			t.Fatal(err)
		}
	}
	type step struct {
		code, pin string
		at        time.Duration
		want      string // ok, denied, locked
	}
	steps := []step{
		{"0001", "0000", 0, "denied"},
		{"0001", "0000", 1, "denied"},
		{"0001", "0000", 2, "denied"},
		{"0001", "1234", 3, "ok"}, // a good PIN clears the count
		{"0001", "0000", 4, "denied"},
		{"0001", "0000", 5, "denied"},
		{"0001", "0000", 6, "denied"},
		{"0001", "0000", 7, "denied"},
		{"0001", "0000", 8, "locked"}, // the fifth in a row
		{"0001", "1234", 9, "locked"}, // even the right PIN, while locked
		{"0002", "1234", 10, "ok"},    // per code
		{"0001", "1234", 8 + 15*60, "ok"},
		{"nobody", "1234", 20 * 60, "denied"},
	}
	for i, s := range steps {
		_, err := ops.Verify(ctx, s.code, s.pin, t0.Add(s.at*time.Second))
		var le *operators.LockedError
		got := "ok"
		switch {
		case errors.Is(err, operators.ErrDenied):
			got = "denied"
		case errors.As(err, &le):
			got = "locked"
			if want := t0.Add(8*time.Second + operators.LockFor); !le.Until.Equal(want) {
				t.Errorf("step %d: locked until %v, want %v", i, le.Until, want)
			}
		case err != nil:
			t.Fatalf("step %d: %v", i, err)
		}
		if got != s.want {
			t.Fatalf("step %d (%s %s): %s, want %s", i, s.code, s.pin, got, s.want)
		}
	}
}

func TestShifts(t *testing.T) {
	ops, st := newStore(t)
	ctx := context.Background()
	sh, cont, err := ops.OpenShift(ctx, "0001", t0)
	if err != nil || cont || sh.ID == 0 {
		t.Fatalf("open: %+v %v %v", sh, cont, err)
	}
	again, cont, err := ops.OpenShift(ctx, "0001", t0.Add(time.Hour))
	if err != nil || !cont || again.ID != sh.ID || !again.Opened.Equal(t0) {
		t.Fatalf("sign in again: %+v %v %v", again, cont, err)
	}
	other, _, _ := ops.OpenShift(ctx, "0002", t0)
	if other.ID == sh.ID {
		t.Fatal("two operators share a shift")
	}
	// Two commands in the log, one of them this shift's.
	for _, c := range []struct{ id, topic, status string }{
		{"c1", "pbx/pbx1/wakeup.set", store.CommandCompleted},
		{"c2", "pbx/pbx1/wakeup.cancel", store.CommandFailed},
		{"c3", "print/mfp1/print.submit", store.CommandCompleted},
	} {
		err := st.InTx(ctx, func(tx *store.Tx) error {
			return tx.PutCommand(store.CommandRow{ID: c.id, Topic: c.topic, Client: "console", Received: t0, Status: c.status})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for i, id := range []string{"c1", "c2"} {
		if err := ops.RecordCommand(ctx, sh.ID, id, t0.Add(time.Duration(i)*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	if err := ops.RecordCommand(ctx, other.ID, "c3", t0); err != nil {
		t.Fatal(err)
	}
	j, err := ops.CloseShift(ctx, sh.ID, t0.Add(8*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(j.Items) != 2 || j.Items[0].Command != "wakeup.set" || j.Items[1].Status != store.CommandFailed {
		t.Fatalf("items: %+v", j.Items)
	}
	if len(j.Services) != 1 || j.Services[0] != (operators.ServiceTotal{Service: "pbx/wakeup", Commands: 2, Completed: 1, Failed: 1}) {
		t.Fatalf("services: %+v", j.Services)
	}
	if _, err := ops.CloseShift(ctx, sh.ID, t0.Add(9*time.Hour)); !errors.Is(err, operators.ErrNoShift) {
		t.Fatalf("close twice: %v", err)
	}
	closed, err := ops.GetShift(ctx, sh.ID)
	if err != nil || closed.Open() {
		t.Fatalf("closed shift: %+v %v", closed, err)
	}
	var rec operators.Journal
	if err := json.Unmarshal(closed.Journal, &rec); err != nil || len(rec.Items) != 2 {
		t.Fatalf("recorded journal: %s %v", closed.Journal, err)
	}
	if _, ok, _ := ops.CurrentShift(ctx, "0001"); ok {
		t.Fatal("a closed shift is still current")
	}
	next, cont, err := ops.OpenShift(ctx, "0001", t0.Add(24*time.Hour))
	if err != nil || cont || next.ID == sh.ID {
		t.Fatalf("next shift: %+v %v %v", next, cont, err)
	}
}
