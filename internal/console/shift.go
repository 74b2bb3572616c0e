package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"switchboard/internal/bus"
	"switchboard/internal/operators"
)

// busRole is the bus role a console role sends commands as: the desk
// roles as operators (the bus then checks the sender is the operator the
// command names), supervisors and admins as the back office. The console's
// own route roles are narrower than the bus ACL (a business-centre clerk
// never reaches the wake-up commands).
func busRole(r operators.Role) bus.Role {
	switch r {
	case operators.RoleSupervisor, operators.RoleAdmin:
		return bus.RoleBackoffice
	}
	return bus.RoleOperator
}

// mayCommand says whether a console role may send command to domain: the
// business centre fax, print and copy; the switchboard operators the
// hotel-link commands, and the gateway's check-in and check-out where no
// hotel link takes them (rooms_stay.go); supervisors and admins all.
func mayCommand(r operators.Role, domain, command string) bool {
	switch r {
	case operators.RoleSupervisor, operators.RoleAdmin:
		return true
	case operators.RoleBusiness:
		return domain == "fax" || domain == "print"
	case operators.RoleOperator:
		return domain == "pbx" || (domain == "edge" && isStayCommand(command))
	}
	return false
}

// errNotYours is a command outside the session's role.
var errNotYours = errors.New("this command belongs to another role")

// command sends a desk command as the session's operator, in the session's
// open shift (a new one if the last was closed), and links it to the
// shift for the journal.
func (c *Console) command(ctx context.Context, s *session, domain, device, name string, data any) (bus.Reply, error) {
	if !mayCommand(s.role, domain, name) {
		return bus.Reply{}, errNotYours
	}
	// The operator's open shift, read again: another browser of the same
	// operator may have closed the one this session began in.
	sh, _, err := c.ops.OpenShift(ctx, s.code, c.now())
	if err != nil {
		return bus.Reply{}, err
	}
	if sh.ID != s.shift {
		s.shift = sh.ID
		c.sessions.setShift(s.id, sh.ID)
	}
	// The shift rides on the principal: the router hands it to the desk
	// with the operator (events.Actor), so the events and the charges the
	// command causes carry it (issue 13). Only this in-process path sets it.
	rep, err := c.o.Host.Command(ctx, domain, device, name, data, bus.Principal{Username: s.code, Role: busRole(s.role), ClientID: "console", Shift: s.shift})
	if rep.CommandID != "" {
		// The command was sent even when ctx ended before its reply (a
		// fax.send waits only SendWait for "accepted"): its link to the
		// shift is written without that deadline, or the journal loses it.
		if lerr := c.ops.RecordCommand(context.WithoutCancel(ctx), s.shift, rep.CommandID, c.now()); lerr != nil {
			c.o.Log.Error("command not linked to its shift", "id", rep.CommandID, "shift", s.shift, "err", lerr)
		}
	}
	if err != nil {
		return rep, fmt.Errorf("%s: %w", name, err)
	}
	c.o.Log.Info("command", "id", rep.CommandID, "command", name, "device", device, "operator", s.code, "shift", s.shift, "status", rep.Status)
	return rep, nil
}

// shiftPage shows the open shift's journal so far, with the close button.
func (c *Console) shiftPage(w http.ResponseWriter, r *http.Request, s session) {
	if s.shift == 0 {
		c.render(w, r, http.StatusOK, "shift", &s, map[string]any{"NoShift": true})
		return
	}
	j, err := c.ops.Journal(r.Context(), s.shift, c.now())
	if err != nil {
		c.o.Log.Error("shift journal", "shift", s.shift, "err", err)
		http.Error(w, "the shift journal cannot be read", http.StatusInternalServerError)
		return
	}
	c.render(w, r, http.StatusOK, "shift", &s, map[string]any{"Journal": j})
}

// closeShift closes the session's shift, records its journal and shows it
// for printing. The session goes on: the next command opens a new shift.
func (c *Console) closeShift(w http.ResponseWriter, r *http.Request, s session) {
	if s.shift == 0 {
		http.Redirect(w, r, "/shift", http.StatusSeeOther)
		return
	}
	j, err := c.ops.CloseShift(r.Context(), s.shift, c.now())
	if errors.Is(err, operators.ErrNoShift) {
		// Closed already (another browser of the same operator).
		c.sessions.setShift(s.id, 0)
		http.Redirect(w, r, "/shift", http.StatusSeeOther)
		return
	}
	if err != nil {
		c.o.Log.Error("shift not closed", "shift", s.shift, "err", err)
		http.Error(w, "the shift could not be closed", http.StatusInternalServerError)
		return
	}
	c.o.Log.Info("shift closed", "operator", s.code, "shift", s.shift, "items", len(j.Items))
	c.sessions.setShift(s.id, 0)
	s.shift = 0
	c.render(w, r, http.StatusOK, "shift", &s, map[string]any{"Journal": j, "Closed": true})
}
