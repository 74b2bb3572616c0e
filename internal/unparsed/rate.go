package unparsed

import (
	"fmt"

	"switchboard/internal/events"
)

// Rate watches the share of unreadable frames among a device's last
// Window records (skipped frames, headers and blank lines, do not count).
// It is a value: a caller whose transaction is retried restores a copy.
type Rate struct {
	Window int
	recent []bool // true = unparsed, newest last
	raised bool
}

// Observe counts a record (bad: unreadable) and returns the alert to raise
// or clear, if any.
func (u *Rate) Observe(bad bool) (events.Alert, bool) {
	if u.Window <= 0 {
		u.Window = 20
	}
	u.recent = append(u.recent, bad)
	if len(u.recent) > u.Window {
		u.recent = u.recent[len(u.recent)-u.Window:]
	}
	n := 0
	for _, b := range u.recent {
		if b {
			n++
		}
	}
	switch {
	case !u.raised && n >= 5 && n*2 >= len(u.recent):
		u.raised = true
		return events.Alert{Alert: "smdr-unparsed-rate", State: "raised", Severity: "warning",
			Message: "check SMDR port settings: most recent lines could not be read (baud rate, parity, or the wrong profile)",
			Detail:  fmt.Sprintf("%d of the last %d records unreadable", n, len(u.recent))}, true
	case u.raised && len(u.recent) >= u.Window && n*10 < len(u.recent):
		u.raised = false
		return events.Alert{Alert: "smdr-unparsed-rate", State: "cleared", Severity: "info",
			Message: "SMDR lines read normally again", Detail: fmt.Sprintf("%d of the last %d records unreadable", n, len(u.recent))}, true
	}
	return events.Alert{}, false
}
