package bus

import (
	"testing"
)

func TestACLPublish(t *testing.T) {
	acl := NewACL(topics)
	const (
		event   = "hotel/acme/h042/pbx/pbx1/event/call.charged"
		state   = "hotel/acme/h042/pbx/pbx1/state/room/1203"
		link    = "hotel/acme/h042/pbx/pbx1/state/link"
		status  = "hotel/acme/h042/edge/gw1/status"
		probe   = "hotel/acme/h042/edge/gw1/probe"
		reply   = "hotel/acme/h042/pbx/pbx1/reply/pms"
		ack     = "hotel/acme/h042/edge/gw1/ack"
		ping    = "hotel/acme/h042/edge/gw1/cmd/ping"
		replay  = "hotel/acme/h042/edge/gw1/cmd/replay"
		checkin = "hotel/acme/h042/edge/gw1/cmd/folio.checkin"
		resolve = "hotel/acme/h042/edge/gw1/cmd/call.resolve"
		wakeup  = "hotel/acme/h042/pbx/link1/cmd/wakeup.set"
		dnd     = "hotel/acme/h042/pbx/link1/cmd/dnd.set"
		guest   = "hotel/acme/h042/pbx/link1/cmd/guest.checkout"
		faxSend = "hotel/acme/h042/fax/fax1/cmd/fax.send"
		print   = "hotel/acme/h042/print/prn1/cmd/print.submit"
		copyS   = "hotel/acme/h042/print/prn1/cmd/copy.start"
	)
	type want struct{ gateway, backoffice, operator, readonly bool }
	for _, tc := range []struct {
		topic    string
		retained bool
		want     want
	}{
		{event, false, want{gateway: true}},
		{event, true, want{}}, // events are never retained
		{state, true, want{gateway: true}},
		{state, false, want{gateway: true}},
		{link, true, want{gateway: true}},
		{status, true, want{gateway: true}},
		{probe, false, want{gateway: true}}, // the session probe: the gateway's alone
		{probe, true, want{}},
		{"hotel/acme/h042/edge/gw2/probe", false, want{}},
		{"hotel/acme/h042/edge/gw1/probe/x", false, want{}},
		{"hotel/acme/h042/pbx/pbx1/probe", false, want{}},
		{reply, false, want{gateway: true}},
		{reply, true, want{}},
		{ack, false, want{backoffice: true}},
		{ack, true, want{}},
		{ping, false, want{backoffice: true}},
		{replay, false, want{backoffice: true}},
		{checkin, false, want{backoffice: true}},
		{checkin, true, want{}},
		// Settling a flagged call is the back office's (and the console's
		// supervisors', who send as the back office), never an operator's.
		{resolve, false, want{backoffice: true}},
		{resolve, true, want{}},
		{"hotel/acme/h042/pbx/pbx1/cmd/call.resolve", false, want{backoffice: true}},
		{wakeup, false, want{backoffice: true, operator: true}},
		{wakeup, true, want{}},
		{dnd, false, want{backoffice: true, operator: true}},
		{guest, false, want{backoffice: true, operator: true}},
		{faxSend, false, want{backoffice: true, operator: true}},
		{print, false, want{backoffice: true, operator: true}},
		{copyS, false, want{backoffice: true, operator: true}},
		// A front-office command on a domain whose devices do not take it.
		{"hotel/acme/h042/edge/gw1/cmd/wakeup.set", false, want{backoffice: true}},
		{"hotel/acme/h042/pbx/link1/cmd/fax.send", false, want{backoffice: true}},
		{"hotel/acme/h042/pbx/link1/cmd/wakeup", false, want{backoffice: true}},
		{"hotel/acme/h042/pbx/link1/cmd/wakeup.", false, want{backoffice: true}},
		// Another gateway's ack and status, another property, other shapes.
		{"hotel/acme/h042/edge/gw2/ack", false, want{}},
		{"hotel/acme/h042/edge/gw2/status", true, want{}},
		{"hotel/acme/h043/pbx/pbx1/event/call.charged", false, want{}},
		{"hotel/acme/h043/edge/gw1/ack", false, want{}},
		{"hotel/acme/h042/pbx/pbx1/event/call.charged/x", false, want{}},
		{"hotel/acme/h042/pbx/pbx1/event/", false, want{}},
		{"hotel/acme/h042/pbx/pbx1/state/", true, want{}},
		{"hotel/acme/h042/pbx/pbx1/state/room//1203", true, want{}},
		{"hotel/acme/h042/pbx/pbx1/cmd/a/b", false, want{}},
		{"hotel/acme/h042/pbx//event/x", false, want{}},
		{"hotel/acme/h042/pbx/pbx1/other/x", false, want{}},
		{"hotel/acme/h042/edge/gw1/status/x", true, want{}},
		{"hotel/acme/h042/edge/gw1/ack/x", false, want{}},
		{"hotel/acme/h042/edge/gw1", false, want{}},
		{"$SYS/broker/uptime", false, want{}},
		{"", false, want{}},
	} {
		for _, r := range []struct {
			role Role
			ok   bool
		}{{RoleGateway, tc.want.gateway}, {RoleBackoffice, tc.want.backoffice}, {RoleOperator, tc.want.operator}, {RoleReadonly, tc.want.readonly}, {"", false}, {"admin", false}} {
			if got := acl.Publish(r.role, tc.topic, tc.retained); got != r.ok {
				t.Errorf("%s publish %q retained=%v: %v, want %v", r.role, tc.topic, tc.retained, got, r.ok)
			}
		}
	}
}

func TestACLSubscribe(t *testing.T) {
	acl := NewACL(topics)
	for _, tc := range []struct {
		filter string
		ok     bool
	}{
		{"hotel/acme/h042/#", true},
		{"hotel/acme/h042/+/+/event/#", true},
		{"hotel/acme/h042/pbx/link1/reply/pms", true},
		{"hotel/acme/h042/+/+/cmd/+", true},
		{"hotel/acme/h042/edge/gw1/ack", true},
		{"$share/pms/hotel/acme/h042/+/+/event/#", true},
		{"#", false},
		{"+/#", false},
		{"hotel/#", false},
		{"hotel/acme/+/#", false},
		{"hotel/+/h042/#", false},
		{"hotel/acme/h043/#", false},
		{"hotel/acme/h042", false},
		{"$SYS/#", false},
		{"$share/pms/#", false},
	} {
		for _, role := range []Role{RoleGateway, RoleBackoffice, RoleOperator, RoleReadonly} {
			if got := acl.Subscribe(role, tc.filter); got != tc.ok {
				t.Errorf("%s subscribe %q: %v, want %v", role, tc.filter, got, tc.ok)
			}
		}
		if acl.Subscribe("", tc.filter) {
			t.Errorf("no role subscribes %q", tc.filter)
		}
	}
}

func TestParseRole(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{{"backoffice", true}, {"operator", true}, {"readonly", true}, {"gateway", false}, {"admin", false}, {"", false}, {"Backoffice", false}} {
		if _, err := ParseRole(tc.in); (err == nil) != tc.ok {
			t.Errorf("ParseRole(%q): %v, want ok=%v", tc.in, err, tc.ok)
		}
	}
}

// BenchmarkACL is the ACL's cost per publish (the broker also asks it per
// delivery and per subscription). Target: under 2 µs (issue 11).
func BenchmarkACL(b *testing.B) {
	acl := NewACL(topics)
	cases := []struct {
		name  string
		role  Role
		topic string
	}{
		{"gateway-event", RoleGateway, "hotel/acme/h042/pbx/pbx1/event/call.charged"},
		{"gateway-state", RoleGateway, "hotel/acme/h042/pbx/pbx1/state/room/1203"},
		{"operator-cmd", RoleOperator, "hotel/acme/h042/pbx/link1/cmd/wakeup.set"},
		{"readonly-refused", RoleReadonly, "hotel/acme/h042/pbx/pbx1/event/call.charged"},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				acl.Publish(c.role, c.topic, false)
			}
		})
	}
	b.Run("deliver", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			acl.Subscribe(RoleBackoffice, "hotel/acme/h042/pbx/pbx1/event/call.charged")
		}
	})
}

func TestTapFilterMatches(t *testing.T) {
	for _, tc := range []struct {
		filter, name string
		want         bool
	}{
		{"hotel/acme/h042/+/+/cmd/+", "hotel/acme/h042/pbx/link1/cmd/wakeup.set", true},
		{"hotel/acme/h042/+/+/cmd/+", "hotel/acme/h042/pbx/link1/cmd/wakeup.set/x", false},
		{"hotel/acme/h042/+/+/cmd/+", "hotel/acme/h042/pbx/link1/event/x", false},
		{"hotel/acme/h042/+/+/cmd/+", "hotel/acme/h042/pbx/cmd/x", false},
		{"hotel/acme/h042/edge/gw1/ack", "hotel/acme/h042/edge/gw1/ack", true},
		{"hotel/acme/h042/edge/gw1/ack", "hotel/acme/h042/edge/gw1/ack/x", false},
		{"hotel/acme/h042/edge/gw1/ack", "hotel/acme/h042/edge/gw1", false},
		{"hotel/#", "hotel", true}, // # includes the parent level (MQTT 5 §4.7.1.2)
		{"hotel/#", "hotel/a/b", true},
		{"#", "anything/at/all", true},
		{"a/+", "a/", true},
		{"a/+", "a", false},
		{"a/+/c", "a/b/c", true},
		{"a/b", "a/c", false},
	} {
		if got := matches(tc.filter, tc.name); got != tc.want {
			t.Errorf("matches(%q, %q) = %v, want %v", tc.filter, tc.name, got, tc.want)
		}
	}
}

// BenchmarkTapMatch is what the broker's taps cost every publish: the
// command filter and the ack topic against an event's topic.
func BenchmarkTapMatch(b *testing.B) {
	b.ReportAllocs()
	name := "hotel/acme/h042/pbx/pbx1/event/call.charged"
	for b.Loop() {
		matches(topics.Commands(), name)
		matches(topics.Ack(), name)
	}
}
