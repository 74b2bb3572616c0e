package console

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"switchboard/internal/bus"
	"switchboard/internal/folio"
	"switchboard/internal/folio/ledger"
	"switchboard/internal/operators"
	"switchboard/internal/store"
)

// resolveRefusingHost refuses every command as the desk refuses a resolution.
type resolveRefusingHost struct{ fakeHost }

func (h *resolveRefusingHost) Command(ctx context.Context, domain, device, name string, data any, by bus.Principal) (bus.Reply, error) {
	h.fakeHost.Command(ctx, domain, device, name, data, by)
	return bus.Reply{CommandID: "cmd-1", Command: name, Device: device, Status: "failed", Reason: "call c2 was resolved already: <i>post</i> by 0004"}, nil
}

// flaggedDay is a day with two flagged calls, one resolved already.
func flaggedDay(t *testing.T, f *fixture) {
	t.Helper()
	at := f.clock.now().Add(-30 * time.Minute)
	addCalls(t, f.st,
		loggedCall("c1", at, "<b>1203</b>", "90213456789", "local", `["after-checkout"]`, false),
		loggedCall("c2", at.Add(time.Minute), "1205", "90213456789", "local", `["vacant-room"]`, false),
		loggedCall("c3", at.Add(2*time.Minute), "1206", "90213456789", "local", `[]`, true),
	)
	err := f.st.InTx(context.Background(), func(tx *store.Tx) error {
		_, _, err := ledger.Resolve(tx, ledger.Resolution{Call: "c2", CallStart: at.Add(time.Minute), Action: "write-off", Reason: "<script>x</script> staff",
			Principal: "0003", Role: "backoffice", CommandID: "k", Resolved: at.Add(10 * time.Minute), EventSeq: 9, Price: "12.40", AmountMinor: 1240, Currency: "CNY"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestCallsResolveForm(t *testing.T) {
	f := newFixture(t, false, nil)
	f.c.o.Gateway = "gw1"
	flaggedDay(t, f)
	host := f.c.o.Host.(*fakeHost)
	sup := f.browser(t)
	sup.signIn("0003", "1234")
	page := sup.do("GET", "/calls", nil)
	if page.code != http.StatusOK {
		t.Fatalf("/calls: %d\n%s", page.code, page.body)
	}
	tok := formToken(t, page.body)
	for _, tc := range []struct {
		what string
		ok   bool
	}{
		{`<strong>1</strong> to resolve · 1 resolved`, true},
		{`action="/calls/resolve"`, true},
		{`name="call" value="c1"`, true},  // c1's form
		{`name="call" value="c2"`, false}, // resolved: no form
		{`name="call" value="c3"`, false}, // not flagged
		{`&lt;b&gt;1203&lt;/b&gt;`, true}, // the device's text, escaped
		{`<b>1203</b>`, false},
		{`Resolved: write off (12.40 CNY) · 0003 ·`, true},
		{`&lt;script&gt;x&lt;/script&gt; staff`, true},
		{`<script>x`, false},
	} {
		if strings.Contains(page.body, tc.what) != tc.ok {
			t.Errorf("supervisor's page has %q: %v, want %v", tc.what, !tc.ok, tc.ok)
		}
	}
	// In Chinese too.
	if zh := sup.do("GET", "/calls?lang=zh-TW", nil); !strings.Contains(zh.body, "筆待處理") || !strings.Contains(zh.body, "註銷（酒店承擔）") {
		t.Errorf("the Chinese page lacks the resolution strings")
	}
	sup.do("GET", "/calls?lang=en", nil)
	for _, tc := range []struct {
		name string
		form url.Values
		code int
		sent int    // commands sent so far
		body string // on the page answered
	}{
		{"no csrf", url.Values{"call": {"c1"}, "action": {"post"}, "room": {"1203"}, "reason": {"x"}}, http.StatusForbidden, 0, ""},
		{"write-off asks first", url.Values{"csrf": {tok}, "day": {"2026-12-04"}, "call": {"c1"}, "action": {"write-off"}, "reason": {"house <phone>"}},
			http.StatusOK, 0, `name="confirmed" value="yes"`},
		{"write-off confirmed", url.Values{"csrf": {tok}, "day": {"2026-12-04"}, "call": {"c1"}, "action": {"write-off"}, "reason": {"house phone"},
			"room": {"1203"}, "amount": {""}, "confirmed": {"yes"}}, http.StatusSeeOther, 1, ""}, // the row's room field is not a write-off's
		{"post", url.Values{"csrf": {tok}, "day": {"2026-12-04"}, "call": {"c1"}, "action": {"post"}, "room": {"1203"}, "stay": {"4"}, "reason": {"the guest's"}},
			http.StatusSeeOther, 2, ""},
		{"bad stay", url.Values{"csrf": {tok}, "day": {"2026-12-04"}, "call": {"c1"}, "action": {"post"}, "room": {"1203"}, "stay": {"x"}, "reason": {"y"}},
			http.StatusUnprocessableEntity, 2, "not a stay number"},
	} {
		res := sup.do("POST", "/calls/resolve", tc.form)
		if res.code != tc.code || !strings.Contains(res.body, tc.body) || len(host.sent) != tc.sent {
			t.Errorf("%s: %d (%d commands sent), want %d (%d)\n%s", tc.name, res.code, len(host.sent), tc.code, tc.sent, res.body)
		}
		if tc.name == "write-off asks first" && (!strings.Contains(res.body, "house &lt;phone&gt;") || !strings.Contains(res.body, "No room will be charged")) {
			t.Errorf("the write-off's confirm step does not repeat what it does:\n%s", res.body)
		}
	}
	want := []folio.ResolveData{
		{Call: "c1", Action: "write-off", Reason: "house phone"},
		{Call: "c1", Action: "post", Room: "1203", StayID: 4, Reason: "the guest's"},
	}
	for i, s := range host.sent {
		if s.domain != "edge" || s.device != "gw1" || s.name != folio.ResolveCommand || s.data != want[i] || s.by.Username != "0003" || s.by.Role != bus.RoleBackoffice {
			t.Errorf("command %d: %+v, want %+v from 0003 as the back office", i, s, want[i])
		}
	}
}

// Operators see the flagged list and how each call was resolved, not the
// form; they cannot post it; the business centre does not see calls.
func TestCallsResolveRoles(t *testing.T) {
	f := newFixture(t, false, nil)
	flaggedDay(t, f)
	host := f.c.o.Host.(*fakeHost)
	op := f.browser(t)
	_, tok := op.signIn("0001", "1234")
	page := op.do("GET", "/calls", nil)
	if page.code != http.StatusOK || strings.Contains(page.body, `action="/calls/resolve"`) || !strings.Contains(page.body, "To resolve (a supervisor resolves it)") ||
		!strings.Contains(page.body, "Resolved: write off") {
		t.Errorf("operator's page: %d\n%s", page.code, page.body)
	}
	res := op.do("POST", "/calls/resolve", url.Values{"csrf": {tok}, "call": {"c1"}, "action": {"post"}, "room": {"1203"}, "reason": {"x"}})
	if res.code != http.StatusForbidden || len(host.sent) != 0 {
		t.Errorf("operator resolves: %d, %d commands sent", res.code, len(host.sent))
	}
	biz := f.browser(t)
	_, tok = biz.signIn("0002", "1234")
	if res := biz.do("POST", "/calls/resolve", url.Values{"csrf": {tok}, "call": {"c1"}, "action": {"write-off"}, "reason": {"x"}, "confirmed": {"yes"}}); res.code != http.StatusForbidden {
		t.Errorf("business clerk resolves: %d", res.code)
	}
	// The console's roles agree with the bus ACL: supervisors and admins
	// send it (as the back office, which the ACL lets send it), operators
	// and clerks never.
	for role, want := range map[operators.Role]bool{operators.RoleOperator: false, operators.RoleBusiness: false, operators.RoleSupervisor: true, operators.RoleAdmin: true} {
		acl := bus.NewACL(newTopics()).Publish(busRole(role), "hotel/acme/h042/edge/gw1/cmd/call.resolve", false)
		if mayCommand(role, "edge", folio.ResolveCommand) != want || acl != want {
			t.Errorf("%s: console %v, bus ACL %v, want %v", role, mayCommand(role, "edge", folio.ResolveCommand), acl, want)
		}
	}
}

// A resolution the desk refuses is shown on the calls page, escaped, 422.
func TestCallsResolveRefused(t *testing.T) {
	f := newFixture(t, false, func(st *store.Store) Host { return &resolveRefusingHost{fakeHost{st: st}} })
	flaggedDay(t, f)
	adm := f.browser(t)
	_, tok := adm.signIn("0004", "1234")
	res := adm.do("POST", "/calls/resolve", url.Values{"csrf": {tok}, "day": {"2026-12-04"}, "call": {"c2"}, "action": {"post"}, "room": {"1205"}, "reason": {"x"}})
	if res.code != http.StatusUnprocessableEntity || !strings.Contains(res.body, "Not resolved: call c2 was resolved already: &lt;i&gt;post&lt;/i&gt; by 0004") {
		t.Errorf("refused: %d\n%s", res.code, res.body)
	}
}
