package gateway

import (
	"context"
	"errors"
	"fmt"
	"time"

	"switchboard/drivers"
	"switchboard/internal/store"
)

// ReprocessOptions select what `switchboard reprocess` reads again.
type ReprocessOptions struct {
	Device  string // "" = every device whose driver can re-read frames
	Profile string // "" = the device's configured profile
	Since   time.Time
}

// ReprocessResult is what one device's frames became.
type ReprocessResult struct {
	Device, Profile    string
	Read, Parsed, Skip int
	StillUnparsed      []string // "journal 12: line 3: ..."
}

// Reprocess reads unparsed frames again (after a profile fix) and records
// what now parses; the running daemon publishes the events.
func (g *Gateway) Reprocess(ctx context.Context, o ReprocessOptions) ([]ReprocessResult, error) {
	var out []ReprocessResult
	found := false
	for _, d := range g.cfg.Devices {
		if o.Device != "" && d.ID != o.Device {
			continue
		}
		found = true
		prof := d.Profile
		if o.Profile != "" {
			prof = o.Profile
		}
		drv, err := drivers.New(drivers.Device{ID: d.ID, Driver: d.Driver, Profile: prof, Options: d.Options, Location: g.loc, ProfileDir: g.cfg.Profiles.Dir}, drivers.Deps{Log: g.log})
		if err != nil {
			return out, err
		}
		ri, ok := drv.(drivers.Reinterpreter)
		if !ok {
			if o.Device != "" {
				return out, fmt.Errorf("device %s: its driver %s keeps no frames to re-read", d.ID, d.Driver)
			}
			continue
		}
		sink := g.newSink(d)
		sink.profile = prof
		res := ReprocessResult{Device: d.ID, Profile: prof}
		counting := &countingSink{deviceSink: sink, res: &res}
		if _, err := g.Reinterpret(ctx, d.ID, ri, counting, []string{store.FrameUnparsed}, o.Since); err != nil {
			return out, err
		}
		out = append(out, res)
	}
	if !found {
		return nil, errors.New("no device " + o.Device + " in the config")
	}
	return out, nil
}

type countingSink struct {
	*deviceSink
	res *ReprocessResult
}

func (c *countingSink) Deliver(ctx context.Context, rs []drivers.Result) error {
	if err := c.deviceSink.Deliver(ctx, rs); err != nil {
		return err
	}
	for _, r := range rs {
		c.res.Read++
		switch {
		case r.Err != nil:
			c.res.StillUnparsed = append(c.res.StillUnparsed, fmt.Sprintf("journal %d: %v", r.FrameID, r.Err))
		case r.Skipped:
			c.res.Skip++
		default:
			c.res.Parsed++
		}
	}
	return nil
}
