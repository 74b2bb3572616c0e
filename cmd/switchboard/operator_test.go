package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"switchboard/internal/operators"
	"switchboard/internal/store"
)

func TestOperatorCommands(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "sb.db")
	cfgPath := filepath.Join(dir, "switchboard.yaml")
	yaml := fmt.Sprintf("site: {group: acme, property: h042, gateway: gw1, timezone: Asia/Shanghai}\nstore: {path: %s}\n", db)
	if err := os.WriteFile(cfgPath, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SUDO_USER", "someone") // the person the changes are recorded as
	now := func() time.Time { return time.Date(2026, 12, 4, 8, 0, 0, 0, time.UTC) }
	for _, tc := range []struct {
		name, stdin string
		args        []string
		code        int
		out         string
	}{
		{"add", "1234\n", []string{"add", "0001", "--name", "Lin Mei", "--role", "operator"}, 0, "operator 0001: added"},
		{"add business", "a long password\n", []string{"add", "0002", "--name", "Chen", "--role", "business"}, 0, "added"},
		{"add twice", "1234\n", []string{"add", "0001", "--name", "Lin Mei", "--role", "operator"}, 1, "already exists"},
		{"short PIN", "12\n", []string{"add", "0003", "--name", "X", "--role", "admin"}, 2, "4 to 12 digits, or a password of at least 8 characters"},
		{"empty PIN", "", []string{"add", "0003", "--name", "X", "--role", "admin"}, 2, "empty password"},
		{"bad role", "1234\n", []string{"add", "0003", "--name", "X", "--role", "boss"}, 2, "want operator, business, supervisor or admin"},
		{"no name", "1234\n", []string{"add", "0003", "--role", "admin"}, 2, "--name is required"},
		{"PIN as argument", "", []string{"add", "0003", "--name", "X", "--role", "admin", "1234"}, 2, "never given on the command line"},
		{"no code", "", []string{"disable"}, 2, "code is required"},
		{"disable", "", []string{"disable", "0002"}, 0, "operator 0002: disabled"},
		{"disable unknown", "", []string{"disable", "0099"}, 1, "no such operator"},
		{"reset", "5678\n", []string{"reset", "0001"}, 0, "PIN reset (one-time"},
		{"add temporary", "24680\n", []string{"add", "0004", "--name", "Wu", "--role", "admin", "--temporary"}, 0, "temporary PIN"},
		{"disable the last admin", "", []string{"disable", "0004"}, 1, "last enabled admin"},
		{"demote the last admin", "", []string{"role", "0004", "--role", "supervisor"}, 1, "last enabled admin"},
		{"role", "", []string{"role", "0002", "--role", "supervisor"}, 0, "operator 0002: role supervisor"},
		{"role without --role", "", []string{"role", "0002"}, 2, "want operator, business, supervisor or admin"},
		{"unlock", "", []string{"unlock", "0001"}, 0, "operator 0001: unlocked"},
		{"enable", "", []string{"enable", "0002"}, 0, "operator 0002: enabled"},
		{"disable again", "", []string{"disable", "0002"}, 0, "operator 0002: disabled"},
		{"list", "", []string{"list"}, 0, "0002  Chen     supervisor  disabled  own"},
		{"list one-time", "", []string{"list"}, 0, "0004  Wu       admin       active    one-time"},
		{"unknown", "", []string{"promote", "0001"}, 2, "usage"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := execute(operatorCommand(strings.NewReader(tc.stdin), now), append(tc.args, "--config", cfgPath), &out, &errb)
			got := out.String() + errb.String()
			if code != tc.code || !strings.Contains(got, tc.out) {
				t.Fatalf("exit %d, want %d; output:\n%s\nwant %q in it", code, tc.code, got, tc.out)
			}
		})
	}
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ops := operators.New(st)
	if op, err := ops.Verify(context.Background(), "0001", "5678", now()); err != nil || op.Name != "Lin Mei" || !op.MustChangePIN {
		t.Fatalf("verify the reset PIN (one-time): %+v %v", op, err)
	}
	changes, err := ops.Changes(context.Background(), 1)
	if err != nil || len(changes) != 1 || changes[0].Code != "0004" || changes[0].By != "cli:someone" || changes[0].Detail != "admin, temporary PIN" {
		t.Fatalf("the last change recorded: %+v %v", changes, err)
	}
}
