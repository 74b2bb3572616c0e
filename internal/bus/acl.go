package bus

import (
	"fmt"
	"strings"

	"switchboard/internal/events"
)

// Role is what a principal on the bus may do (DESIGN.md §1, "Every act has
// a principal"; docs/events.md "Who may say what").
type Role string

// The roles of MQTT principals.
const (
	// RoleGateway is the daemon itself: the only principal that publishes
	// events, state, replies and status, and the only one that retains.
	RoleGateway Role = "gateway"
	// RoleBackoffice reads the property, sends any command and acknowledges.
	RoleBackoffice Role = "backoffice"
	// RoleOperator reads the property and sends the front-office commands.
	RoleOperator Role = "operator"
	// RoleReadonly reads the property.
	RoleReadonly Role = "readonly"
)

// ParseRole reads a configured user's role; gateway is refused (only the
// daemon, with its per-process credential, acts as the gateway).
func ParseRole(s string) (Role, error) {
	switch r := Role(s); r {
	case RoleBackoffice, RoleOperator, RoleReadonly:
		return r, nil
	}
	return "", fmt.Errorf("role %q: want backoffice, operator or readonly", s)
}

// operatorMay says whether an operator may send command to a device of
// domain: the front-office commands, on the domain whose devices take them
// (docs/events.md): wake-ups, DND, MWL, COS and guests on the hotel link;
// fax; print and copy. Not ack, not replay, not folio.* (the back
// office's), not call.resolve (settling a flagged call is for supervisors
// and the night audit: the console sends it as the back office), not ping.
func operatorMay(domain, command string) bool {
	family, name, ok := strings.Cut(command, ".")
	if !ok || name == "" {
		return false
	}
	switch domain {
	case "pbx":
		return family == "wakeup" || family == "dnd" || family == "mwl" || family == "cos" || family == "guest"
	case "fax":
		return family == "fax"
	case "print":
		return family == "print" || family == "copy"
	}
	return false
}

// ACL says who may publish and subscribe where on one property's topic
// tree: hotel/{group}/{property}/{domain}/{device}/{kind}/... (DESIGN.md
// §4). It holds only strings and is safe for concurrent use.
type ACL struct {
	root    string // "hotel/{group}/{property}/"
	gateway string // the gateway's device level under edge/
}

// NewACL is the ACL of the site t names.
func NewACL(t events.Topics) ACL {
	return ACL{root: "hotel/" + t.Group + "/" + t.Property + "/", gateway: t.Gateway}
}

// topic is a topic name split on the tree's levels.
type topic struct {
	domain, device, kind, rest string
}

// split reads hotel/{g}/{p}/{domain}/{device}/{kind}[/rest]; ok is false for
// a topic outside the property or one with an empty level. It does not
// allocate: the ACL runs on every publish and every delivery.
func (a ACL) split(name string) (topic, bool) {
	rest, ok := strings.CutPrefix(name, a.root)
	if !ok {
		return topic{}, false
	}
	var t topic
	if t.domain, rest, ok = strings.Cut(rest, "/"); !ok || t.domain == "" {
		return topic{}, false
	}
	if t.device, rest, ok = strings.Cut(rest, "/"); !ok || t.device == "" {
		return topic{}, false
	}
	t.kind, t.rest, _ = strings.Cut(rest, "/")
	return t, t.kind != ""
}

// singleLevel: the rest of the topic is exactly one non-empty level.
func singleLevel(s string) bool { return s != "" && strings.IndexByte(s, '/') < 0 }

// noEmptyLevel: one or more non-empty levels (a retained state's aspect may
// have several: state/room/1203).
func noEmptyLevel(s string) bool {
	return s != "" && !strings.HasPrefix(s, "/") && !strings.HasSuffix(s, "/") && !strings.Contains(s, "//")
}

func (a ACL) edge(t topic) bool { return t.domain == "edge" && t.device == a.gateway }

// Publish says whether role may publish on the topic name; retained is the
// message's RETAIN flag (MQTT 5 §3.3.1.3, 3.1.1 §3.3.1.3): only the gateway retains,
// and only its state and status. Only the gateway publishes its probe.
func (a ACL) Publish(role Role, name string, retained bool) bool {
	t, ok := a.split(name)
	if !ok {
		return false
	}
	switch role {
	case RoleGateway:
		switch t.kind {
		case "state":
			return noEmptyLevel(t.rest)
		case "status":
			return a.edge(t) && t.rest == ""
		case "probe":
			// The session probe (probe.go): the gateway's own, never retained.
			return !retained && a.edge(t) && t.rest == ""
		case "event", "reply":
			return !retained && singleLevel(t.rest)
		}
	case RoleBackoffice:
		if retained {
			return false
		}
		switch t.kind {
		case "cmd":
			return singleLevel(t.rest)
		case "ack":
			return a.edge(t) && t.rest == ""
		}
	case RoleOperator:
		return !retained && t.kind == "cmd" && singleLevel(t.rest) && operatorMay(t.domain, t.rest)
	}
	return false
}

// Subscribe says whether role may subscribe to filter, or receive a message
// published on a topic name (the broker asks both ways). Every role reads
// its own property and nothing else: a filter must name the property's
// levels literally (no wildcard in hotel/{group}/{property}, MQTT 5
// §4.7.1), so `#` or `hotel/+/...` is refused. A shared subscription
// ($share/{name}/{filter}, MQTT 5 §4.8.2) is judged by its filter.
func (a ACL) Subscribe(role Role, filter string) bool {
	switch role {
	case RoleGateway, RoleBackoffice, RoleOperator, RoleReadonly:
	default:
		return false
	}
	if rest, ok := strings.CutPrefix(filter, "$share/"); ok {
		if _, f, ok := strings.Cut(rest, "/"); ok {
			filter = f
		}
	}
	return strings.HasPrefix(filter, a.root)
}
