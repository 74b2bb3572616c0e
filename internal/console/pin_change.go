package console

import (
	"errors"
	"net/http"

	"switchboard/internal/operators"
)

// The forced PIN change: an operator whose PIN is a one-time one (after a
// reset, or added with a temporary PIN) is signed in to this page only.
// Every other page redirects here and every API call answers 403 with the
// reason, until a new PIN is chosen (typed twice, not the one-time one).

// pinChangePath is the page where a one-time PIN is replaced.
const pinChangePath = "/pin"

// pinChangeRoute says whether r may be served to a session that must
// change its PIN first: the page itself and signing out.
func pinChangeRoute(r *http.Request) bool {
	return r.URL.Path == pinChangePath || r.Method == http.MethodPost && r.URL.Path == "/signout"
}

// pinChangeFirst answers a request of a session that must change its PIN
// first: a page goes to the PIN page, an API call or the stream gets 403.
func (c *Console) pinChangeFirst(w http.ResponseWriter, r *http.Request, api bool) {
	if api {
		http.Error(w, "PIN change required: this operator signed in with a one-time PIN; choose a new PIN at "+pinChangePath+" first", http.StatusForbidden)
		return
	}
	http.Redirect(w, r, pinChangePath, http.StatusSeeOther)
}

func (c *Console) pinChangeRoutes() {
	c.mux.Handle("GET "+pinChangePath, c.page(everyone, c.pinChangePage))
	c.mux.Handle("POST "+pinChangePath, c.page(everyone, c.pinChange))
}

func (c *Console) pinChangePage(w http.ResponseWriter, r *http.Request, s session) {
	if !s.mustChange {
		http.Redirect(w, r, "/", http.StatusSeeOther) // nothing to change: the PIN is the operator's own
		return
	}
	c.render(w, r, http.StatusOK, "pin_change", &s, map[string]any{})
}

// pinChange sets the operator's new PIN: typed twice, by CheckPIN's rule,
// not the one-time one. Neither PIN is ever written back into the page.
func (c *Console) pinChange(w http.ResponseWriter, r *http.Request, s session) {
	if !s.mustChange {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	pin, again := r.PostFormValue("pin"), r.PostFormValue("pin2")
	problem := ""
	if pin != again {
		problem = "pin.e.mismatch"
	} else if err := c.ops.ChangePIN(r.Context(), s.code, pin, c.now()); err != nil {
		switch {
		case errors.Is(err, operators.ErrSamePIN):
			problem = "pin.e.same"
		case operators.CheckPIN(pin) != nil:
			problem = "ops.e.pin"
		default:
			c.o.Log.Error("PIN not changed", "operator", s.code, "err", err)
			http.Error(w, "the PIN could not be changed: the store cannot be written; try again or ask the admin", http.StatusInternalServerError)
			return
		}
	}
	if problem != "" {
		c.render(w, r, http.StatusBadRequest, "pin_change", &s, map[string]any{"Problem": problem})
		return
	}
	c.sessions.pinChanged(s.code)
	// The sign-in opened no shift (the operator could do nothing yet): the
	// shift starts now, as a sign-in with the operator's own PIN starts it.
	sh, _, err := c.ops.OpenShift(r.Context(), s.code, c.now())
	if err != nil {
		c.o.Log.Error("shift not opened", "operator", s.code, "err", err)
		http.Error(w, "your PIN is changed, but the shift could not be opened: sign in again", http.StatusInternalServerError)
		return
	}
	c.sessions.setShift(s.id, sh.ID)
	c.o.Log.Info("PIN changed", "operator", s.code, "shift", sh.ID)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// PINChangeFirst: the page shows no navigation and opens no live stream
// while the operator must still replace a one-time PIN.
func (s *session) PINChangeFirst() bool { return s.mustChange }

// pinChanged lets code's sessions use the console (its PIN is its own now).
func (s *sessions) pinChanged(code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ss := range s.m {
		if ss.code == code {
			ss.mustChange = false
		}
	}
}

// endFor ends every session of code: after its role changed, it was
// disabled or its PIN reset, what the session was allowed no longer holds.
func (s *sessions) endFor(code string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for id, ss := range s.m {
		if ss.code == code {
			delete(s.m, id)
			n++
		}
	}
	return n
}
