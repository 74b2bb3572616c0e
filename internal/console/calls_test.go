package console

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"switchboard/internal/folio/ledger"
	"switchboard/internal/store"
)

// addCalls writes calls to the ledger as the billing desk does.
func addCalls(t *testing.T, st *store.Store, calls ...ledger.Call) {
	t.Helper()
	err := st.InTx(context.Background(), func(tx *store.Tx) error {
		for _, c := range calls {
			if err := ledger.Insert(tx, c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func loggedCall(key string, start time.Time, ext, dialed, class, flags string, posted bool) ledger.Call {
	return ledger.Call{IdemKey: key, Device: "pbx1", JournalID: 1, Start: start, DurationS: 95, Direction: "outgoing", Extension: ext, Room: ext,
		RoomClass: "guest", Dialed: dialed, Rating: ledger.Rating{Class: class, Price: "12.40", AmountMinor: 1240, Currency: "CNY", TariffVersion: "v1", CarrierCost: "0.00",
			Rated: []byte(`{}`)}, Flags: []byte(flags), Posted: posted}
}

func TestCallsPage(t *testing.T) {
	f := newFixture(t, false, nil)
	f.c.o.MaskDialed = func(d string) string { return d[:5] + strings.Repeat("*", len(d)-5) }
	at := f.clock.now().Add(-30 * time.Minute)
	addCalls(t, f.st,
		loggedCall("c1", at, `<script>alert(1)</script>`, "9008131234567", "idd", "[]", true),
		loggedCall("c2", at.Add(time.Minute), "1205", "90213456789", "local", `["vacant-room"]`, false),
	)
	op := f.browser(t)
	op.signIn("0001", "1234")
	res := op.do("GET", "/calls", nil)
	if res.code != http.StatusOK {
		t.Fatalf("/calls: %d\n%s", res.code, res.body)
	}
	for _, tc := range []struct {
		what string
		ok   bool
	}{
		{"&lt;script&gt;alert(1)&lt;/script&gt;", true}, // the device's text, escaped
		{"<script>alert", false},
		{"90081********", true}, // masked as the events mask it
		{"9008131234567", false},
		{"12.40 CNY", true},
		{"vacant-room", true},
		{`data-live="calls"`, true},
		{`src="/static/live.js"`, true},
	} {
		if strings.Contains(res.body, tc.what) != tc.ok {
			t.Errorf("page has %q: %v, want %v", tc.what, !tc.ok, tc.ok)
		}
	}
	biz := f.browser(t)
	biz.signIn("0002", "1234")
	if res := biz.do("GET", "/calls", nil); res.code != http.StatusForbidden {
		t.Fatalf("business on /calls: %d, want 403", res.code)
	}
}

func TestCallsPaging(t *testing.T) {
	f := newFixture(t, false, nil)
	at := f.clock.now().Add(-3 * time.Hour)
	var calls []ledger.Call
	for i := 0; i < callsPageSize+5; i++ {
		calls = append(calls, loggedCall(fmt.Sprintf("k%03d", i), at.Add(time.Duration(i)*time.Second), "1203", "9001", "local", "[]", true))
	}
	addCalls(t, f.st, calls...)
	op := f.browser(t)
	op.signIn("0001", "1234")
	first := op.do("GET", "/calls", nil)
	i := strings.Index(first.body, `href="/calls?day=`)
	if i < 0 || strings.Count(first.body, "<tr>") != callsPageSize+2 { // + the two header rows
		t.Fatalf("first page: older link at %d, %d rows", i, strings.Count(first.body, "<tr>"))
	}
	link := first.body[i+6:]
	link = strings.ReplaceAll(link[:strings.Index(link, `"`)], "&amp;", "&")
	older := op.do("GET", link, nil)
	if strings.Count(older.body, "<tr>") != 5+2 || strings.Contains(older.body, `data-live="calls"`) {
		t.Fatalf("older page %s: %d rows\n%s", link, strings.Count(older.body, "<tr>"), older.body)
	}
}

// An emergency call is a banner on every page of the switchboard's roles
// until an operator acknowledges it; the store records who and when.
func TestEmergencyBanner(t *testing.T) {
	f := newFixture(t, false, nil)
	at := f.clock.now().Add(-5 * time.Minute)
	addCalls(t, f.st, loggedCall("em-1", at, "1203", "9119", "emergency", `["emergency"]`, false))
	enqueue(t, f.st, "hotel.pbx.emergency.call", "em-1", map[string]any{"device": "pbx1", "room": "1203", "extension": "1203",
		"dialed": "119", "service": "fire", "start": at, "priority": "high"})
	op, sup, biz := f.browser(t), f.browser(t), f.browser(t)
	_, tok := op.signIn("0001", "1234")
	sup.signIn("0003", "1234")
	biz.signIn("0002", "1234")
	banner := `class="alarm"`
	for _, tc := range []struct {
		who  *browser
		role string
		path string
		want bool
	}{
		{op, "operator", "/", true}, {op, "operator", "/wakeups", true}, {op, "operator", "/calls", true}, {sup, "supervisor", "/shift", true},
		{biz, "business", "/", false}, {biz, "business", "/shift", false},
	} {
		res := tc.who.do("GET", tc.path, nil)
		if has := strings.Contains(res.body, banner) && strings.Contains(res.body, "fire (119)"); has != tc.want {
			t.Errorf("%s %s: banner %v, want %v", tc.role, tc.path, has, tc.want)
		}
	}
	if res := op.do("POST", "/emergency/ack", url.Values{"key": {"em-1"}}); res.code != http.StatusForbidden {
		t.Fatalf("ack without the form token: %d, want 403", res.code)
	}
	if res := biz.do("POST", "/emergency/ack", url.Values{"key": {"em-1"}}); res.code != http.StatusForbidden {
		t.Fatalf("ack by the business centre: %d, want 403", res.code)
	}
	res := op.do("POST", "/emergency/ack", url.Values{"csrf": {tok}, "key": {"em-1"}, "back": {"/wakeups"}})
	if res.code != http.StatusSeeOther || res.header.Get("Location") != "/wakeups" {
		t.Fatalf("ack: %d %s", res.code, res.header.Get("Location"))
	}
	for _, b := range []*browser{op, sup} {
		if res := b.do("GET", "/calls", nil); strings.Contains(res.body, banner) {
			t.Fatalf("banner after the acknowledgement:\n%s", res.body)
		}
	}
	v, ok, err := f.st.Get(context.Background(), ackNS, "em-1")
	var a ack
	if err != nil || !ok || json.Unmarshal(v, &a) != nil || a.Operator != "0001" || !a.At.Equal(f.clock.now()) {
		t.Fatalf("acknowledgement stored: %s %v %v", v, ok, err)
	}
	if res := op.do("POST", "/emergency/ack", url.Values{"csrf": {tok}, "key": {"em-1"}, "back": {"//evil.example"}}); res.header.Get("Location") != "/calls" {
		t.Fatalf("ack back to another site: %s", res.header.Get("Location"))
	}
}
