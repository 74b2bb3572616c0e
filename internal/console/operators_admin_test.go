package console

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"switchboard/internal/operators"
)

// The operators page is the admins' to change and the supervisors' to
// look at; operators and business clerks get 403, and so does every
// change asked by anyone but an admin.
func TestOperatorsPageRoles(t *testing.T) {
	f := newFixture(t, false, nil)
	for _, tc := range []struct {
		code     string
		page     int
		forms    bool
		navLink  bool
		card     int // GET /operators/0001
		postCode int
	}{
		{"0001", http.StatusForbidden, false, false, http.StatusForbidden, http.StatusForbidden},
		{"0002", http.StatusForbidden, false, false, http.StatusForbidden, http.StatusForbidden},
		{"0003", http.StatusOK, false, true, http.StatusForbidden, http.StatusForbidden},
		{"0004", http.StatusOK, true, true, http.StatusOK, http.StatusSeeOther},
	} {
		t.Run(tc.code, func(t *testing.T) {
			b, tok := signedIn(t, f, tc.code)
			res := b.do("GET", "/operators", nil)
			if res.code != tc.page {
				t.Fatalf("GET /operators: %d, want %d", res.code, tc.page)
			}
			if tc.page == http.StatusOK {
				if got := strings.Contains(res.body, `action="/operators/add"`); got != tc.forms {
					t.Errorf("add form shown %v, want %v", got, tc.forms)
				}
				if !strings.Contains(res.body, `id="op-0001"`) || !strings.Contains(res.body, "Op business") {
					t.Errorf("the list misses operators:\n%s", res.body)
				}
			} else if !strings.Contains(res.body, "Not for your role") {
				t.Errorf("the 403 page does not say why:\n%s", res.body)
			}
			card := b.do("GET", "/operators/0001", nil)
			if card.code != tc.card {
				t.Fatalf("GET /operators/0001: %d, want %d", card.code, tc.card)
			}
			if tc.card == http.StatusOK && (!strings.Contains(card.body, `action="/operators/0001/disable"`) || !strings.Contains(card.body, `action="/operators/0001/reset"`)) {
				t.Errorf("the card has no forms:\n%s", card.body)
			}
			home := b.do("GET", "/", nil)
			if got := strings.Contains(home.body, `href="/operators"`); got != tc.navLink {
				t.Errorf("link to /operators %v, want %v", got, tc.navLink)
			}
			res = b.do("POST", "/operators/0002/unlock", url.Values{"csrf": {tok}})
			if res.code != tc.postCode {
				t.Fatalf("POST unlock: %d, want %d", res.code, tc.postCode)
			}
		})
	}
}

// A change without the session's CSRF token is refused and changes nothing.
func TestOperatorsCSRF(t *testing.T) {
	f := newFixture(t, false, nil)
	b, tok := signedIn(t, f, "0004")
	for _, tc := range []struct {
		name string
		form url.Values
	}{
		{"no token", url.Values{}},
		{"another token", url.Values{"csrf": {tok + "x"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if res := b.do("POST", "/operators/0001/disable", tc.form); res.code != http.StatusForbidden {
				t.Fatalf("%d, want 403", res.code)
			}
			op, err := f.ops.Get(context.Background(), "0001")
			if err != nil || op.Disabled {
				t.Fatalf("0001 after a refused disable: %+v %v", op, err)
			}
		})
	}
}

// Each refusal says what was wrong, with its status, and changes nothing;
// no PIN is ever written back into the page.
func TestOperatorsRefusals(t *testing.T) {
	f := newFixture(t, false, nil)
	b, tok := signedIn(t, f, "0004")
	add := func(code, name, role, pin, pin2 string) url.Values {
		return url.Values{"csrf": {tok}, "code": {code}, "name": {name}, "role": {role}, "pin": {pin}, "pin2": {pin2}}
	}
	for _, tc := range []struct {
		name string
		path string
		form url.Values
		code int
		says string
	}{
		{"disable self", "/operators/0004/disable", url.Values{"csrf": {tok}}, http.StatusConflict, "cannot disable or demote your own code"},
		{"demote self", "/operators/0004/role", url.Values{"csrf": {tok}, "role": {"supervisor"}}, http.StatusConflict, "cannot disable or demote your own code"},
		{"unknown code", "/operators/0099/disable", url.Values{"csrf": {tok}}, http.StatusNotFound, "no such operator code"},
		{"unknown card", "/operators/0099", nil, http.StatusNotFound, "no such operator code"},
		{"unknown action", "/operators/0001/promote", url.Values{"csrf": {tok}}, http.StatusNotFound, "not found"},
		{"bad role", "/operators/0001/role", url.Values{"csrf": {tok}, "role": {"boss"}}, http.StatusBadRequest, "Choose a role"},
		{"reset PINs differ", "/operators/0001/reset", url.Values{"csrf": {tok}, "pin": {"97531"}, "pin2": {"97532"}}, http.StatusBadRequest, "not the same"},
		{"reset PIN short", "/operators/0001/reset", url.Values{"csrf": {tok}, "pin": {"975"}, "pin2": {"975"}}, http.StatusBadRequest, "4 to 12 digits"},
		{"add PINs differ", "/operators/add", add("0009", "New", "operator", "97531", "97532"), http.StatusBadRequest, "not the same"},
		{"add PIN short", "/operators/add", add("0009", "New", "operator", "975", "975"), http.StatusBadRequest, "4 to 12 digits"},
		{"add bad code", "/operators/add", add("00 9", "New", "operator", "97531", "97531"), http.StatusBadRequest, "1 to 16 letters or digits"},
		{"add no name", "/operators/add", add("0009", " ", "operator", "97531", "97531"), http.StatusBadRequest, "1 to 100 characters"},
		{"add bad role", "/operators/add", add("0009", "New", "boss", "97531", "97531"), http.StatusBadRequest, "Choose a role"},
		{"add existing", "/operators/add", add("0001", "New", "operator", "97531", "97531"), http.StatusConflict, "already exists"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			method := "POST"
			if tc.form == nil {
				method = "GET"
			}
			res := b.do(method, tc.path, tc.form)
			if res.code != tc.code || !strings.Contains(res.body, tc.says) {
				t.Fatalf("%d, want %d saying %q:\n%s", res.code, tc.code, tc.says, res.body)
			}
			for _, pin := range []string{"97531", "97532"} {
				if strings.Contains(res.body, pin) {
					t.Errorf("the PIN %s is written back into the page", pin)
				}
			}
		})
	}
	if self := b.do("GET", "/operators/0004", nil); strings.Contains(self.body, `action="/operators/0004/disable"`) || strings.Contains(self.body, `action="/operators/0004/role"`) {
		t.Error("the admin's own card offers to disable or demote them")
	}
	list, err := f.ops.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range list {
		if op.Disabled || op.MustChangePIN || op.Code == "0009" || op.Code == "0004" && op.Role != operators.RoleAdmin {
			t.Errorf("changed by a refusal: %+v", op)
		}
	}
	if ch, err := f.ops.Changes(context.Background(), 10); err != nil || len(ch) != 4 {
		t.Errorf("changes recorded by refusals (want the fixture's 4 adds): %+v %v", ch, err)
	}
}

var onetimePIN = regexp.MustCompile(`id="onetime">(\d{8})<`)

// Each change an admin makes is done, recorded with who and when, listed
// on the page, and ends the changed operator's sessions where what they
// were allowed changed.
func TestOperatorsChanges(t *testing.T) {
	f := newFixture(t, false, nil)
	ctx := context.Background()
	admin, tok := signedIn(t, f, "0004")
	clerk, _ := signedIn(t, f, "0002")
	for _, tc := range []struct {
		name   string
		path   string
		form   url.Values
		action string // recorded
		check  func(operators.Operator) bool
	}{
		{"add", "/operators/add", url.Values{"code": {"0005"}, "name": {"Wang <b>"}, "role": {"business"}, "pin": {"86420"}, "pin2": {"86420"}, "temporary": {"1"}},
			operators.ActAdd, func(op operators.Operator) bool {
				return op.Code == "0005" && op.MustChangePIN && op.Role == operators.RoleBusiness
			}},
		{"disable", "/operators/0002/disable", url.Values{}, operators.ActDisable, func(op operators.Operator) bool { return op.Disabled }},
		{"enable", "/operators/0002/enable", url.Values{}, operators.ActEnable, func(op operators.Operator) bool { return !op.Disabled }},
		{"role", "/operators/0002/role", url.Values{"role": {"supervisor"}}, operators.ActRole, func(op operators.Operator) bool { return op.Role == operators.RoleSupervisor }},
		{"reset typed", "/operators/0001/reset", url.Values{"pin": {"86421"}, "pin2": {"86421"}}, operators.ActReset, func(op operators.Operator) bool { return op.MustChangePIN }},
		{"unlock", "/operators/0003/unlock", url.Values{}, operators.ActUnlock, func(op operators.Operator) bool { return op.LockedUntil.IsZero() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f.clock.add(time.Minute)
			tc.form.Set("csrf", tok)
			res := admin.do("POST", tc.path, tc.form)
			if res.code != http.StatusSeeOther || res.header.Get("Location") != "/operators" {
				t.Fatalf("%d to %q:\n%s", res.code, res.header.Get("Location"), res.body)
			}
			code := strings.Split(tc.path, "/")[2]
			if code == "add" {
				code = "0005"
			}
			op, err := f.ops.Get(ctx, code)
			if err != nil {
				t.Fatal(err)
			}
			list, _ := f.ops.List(ctx)
			for _, o := range list {
				if o.Code == code {
					op = o // with MustChangePIN
				}
			}
			if !tc.check(op) {
				t.Fatalf("not done: %+v", op)
			}
			ch, err := f.ops.Changes(ctx, 1)
			if err != nil || len(ch) != 1 || ch[0].By != "0004" || ch[0].Code != code || ch[0].Action != tc.action || !ch[0].At.Equal(f.clock.now()) {
				t.Fatalf("recorded %+v %v", ch, err)
			}
			page := admin.do("GET", "/operators", nil)
			if !strings.Contains(page.body, `id="flash"`) || !strings.Contains(page.body, "<td>0004</td><td>"+code+"</td>") {
				t.Fatalf("the page does not show the change:\n%s", page.body)
			}
		})
	}
	// The clerk was disabled, then given another role: signed out.
	if res := clerk.do("GET", "/", nil); res.code != http.StatusSeeOther || res.header.Get("Location") != "/signin" {
		t.Errorf("the changed clerk's session: %d to %q", res.code, res.header.Get("Location"))
	}
	// A name is shown as text.
	if page := admin.do("GET", "/operators", nil); !strings.Contains(page.body, "Wang &lt;b&gt;") {
		t.Error("an operator's name is not escaped")
	}
	// A generated one-time PIN is shown once, and signs in to the PIN page.
	f.clock.add(time.Minute)
	res := admin.do("POST", "/operators/0003/reset", url.Values{"csrf": {tok}, "mode": {"generate"}})
	m := onetimePIN.FindStringSubmatch(res.body)
	if res.code != http.StatusOK || m == nil {
		t.Fatalf("generated reset: %d\n%s", res.code, res.body)
	}
	if res.header.Get("Cache-Control") != "no-store" {
		t.Error("the page with the one-time PIN may be cached")
	}
	op, err := f.ops.Verify(ctx, "0003", m[1], f.clock.now())
	if err != nil || !op.MustChangePIN {
		t.Fatalf("the generated PIN: %+v %v", op, err)
	}
	if page := admin.do("GET", "/operators", nil); strings.Contains(page.body, m[1]) {
		t.Error("the generated PIN is shown again")
	}
}

// A code locked after wrong PINs is shown locked, with until when, and
// the admin's unlock lets it sign in again at once.
func TestOperatorsLockout(t *testing.T) {
	f := newFixture(t, false, nil)
	admin, tok := signedIn(t, f, "0004")
	wrong := f.browser(t)
	wrong.remote = "192.0.2.9:1000"
	for range operators.MaxFailures {
		wrong.signIn("0001", "9999")
	}
	page := admin.do("GET", "/operators", nil)
	row := regexp.MustCompile(`(?s)<tr id="op-0001" class="locked">.*?</tr>`).FindString(page.body)
	if !strings.Contains(row, "2026-12-04 22:15") || !strings.Contains(row, `action="/operators/0001/unlock"`) {
		t.Fatalf("the locked row:\n%s", row)
	}
	if res := admin.do("POST", "/operators/0001/unlock", url.Values{"csrf": {tok}}); res.code != http.StatusSeeOther {
		t.Fatalf("unlock: %d\n%s", res.code, res.body)
	}
	if res, _ := f.browser(t).signIn("0001", "1234"); res.code != http.StatusSeeOther {
		t.Fatalf("sign in after unlock: %d", res.code)
	}
	if page := admin.do("GET", "/operators", nil); strings.Contains(page.body, `class="locked"`) {
		t.Error("still shown locked")
	}
}

// Without a session the operators page and the PIN page send the browser
// to the sign-in page, as every page does.
func TestOperatorsNoSession(t *testing.T) {
	f := newFixture(t, false, nil)
	b := f.browser(t)
	for _, tc := range []struct{ method, path string }{
		{"GET", "/operators"}, {"POST", "/operators/add"}, {"POST", "/operators/0001/reset"}, {"GET", "/pin"}, {"POST", "/pin"},
	} {
		var form url.Values
		if tc.method == "POST" {
			form = url.Values{"pin": {"97531"}, "pin2": {"97531"}}
		}
		if res := b.do(tc.method, tc.path, form); res.code != http.StatusSeeOther || res.header.Get("Location") != "/signin" {
			t.Errorf("%s %s: %d to %q", tc.method, tc.path, res.code, res.header.Get("Location"))
		}
	}
}

// BenchmarkOperatorsPage is the operators page's server time for an
// admin with 200 operators (a large hotel's front office) and 5,000
// recorded changes (the page reads the last 20).
func BenchmarkOperatorsPage(b *testing.B) {
	f := newFixture(b, false, nil)
	ctx := context.Background()
	m := f.ops.As("0004")
	for i := range 196 {
		op := operators.Operator{Code: "B" + strconv.Itoa(1000+i), Name: "Bench " + strconv.Itoa(i), Role: operators.RoleOperator}
		if err := m.Add(ctx, op, "1234", f.clock.now()); err != nil {
			b.Fatal(err)
		}
	}
	for i := range 5000 - 196 {
		if err := m.Unlock(ctx, "B"+strconv.Itoa(1000+i%196), f.clock.now().Add(time.Duration(i)*time.Second)); err != nil {
			b.Fatal(err)
		}
	}
	admin := f.browser(b)
	if res, _ := admin.signIn("0004", "1234"); res.code != http.StatusSeeOther {
		b.Fatalf("sign in: %d", res.code)
	}
	b.ResetTimer()
	for b.Loop() {
		if res := admin.do("GET", "/operators", nil); res.code != http.StatusOK {
			b.Fatalf("%d", res.code)
		}
	}
}
