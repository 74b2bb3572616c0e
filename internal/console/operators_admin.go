package console

import (
	"errors"
	"net/http"
	"time"

	"switchboard/internal/operators"
)

// The operators page (/operators): admins add operators, disable and
// enable them, change their role, reset their PIN (a one-time one, which
// the operator replaces at the next sign-in: pin_change.go) and end a
// lockout; supervisors see the list and the changes but change nothing;
// operators and business clerks get 403. The rules (PIN, code and name
// checks; not one's own code, not the last admin) are internal/operators'
// (the CLI keeps the same ones), and every change is recorded there with
// who and when (operators.Changes).

// opRoles are the roles in the order the forms offer them.
func opRoles() []operators.Role {
	return []operators.Role{operators.RoleOperator, operators.RoleBusiness, operators.RoleSupervisor, operators.RoleAdmin}
}

// opHistory is how many recorded changes the page lists.
const opHistory = 20

func (c *Console) operatorRoutes() {
	viewers := []operators.Role{operators.RoleSupervisor, operators.RoleAdmin}
	admins := []operators.Role{operators.RoleAdmin}
	c.mux.Handle("GET /operators", c.page(viewers, c.operatorsPage))
	c.mux.Handle("GET /operators/{code}", c.page(admins, c.operatorCardPage))
	c.mux.Handle("POST /operators/add", c.page(admins, c.operatorAdd))
	c.mux.Handle("POST /operators/{code}/{action}", c.page(admins, c.operatorAction))
}

// Operators: the page is the supervisors' and admins'.
func (s *session) Operators() bool {
	return s.role == operators.RoleSupervisor || s.role == operators.RoleAdmin
}

// ManagesOperators: only admins change operators.
func (s *session) ManagesOperators() bool { return s.role == operators.RoleAdmin }

// opRow is one operator as the page shows it.
type opRow struct {
	operators.Operator
	Locked bool // locked out now (LockedUntil is after now)
	Self   bool // the signed-in operator: no disable or role form
}

func (c *Console) operatorsPage(w http.ResponseWriter, r *http.Request, s session) {
	data := map[string]any{}
	c.takeFlashAt(w, r, data, "/operators")
	c.operatorsView(w, r, s, http.StatusOK, data)
}

// operatorsView renders the page with status and data (a problem, the
// add form's fields to show again: never a PIN).
func (c *Console) operatorsView(w http.ResponseWriter, r *http.Request, s session, status int, data map[string]any) {
	list, err := c.ops.List(r.Context())
	if err != nil {
		c.o.Log.Error("operators not listed", "err", err)
		http.Error(w, "the operators cannot be read from the store", http.StatusInternalServerError)
		return
	}
	now := c.now()
	rows := make([]opRow, len(list))
	for i, op := range list {
		rows[i] = opRow{Operator: op, Locked: now.Before(op.LockedUntil), Self: op.Code == s.code}
	}
	changes, err := c.ops.Changes(r.Context(), opHistory)
	if err != nil {
		c.o.Log.Error("operator changes not read", "err", err)
	}
	data["Operators"], data["Changes"], data["Roles"] = rows, changes, opRoles()
	if _, ok := data["Temporary"]; !ok {
		data["Temporary"] = true // an admin-typed PIN is known to the admin: changed at first sign-in by default
	}
	c.render(w, r, status, "operators", &s, data)
}

// operatorCardPage is one operator's card: its state and the forms that
// change it (the list stays light: a form per row would make the page
// slow and wide with a front office of a few hundred).
func (c *Console) operatorCardPage(w http.ResponseWriter, r *http.Request, s session) {
	c.operatorCard(w, r, s, http.StatusOK, r.PathValue("code"), "")
}

// operatorCard renders code's card with status and a problem ("": none);
// an unknown code is the list with a 404 saying so.
func (c *Console) operatorCard(w http.ResponseWriter, r *http.Request, s session, status int, code, problem string) {
	op, err := c.ops.Get(r.Context(), code)
	if errors.Is(err, operators.ErrNotFound) {
		c.operatorsView(w, r, s, http.StatusNotFound, map[string]any{"Problem": "ops.e.notfound", "Target": code})
		return
	}
	if err != nil {
		c.o.Log.Error("operator not read", "operator", code, "err", err)
		http.Error(w, "the operator cannot be read from the store", http.StatusInternalServerError)
		return
	}
	c.render(w, r, status, "operator", &s, map[string]any{"Op": op, "Locked": c.now().Before(op.LockedUntil),
		"Self": op.Code == s.code, "Roles": opRoles(), "Problem": problem})
}

// operatorAdd adds an operator; the initial PIN is typed twice and, with
// "temporary" ticked, must be changed at the first sign-in.
func (c *Console) operatorAdd(w http.ResponseWriter, r *http.Request, s session) {
	op := operators.Operator{Code: r.PostFormValue("code"), Name: r.PostFormValue("name"),
		Role: operators.Role(r.PostFormValue("role")), MustChangePIN: r.PostFormValue("temporary") != ""}
	pin := r.PostFormValue("pin")
	data := map[string]any{"Code": op.Code, "Name": op.Name, "Role": string(op.Role), "Temporary": op.MustChangePIN}
	refuse := func(status int, problem string) {
		data["Problem"] = problem
		c.operatorsView(w, r, s, status, data)
	}
	// The checks are internal/operators' (Add makes them again); they are
	// asked here one by one only to say which field was wrong.
	switch {
	case operators.CheckCode(op.Code) != nil:
		refuse(http.StatusBadRequest, "ops.e.code")
		return
	case operators.CheckName(op.Name) != nil:
		refuse(http.StatusBadRequest, "ops.e.name")
		return
	case func() bool { _, err := operators.ParseRole(string(op.Role)); return err != nil }():
		refuse(http.StatusBadRequest, "ops.e.role")
		return
	case pin != r.PostFormValue("pin2"):
		refuse(http.StatusBadRequest, "pin.e.mismatch")
		return
	case operators.CheckPIN(pin) != nil:
		refuse(http.StatusBadRequest, "ops.e.pin")
		return
	}
	err := c.ops.As(s.code).Add(r.Context(), op, pin, c.now())
	switch {
	case errors.Is(err, operators.ErrExists):
		refuse(http.StatusConflict, "ops.e.exists")
		return
	case err != nil:
		c.o.Log.Error("operator not added", "operator", op.Code, "by", s.code, "err", err)
		http.Error(w, "the operator could not be added: the store cannot be written", http.StatusInternalServerError)
		return
	}
	c.o.Log.Info("operator added", "operator", op.Code, "role", op.Role, "temporary", op.MustChangePIN, "by", s.code)
	c.setFlashAt(w, flash{What: op.Code, Status: "ops.done.add"}, "/operators")
	http.Redirect(w, r, "/operators", http.StatusSeeOther)
}

// operatorAction is one change of an operator: disable, enable, unlock,
// role (to the form's role) or reset (the PIN typed twice, or generated
// and shown once).
func (c *Console) operatorAction(w http.ResponseWriter, r *http.Request, s session) {
	code, action := r.PathValue("code"), r.PathValue("action")
	m, now := c.ops.As(s.code), c.now()
	refuse := func(status int, problem string) { c.operatorCard(w, r, s, status, code, problem) }
	var err error
	var generated string
	endSessions := true // what the operator's sessions were allowed no longer holds
	switch action {
	case operators.ActDisable:
		err = m.Disable(r.Context(), code, now)
	case operators.ActEnable:
		err, endSessions = m.Enable(r.Context(), code, now), false
	case operators.ActUnlock:
		err, endSessions = m.Unlock(r.Context(), code, now), false
	case operators.ActRole:
		role, perr := operators.ParseRole(r.PostFormValue("role"))
		if perr != nil {
			refuse(http.StatusBadRequest, "ops.e.role")
			return
		}
		err = m.SetRole(r.Context(), code, role, now)
	case operators.ActReset:
		pin := r.PostFormValue("pin")
		if r.PostFormValue("mode") == "generate" {
			if pin, err = operators.GeneratePIN(); err != nil {
				break
			}
			generated = pin
		} else if pin != r.PostFormValue("pin2") {
			refuse(http.StatusBadRequest, "pin.e.mismatch")
			return
		} else if operators.CheckPIN(pin) != nil {
			refuse(http.StatusBadRequest, "ops.e.pin")
			return
		}
		err = m.Reset(r.Context(), code, pin, now)
	default:
		http.NotFound(w, r)
		return
	}
	switch {
	case errors.Is(err, operators.ErrNotFound):
		refuse(http.StatusNotFound, "ops.e.notfound") // the card of no operator: the list saying so
		return
	case errors.Is(err, operators.ErrSelf):
		refuse(http.StatusConflict, "ops.e.self")
		return
	case errors.Is(err, operators.ErrLastAdmin):
		refuse(http.StatusConflict, "ops.e.lastadmin")
		return
	case err != nil:
		c.o.Log.Error("operator not changed", "operator", code, "action", action, "by", s.code, "err", err)
		http.Error(w, "the operator could not be changed: the store cannot be written", http.StatusInternalServerError)
		return
	}
	ended := 0
	if endSessions {
		ended = c.sessions.endFor(code)
	}
	c.o.Log.Info("operator changed", "operator", code, "action", action, "by", s.code, "sessions_ended", ended)
	if generated != "" {
		// Shown once, in this answer only (no-store): never kept, logged or put in a cookie.
		c.render(w, r, http.StatusOK, "operator_pin", &s, map[string]any{"Code": code, "PIN": generated, "At": now.Round(time.Second)})
		return
	}
	c.setFlashAt(w, flash{What: code, Status: "ops.done." + action}, "/operators")
	http.Redirect(w, r, "/operators", http.StatusSeeOther)
}
