package console

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"slices"
	"sync"
	"time"

	"switchboard/internal/operators"
)

// Cookie names.
const (
	sessionCookie = "sb_session"
	signinCookie  = "sb_signin" // the sign-in form's CSRF token, before any session
	langCookie    = "sb_lang"
)

// session is one signed-in operator at one browser. Sessions are kept in
// memory only: a restart signs everyone out, which the shift survives
// (it is in the store; signing in again continues it).
type session struct {
	id       string
	code     string
	name     string
	role     operators.Role
	shift    int64
	csrf     string
	lastUsed time.Time
	// mustChange: the operator signed in with a one-time PIN and must
	// choose a new one before anything else (pin_change.go).
	mustChange bool
	// checked: when the operator's record was last read (stillAllowed).
	checked time.Time
}

// sessions are the console's sessions by id.
type sessions struct {
	idle time.Duration
	mu   sync.Mutex
	m    map[string]*session
}

func newSessions(idle time.Duration) *sessions {
	return &sessions{idle: idle, m: map[string]*session{}}
}

// token is 32 random bytes, URL-safe base64.
func token() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("console: no randomness: " + err.Error()) // crypto/rand never fails on Linux ≥ 3.17
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// create starts a session (always a new id: a session id known before
// sign-in is never promoted).
func (s *sessions) create(op operators.Operator, shift int64, now time.Time) session {
	ss := &session{id: token(), code: op.Code, name: op.Name, role: op.Role, shift: shift, csrf: token(), lastUsed: now,
		mustChange: op.MustChangePIN, checked: now}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[ss.id] = ss
	// Sweep the expired ones here, so that the map stays bounded without a goroutine.
	for id, o := range s.m {
		if now.Sub(o.lastUsed) > s.idle {
			delete(s.m, id)
		}
	}
	return *ss
}

// use finds a live session and marks it used at now; an idle one ends.
func (s *sessions) use(id string, now time.Time) (session, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, ok := s.m[id]
	if !ok {
		return session{}, false
	}
	if now.Sub(ss.lastUsed) > s.idle {
		delete(s.m, id)
		return session{}, false
	}
	ss.lastUsed = now
	return *ss, true
}

func (s *sessions) end(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, id)
}

// setShift moves a session to another shift (after closing one, the next
// command opens a new one).
func (s *sessions) setShift(id string, shift int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ss, ok := s.m[id]; ok {
		ss.shift = shift
	}
}

// cookie is one of the console's cookies: HttpOnly, SameSite=Strict (a
// link or form from another site never carries it), Secure under TLS.
func (c *Console) cookie(name, value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: c.o.Secure, MaxAge: maxAge}
}

// sameToken compares a submitted token with the expected one in constant time.
func sameToken(got, want string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// handler is a route's work with its session.
type handler func(w http.ResponseWriter, r *http.Request, s session)

// page guards a page: without a session, to the sign-in page; with the
// wrong role, 403 and a page saying so; a POST without the session's
// CSRF token, 403.
func (c *Console) page(roles []operators.Role, h handler) http.Handler {
	return c.guard(roles, h, false, maxForm)
}

// upload guards a page whose form carries a file: its body may be up to
// limit bytes (multipart); a larger one is refused with 413 and a page
// saying the limit (tooLarge).
func (c *Console) upload(roles []operators.Role, limit int64, h handler) http.Handler {
	return c.guard(roles, h, false, limit)
}

// api guards an API call or the event stream: 401 without a session.
func (c *Console) api(roles []operators.Role, h handler) http.Handler {
	return c.guard(roles, h, true, maxForm)
}

func (c *Console) guard(roles []operators.Role, h handler, api bool, limit int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var s session
		ok := false
		if ck, err := r.Cookie(sessionCookie); err == nil {
			s, ok = c.sessions.use(ck.Value, c.now())
		}
		if ok && !c.stillAllowed(r, s) {
			c.sessions.end(s.id)
			ok = false
		}
		if !ok {
			if api {
				http.Error(w, "sign in first", http.StatusUnauthorized)
				return
			}
			http.Redirect(w, r, "/signin", http.StatusSeeOther)
			return
		}
		if s.mustChange && !pinChangeRoute(r) {
			c.pinChangeFirst(w, r, api)
			return
		}
		if !slices.Contains(roles, s.role) {
			c.forbidden(w, r, s, "role")
			return
		}
		if r.Method == http.MethodPost {
			if limit > maxForm && !c.bodyFits(w, r, s, limit) {
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, limit)
			if !sameToken(r.PostFormValue("csrf"), s.csrf) {
				c.forbidden(w, r, s, "csrf")
				return
			}
		}
		h(w, r, s)
	})
}

// maxForm bounds a form's body: the console's forms are a few fields.
const maxForm = 16 << 10

// forbidden answers 403 with a page that says why.
func (c *Console) forbidden(w http.ResponseWriter, r *http.Request, s session, why string) {
	c.render(w, r, http.StatusForbidden, "forbidden", &s, map[string]any{"Why": why})
}

// What the page templates read of a session.
func (s *session) Operator() string     { return s.code }
func (s *session) OperatorName() string { return s.name }
func (s *session) Role() string         { return string(s.role) }
func (s *session) Shift() int64         { return s.shift }

// Wakeups: the wake-up desk is the switchboard's (叫醒服務), not the business centre's.
func (s *session) Wakeups() bool { return s.role != operators.RoleBusiness }

// Reports are for supervisors and admins.
func (s *session) Reports() bool {
	return s.role == operators.RoleSupervisor || s.role == operators.RoleAdmin
}

// recheckEvery is how often a session reads its operator's record again.
const recheckEvery = 5 * time.Second

// stillAllowed reads the operator's record again, at most every
// recheckEvery per session: a change made outside this console
// (`switchboard operator disable|role|reset` on the command line, another
// gateway process) ends the operator's sessions as the console's own
// operators page does (endFor). Disabled, removed, given another role, or
// given a one-time PIN since signing in: the session ends. A store that
// cannot be read keeps the session (the next request asks again).
func (c *Console) stillAllowed(r *http.Request, s session) bool {
	now := c.now()
	if now.Sub(s.checked) < recheckEvery {
		return true
	}
	op, err := c.ops.Get(r.Context(), s.code)
	switch {
	case errors.Is(err, operators.ErrNotFound):
	case err != nil:
		c.o.Log.Warn("operator record not read again", "operator", s.code, "err", err)
		return true
	case !op.Disabled && op.Role == s.role && (s.mustChange || !op.MustChangePIN):
		c.sessions.checkedAt(s.id, now)
		return true
	}
	c.o.Log.Info("session ended: the operator was changed outside this console", "operator", s.code)
	return false
}

// checkedAt records when a session's operator record was last read.
func (s *sessions) checkedAt(id string, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ss, ok := s.m[id]; ok {
		ss.checked = at
	}
}
