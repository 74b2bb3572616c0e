package console

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"switchboard/internal/operators"
)

// signinPage shows the sign-in form with a fresh form token (the session's
// CSRF token does not exist yet: the form's is kept in its own cookie).
func (c *Console) signinPage(w http.ResponseWriter, r *http.Request) {
	if ck, err := r.Cookie(sessionCookie); err == nil {
		if _, ok := c.sessions.use(ck.Value, c.now()); ok {
			http.Redirect(w, r, "/", http.StatusSeeOther)
			return
		}
	}
	c.signinForm(w, r, http.StatusOK, "")
}

func (c *Console) signinForm(w http.ResponseWriter, r *http.Request, status int, problem string, extra ...any) {
	tok := token()
	http.SetCookie(w, c.cookie(signinCookie, tok, 30*60))
	data := map[string]any{"SigninToken": tok, "Problem": problem, "Code": r.PostFormValue("code")}
	if len(extra) > 0 {
		data["Until"] = extra[0]
	}
	c.render(w, r, status, "signin", nil, data)
}

// signin checks the code and PIN, opens (or continues) the operator's
// shift and starts a session.
func (c *Console) signin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	ck, err := r.Cookie(signinCookie)
	if err != nil || !sameToken(r.PostFormValue("csrf"), ck.Value) {
		c.signinForm(w, r, http.StatusForbidden, "signin.expired")
		return
	}
	code, pin := r.PostFormValue("code"), r.PostFormValue("pin")
	now := c.now()
	if d := c.throttle.wait(r.RemoteAddr, now); d > 0 {
		c.o.Log.Warn("sign-in slowed: too many wrong PINs from this address", "remote", r.RemoteAddr, "wait", d)
		w.Header().Set("Retry-After", strconv.Itoa(int(d.Seconds())+1))
		c.signinForm(w, r, http.StatusTooManyRequests, "signin.slow")
		return
	}
	op, err := c.ops.Verify(r.Context(), code, pin, now)
	var locked *operators.LockedError
	if errors.Is(err, operators.ErrDenied) || errors.As(err, &locked) {
		c.throttle.failed(r.RemoteAddr, now)
	}
	switch {
	case errors.Is(err, operators.ErrDenied):
		c.o.Log.Warn("sign-in refused", "operator", code, "remote", r.RemoteAddr)
		c.signinForm(w, r, http.StatusUnauthorized, "signin.denied")
		return
	case errors.As(err, &locked):
		c.o.Log.Warn("sign-in refused: code locked", "operator", code, "until", locked.Until, "remote", r.RemoteAddr)
		c.signinForm(w, r, http.StatusUnauthorized, "signin.locked", locked.Until)
		return
	case errors.Is(err, operators.ErrDisabled):
		c.signinForm(w, r, http.StatusUnauthorized, "signin.disabled")
		return
	case err != nil:
		c.o.Log.Error("sign-in failed", "operator", code, "err", err)
		http.Error(w, "sign-in is unavailable: the store cannot be read", http.StatusInternalServerError)
		return
	}
	var sh operators.Shift
	continued := false
	if !op.MustChangePIN { // a one-time PIN opens no shift: choosing the new PIN does (pin_change.go)
		if sh, continued, err = c.ops.OpenShift(r.Context(), op.Code, now); err != nil {
			c.o.Log.Error("shift not opened", "operator", op.Code, "err", err)
			http.Error(w, "the shift could not be opened", http.StatusInternalServerError)
			return
		}
	}
	c.throttle.succeeded(r.RemoteAddr)
	s := c.sessions.create(op, sh.ID, now)
	c.o.Log.Info("signed in", "operator", op.Code, "role", op.Role, "shift", sh.ID, "continued", continued, "pin_change_first", op.MustChangePIN)
	http.SetCookie(w, c.cookie(signinCookie, "", -1))
	http.SetCookie(w, c.cookie(sessionCookie, s.id, 0))
	if s.mustChange {
		http.Redirect(w, r, pinChangePath, http.StatusSeeOther) // a one-time PIN: choose a new one first
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// signout ends the session only; the shift stays open until it is closed.
func (c *Console) signout(w http.ResponseWriter, r *http.Request, s session) {
	c.sessions.end(s.id)
	c.o.Log.Info("signed out", "operator", s.code, "shift", s.shift)
	http.SetCookie(w, c.cookie(sessionCookie, "", -1))
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
}

func (c *Console) home(w http.ResponseWriter, r *http.Request, s session) {
	data := map[string]any{}
	if s.shift != 0 {
		if sh, err := c.ops.GetShift(r.Context(), s.shift); err == nil {
			data["Opened"] = sh.Opened
		}
	}
	c.render(w, r, http.StatusOK, "home", &s, data)
}

// apiSession is who is signed in, for the pages' little JavaScript.
func (c *Console) apiSession(w http.ResponseWriter, r *http.Request, s session) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(map[string]any{"operator": s.code, "name": s.name, "role": s.role, "shift": s.shift})
}
