package bus

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
)

// Principal is who published a message, as the embedded broker
// authenticated it. A message from an external broker has none: that
// broker's ACL decided (docs/mosquitto.acl.example).
type Principal struct {
	Username string // "" for an anonymous or local-socket client
	Role     Role
	ClientID string
	// Shift is the console shift a command is sent in (0: none). Only the
	// console sets it, through Router.Send: the broker builds an MQTT
	// client's principal from its session and never reads a shift from
	// what the client sends, so a back office cannot claim one.
	Shift int64
}

// maxAck bounds the ack payload read: {"seq":N,"seqepoch":"..."} is short.
const maxAck = 1024

// ackRefusal is why an ack was refused.
type ackRefusal struct{ reason string }

func (e *ackRefusal) Error() string { return e.reason }

// HandleAck applies a back office's "consumed up to seq N":
// {"seq": N, "seqepoch": "<the gateway's epoch>"}. It is accepted only from
// a backoffice principal (when the broker says who it is), only as that
// JSON with the current seqepoch (a bare number, or an ack for another
// database, could move the cursor past events the consumer never had),
// and never beyond the last published seq. Every ack is logged with its
// principal; a refused one is logged and counted (AcksRefused), and
// changes nothing.
func (o *Outbox) HandleAck(ctx context.Context, m Message) error {
	if m.Retained {
		// A retained ack is an old one replayed by the broker (only the
		// gateway may retain on the embedded broker).
		return nil
	}
	who := principalAttrs(m.From)
	seq, err := o.checkAck(ctx, m)
	if err != nil {
		o.acksRefused.Add(1)
		var r *ackRefusal
		if !errors.As(err, &r) {
			o.log.Error("ack not applied", append(who, "err", err)...)
			return err
		}
		o.log.Warn("ack refused", append(who, "reason", r.reason, "payload", truncatePayload(m.Payload), "refused_total", o.acksRefused.Load())...)
		return err
	}
	acked, err := o.Ack(ctx, seq)
	if err != nil {
		o.log.Error("ack not stored", append(who, "seq", seq, "err", err)...)
		return fmt.Errorf("ack %d: %w", seq, err)
	}
	o.log.Info("ack", append(who, "seq", seq, "acked_seq", acked)...)
	return nil
}

// checkAck reads and checks an ack, returning its seq.
func (o *Outbox) checkAck(ctx context.Context, m Message) (int64, error) {
	if m.From != nil && m.From.Role != RoleBackoffice {
		return 0, &ackRefusal{fmt.Sprintf("only a backoffice principal acknowledges, not %q", m.From.Role)}
	}
	if len(m.Payload) > maxAck {
		return 0, &ackRefusal{fmt.Sprintf("payload of %d bytes, want a short JSON object", len(m.Payload))}
	}
	var a struct {
		Seq      *int64 `json:"seq"`
		SeqEpoch string `json:"seqepoch"`
	}
	p := bytes.TrimSpace(m.Payload)
	if len(p) == 0 || p[0] != '{' || json.Unmarshal(p, &a) != nil {
		return 0, &ackRefusal{`want {"seq":N,"seqepoch":"..."} (a bare number is not accepted: it names no database)`}
	}
	switch epoch := o.st.Epoch(); {
	case a.Seq == nil || *a.Seq < 0:
		return 0, &ackRefusal{"seq: required, a non-negative integer"}
	case a.SeqEpoch == "":
		return 0, &ackRefusal{"seqepoch: required: the seqepoch of the events acknowledged"}
	case a.SeqEpoch != epoch:
		return 0, &ackRefusal{fmt.Sprintf("seqepoch %q is another database's (this one is %q)", a.SeqEpoch, epoch)}
	}
	published, err := o.st.PublishedSeq(ctx)
	if err != nil {
		return 0, err
	}
	published = max(published, o.sent.Load())
	if *a.Seq > published {
		return 0, &ackRefusal{fmt.Sprintf("seq %d was never published (the last published is %d)", *a.Seq, published)}
	}
	return *a.Seq, nil
}

// AcksRefused counts the acks refused since the start.
func (o *Outbox) AcksRefused() int64 { return o.acksRefused.Load() }

func principalAttrs(p *Principal) []any {
	if p == nil {
		return []any{"principal", "external broker"}
	}
	name := p.Username
	if name == "" {
		name = "(anonymous)"
	}
	return []any{"principal", name, "role", string(p.Role), "client", p.ClientID}
}

func truncatePayload(b []byte) slog.Value {
	if len(b) > 120 {
		return slog.StringValue(string(b[:120]) + "...")
	}
	return slog.StringValue(string(b))
}
