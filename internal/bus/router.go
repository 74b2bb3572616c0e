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
	topics  events.Topics
	st      *store.Store
	enqueue EnqueueFunc
	log     *slog.Logger
	// replies commits each reply with its command-log row in shared
	// transactions: a burst of commands costs a few fsyncs, not two each.
	replies *store.Group

	mu       sync.RWMutex
	handlers map[string]Handler // "pbx/wakeup.set"
	queue    chan Message

	// pending are the ids whose first recorded reply is not committed yet:
	// the same id again waits for it, so it is never handled twice.
	pendMu  sync.Mutex
	pending map[string]*pendingReply
	senders waiters // in-process senders (Send), guarded by pendMu

	// Execution runs per device: one device's commands run in the order
	// they were accepted, while a slow one (a print job followed to its end,
	// a PBX that takes its time) never holds up another device's commands.
	devMu   sync.Mutex
	devices map[string]*worker
	wg      sync.WaitGroup
}

// worker runs one device's commands in order.
type worker struct {
	q      chan func()
	freed  chan struct{} // a place in q came free
	queued int           // accepted and not finished, guarded by Router.devMu
	moved  time.Time     // when it last finished a command, guarded by Router.devMu
}

// EnqueueFunc adds a reply event to the outbox in tx and arranges for the
// publisher to be woken once tx commits.
type EnqueueFunc func(tx *store.Tx, ev store.Event) error

// Limits of the router's queues.
const (
	// routerQueue commands may wait for validation; beyond, the embedded
	// broker holds their sender back (TCP flow control) and a command from
	// an external broker is answered busy.
	routerQueue = 1024
	// MaxDeviceQueue commands may wait for one device; beyond, a command
	// for it is answered `failed` with reason busy (never dropped, never
	// holding up another device's commands).
	MaxDeviceQueue = 256
	// replyBatch replies at most share one transaction.
	replyBatch = 256
)

// NewRouter makes a router whose replies go to the outbox through enqueue.
func NewRouter(topics events.Topics, st *store.Store, enqueue EnqueueFunc, log *slog.Logger) *Router {
	if log == nil {
		log = slog.Default()
	}
	return &Router{topics: topics, st: st, enqueue: enqueue, log: log.With("component", "commands"),
		replies: st.NewGroup(replyBatch, routerQueue), handlers: map[string]Handler{}, queue: make(chan Message, routerQueue),
		pending: map[string]*pendingReply{}, devices: map[string]*worker{}}
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

// Deliver queues a message from the broker. From the embedded broker (the
// sender known) a full queue holds the sender back; from an external
// broker, whose client must keep reading or the broker drops what it
// cannot queue, a command that finds the queue full is answered busy.
func (r *Router) Deliver(m Message) {
	if m.Retained {
		// A retained command is an old command replayed by the broker; it
		// was handled (or refused) when it was first sent.
		return
	}
	if m.From != nil {
		r.queue <- m
		return
	}
	select {
	case r.queue <- m:
	default:
		r.shed(m)
	}
}

// shed answers a command the router has no room for.
func (r *Router) shed(m Message) {
	domain, device, name, ok := r.topics.ParseCommandTopic(m.Topic)
	if !ok {
		return
	}
	cmd, err := decodeCommand(m.Payload, domain, device, name)
	cmd.Received = time.Now()
	if err == nil {
		err = fmt.Errorf("busy: %d commands are waiting for the gateway; send it again later", routerQueue)
	}
	r.refuse(context.Background(), cmd, err)
}

// Run validates and accepts queued commands one at a time, in arrival
// order, until ctx ends; each device's commands then execute in order on a
// worker of that device.
func (r *Router) Run(ctx context.Context) {
	// The reply committer outlives ctx by what the device workers still
	// finish, so their replies are committed.
	gctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	grouped := make(chan struct{})
	// Replies are essential writes: a command refused for a full disk is
	// still told so (store.Essential).
	go func() { r.replies.Run(store.Essential(gctx)); close(grouped) }()
	defer func() {
		r.devMu.Lock()
		for k, w := range r.devices {
			close(w.q)
			delete(r.devices, k)
		}
		r.devMu.Unlock()
		r.wg.Wait()
		stop()
		<-grouped
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
// requester can act on (the device may or may not have done it). It runs
// before Run.
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
		fn := r.replyWork(cmd, store.CommandFailed,
			errors.New("interrupted: the gateway restarted before the device confirmed; check the device's state and send the command again"),
			nil, record(cmd, store.CommandFailed))
		if err := r.st.InTx(cmd.actor(ctx), fn); err != nil {
			r.log.Error("command reply not stored", "id", cmd.ID, "err", err)
		}
	}
	return len(rows), nil
}

// reserve takes a place in the device's queue. When it is full, it waits
// up to queueWait for a place while the device is making progress (a burst
// for a working device is absorbed; the sender is held back meanwhile);
// false: none came free, or the device is stuck (nothing finished within
// queueWait), so that one stuck device never holds up the others'.
func (r *Router) reserve(ctx context.Context, key string) bool {
	deadline := time.Now().Add(queueWait)
	for {
		r.devMu.Lock()
		w, ok := r.devices[key]
		if !ok {
			w = &worker{q: make(chan func(), MaxDeviceQueue), freed: make(chan struct{}, 1), moved: time.Now()}
			r.devices[key] = w
			r.wg.Add(1)
			go r.work(w)
		}
		if w.queued < MaxDeviceQueue {
			w.queued++
			r.devMu.Unlock()
			return true
		}
		stuck := time.Since(w.moved) > queueWait
		r.devMu.Unlock()
		if stuck {
			return false
		}
		wait := time.Until(deadline)
		if wait <= 0 {
			return false
		}
		t := time.NewTimer(wait)
		select {
		case <-w.freed:
			t.Stop()
		case <-t.C:
			return false
		case <-ctx.Done():
			t.Stop()
			return false
		}
	}
}

// queueWait is how long a command waits for a place in a full device queue.
const queueWait = 2 * time.Second

// work runs a device's commands until its queue is closed.
func (r *Router) work(w *worker) {
	defer r.wg.Done()
	for f := range w.q {
		f()
		r.devMu.Lock()
		w.queued--
		w.moved = time.Now()
		r.devMu.Unlock()
		select {
		case w.freed <- struct{}{}:
		default:
		}
	}
}

// release gives back a place reserve took for a command that will not run.
func (r *Router) release(key string) {
	r.devMu.Lock()
	defer r.devMu.Unlock()
	if w, ok := r.devices[key]; ok {
		w.queued--
		select {
		case w.freed <- struct{}{}:
		default:
		}
	}
}

// onDevice runs fn on the device's worker, after its earlier commands, in
// the place reserve took (so it never blocks).
func (r *Router) onDevice(key string, fn func()) {
	r.devMu.Lock()
	w, ok := r.devices[key]
	r.devMu.Unlock()
	if !ok {
		return // Run has ended
	}
	w.q <- fn
}

// pendingReply is a command id whose first recorded reply is on the way.
type pendingReply struct {
	done    chan struct{}
	waiting int // arrivals of the same id waiting for it
}

// maxWaiting arrivals of one id may wait for its first reply; more are
// answered busy (a client resending one id in a loop costs nothing more).
const maxWaiting = 4

// pend marks id as having its first recorded reply on the way.
func (r *Router) pend(id string) {
	r.pendMu.Lock()
	r.pending[id] = &pendingReply{done: make(chan struct{})}
	r.pendMu.Unlock()
}

// unpend: id's recorded reply is committed (or will never be).
func (r *Router) unpend(id string) {
	r.pendMu.Lock()
	if p, ok := r.pending[id]; ok {
		close(p.done)
		delete(r.pending, id)
	}
	r.pendMu.Unlock()
}

// later handles m again once the first reply of its id is committed, off
// the router's loop so that other commands go on meanwhile (a fax's
// Prepare may take a while). ok is false when m's id is not pending;
// busy when too many arrivals of it wait already.
func (r *Router) later(ctx context.Context, id string, m Message) (ok, busy bool) {
	r.pendMu.Lock()
	p, ok := r.pending[id]
	if ok && p.waiting >= maxWaiting {
		r.pendMu.Unlock()
		return true, true
	}
	if ok {
		p.waiting++
	}
	r.pendMu.Unlock()
	if !ok {
		return false, false
	}
	go func() {
		select {
		case <-p.done:
		case <-ctx.Done():
			return
		}
		select {
		case r.queue <- m:
		case <-ctx.Done():
		}
	}()
	return true, false
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
		if cmd.ID == "" {
			cmd.ID = "invalid-" + events.EventID(m.Topic, "invalid", string(m.Payload), "")
		}
		r.refuse(ctx, cmd, err)
		r.log.Warn("malformed command refused", "topic", m.Topic, "err", err)
		return
	}
	if field, max, err := schemas.TooLong(cmd.Type, cmd.Data); err != nil || field != "" {
		// Every string of every command is bounded by its schema: an
		// oversized one is refused before anything is stored or handled.
		if err == nil {
			err = &FieldError{Field: field, Problem: fmt.Sprintf("longer than %d characters", max)}
		}
		r.refuse(ctx, cmd, err)
		r.log.Warn("oversized command refused", "id", cmd.ID, "field", field)
		return
	}
	if err := operatorIsSender(&cmd); err != nil {
		r.refuse(ctx, cmd, err)
		r.log.Warn("command refused: operator is not its sender", "id", cmd.ID, "principal", cmd.By.Username)
		return
	}
	if ok, busy := r.later(ctx, cmd.ID, m); busy {
		r.refuse(ctx, cmd, fmt.Errorf("busy: command %s is being handled; its replies will follow", cmd.ID))
		return
	} else if ok {
		return
	}
	prev, seen, err := r.st.Command(ctx, cmd.ID)
	if err != nil {
		r.log.Error("command log unavailable", "id", cmd.ID, "err", err)
		r.refuse(ctx, cmd, fmt.Errorf("busy: the command log cannot be read (%v); send it again later", err))
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
	switch {
	case h == nil:
		r.conclude(ctx, cmd, fmt.Errorf("unknown command %q for %s devices", name, domain))
		return
	case cmd.Deadline != nil && cmd.Received.After(*cmd.Deadline):
		r.conclude(ctx, cmd, fmt.Errorf("deadline %s passed before the command arrived", cmd.Deadline.Format(time.RFC3339)))
		return
	}
	if err := h.Validate(&cmd); err != nil {
		r.conclude(ctx, cmd, err)
		return
	}
	key := cmd.Domain + "/" + cmd.Device
	if !r.reserve(ctx, key) {
		r.refuse(ctx, cmd, fmt.Errorf("busy: %d commands are waiting for device %s; send it again later", MaxDeviceQueue, cmd.Device))
		r.log.Warn("command refused: device queue full", "id", cmd.ID, "device", key)
		return
	}
	actx := cmd.actor(ctx)
	r.pend(cmd.ID)
	if p, ok := h.(Preparer); ok {
		r.onDevice(key, func() {
			prepared, err := p.Prepare(actx, &cmd)
			if err != nil {
				r.wait(actx, cmd, store.CommandFailed, err, nil)
				r.unpend(cmd.ID)
				return
			}
			ok := r.wait(actx, cmd, store.CommandAccepted, nil, prepared)
			r.unpend(cmd.ID)
			if ok {
				r.execute(actx, cmd, h)
			}
		})
		return
	}
	r.replyThen(actx, cmd, store.CommandAccepted, nil, nil, record(cmd, store.CommandAccepted), func(err error) {
		r.unpend(cmd.ID)
		if err != nil {
			r.release(key)
			return
		}
		r.onDevice(key, func() { r.execute(actx, cmd, h) })
	})
}

// execute runs an accepted command and replies with its outcome. The reply
// is committed with the next ones; the device's next command may start
// meanwhile, its replies coming after this one's.
func (r *Router) execute(ctx context.Context, cmd Command, h Handler) {
	result, err := h.Execute(ctx, &cmd)
	status := store.CommandCompleted
	if err != nil {
		status = store.CommandFailed
	}
	r.replyThen(ctx, cmd, status, err, result, record(cmd, status), nil)
}

// refuse answers a command whose refusal is not recorded (malformed,
// oversized, busy): the same id sent again is handled afresh.
func (r *Router) refuse(ctx context.Context, cmd Command, err error) {
	if cmd.Client == "" {
		cmd.Client = "unknown"
	}
	r.replyThen(cmd.actor(ctx), cmd, store.CommandFailed, err, nil, nil, nil)
}

// conclude records a command's refusal: the same id again gets it again.
func (r *Router) conclude(ctx context.Context, cmd Command, err error) {
	r.pend(cmd.ID)
	r.replyThen(cmd.actor(ctx), cmd, store.CommandFailed, err, nil, record(cmd, store.CommandFailed), func(error) { r.unpend(cmd.ID) })
}

// wait replies and waits for the reply's commit.
func (r *Router) wait(ctx context.Context, cmd Command, status string, cause error, result any) bool {
	done := make(chan error, 1)
	r.replyThen(ctx, cmd, status, cause, result, record(cmd, status), func(err error) { done <- err })
	return <-done == nil
}

// actor is ctx carrying the command's principal: the events its handling
// enqueues name who caused them.
func (c *Command) actor(ctx context.Context) context.Context {
	if c.By == nil {
		return ctx
	}
	return events.WithActor(ctx, events.Actor{Principal: c.By.Username, Role: string(c.By.Role), Shift: c.By.Shift})
}

func record(cmd Command, status string) *store.CommandRow {
	row := &store.CommandRow{ID: cmd.ID, Topic: cmd.Domain + "/" + cmd.Device + "/" + cmd.Name, Client: cmd.Client, Received: cmd.Received, Status: status}
	if cmd.By != nil {
		row.Principal, row.Role = cmd.By.Username, string(cmd.By.Role)
	}
	return row
}

// replyThen commits the command's new status and its reply event together,
// in the next shared transaction; then (if not nil) learns the outcome.
func (r *Router) replyThen(ctx context.Context, cmd Command, status string, cause error, result any, row *store.CommandRow, then func(error)) {
	fn := r.replyWork(cmd, status, cause, result, row)
	r.replies.Submit(ctx, fn, func(err error) {
		if err != nil {
			r.log.Error("command reply not stored", "id", cmd.ID, "status", status, "err", err)
		} else {
			rep := Reply{CommandID: cmd.ID, Command: cmd.Name, Device: cmd.Device, Status: status, Result: result, By: cmd.replyBy()}
			if cause != nil {
				rep.Reason, rep.Field = failure(cause)
			}
			r.told(rep)
		}
		if then != nil {
			then(err)
		}
	})
}

// replyWork is the transaction work that stores a reply's event with the
// command's row.
func (r *Router) replyWork(cmd Command, status string, cause error, result any, row *store.CommandRow) func(tx *store.Tx) error {
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
	return func(tx *store.Tx) error {
		if row != nil {
			row.Reason = rep.Reason
			if result != nil {
				b, err := json.Marshal(result)
				if err != nil {
					return err
				}
				row.Result = b
			}
			if err := tx.PutCommand(*row); err != nil {
				return err
			}
		}
		return r.enqueue(tx, ev)
	}
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
	r.replies.Submit(cmd.actor(ctx), func(tx *store.Tx) error { return r.enqueue(tx, ev) }, func(err error) {
		if err != nil {
			r.log.Error("duplicate command reply not stored", "id", cmd.ID, "err", err)
		}
	})
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
