package gateway

import (
	"context"
	"io"
	"time"

	"switchboard/drivers"
	"switchboard/internal/config"
	"switchboard/internal/desk"
	"switchboard/internal/events"
	"switchboard/internal/store"
	"switchboard/internal/transport"
	"switchboard/internal/unparsed"
)

// domainOf is the topic domain of a driver's devices (the registry's).
func (g *Gateway) domainOf(driver string) string {
	e, _ := g.reg.Lookup(driver)
	return e.Domain
}

// isPBX says whether a driver reads calls from a PBX, whose device options
// may adjust the billing plan.
func (g *Gateway) isPBX(driver string) bool { return g.domainOf(driver) == "pbx" }

// streamOf is the kind of byte stream a config device is on.
func streamOf(d config.Device) string {
	t := d.Transport
	switch {
	case t.Serial != nil:
		return drivers.StreamSerial
	case t.TCP != nil:
		return drivers.StreamTCP
	case t.File != nil:
		return drivers.StreamFile
	}
	return ""
}

// opener adapts a transport.Link to the drivers' Opener seam.
type opener struct {
	l        *transport.Link
	endpoint string
}

func (o opener) Run(ctx context.Context, s func(context.Context, io.ReadWriteCloser) error) error {
	return o.l.Run(ctx, s)
}
func (o opener) String() string { return o.endpoint }

// startDevices builds every configured device's driver and runs it. A device
// that cannot be built is reported (state failed) and the others go on.
func (g *Gateway) startDevices(ctx context.Context) {
	var sinks []*deviceSink
	// A minute of noise that no later frame closes is summed up here.
	defer func() {
		g.Worker(func(ctx context.Context) {
			unparsed.Sweep(ctx, g.tuning.Noise.Window, func() {
				for _, s := range sinks {
					s.flushNoise(ctx)
				}
			})
		})
	}()
	for _, d := range g.cfg.Devices {
		d := d
		sink := g.newSink(d)
		sinks = append(sinks, sink)
		dev := drivers.Device{ID: d.ID, Driver: d.Driver, Profile: d.Profile, Options: d.Options, Location: g.loc, ProfileDir: g.cfg.Profiles.Dir,
			Stream: streamOf(d)}
		deps := drivers.Deps{Sink: sink, Log: g.log.With("device", d.ID)}
		if dev.Stream == drivers.StreamSerial || dev.Stream == drivers.StreamTCP {
			// A live stream loses what was read of a record when the
			// gateway stops: the sink keeps it (a file is read again from
			// its start). A driver whose device sends whole records again
			// after a reconnect does without.
			deps.Sink = tailSink{sink}
		}
		endpoint := ""
		var listener io.Closer // a listening socket, released when the gateway stops
		if e, _ := g.reg.Lookup(d.Driver); e.Transport {
			t, err := transport.FromConfig(d.ID, d.Transport, deps.Log)
			if err != nil {
				g.deviceFailed(sink, err)
				continue
			}
			listener, _ = t.(io.Closer)
			endpoint = t.String()
			deps.Link = opener{transport.NewLink(d.ID, t, transport.LinkOptions{OnState: func(sc transport.StateChange) {
				s := events.DeviceState{Device: d.ID, State: string(sc.State), Endpoint: sc.Endpoint, Attempt: sc.Attempt, Since: sc.At}
				if sc.Err != nil {
					s.Error = sc.Err.Error()
				}
				sink.LinkState(s)
			}}), endpoint}
		}
		drv, err := g.reg.New(dev, deps)
		if err != nil {
			g.deviceFailed(sink, err)
			continue
		}
		g.drvMu.Lock()
		if g.drivers == nil {
			g.drivers = map[string]drivers.Driver{}
		}
		g.drivers[d.ID] = drv
		g.drvMu.Unlock()
		hooked := true
		for _, dk := range g.desks {
			if u, ok := dk.(desk.DeviceUser); ok {
				if _, err := u.AttachDevice(sink.dev, drv); err != nil {
					g.deviceFailed(sink, err)
					hooked = false
					break
				}
			}
		}
		if !hooked {
			continue
		}
		g.log.Info("device starting", "device", d.ID, "driver", d.Driver, "profile", d.Profile, "endpoint", endpoint)
		g.wg.Add(1)
		go func() {
			defer g.wg.Done()
			if ri, ok := drv.(drivers.Reinterpreter); ok {
				// Journal first means a crash can leave frames read but not
				// interpreted: finish them before reading anything new.
				if n, err := g.Reinterpret(ctx, d.ID, ri, sink, []string{store.FrameNew}, time.Time{}); err != nil {
					g.log.Error("frames left by a crash not interpreted; they stay in the journal", "device", d.ID, "err", err)
				} else if n > 0 {
					g.log.Info("interpreted frames a crash left in the journal", "device", d.ID, "frames", n)
				}
			}
			if err := drv.Run(ctx); err != nil && ctx.Err() == nil {
				g.deviceFailed(sink, err)
			}
			// The link closes its connections, not its listening socket.
			if listener != nil {
				if err := listener.Close(); err != nil {
					g.log.Warn("device transport not closed", "device", d.ID, "err", err)
				}
			}
		}()
	}
}

// Reinterpret reads a device's journaled frames in the given statuses (since
// a time, zero = all) again and delivers the results: crash recovery, and
// `switchboard reprocess` after a profile fix. Only frames the device sent:
// one the gateway sent it (a wake-up request a crash kept from the PBX) is
// no report of the device's.
func (g *Gateway) Reinterpret(ctx context.Context, device string, ri drivers.Reinterpreter, sink drivers.Sink, statuses []string, since time.Time) (int, error) {
	total := 0
	var after int64
	for {
		frames, err := g.st.Frames(ctx, store.FrameFilter{Device: device, Dir: store.DirIn, Statuses: statuses, Since: since, AfterID: after, Limit: 500})
		if err != nil {
			return total, err
		}
		if len(frames) == 0 {
			return total, nil
		}
		results := make([]drivers.Result, len(frames))
		for i, f := range frames {
			results[i] = ri.Interpret(f.Raw, f.Key, f.Received)
			results[i].FrameID = f.ID
		}
		if err := sink.Deliver(ctx, results); err != nil {
			return total, err
		}
		total += len(frames)
		after = frames[len(frames)-1].ID
	}
}

func (g *Gateway) deviceFailed(sink drivers.Sink, err error) {
	g.log.Error("device stopped: fix the config or the device and restart the gateway", "err", err)
	if s, ok := sink.(*deviceSink); ok {
		sink.LinkState(events.DeviceState{Device: s.device, State: "failed", Error: err.Error(), Since: time.Now()})
	}
}
