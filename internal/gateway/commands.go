package gateway

import (
	"context"
	"fmt"
	"time"

	"switchboard/internal/bus"
)

// pingHandler answers edge/{gateway}/cmd/ping: a round trip through the
// command path and the outbox.
type pingHandler struct{ g *Gateway }

func (h pingHandler) Validate(c *bus.Command) error {
	if c.Device != h.g.cfg.Site.Gateway {
		return &bus.FieldError{Field: "topic", Problem: fmt.Sprintf("gateway %q is not this one (%q)", c.Device, h.g.cfg.Site.Gateway)}
	}
	var d struct{}
	return bus.DecodeData(c, &d)
}

func (h pingHandler) Execute(ctx context.Context, c *bus.Command) (any, error) {
	return map[string]any{"pong": time.Now().In(h.g.loc), "boot_id": h.g.bootID, "version": Version}, nil
}

// replayHandler answers edge/{gateway}/cmd/replay {"from": N}: publish every
// stored event from seq N on again.
type replayHandler struct{ g *Gateway }

type replayData struct {
	From int64 `json:"from"`
}

func (h replayHandler) Validate(c *bus.Command) error {
	if c.Device != h.g.cfg.Site.Gateway {
		return &bus.FieldError{Field: "topic", Problem: fmt.Sprintf("gateway %q is not this one (%q)", c.Device, h.g.cfg.Site.Gateway)}
	}
	var d replayData
	if err := bus.DecodeData(c, &d); err != nil {
		return err
	}
	if d.From < 1 {
		return &bus.FieldError{Field: "data.from", Problem: "must be a seq of 1 or more"}
	}
	return nil
}

func (h replayHandler) Execute(ctx context.Context, c *bus.Command) (any, error) {
	var d replayData
	if err := bus.DecodeData(c, &d); err != nil {
		return nil, err
	}
	h.g.outbox.Replay(d.From)
	return map[string]any{"from": d.From}, nil
}
