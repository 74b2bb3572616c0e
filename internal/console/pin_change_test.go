package console

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"switchboard/internal/operators"
)

// signInOneTime signs in as code with pin and expects the PIN page.
func signInOneTime(t *testing.T, f *fixture, code, pin string) (*browser, string) {
	t.Helper()
	b := f.browser(t)
	page := b.do("GET", "/signin", nil)
	res := b.do("POST", "/signin", url.Values{"csrf": {formToken(t, page.body)}, "code": {code}, "pin": {pin}})
	if res.code != http.StatusSeeOther || res.header.Get("Location") != pinChangePath {
		t.Fatalf("sign in with a one-time PIN: %d to %q", res.code, res.header.Get("Location"))
	}
	pinPage := b.do("GET", pinChangePath, nil)
	if pinPage.code != http.StatusOK || !strings.Contains(pinPage.body, "Choose a new PIN") {
		t.Fatalf("the PIN page: %d\n%s", pinPage.code, pinPage.body)
	}
	return b, formToken(t, pinPage.body)
}

// After a reset, every page sends the operator to the PIN page and every
// API call answers 403 with the reason, until a new PIN is set (typed
// twice, not the one-time one); then the console is theirs again.
func TestForcedPINChangeRoutes(t *testing.T) {
	f := newFixture(t, false, nil)
	ctx := context.Background()
	if err := f.ops.As("0004").Reset(ctx, "0001", "5555", f.clock.now()); err != nil {
		t.Fatal(err)
	}
	f.clock.add(time.Minute) // the change comes after the fixture's adds
	b, tok := signInOneTime(t, f, "0001", "5555")
	for _, tc := range []struct {
		method, path string
		code         int
	}{
		{"GET", "/", http.StatusSeeOther},
		{"GET", "/wakeups", http.StatusSeeOther},
		{"GET", "/rooms", http.StatusSeeOther},
		{"GET", "/calls", http.StatusSeeOther},
		{"GET", "/shift", http.StatusSeeOther},
		{"GET", "/devices", http.StatusSeeOther},
		{"GET", "/operators", http.StatusSeeOther}, // not even the 403 of another role's page
		{"POST", "/shift/close", http.StatusSeeOther},
		{"POST", "/wakeups/set", http.StatusSeeOther},
		{"GET", "/api/session", http.StatusForbidden},
		{"GET", "/api/emergencies", http.StatusForbidden},
		{"GET", "/events", http.StatusForbidden},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			var form url.Values
			if tc.method == "POST" {
				form = url.Values{"csrf": {tok}, "room": {"1203"}, "time": {"06:30"}}
			}
			res := b.do(tc.method, tc.path, form)
			if res.code != tc.code {
				t.Fatalf("%d, want %d", res.code, tc.code)
			}
			if tc.code == http.StatusSeeOther && res.header.Get("Location") != pinChangePath {
				t.Errorf("redirect to %q", res.header.Get("Location"))
			}
			if tc.code == http.StatusForbidden && !strings.Contains(res.body, "PIN change required") {
				t.Errorf("403 without the reason: %q", res.body)
			}
		})
	}
	if len(f.c.o.Host.(*fakeHost).sent) != 0 {
		t.Fatal("a command was sent before the PIN was changed")
	}
	if _, open, err := f.ops.CurrentShift(ctx, "0001"); err != nil || open {
		t.Fatalf("a shift is open before the PIN is changed (%v)", err)
	}
	for _, tc := range []struct {
		name, pin, pin2 string
		code            int
		says            string
	}{
		{"not the same twice", "24680", "24681", http.StatusBadRequest, "not the same"},
		{"the one-time PIN", "5555", "5555", http.StatusBadRequest, "must differ from the one-time PIN"},
		{"too short", "246", "246", http.StatusBadRequest, "4 to 12 digits"},
		{"no token", "", "", http.StatusForbidden, "stale"},
		{"good", "24680", "24680", http.StatusSeeOther, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			form := url.Values{"csrf": {tok}, "pin": {tc.pin}, "pin2": {tc.pin2}}
			if tc.name == "no token" {
				form = url.Values{"pin": {"24680"}, "pin2": {"24680"}}
			}
			res := b.do("POST", pinChangePath, form)
			if res.code != tc.code || !strings.Contains(res.body, tc.says) {
				t.Fatalf("%d, want %d saying %q:\n%s", res.code, tc.code, tc.says, res.body)
			}
			if tc.pin != "" && tc.code != http.StatusSeeOther && strings.Contains(res.body, `value="`+tc.pin+`"`) {
				t.Error("the PIN is written back into the page")
			}
		})
	}
	for _, path := range []string{"/", "/wakeups", "/api/session"} {
		if res := b.do("GET", path, nil); res.code != http.StatusOK {
			t.Errorf("GET %s after the change: %d", path, res.code)
		}
	}
	sh, open, err := f.ops.CurrentShift(ctx, "0001")
	if err != nil || !open {
		t.Fatalf("no shift open after the PIN change (%v)", err)
	}
	if home := b.do("GET", "/", nil); !strings.Contains(home.body, fmt.Sprintf("(#%d)", sh.ID)) {
		t.Errorf("the desk does not show the shift opened at the PIN change:\n%s", home.body)
	}
	if res := b.do("GET", pinChangePath, nil); res.code != http.StatusSeeOther {
		t.Errorf("the PIN page once changed: %d", res.code)
	}
	op, err := f.ops.Verify(ctx, "0001", "24680", f.clock.now())
	if err != nil || op.MustChangePIN {
		t.Fatalf("the new PIN: %+v %v", op, err)
	}
	ch, err := f.ops.Changes(ctx, 1)
	if err != nil || len(ch) != 1 || ch[0].Action != operators.ActPIN || ch[0].By != "0001" {
		t.Fatalf("the change is not recorded: %+v %v", ch, err)
	}
}

// An operator added with a temporary PIN signs in to the PIN page; one
// whose PIN is their own never sees it; signing out works from it.
func TestForcedPINChangeTemporary(t *testing.T) {
	f := newFixture(t, false, nil)
	ctx := context.Background()
	op := operators.Operator{Code: "0007", Name: "New clerk", Role: operators.RoleBusiness, MustChangePIN: true}
	if err := f.ops.As("0004").Add(ctx, op, "7777", f.clock.now()); err != nil {
		t.Fatal(err)
	}
	b, tok := signInOneTime(t, f, "0007", "7777")
	if res := b.do("POST", "/signout", url.Values{"csrf": {tok}}); res.code != http.StatusSeeOther || res.header.Get("Location") != "/signin" {
		t.Fatalf("sign out from the PIN page: %d to %q", res.code, res.header.Get("Location"))
	}
	// Still one-time at the next sign-in.
	signInOneTime(t, f, "0007", "7777")
	own, _ := signedIn(t, f, "0002")
	if res := own.do("GET", pinChangePath, nil); res.code != http.StatusSeeOther || res.header.Get("Location") != "/" {
		t.Fatalf("the PIN page for an own PIN: %d to %q", res.code, res.header.Get("Location"))
	}
}

// An emergency is shown on the PIN page too, but without the Acknowledge
// button (it would lead back to the PIN page): it is acknowledged once
// the operator has chosen a PIN.
func TestForcedPINChangeEmergency(t *testing.T) {
	f := newFixture(t, false, nil)
	at := f.clock.now().Add(-5 * time.Minute)
	addCalls(t, f.st, loggedCall("em-1", at, "1203", "9119", "emergency", `["emergency"]`, false))
	enqueue(t, f.st, "hotel.pbx.emergency.call", "em-1", map[string]any{"device": "pbx1", "room": "1203", "extension": "1203",
		"dialed": "119", "service": "fire", "start": at, "priority": "high"})
	if err := f.ops.Reset(context.Background(), "0001", "5555", f.clock.now()); err != nil {
		t.Fatal(err)
	}
	b, tok := signInOneTime(t, f, "0001", "5555")
	page := b.do("GET", pinChangePath, nil)
	if !strings.Contains(page.body, "fire (119)") || strings.Contains(page.body, `action="/emergency/ack"`) {
		t.Fatalf("the PIN page's banner:\n%s", page.body)
	}
	if res := b.do("POST", pinChangePath, url.Values{"csrf": {tok}, "pin": {"24680"}, "pin2": {"24680"}}); res.code != http.StatusSeeOther {
		t.Fatalf("change: %d", res.code)
	}
	if home := b.do("GET", "/", nil); !strings.Contains(home.body, `action="/emergency/ack"`) {
		t.Fatal("no Acknowledge button once the PIN is chosen")
	}
}
