package console

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"switchboard/internal/operators"
)

// Nothing is served without a session: pages send the browser to the
// sign-in page, the API and the event stream answer 401.
func TestNoSession(t *testing.T) {
	f := newFixture(t, false, nil)
	b := f.browser(t)
	for _, tc := range []struct {
		method, path string
		code         int
	}{
		{"GET", "/", http.StatusSeeOther},
		{"GET", "/wakeups", http.StatusSeeOther},
		{"GET", "/shift", http.StatusSeeOther},
		{"GET", "/reports", http.StatusSeeOther},
		{"POST", "/shift/close", http.StatusSeeOther},
		{"POST", "/wakeups/set", http.StatusSeeOther},
		{"POST", "/signout", http.StatusSeeOther},
		{"GET", "/api/session", http.StatusUnauthorized},
		{"GET", "/events", http.StatusUnauthorized},
		{"GET", "/signin", http.StatusOK},
		{"GET", "/static/console.css", http.StatusOK},
		{"GET", "/nothing", http.StatusNotFound},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			var form url.Values
			if tc.method == "POST" {
				form = url.Values{"room": {"1203"}, "time": {"06:30"}}
			}
			res := b.do(tc.method, tc.path, form)
			if res.code != tc.code {
				t.Fatalf("%d, want %d", res.code, tc.code)
			}
			if tc.code == http.StatusSeeOther && res.header.Get("Location") != "/signin" {
				t.Errorf("redirect to %q", res.header.Get("Location"))
			}
		})
	}
	// A made-up session id is no session.
	b.cookies[sessionCookie] = &http.Cookie{Name: sessionCookie, Value: "forged"}
	if res := b.do("GET", "/api/session", nil); res.code != http.StatusUnauthorized {
		t.Fatalf("forged session: %d", res.code)
	}
}

// The session cookie is HttpOnly, SameSite=Strict, Path=/, and Secure
// under TLS; a new id at every sign-in; sign-out ends it.
func TestSessionCookie(t *testing.T) {
	for _, secure := range []bool{false, true} {
		f := newFixture(t, secure, nil)
		b := f.browser(t)
		res, _ := b.signIn("0001", "1234")
		var ck *http.Cookie
		for _, c := range res.cookies {
			if c.Name == sessionCookie {
				ck = c
			}
		}
		if ck == nil {
			t.Fatalf("secure %v: no session cookie", secure)
		}
		if !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/" || ck.Secure != secure || len(ck.Value) < 43 {
			t.Errorf("secure %v: cookie %+v", secure, ck)
		}
		if hsts := res.header.Get("Strict-Transport-Security"); (hsts != "") != secure {
			t.Errorf("secure %v: HSTS %q", secure, hsts)
		}
		first := b.session()
		b2 := f.browser(t)
		b2.signIn("0001", "1234")
		if b2.session() == first {
			t.Error("two sign-ins share a session id")
		}
	}
	f := newFixture(t, false, nil)
	b := f.browser(t)
	_, tok := b.signIn("0001", "1234")
	old := b.session()
	if res := b.do("POST", "/signout", url.Values{"csrf": {tok}}); res.code != http.StatusSeeOther || res.header.Get("Location") != "/signin" {
		t.Fatalf("sign-out: %d %s", res.code, res.header.Get("Location"))
	}
	b.cookies[sessionCookie] = &http.Cookie{Name: sessionCookie, Value: old}
	if res := b.do("GET", "/api/session", nil); res.code != http.StatusUnauthorized {
		t.Fatalf("the session lives on after sign-out: %d", res.code)
	}
	// Signing out closes nothing but the session: the shift is still open.
	if _, ok, _ := f.ops.CurrentShift(t.Context(), "0001"); !ok {
		t.Fatal("sign-out closed the shift")
	}
}

// Every POST needs the session's CSRF token; the sign-in form its own.
func TestCSRF(t *testing.T) {
	f := newFixture(t, false, nil)
	b := f.browser(t)
	page := b.do("GET", "/signin", nil)
	for name, form := range map[string]url.Values{
		"sign-in without token":    {"code": {"0001"}, "pin": {"1234"}},
		"sign-in with wrong token": {"code": {"0001"}, "pin": {"1234"}, "csrf": {formToken(t, page.body) + "x"}},
	} {
		if res := b.do("POST", "/signin", form); res.code != http.StatusForbidden || b.session() != "" {
			t.Errorf("%s: %d, session %q", name, res.code, b.session())
		}
	}
	_, tok := b.signIn("0001", "1234")
	other := f.browser(t)
	_, otherTok := other.signIn("0003", "1234")
	for _, tc := range []struct {
		name, path string
		form       url.Values
		code       int
	}{
		{"no token", "/shift/close", url.Values{}, http.StatusForbidden},
		{"empty token", "/shift/close", url.Values{"csrf": {""}}, http.StatusForbidden},
		{"another session's token", "/shift/close", url.Values{"csrf": {otherTok}}, http.StatusForbidden},
		{"no token on wake-up set", "/wakeups/set", url.Values{"room": {"1203"}, "time": {"06:30"}}, http.StatusForbidden},
		{"no token on sign-out", "/signout", url.Values{}, http.StatusForbidden},
		{"its own token", "/wakeups/confirm", url.Values{"csrf": {tok}, "room": {"1203"}, "time": {"06:30"}}, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := b.do("POST", tc.path, tc.form)
			if res.code != tc.code {
				t.Fatalf("%d, want %d\n%s", res.code, tc.code, res.body)
			}
			if tc.code == http.StatusForbidden && !strings.Contains(res.body, "not sent by this console") {
				t.Errorf("the 403 page does not say why:\n%s", res.body)
			}
		})
	}
	if _, ok, _ := f.ops.CurrentShift(t.Context(), "0001"); !ok {
		t.Fatal("a POST without its token closed the shift")
	}
}

// Each role sees and does only its own work.
func TestRoles(t *testing.T) {
	f := newFixture(t, false, nil)
	type want map[string]int
	for _, tc := range []struct {
		code  string
		pages want
	}{
		{"0001", want{"/wakeups": 200, "/reports": 403, "/shift": 200}},
		{"0002", want{"/wakeups": 403, "/reports": 403, "/shift": 200}}, // a business-centre clerk sets no wake-ups
		{"0003", want{"/wakeups": 200, "/reports": 200, "/shift": 200}},
		{"0004", want{"/wakeups": 200, "/reports": 200}},
	} {
		t.Run(tc.code, func(t *testing.T) {
			b := f.browser(t)
			_, tok := b.signIn(tc.code, "1234")
			for path, code := range tc.pages {
				res := b.do("GET", path, nil)
				if res.code != code {
					t.Errorf("GET %s: %d, want %d", path, res.code, code)
				}
				if code == 403 && !strings.Contains(res.body, "belongs to another role") {
					t.Errorf("GET %s: the 403 page does not say why", path)
				}
			}
			if tc.code == "0002" {
				// Nor cancel one by posting the form directly.
				res := b.do("POST", "/wakeups/cancel", url.Values{"csrf": {tok}, "room": {"1203"}, "id": {"1"}})
				if res.code != http.StatusForbidden {
					t.Errorf("business clerk cancels a wake-up: %d", res.code)
				}
				if n := len(f.c.o.Host.(*fakeHost).sent); n != 0 {
					t.Errorf("%d commands sent", n)
				}
			}
		})
	}
	if !mayCommand(operators.RoleBusiness, "fax", "fax.send") || mayCommand(operators.RoleBusiness, "pbx", "wakeup.cancel") ||
		mayCommand(operators.RoleOperator, "print", "print.submit") || !mayCommand(operators.RoleSupervisor, "pbx", "wakeup.cancel") {
		t.Error("mayCommand does not narrow the bus ACL as the console's roles need")
	}
}

// Five wrong PINs lock the code for 15 minutes, even for the right PIN.
func TestSigninLockout(t *testing.T) {
	f := newFixture(t, false, nil)
	b := f.browser(t)
	for i := 1; i <= 5; i++ {
		res, _ := b.signIn("0001", "9999")
		want := "Wrong operator code or PIN."
		if i == 5 {
			want = "locked after 5 wrong PINs, until 22:15"
		}
		if res.code != http.StatusUnauthorized || !strings.Contains(res.body, want) {
			t.Fatalf("attempt %d: %d\n%s", i, res.code, res.body)
		}
	}
	if res, _ := b.signIn("0001", "1234"); res.code != http.StatusUnauthorized || !strings.Contains(res.body, "locked") {
		t.Fatalf("right PIN while locked: %d", res.code)
	}
	if res, _ := b.signIn("0003", "1234"); res.code != http.StatusSeeOther {
		t.Fatalf("another code while 0001 is locked: %d", res.code)
	}
	f.clock.add(15*time.Minute + time.Second)
	b2 := f.browser(t)
	if res, _ := b2.signIn("0001", "1234"); res.code != http.StatusSeeOther {
		t.Fatalf("after the lock: %d\n%s", res.code, res.body)
	}
	// An unknown code and a wrong PIN read the same.
	unknown, _ := f.browser(t).signIn("7777", "1234")
	wrong, _ := f.browser(t).signIn("0003", "0000")
	if unknown.code != wrong.code || !strings.Contains(unknown.body, "Wrong operator code or PIN.") {
		t.Errorf("unknown code %d vs wrong PIN %d", unknown.code, wrong.code)
	}
	if !strings.Contains(unknown.body, `value="7777"`) || strings.Contains(unknown.body, `value="1234"`) {
		t.Error("the form should keep the code and never the PIN")
	}
}

// A session not used for 30 minutes ends; use keeps it alive.
func TestIdleTimeout(t *testing.T) {
	f := newFixture(t, false, nil)
	b := f.browser(t)
	b.signIn("0001", "1234")
	for i := 0; i < 3; i++ {
		f.clock.add(29 * time.Minute)
		if res := b.do("GET", "/api/session", nil); res.code != http.StatusOK {
			t.Fatalf("after %d×29 min of use: %d", i+1, res.code)
		}
	}
	f.clock.add(30*time.Minute + time.Second)
	if res := b.do("GET", "/", nil); res.code != http.StatusSeeOther || res.header.Get("Location") != "/signin" {
		t.Fatalf("idle 30 min: %d", res.code)
	}
	if res := b.do("GET", "/api/session", nil); res.code != http.StatusUnauthorized {
		t.Fatalf("an ended session came back: %d", res.code)
	}
}

// The pages switch between English and Traditional Chinese, and both
// languages have every message.
func TestLanguages(t *testing.T) {
	seen := map[string]int{}
	for i, c := range catalogs {
		for key := range c[langEN] {
			if _, ok := c[langZH][key]; !ok {
				t.Errorf("catalog %d: %s: no Traditional Chinese", i, key)
			}
			if j, ok := seen[key]; ok {
				t.Errorf("%s is in catalogs %d and %d", key, j, i)
			}
			seen[key] = i
		}
		for key := range c[langZH] {
			if _, ok := c[langEN][key]; !ok {
				t.Errorf("catalog %d: %s: no English", i, key)
			}
		}
	}
	f := newFixture(t, false, nil)
	b := f.browser(t)
	if res := b.do("GET", "/signin?lang=zh-Hant", nil); !strings.Contains(res.body, "話務員工號") || !strings.Contains(res.body, `lang="zh-Hant"`) {
		t.Fatalf("zh-Hant:\n%s", res.body)
	}
	if res := b.do("GET", "/signin", nil); !strings.Contains(res.body, "話務員工號") {
		t.Fatal("the language is not remembered")
	}
	if res := b.do("GET", "/signin?lang=en", nil); !strings.Contains(res.body, "Operator code") {
		t.Fatal("no switch back to English")
	}
}
