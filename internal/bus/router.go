package bus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"switchboard/internal/events"
	"switchboard/internal/store"
	"switchboard/schemas"
)

// Command is one validated command envelope addressed to a device.
type Command struct {
	ID       string
	Type     string
	Domain   string
	Device   string
	Name     string // wakeup.set
	Client   string // replyto: the requester's reply topic level
	Deadline *time.Time
	Received time.Time
	Data     json.RawMessage
	// By is who sent it, as the embedded broker authenticated them (nil
	// from an external broker, whose ACL decided).
	By *Principal
}

// Handler handles one {domain}/{command}. Validate runs before anything is
// persisted and must not change state; its error becomes a `failed` reply.
// Execute runs after the `accepted` reply; its result or error becomes the
// `completed` or `failed` reply.
type Handler interface {
	Validate(c *Command) error
	Execute(ctx context.Context, c *Command) (any, error)
}

// Preparer is a Handler whose durable work comes before the `accepted`
// reply, so that the reply can carry what it made (a fax's quote). Prepare
// runs on the device's worker after Validate; its error is a `failed`
// reply, its result goes in `accepted`; Execute then finishes the command.
type Preparer interface {
	Prepare(ctx context.Context, c *Command) (any, error)
}

// FieldError names the payload field that is wrong.
type FieldError struct {
	Field   string
	Problem string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Problem }

// Reply is the data of a command reply event.
type Reply struct {
	CommandID string `json:"command_id"`
	Command   string `json:"command"`
	Device    string `json:"device"`
	Status    string `json:"status"` // accepted, completed, failed
	Reason    string `json:"reason,omitempty"`
	Field     string `json:"field,omitempty"`
	Result    any    `json:"result,omitempty"`
	// By names the principal the command was accepted from (DESIGN.md
	// §1: every act has a principal).
	By *ReplyBy `json:"by,omitempty"`
}

// ReplyBy is the principal of a command in its replies.
type ReplyBy struct {
	Principal string `json:"principal"`
	Role      string `json:"role"`
}

func (c *Command) replyBy() *ReplyBy {
	if c.By == nil {
		return nil
	}
	return &ReplyBy{Principal: c.By.Username, Role: string(c.By.Role)}
}

// Router receives commands, dedupes them by id, and replies through the outbox.
type Router struct {
	topics events.Topics
	st     *store.Store
	emit   func(ctx context.Context, ev store.Event, fn func(tx *store.Tx) error) error
	log    *slog.Logger

	mu       sync.RWMutex
	handlers map[string]Handler // "pbx/wakeup.set"
	queue    chan Message

	// Execution runs per device: one device's commands run in the order
	// they were accepted, while a slow one (a print job followed to its end,
	// a PBX that takes its time) never holds up another device's commands.
	devMu   sync.Mutex
	devices map[string]chan func()
	wg      sync.WaitGroup
}

// NewRouter makes a router. emit commits an event (and fn's changes) in one
// transaction and wakes the publisher.
func NewRouter(topics events.Topics, st *store.Store, emit func(ctx context.Context, ev store.Event, fn func(tx *store.Tx) error) error, log *slog.Logger) *Router {
	if log == nil {
		log = slog.Default()
	}
	return &Router{topics: topics, st: st, emit: emit, log: log.With("component", "commands"),
		handlers: map[string]Handler{}, queue: make(chan Message, 1024), devices: map[string]chan func(){}}
}

// Handle registers h for commands named command in domain.
func (r *Router) Handle(domain, command string, h Handler) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.handlers[domain+"/"+command] = h
}

// Handler is the handler registered for {domain}/{command} (nil: none):
// tools and tests run a command without the broker.
func (r *Router) Handler(domain, command string) Handler {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.handlers[domain+"/"+command]
}

// Deliver queues a message from the broker without blocking paho for long.
func (r *Router) Deliver(m Message) {
	if m.Retained {
		// A retained command is an old command replayed by the broker; it
		// was handled (or refused) when it was first sent.
		return
	}
	r.queue <- m
}

// Run validates and accepts queued commands one at a time, in arrival
// order, until ctx ends; each device's commands then execute in order on a
// worker of that device.
func (r *Router) Run(ctx context.Context) {
	defer func() {
		r.devMu.Lock()
		for k, q := range r.devices {
			close(q)
			delete(r.devices, k)
		}
		r.devMu.Unlock()
		r.wg.Wait()
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case m := <-r.queue:
			r.handle(ctx, m)
		}
	}
}

// Interrupted answers the commands a restart cut off after they were
// accepted and before the device confirmed: they fail with a reason the
// requester can act on (the device may or may not have done it).
func (r *Router) Interrupted(ctx context.Context) (int, error) {
	rows, err := r.st.OpenCommands(ctx)
	if err != nil {
		return 0, err
	}
	for _, row := range rows {
		parts := strings.SplitN(row.Topic, "/", 3)
		if len(parts) != 3 {
			continue
		}
		cmd := Command{ID: row.ID, Domain: parts[0], Device: parts[1], Name: parts[2], Client: row.Client, Received: row.Received}
		if row.Role != "" {
			cmd.By = &Principal{Username: row.Principal, Role: Role(row.Role)}
		}
		r.reply(ctx, cmd, store.CommandFailed,
			errors.New("interrupted: the gateway restarted before the device confirmed; check the device's state and send the command again"),
			nil, record(cmd, store.CommandFailed))
	}
	return len(rows), nil
}

// onDevice runs fn on the device's worker, after its earlier commands.
func (r *Router) onDevice(key string, fn func()) {
	r.devMu.Lock()
	q, ok := r.devices[key]
	if !ok {
		q = make(chan func(), 256)
		r.devices[key] = q
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			for f := range q {
				f()
			}
		}()
	}
	r.devMu.Unlock()
	q <- fn
}

// commandError is a refusal with the field it concerns.
func failure(err error) (reason, field string) {
	var fe *FieldError
	if errors.As(err, &fe) {
		return err.Error(), fe.Field
	}
	return err.Error(), ""
}

func (r *Router) handle(ctx context.Context, m Message) {
	domain, device, name, ok := r.topics.ParseCommandTopic(m.Topic)
	if !ok {
		r.log.Warn("command on a topic outside the tree", "topic", m.Topic)
		return
	}
	cmd, err := decodeCommand(m.Payload, domain, device, name)
	cmd.Received, cmd.By = time.Now(), m.From
	if err != nil {
		// No id (or unreadable JSON): reply with a synthetic key so the
		// requester still learns what was wrong.
		if cmd.Client == "" {
			cmd.Client = "unknown"
		}
		if cmd.ID == "" {
			cmd.ID = "invalid-" + events.EventID(m.Topic, "invalid", string(m.Payload), "")
		}
		r.reply(ctx, cmd, store.CommandFailed, err, nil, nil)
		r.log.Warn("malformed command refused", "topic", m.Topic, "err", err)
		return
	}
	if field, max, err := schemas.TooLong(cmd.Type, cmd.Data); err != nil || field != "" {
		// Every string of every command is bounded by its schema: an
		// oversized one is refused before anything is stored or handled.
		if err == nil {
			err = &FieldError{Field: field, Problem: fmt.Sprintf("longer than %d characters", max)}
		}
		r.reply(ctx, cmd, store.CommandFailed, err, nil, nil)
		r.log.Warn("oversized command refused", "id", cmd.ID, "field", field)
		return
	}
	if err := operatorIsSender(&cmd); err != nil {
		r.reply(ctx, cmd, store.CommandFailed, err, nil, nil)
		r.log.Warn("command refused: operator is not its sender", "id", cmd.ID, "principal", cmd.By.Username)
		return
	}
	var prev store.CommandRow
	var seen bool
	if err := r.st.InTx(ctx, func(tx *store.Tx) error {
		prev, seen, err = tx.Command(cmd.ID)
		return err
	}); err != nil {
		r.log.Error("command log unavailable", "id", cmd.ID, "err", err)
		return
	}
	if seen {
		// The same command id again: repeat the outcome, do nothing twice.
		r.log.Info("duplicate command", "id", cmd.ID, "status", prev.Status)
		r.republish(ctx, cmd, prev)
		return
	}
	r.mu.RLock()
	h := r.handlers[domain+"/"+name]
	r.mu.RUnlock()
	if h == nil {
		r.reply(ctx, cmd, store.CommandFailed, fmt.Errorf("unknown command %q for %s devices", name, domain), nil, record(cmd, store.CommandFailed))
		return
	}
	if cmd.Deadline != nil && cmd.Received.After(*cmd.Deadline) {
		r.reply(ctx, cmd, store.CommandFailed, fmt.Errorf("deadline %s passed before the command arrived", cmd.Deadline.Format(time.RFC3339)), nil, record(cmd, store.CommandFailed))
		return
	}
	if err := h.Validate(&cmd); err != nil {
		r.reply(ctx, cmd, store.CommandFailed, err, nil, record(cmd, store.CommandFailed))
		return
	}
	if p, ok := h.(Preparer); ok {
		r.onDevice(cmd.Domain+"/"+cmd.Device, func() {
			prepared, err := p.Prepare(ctx, &cmd)
			if err != nil {
				r.reply(ctx, cmd, store.CommandFailed, err, nil, record(cmd, store.CommandFailed))
				return
			}
			if !r.reply(ctx, cmd, store.CommandAccepted, nil, prepared, record(cmd, store.CommandAccepted)) {
				return
			}
			result, err := h.Execute(ctx, &cmd)
			status := store.CommandCompleted
			if err != nil {
				status = store.CommandFailed
			}
			r.reply(ctx, cmd, status, err, result, record(cmd, status))
		})
		return
	}
	if !r.reply(ctx, cmd, store.CommandAccepted, nil, nil, record(cmd, store.CommandAccepted)) {
		return
	}
	r.onDevice(cmd.Domain+"/"+cmd.Device, func() {
		result, err := h.Execute(ctx, &cmd)
		status := store.CommandCompleted
		if err != nil {
			status = store.CommandFailed
		}
		r.reply(ctx, cmd, status, err, result, record(cmd, status))
	})
}

func record(cmd Command, status string) *store.CommandRow {
	row := &store.CommandRow{ID: cmd.ID, Topic: cmd.Domain + "/" + cmd.Device + "/" + cmd.Name, Client: cmd.Client, Received: cmd.Received, Status: status}
	if cmd.By != nil {
		row.Principal, row.Role = cmd.By.Username, string(cmd.By.Role)
	}
	return row
}

// reply commits the command's new status and its reply event together.
func (r *Router) reply(ctx context.Context, cmd Command, status string, cause error, result any, row *store.CommandRow) bool {
	rep := Reply{CommandID: cmd.ID, Command: cmd.Name, Device: cmd.Device, Status: status, Result: result, By: cmd.replyBy()}
	if cause != nil {
		rep.Reason, rep.Field = failure(cause)
	}
	key := cmd.ID + "/" + status
	if row == nil {
		// An outcome not recorded (a command too malformed to log): its
		// reply is this arrival's, or the same bad payload sent again (or
		// its id sent again, well formed) would find the key taken and get
		// no reply at all.
		key += fmt.Sprintf("/unrecorded-%d", cmd.Received.UnixNano())
	}
	ev := store.Event{
		Type:    "hotel.command." + status,
		Topic:   r.topics.Reply(cmd.Domain, cmd.Device, cmd.Client),
		Source:  r.topics.Source(cmd.Domain, cmd.Device),
		Subject: "command/" + cmd.ID,
		IdemKey: key,
		Data:    rep,
	}
	err := r.emit(ctx, ev, func(tx *store.Tx) error {
		if row == nil {
			return nil
		}
		row.Reason = rep.Reason
		if result != nil {
			b, err := json.Marshal(result)
			if err != nil {
				return err
			}
			row.Result = b
		}
		return tx.PutCommand(*row)
	})
	if err != nil {
		r.log.Error("command reply not stored", "id", cmd.ID, "status", status, "err", err)
		return false
	}
	return true
}

// republish sends the recorded outcome of a command seen before. Its reply
// events are already in the outbox (same idemkeys), so this re-emits them
// under a key of the repeat, letting a requester that lost them learn the state.
func (r *Router) republish(ctx context.Context, cmd Command, prev store.CommandRow) {
	var result any
	if len(prev.Result) > 0 {
		result = json.RawMessage(prev.Result)
	}
	rep := Reply{CommandID: cmd.ID, Command: cmd.Name, Device: cmd.Device, Status: prev.Status, Reason: prev.Reason, Result: result, By: cmd.replyBy()}
	ev := store.Event{
		Type:    "hotel.command." + prev.Status,
		Topic:   r.topics.Reply(cmd.Domain, cmd.Device, cmd.Client),
		Source:  r.topics.Source(cmd.Domain, cmd.Device),
		Subject: "command/" + cmd.ID,
		IdemKey: fmt.Sprintf("%s/%s/repeat-%d", cmd.ID, prev.Status, cmd.Received.UnixNano()),
		Data:    rep,
	}
	if err := r.emit(ctx, ev, nil); err != nil {
		r.log.Error("duplicate command reply not stored", "id", cmd.ID, "err", err)
	}
}

// decodeCommand reads a CloudEvents command envelope, naming the first field
// that is wrong. The returned Command carries whatever could be read, so a
// refusal can still reach the requester.
// operatorIsSender: a command sent by an operator principal names that
// operator (the operator field, where the command has one), never another:
// every act carries who did it (結帳程序: each shift posts under its own
// operator code). Other principals (the back office, the local CLI) send on
// behalf of the operator they name.
func operatorIsSender(c *Command) error {
	if c.By == nil || c.By.Role != RoleOperator {
		return nil
	}
	var d struct {
		Operator *string `json:"operator"`
	}
	if json.Unmarshal(c.Data, &d) != nil || d.Operator == nil || *d.Operator == c.By.Username {
		return nil
	}
	return &FieldError{Field: "data.operator", Problem: fmt.Sprintf("%q is not the operator who sent it (%q)", *d.Operator, c.By.Username)}
}

// maxIDLength bounds a command id (it is stored, and echoed in replies).
const maxIDLength = 200

func decodeCommand(payload []byte, domain, device, name string) (Command, error) {
	c := Command{Domain: domain, Device: device, Name: name}
	var env events.Envelope
	if err := json.Unmarshal(payload, &env); err != nil {
		// Try to recover the reply address from a partly valid object.
		var loose map[string]any
		if json.Unmarshal(payload, &loose) == nil {
			if s, ok := loose["replyto"].(string); ok && validLevel(s) {
				c.Client = s
			}
			if s, ok := loose["id"].(string); ok && len(s) <= maxIDLength {
				c.ID = s
			}
		}
		return c, &FieldError{Field: "payload", Problem: "not a CloudEvents JSON object: " + err.Error()}
	}
	c.ID, c.Type, c.Deadline, c.Data = env.ID, env.Type, env.Deadline, env.Data
	if len(c.ID) > maxIDLength {
		c.ID = "" // never echoed back: the refusal gets an id of its own
	}
	if validLevel(env.ReplyTo) {
		c.Client = env.ReplyTo
	}
	switch {
	case env.ReplyTo == "":
		return c, &FieldError{Field: "replyto", Problem: "required: the reply topic level of the requester"}
	case !validLevel(env.ReplyTo):
		return c, &FieldError{Field: "replyto", Problem: fmt.Sprintf("%q is not a single topic level", env.ReplyTo)}
	case env.SpecVersion != events.SpecVersion:
		return c, &FieldError{Field: "specversion", Problem: fmt.Sprintf("%q, want %q", env.SpecVersion, events.SpecVersion)}
	case env.ID == "":
		return c, &FieldError{Field: "id", Problem: "required"}
	case len(env.ID) > maxIDLength:
		return c, &FieldError{Field: "id", Problem: fmt.Sprintf("%d bytes, longer than %d", len(env.ID), maxIDLength)}
	case env.Source == "":
		return c, &FieldError{Field: "source", Problem: "required"}
	case env.Type != "hotel."+domain+".cmd."+name:
		return c, &FieldError{Field: "type", Problem: fmt.Sprintf("%q does not match the topic (want %q)", env.Type, "hotel."+domain+".cmd."+name)}
	}
	if len(c.Data) == 0 || string(c.Data) == "null" {
		c.Data = json.RawMessage("{}")
	}
	return c, nil
}

func validLevel(s string) bool {
	return s != "" && len(s) <= 128 && !strings.ContainsAny(s, "/+#\x00 ")
}

// DecodeData unmarshals a command's data strictly (unknown fields are
// errors), returning a FieldError that names the offending field.
func DecodeData(c *Command, v any) error {
	dec := json.NewDecoder(strings.NewReader(string(c.Data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) {
			return &FieldError{Field: "data." + ute.Field, Problem: "wrong type: want " + ute.Type.String()}
		}
		msg := err.Error()
		if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
			return &FieldError{Field: "data." + strings.Trim(f, `"`), Problem: "unknown field"}
		}
		return &FieldError{Field: "data", Problem: msg}
	}
	return nil
}
