package report

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// CallResolution is how a flagged call (跑帳/漏帳) was settled by a person
// (internal/folio call.resolve, table call_resolutions): the reports count
// it as settled, no longer as to resolve.
type CallResolution struct {
	Action string    `json:"action"` // post, write-off, rerate
	Reason string    `json:"reason"`
	Room   string    `json:"room,omitempty"` // posted to
	By     string    `json:"by"`
	At     time.Time `json:"at"`
}

// resolutionCol reads a call's resolution with the call (one primary-key
// lookup per call read), as JSON; NULL when it has none.
const resolutionCol = `(SELECT json_object('action', r.action, 'reason', r.reason, 'room', r.room, 'by', r.principal, 'at', r.resolved)
	FROM call_resolutions r WHERE r.call = calls.idemkey)`

func scanResolution(c *Call, v sql.NullString) error {
	if !v.Valid {
		return nil
	}
	var r struct {
		Action, Reason, Room, By string
		At                       int64
	}
	if err := json.Unmarshal([]byte(v.String), &r); err != nil {
		return fmt.Errorf("call %s resolution: %w", c.IdemKey, err)
	}
	c.Resolution = &CallResolution{Action: r.Action, Reason: r.Reason, Room: r.Room, By: r.By, At: time.Unix(0, r.At)}
	return nil
}

// Settled says how: "write-off by S01 at 2026-12-04 22:10: staff call".
func (r *CallResolution) String() string {
	how := r.Action
	if r.Room != "" {
		how += " to room " + r.Room
	}
	return strings.TrimSpace(fmt.Sprintf("%s by %s at %s: %s", how, r.By, r.At.Format("2006-01-02 15:04"), r.Reason))
}

// SettledCall is a flagged call of the day a person resolved.
type SettledCall struct {
	Start     time.Time      `json:"start"`
	Room      string         `json:"room"`
	Extension string         `json:"extension"`
	Flags     []string       `json:"flags"`
	Posted    bool           `json:"posted"`
	Resolved  CallResolution `json:"resolved"`
}
