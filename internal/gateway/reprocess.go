package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"switchboard/drivers"
	"switchboard/internal/folio"
	"switchboard/internal/store"
)

// ReprocessOptions select what `switchboard reprocess` reads again.
type ReprocessOptions struct {
	Device  string // "" = every device whose driver can re-read frames
	Profile string // "" = the device's configured profile
	Since   time.Time
}

// ReprocessResult is what one device's frames became: counted by what the
// desks made of them, not by whether the profile could read them (a record
// read but refused, a wake-up result for a room without a wake-up, stays
// unparsed with why).
type ReprocessResult struct {
	Device        string   `json:"device"`
	Profile       string   `json:"profile"`
	Read          int      `json:"read"`
	Parsed        int      `json:"parsed"`
	Skip          int      `json:"skipped"`
	Duplicate     int      `json:"duplicate"`
	StillUnparsed []string `json:"still_unparsed,omitempty"` // "journal 12: line 3: ..."
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
		// The live path: the same sink and the same desks as a frame the
		// device sends now, so a record is applied once whichever way.
		sink := g.newSink(d)
		sink.profile = prof
		drv, err := g.reg.New(drivers.Device{ID: d.ID, Driver: d.Driver, Profile: prof, Options: d.Options, Location: g.loc, ProfileDir: g.cfg.Profiles.Dir},
			drivers.Deps{Log: g.log, Sink: sink, Link: noLink{}})
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
		res := ReprocessResult{Device: d.ID, Profile: prof}
		sink.seen = func(r drivers.Result, status, note string) {
			res.Read++
			switch status {
			case store.FrameUnparsed:
				res.StillUnparsed = append(res.StillUnparsed, fmt.Sprintf("journal %d: %s", r.FrameID, note))
			case store.FrameSkipped:
				res.Skip++
			case store.FrameDuplicate:
				res.Duplicate++
			default:
				res.Parsed++
			}
		}
		if _, err := g.Reinterpret(ctx, d.ID, ri, sink, []string{store.FrameUnparsed}, o.Since); err != nil {
			return out, err
		}
		out = append(out, res)
	}
	if !found {
		return nil, errors.New("no device " + o.Device + " in the config")
	}
	return out, nil
}

// noLink is the byte stream of a device whose journal is read again: it
// is never opened.
type noLink struct{}

func (noLink) Run(ctx context.Context, _ func(context.Context, io.ReadWriteCloser) error) error {
	return errors.New("reprocess: the device is not opened")
}
func (noLink) String() string { return "journal" }

// Rerate re-rates the calls that started in [o.Since, o.Until) with the
// tariff in force (call billing's re-rating).
func (g *Gateway) Rerate(ctx context.Context, o folio.RerateOptions) (folio.RerateResult, error) {
	return g.calls.Rerate(ctx, o)
}
