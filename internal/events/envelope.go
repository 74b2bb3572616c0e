package events

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
)

// SpecVersion is the CloudEvents version of every envelope (CloudEvents 1.0,
// structured content mode, JSON format).
const SpecVersion = "1.0"

// namespace for UUIDv5 event ids: a fixed UUID, so that the same event
// gets the same id after a restart.
var namespace = uuid.MustParse("6f1c7a52-2c4e-5a9b-8d0e-5357495443ba")

// EventID is the id of an event: UUIDv5 of its source (the device, or the
// gateway for edge events: unique within the property), its type, its
// business key and, unless epoch is "", the database's seqepoch.
//
// A key made of the device's own data (a call's record, by its bytes) is
// given with epoch "": a PBX that resends a buffered call produces the same
// key, hence the same id, even on a database restored or recreated since,
// so a consumer that dedupes on id never posts it twice. Every other key is
// the gateway's own numbering (stay 1, wake-up 7, fax job 3): numbers that
// start again on a new database, so its epoch is part of the id and the
// new stay 1 is not taken for the old one.
func EventID(source, eventType, idemkey, epoch string) string {
	name := source + "\x00" + eventType + "\x00" + idemkey
	if epoch != "" {
		name += "\x00" + epoch
	}
	return uuid.NewSHA1(namespace, []byte(name)).String()
}

// Envelope is a CloudEvents 1.0 structured JSON event with switchboard's
// extensions (seq, seqepoch, idemkey). Commands use the same envelope with
// replyto and deadline.
type Envelope struct {
	SpecVersion     string    `json:"specversion"`
	ID              string    `json:"id"`
	Source          string    `json:"source"`
	Type            string    `json:"type"`
	Time            time.Time `json:"time"`
	Subject         string    `json:"subject,omitempty"`
	DataContentType string    `json:"datacontenttype,omitempty"`
	DataSchema      string    `json:"dataschema,omitempty"`
	Seq             int64     `json:"seq,omitempty"`
	SeqEpoch        string    `json:"seqepoch,omitempty"`
	IdemKey         string    `json:"idemkey,omitempty"`
	// Principal and PrincipalRole name who caused the event when a
	// command did (DESIGN.md §1: every act has a principal): the bus
	// principal that sent it and its role. Absent on what a device did.
	Principal     string `json:"principal,omitempty"`
	PrincipalRole string `json:"principalrole,omitempty"`
	// Shift is the console shift the principal sent the command in
	// (issue 13: every charge and event a console command causes carries
	// the operator's shift). Absent (0) on what a back office, the CLI or
	// a device caused: only the console's in-process path sets one.
	Shift    int64           `json:"shift,omitempty"`
	ReplyTo  string          `json:"replyto,omitempty"`
	Deadline *time.Time      `json:"deadline,omitempty"`
	Data     json.RawMessage `json:"data,omitempty"`
}

// SchemaURI names the JSON Schema of an event type in schemas/ (the file
// schemas/<type>.json). Versions travel in the type's schema, not the topic.
func SchemaURI(eventType string) string {
	return "urn:switchboard:schema:" + eventType + ":v1"
}

// Validate checks the envelope fields CloudEvents 1.0 §3.1 makes required,
// naming the first one that is missing.
func (e *Envelope) Validate() error {
	switch {
	case e.SpecVersion != SpecVersion:
		return fmt.Errorf("specversion: %q, want %q", e.SpecVersion, SpecVersion)
	case e.ID == "":
		return fmt.Errorf("id: required")
	case e.Source == "":
		return fmt.Errorf("source: required")
	case e.Type == "":
		return fmt.Errorf("type: required")
	}
	return nil
}

// Topics builds the topic tree of DESIGN.md §4 for one site.
type Topics struct {
	Group, Property, Gateway string
}

func (t Topics) root() string { return "hotel/" + t.Group + "/" + t.Property + "/" }

// Event is hotel/{g}/{p}/{domain}/{device}/event/{type}; the type's last
// dotted parts after the domain become the level ("call.recorded").
func (t Topics) Event(domain, device, eventType string) string {
	return t.root() + domain + "/" + device + "/event/" + shortType(domain, eventType)
}

// State is retained: hotel/{g}/{p}/{domain}/{device}/state/{aspect}.
func (t Topics) State(domain, device, aspect string) string {
	return t.root() + domain + "/" + device + "/state/" + aspect
}

// Status is the gateway's retained birth/will topic.
func (t Topics) Status() string { return t.root() + "edge/" + t.Gateway + "/status" }

// Probe is where the gateway sends itself its session probe
// (internal/bus.Probe): only the gateway publishes there.
func (t Topics) Probe() string { return t.root() + "edge/" + t.Gateway + "/probe" }

// Ack is where the back office says "consumed up to seq N".
func (t Topics) Ack() string { return t.root() + "edge/" + t.Gateway + "/ack" }

// Commands is the subscription filter for every command to this site.
func (t Topics) Commands() string { return t.root() + "+/+/cmd/+" }

// Command is the topic a client publishes one command on.
func (t Topics) Command(domain, device, command string) string {
	return t.root() + domain + "/" + device + "/cmd/" + command
}

// Reply is where replies to a requesting client go.
func (t Topics) Reply(domain, device, client string) string {
	return t.root() + domain + "/" + device + "/reply/" + client
}

// Source is the CloudEvents source of a device's events.
func (t Topics) Source(domain, device string) string {
	return "/hotel/" + t.Group + "/" + t.Property + "/" + domain + "/" + device
}

// ParseCommandTopic splits hotel/{g}/{p}/{domain}/{device}/cmd/{command}.
func (t Topics) ParseCommandTopic(topic string) (domain, device, command string, ok bool) {
	rest, found := strings.CutPrefix(topic, t.root())
	if !found {
		return "", "", "", false
	}
	parts := strings.Split(rest, "/")
	if len(parts) != 4 || parts[2] != "cmd" || parts[0] == "" || parts[1] == "" || parts[3] == "" {
		return "", "", "", false
	}
	return parts[0], parts[1], parts[3], true
}

func shortType(domain, eventType string) string {
	if s, ok := strings.CutPrefix(eventType, "hotel."+domain+"."); ok {
		return s
	}
	return eventType
}

// Actor is the principal a piece of work acts for: the bus principal whose
// command caused it. Events enqueued under a context that carries one name
// it in their envelope.
type Actor struct {
	Principal string
	Role      string
	// Shift is the console shift of the command (0: none; only the
	// console's in-process commands have one).
	Shift int64
}

type actorKey struct{}

// WithActor returns ctx carrying a.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom is the actor ctx carries (ok false: none, the work is the
// gateway's or a device's own).
func ActorFrom(ctx context.Context) (Actor, bool) {
	a, ok := ctx.Value(actorKey{}).(Actor)
	return a, ok && a.Principal != ""
}

// ShiftFrom is the console shift of the actor ctx carries (0: none). A
// desk that records work a command asked for copies it onto its row, so a
// charge made later (a print job that ends after its command) still
// belongs to the shift that sent it.
func ShiftFrom(ctx context.Context) int64 {
	a, ok := ActorFrom(ctx)
	if !ok {
		return 0
	}
	return a.Shift
}
