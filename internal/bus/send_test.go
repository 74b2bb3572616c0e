package bus

import (
	"context"
	"errors"
	"testing"
	"time"

	"switchboard/internal/store"
)

// sendHandler completes a command, or fails it in Validate or Execute.
type sendHandler struct{}

func (sendHandler) Validate(c *Command) error {
	var d struct {
		Room     string `json:"room"`
		Operator string `json:"operator"`
	}
	if err := DecodeData(c, &d); err != nil {
		return err
	}
	if d.Room == "" {
		return &FieldError{Field: "data.room", Problem: "required"}
	}
	return nil
}

func (sendHandler) Execute(ctx context.Context, c *Command) (any, error) {
	var d struct{ Room string }
	_ = DecodeData(c, &d)
	if d.Room == "9999" {
		return nil, errors.New("no such room at the PBX")
	}
	return map[string]string{"room": d.Room}, nil
}

// Send runs a command in-process through the same path as MQTT's: the
// final reply comes back, and the command log names the principal.
func TestSend(t *testing.T) {
	r, st := newRunningRouter(t)
	r.Handle("pbx", "wakeup.set", sendHandler{})
	op := Principal{Username: "0001", Role: RoleOperator}
	for _, tc := range []struct {
		name   string
		data   any
		status string
		reason string
	}{
		{"completed", map[string]string{"room": "1203", "operator": "0001"}, store.CommandCompleted, ""},
		{"invalid", map[string]string{"operator": "0001"}, store.CommandFailed, "data.room: required"},
		{"device says no", map[string]string{"room": "9999", "operator": "0001"}, store.CommandFailed, "no such room at the PBX"},
		{"another operator", map[string]string{"room": "1203", "operator": "0002"}, store.CommandFailed, `data.operator: "0002" is not the operator who sent it ("0001")`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			rep, err := r.Send(ctx, "pbx", "pbx1", "wakeup.set", tc.data, op, "console")
			if err != nil {
				t.Fatal(err)
			}
			if rep.Status != tc.status || rep.Reason != tc.reason {
				t.Fatalf("reply %+v, want %s %q", rep, tc.status, tc.reason)
			}
			if rep.By == nil || rep.By.Principal != "0001" {
				t.Errorf("reply by %+v", rep.By)
			}
			if tc.name == "another operator" {
				return // refused before the log: not recorded
			}
			row, ok, err := st.Command(ctx, rep.CommandID)
			if err != nil || !ok || row.Principal != "0001" || row.Role != "operator" || row.Status != tc.status {
				t.Fatalf("command log: %+v %v %v", row, ok, err)
			}
		})
	}
	t.Run("no handler", func(t *testing.T) {
		rep, err := r.Send(context.Background(), "pbx", "pbx1", "wakeup.nothing", map[string]string{}, op, "console")
		if err != nil || rep.Status != store.CommandFailed {
			t.Fatalf("%+v %v", rep, err)
		}
	})
}
