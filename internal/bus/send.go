package bus

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"switchboard/internal/events"
	"switchboard/internal/store"
)

// waiters are the in-process senders waiting for a command's replies
// (Router.Send), by command id.
type waiters struct {
	m map[string]chan Reply
}

// Send hands the router a command in-process, as the embedded broker hands
// it one from an MQTT client: the same validation, dedupe, command log and
// replies (published to replyTo like any other requester's), with by as
// its principal. It returns the command's last reply once it is completed
// or failed, or the reply it has when ctx ends (accepted: the device has
// not confirmed yet; the outcome will still be logged and published).
// The console sends the desks' commands this way, so that a command from
// a browser and one from MQTT are one behaviour.
func (r *Router) Send(ctx context.Context, domain, device, name string, data any, by Principal, replyTo string) (Reply, error) {
	payload, err := json.Marshal(data)
	if err != nil {
		return Reply{}, fmt.Errorf("command %s data: %w", name, err)
	}
	id := uuid.NewString()
	typ := "hotel." + domain + ".cmd." + name
	env, err := json.Marshal(events.Envelope{SpecVersion: events.SpecVersion, ID: id, Source: "/console/" + by.Username, Type: typ,
		Time: time.Now(), DataContentType: "application/json", DataSchema: events.SchemaURI(typ), ReplyTo: replyTo, Data: payload})
	if err != nil {
		return Reply{}, fmt.Errorf("command %s: %w", name, err)
	}
	ch := make(chan Reply, 4)
	r.pendMu.Lock()
	if r.senders.m == nil {
		r.senders.m = map[string]chan Reply{}
	}
	r.senders.m[id] = ch
	r.pendMu.Unlock()
	defer func() {
		r.pendMu.Lock()
		delete(r.senders.m, id)
		r.pendMu.Unlock()
	}()
	from := by
	select {
	case r.queue <- Message{Topic: r.topics.Command(domain, device, name), Payload: env, From: &from}:
	case <-ctx.Done():
		return Reply{CommandID: id}, fmt.Errorf("command %s not sent: %w", name, ctx.Err())
	}
	last := Reply{CommandID: id, Command: name, Device: device}
	for {
		select {
		case rep := <-ch:
			last = rep
			if rep.Status != store.CommandAccepted {
				return rep, nil
			}
		case <-ctx.Done():
			if last.Status == "" {
				return last, fmt.Errorf("command %s: no reply: %w", name, ctx.Err())
			}
			return last, nil
		}
	}
}

// told passes a committed reply to an in-process sender waiting for it.
func (r *Router) told(rep Reply) {
	r.pendMu.Lock()
	ch, ok := r.senders.m[rep.CommandID]
	r.pendMu.Unlock()
	if ok {
		select {
		case ch <- rep:
		default: // a sender gets at most accepted then the outcome
		}
	}
}
