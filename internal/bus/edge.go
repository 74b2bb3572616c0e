package bus

import (
	"context"
	"fmt"
	"time"
)

// The gateway's own commands on edge/{gateway}/cmd/: ping (a round trip
// through the command path and the outbox) and replay (publish the stored
// events again from a seq: a consumer stuck on a gap asks for it).

// Ping answers edge/{gateway}/cmd/ping with the time and who answered.
type Ping struct {
	Gateway string
	Loc     *time.Location
	BootID  string
	Version string
}

func (h Ping) Validate(c *Command) error {
	if err := thisGateway(c, h.Gateway); err != nil {
		return err
	}
	var d struct{}
	return DecodeData(c, &d)
}

func (h Ping) Execute(ctx context.Context, c *Command) (any, error) {
	return map[string]any{"pong": time.Now().In(h.Loc), "boot_id": h.BootID, "version": h.Version}, nil
}

// Replay answers edge/{gateway}/cmd/replay {"from": N}: every stored event
// from seq N on is published again.
type Replay struct {
	Gateway string
	Outbox  *Outbox
}

type replayData struct {
	From int64 `json:"from"`
}

func (h Replay) Validate(c *Command) error {
	if err := thisGateway(c, h.Gateway); err != nil {
		return err
	}
	var d replayData
	if err := DecodeData(c, &d); err != nil {
		return err
	}
	if d.From < 1 {
		return &FieldError{Field: "data.from", Problem: "must be a seq of 1 or more"}
	}
	return nil
}

func (h Replay) Execute(ctx context.Context, c *Command) (any, error) {
	var d replayData
	if err := DecodeData(c, &d); err != nil {
		return nil, err
	}
	h.Outbox.Replay(d.From)
	return map[string]any{"from": d.From}, nil
}

func thisGateway(c *Command, gateway string) error {
	if c.Device != gateway {
		return &FieldError{Field: "topic", Problem: fmt.Sprintf("gateway %q is not this one (%q)", c.Device, gateway)}
	}
	return nil
}
